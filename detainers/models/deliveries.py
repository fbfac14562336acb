"""Deliveries as received, their documents, and the central inbox entry routing makes for each.

Nothing here is ever hard-deleted: a report counts these rows, and a correction is a new event.
"""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from precincts.models import FaxNumber, KnownSender, Precinct


class Channel(models.TextChoices):
    FAX = "fax", "Fax"
    EMAIL = "email", "Email"


class Source(models.TextChoices):
    CLERK = "clerk", "Clerk's intake page"
    GATEWAY = "gateway", "Fax gateway"
    MAILBOX = "mailbox", "Central mailbox"
    PROVIDER = "provider", "Fax provider's webhook"
    FOLDER = "folder", "Drop folder"


class NumberMatch(models.TextChoices):
    OWNED = "owned", "A precinct's number"
    RETIRED = "retired", "A retired number nobody owned then"
    UNKNOWN = "unknown", "Not a number of any precinct"


class Delivery(models.Model):
    """One transmission as received: a fax or an email, with where and when it arrived.

    `routed_at` is empty until the delivery is in the central inbox: an unrouted row is the outbox
    that the routing task and the sweep work through (detainers.routing).
    """

    channel = models.CharField(max_length=10, choices=Channel.choices)
    source = models.CharField(max_length=10, choices=Source.choices)
    received_at = models.DateTimeField(
        help_text="When it arrived, as the sender's machine or the clerk says."
    )
    logged_at = models.DateTimeField(default=timezone.now, editable=False)
    precinct = models.ForeignKey(
        Precinct, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    fax_number = models.ForeignKey(
        FaxNumber,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="deliveries",
        help_text="The number's period that was active when the fax arrived.",
    )
    to_number = models.CharField(
        max_length=40, blank=True, help_text="Dialled number (E.164 when readable)."
    )
    number_match = models.CharField(
        max_length=10,
        choices=NumberMatch.choices,
        blank=True,
        help_text="What the dialled number was at the moment the fax arrived.",
    )
    from_address = models.CharField(
        max_length=320, blank=True, help_text="Sender's number or address."
    )
    external_id = models.CharField(
        max_length=255, blank=True, help_text="The gateway's id or the message's Message-ID."
    )
    pages = models.PositiveIntegerField(null=True, blank=True)
    sender_id = models.CharField(
        max_length=100, blank=True, help_text="The sending machine's id (TSI/CSID), as it sent it."
    )
    known_sender = models.ForeignKey(
        KnownSender, null=True, blank=True, on_delete=models.PROTECT, related_name="deliveries"
    )
    partial = models.BooleanField(
        default=False, help_text="The fax server lost pages: ask the sender to send it again."
    )
    resend_closed_by = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="A partial fax: the fax received again from the same sender that closed its to-do.",
    )
    notes = models.TextField(blank=True)
    late_reason = models.TextField(
        blank=True, help_text="Why it was logged more than 7 days after arrival."
    )
    logged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    routed_at = models.DateTimeField(null=True, blank=True, db_index=True)
    notice_claimed_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When a worker took on sending the notice (detainers.routing).",
    )
    notice_claimed_by = models.CharField(
        max_length=255,
        blank=True,
        default="",
        help_text="The Celery task (its id and worker) that took on sending the notice: the same "
        "task, delivered again after its worker process died, or the worker restarted, takes the "
        "claim back at once (detainers.intake.routing).",
    )
    notice_sent_at = models.DateTimeField(null=True, blank=True)
    # Email only (detainers.mailbox): what a human must know about a message not fully read.
    quarantine_reason = models.TextField(
        blank=True,
        help_text="Why the message could not be read (the raw message is kept). Empty once read.",
    )
    possibly_not_detainer = models.BooleanField(
        default=False,
        help_text="No detainer form attached and not sent from the agency: a human decides.",
    )
    parse_defects = models.JSONField(
        default=list,
        blank=True,
        help_text="What the email parser found wrong in the message (msg.defects).",
    )

    class Meta:
        ordering = ["received_at", "id"]
        constraints = [
            # A retried post from the same gateway, or the same message read twice, is one delivery.
            models.UniqueConstraint(
                fields=["source", "external_id"],
                condition=~Q(external_id=""),
                name="delivery_once_per_source",
            ),
        ]
        indexes = [
            models.Index(fields=["precinct", "received_at"]),
            # The inbox and the drill-down lists walk deliveries in this order (migration 0013).
            models.Index(fields=["received_at", "id"], name="delivery_received_idx"),
            # The inbox's mailbox panel counts the quarantined emails, a handful among millions.
            models.Index(
                fields=["source"],
                condition=~Q(quarantine_reason=""),
                name="delivery_quarantined_idx",
            ),
            # Line health (detainers.counting.selectors.line_health, migration 0012): each line's
            # last delivery and its traffic in a window, and the few deliveries to retired numbers.
            models.Index(fields=["fax_number", "received_at"], name="delivery_line_received_idx"),
            models.Index(
                fields=["received_at"],
                condition=Q(number_match=NumberMatch.RETIRED),
                name="delivery_retired_number_idx",
            ),
        ]
        verbose_name_plural = "deliveries"

    def __str__(self) -> str:
        return self.receipt_number

    @property
    def receipt_number(self) -> str:
        """What a clerk writes on the paper fax: DD-2026-000123 (local year of logging, then the id)."""
        return f"DD-{timezone.localtime(self.logged_at).year}-{self.pk:06d}"

    @property
    def is_quarantined(self) -> bool:
        return bool(self.quarantine_reason)

    @property
    def known_sender_off_line(self) -> bool:
        """Flagged for a supervisor: a known sender dialled a number no precinct owns."""
        return self.known_sender_id is not None and self.number_match in (
            NumberMatch.RETIRED,
            NumberMatch.UNKNOWN,
        )

    @property
    def needs_precinct(self) -> bool:
        """Flagged in the inbox: nobody can say which precinct's line this came in on."""
        return self.precinct_id is None and self.channel == Channel.FAX


def document_path(document: "Document", filename: str) -> str:
    # No names or identifiers in paths: the file is found through its row, and only through a view
    # that checks access.
    return f"documents/{timezone.now():%Y/%m}/{uuid.uuid4().hex}"


class Document(models.Model):
    delivery = models.ForeignKey(Delivery, on_delete=models.PROTECT, related_name="documents")
    file = models.FileField(upload_to=document_path, max_length=200)
    name = models.CharField(max_length=255, help_text="The file name as it was sent.")
    content_type = models.CharField(
        max_length=100, help_text="Recognised by content, not by the name."
    )
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64, db_index=True)
    pages = models.PositiveIntegerField(null=True, blank=True)
    active_content = models.CharField(
        max_length=200,
        blank=True,
        help_text="Why a PDF kept from the mailbox is offered as a download only (never opened "
        "in the browser); empty for everything else.",
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    purged_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When its retention period ended and the file was destroyed (the row, its size "
        "and hash stay as proof of what was received).",
    )

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.content_type})"


class InboxEntry(models.Model):
    """A delivery's place in the central inbox. One per delivery, whatever the routing retries do."""

    delivery = models.OneToOneField(Delivery, on_delete=models.PROTECT, related_name="inbox_entry")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at"]
        verbose_name_plural = "inbox entries"

    def __str__(self) -> str:
        return f"Inbox entry for delivery {self.delivery_id}"
