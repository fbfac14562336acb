from django.contrib.auth.models import AbstractUser
from django.db import models


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
