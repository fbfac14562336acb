from datetime import datetime

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils import timezone


class User(AbstractUser):
    """A person or an integration account. Roles are groups (see accounts.access)."""

    precinct = models.ForeignKey(
        "precincts.Precinct",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="clerks",
        help_text="The precinct a clerk logs faxes for. Clerks must have one; others leave it empty.",
    )


class ApiToken(models.Model):
    """A key for `Authorization: Token <key>`, stored only as its SHA-256 digest.

    The key itself is shown once, when it is made (accounts.tokens); afterwards an admin sees only
    its first characters, so nobody can read another account's key and act as that account.
    """

    PREFIX_LENGTH = 8

    user = models.ForeignKey("accounts.User", on_delete=models.CASCADE, related_name="api_tokens")
    # Unique, so a key is found by an indexed lookup of its digest (see accounts.tokens).
    digest = models.CharField(max_length=64, unique=True, editable=False)
    prefix = models.CharField(
        "key starts with",
        max_length=PREFIX_LENGTH,
        editable=False,
        help_text="The key's first characters, to tell tokens apart; the key is never shown again.",
    )
    created = models.DateTimeField(default=timezone.now, editable=False)
    last_used = models.DateTimeField(null=True, blank=True, editable=False)
    expires_at = models.DateTimeField(
        "expires",
        null=True,
        blank=True,
        help_text="Optional. After this moment the token is refused; empty: it never expires.",
    )
    revoked_at = models.DateTimeField("revoked", null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created"]
        verbose_name = "API token"

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user})"

    def is_usable_at(self, moment: datetime) -> bool:
        if self.revoked_at is not None:
            return False
        return self.expires_at is None or moment < self.expires_at
