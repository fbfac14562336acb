"""The central mailbox: every copy of a message read, and each reader's state.

Nothing here is ever hard-deleted: a report counts these rows, and a correction is a new event.
"""

from django.db import models
from django.db.models import Q
from django.utils import timezone

from detainers.models.deliveries import Delivery, Document


class MailMessage(models.Model):
    """One copy of an email as read from the central mailbox or a backfilled file, and its fate.

    A message is known three ways, each enforced by a constraint: where the copy was (mailbox,
    UIDVALIDITY, UID), its Message-ID (through its delivery's `external_id`) and the SHA-256 of its
    bytes. So a copy re-read after a crash, a second delivery of the same message, or the same
    message in two folders points at the first delivery instead of making a second one.
    The raw bytes themselves are the delivery's `message/rfc822` document (`raw`).
    """

    class Outcome(models.TextChoices):
        INGESTED = "ingested", "Read into a delivery"
        QUARANTINED = "quarantined", "Kept unread as a quarantined delivery"
        DUPLICATE = "duplicate", "A copy of a message already read"
        OWN_NOTICE = "own_notice", "This app's own notification, skipped"

    mailbox = models.CharField(
        max_length=300,
        help_text="The mailbox URL without password (folder included), or file:// for a backfill.",
    )
    uidvalidity = models.BigIntegerField(null=True, blank=True)
    uid = models.BigIntegerField(null=True, blank=True)
    message_id = models.CharField(max_length=255, blank=True, db_index=True)
    sha256 = models.CharField(max_length=64, db_index=True)
    size = models.PositiveBigIntegerField()
    outcome = models.CharField(max_length=20, choices=Outcome.choices)
    delivery = models.ForeignKey(
        Delivery, null=True, blank=True, on_delete=models.PROTECT, related_name="mail_messages"
    )
    raw = models.ForeignKey(
        Document,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The message exactly as received (message/rfc822).",
    )
    read_at = models.DateTimeField(default=timezone.now)
    moved_to = models.CharField(
        max_length=100,
        blank=True,
        help_text="The server folder it was moved to; empty until the move is done.",
    )

    class Meta:
        ordering = ["id"]
        constraints = [
            # A copy on the server is handled once, even if the move after the commit never happened
            models.UniqueConstraint(
                fields=["mailbox", "uidvalidity", "uid"],
                condition=Q(uid__isnull=False),
                name="mail_copy_once",
            ),
            # The same bytes make one delivery, however many times and wherever they are read.
            models.UniqueConstraint(
                fields=["sha256"],
                condition=Q(outcome__in=["ingested", "quarantined"]),
                name="mail_bytes_once",
            ),
        ]

    def __str__(self) -> str:
        # Never the subject or the sender: this string ends up in logs and admin messages.
        return f"Mail message {self.pk} ({self.outcome})"

    @property
    def folder(self) -> str:
        """Where the copy belongs on the server once read."""
        return "Quarantine" if self.outcome == self.Outcome.QUARANTINED else "Processed"


class MailboxState(models.Model):
    """What the central inbox shows about the mailbox: last read, messages waiting, last error.

    One row per mailbox (its URL without the password), or per reader of it with MAILBOX_READERS
    above 1. `running_until` is a lease, claimed with a conditional UPDATE, so that the beat task and
    a manual run never read the same mailbox (or the same reader's share) at once.
    """

    mailbox = models.CharField(max_length=300, unique=True)
    last_read_at = models.DateTimeField(null=True, blank=True)
    waiting = models.PositiveIntegerField(
        null=True, blank=True, help_text="Messages left in the folder."
    )
    last_error = models.TextField(blank=True)
    last_error_at = models.DateTimeField(null=True, blank=True)
    running_until = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return self.mailbox
