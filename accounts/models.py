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
    # With LOCAL_LOGIN off only these accounts may use the password form (accounts.local_login):
    # the way in when the organisation's sign-on is down.
    break_glass = models.BooleanField(
        "break-glass account",
        default=False,
        help_text="May sign in with a password when LOCAL_LOGIN is off. Keep to one or two "
        "admin accounts with long passwords, for when single sign-on is down.",
    )
    # The `sub` claim at OIDC_ISSUER: sign-on finds the account by it, never by a user name a
    # provider might let a person choose (accounts.oidc.services).
    sso_subject = models.CharField(
        "single sign-on subject",
        max_length=255,
        unique=True,
        null=True,
        blank=True,
        help_text="The person's `sub` at the sign-on provider; set at their first sign-in. Fill "
        "it in to link an existing account; empty it to unlink.",
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


class SignInEvent(models.Model):
    """One sign-in, failure, sign-out, lockout or second-factor change, for an admin to review.

    Written only by accounts.signin_audit. `detail` is short words for a person to read and never
    holds a password, token, one-time code or secret; `username` is what was typed on a failed
    attempt (capped), since no user may match it.
    """

    USERNAME_LENGTH = 150
    DETAIL_LENGTH = 200

    class Kind(models.TextChoices):
        SIGN_IN = "sign_in", "signed in"
        SIGN_IN_FAILED = "sign_in_failed", "sign-in failed"
        SIGN_OUT = "sign_out", "signed out"
        LOCKED_OUT = "locked_out", "locked out"
        MFA_ENROLLED = "mfa_enrolled", "second factor enrolled"
        MFA_VERIFIED = "mfa_verified", "second factor verified"
        MFA_FAILED = "mfa_failed", "second factor refused"
        MFA_RESET = "mfa_reset", "second factor reset"
        RECOVERY_CODE_USED = "recovery_code_used", "recovery code used"
        ROLE_CHANGED = "role_changed", "role changed"
        SESSION_EXPIRED = "session_expired", "session expired"
        BREAK_GLASS = "break_glass", "break-glass sign-in"

    at = models.DateTimeField(default=timezone.now, db_index=True, editable=False)
    kind = models.CharField(max_length=32, choices=Kind.choices, db_index=True, editable=False)
    # PROTECT: the record of who signed in outlives any wish to delete the account (deactivate it).
    user = models.ForeignKey(
        "accounts.User",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="signin_events",
        editable=False,
    )
    username = models.CharField(
        "user name as typed", max_length=USERNAME_LENGTH, blank=True, editable=False
    )
    address = models.GenericIPAddressField("client address", null=True, blank=True, editable=False)
    method = models.CharField(max_length=32, blank=True, editable=False)
    detail = models.CharField(max_length=DETAIL_LENGTH, blank=True, editable=False)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = "sign-in event"
        indexes = [models.Index(fields=["user", "-at"], name="signin_event_user_at")]

    def __str__(self) -> str:
        who = self.user.username if self.user_id else self.username
        return f"{self.get_kind_display()}: {who or '?'}"


class SavedFilter(models.Model):
    """A named set of the central inbox's filters, one person's own (detainers.inbox.saved_filters).

    `query` holds only the filter form's own fields (precinct, channel, status, order), rebuilt from
    its validated values, never anything typed into a search: no personal data."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="saved_filters")
    name = models.CharField(max_length=60)
    query = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["user", "name"], name="saved_filter_name_once_per_user")
        ]

    def __str__(self) -> str:
        return self.name
