"""What a fax line reports besides received faxes: receptions that failed, and providers' events.

Nothing here is ever hard-deleted: a missed fax is evidence that a request may have been sent.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from detainers.models.deliveries import Delivery, NumberMatch, Source
from precincts.models import FaxNumber, KnownSender, Precinct


class MissedFax(models.Model):
    """A reception that failed: nothing usable arrived, so there is no request to count, only a
    to-do: ask the sender to send it again. A fax received later on the same line from the same
    caller or sender id closes it (`resolved_by`); a supervisor can undo that link."""

    source = models.CharField(max_length=10, choices=Source.choices)
    external_id = models.CharField(
        max_length=255, blank=True, help_text="The fax server's or provider's id for the call."
    )
    received_at = models.DateTimeField(help_text="When the call came in.")
    logged_at = models.DateTimeField(default=timezone.now, editable=False)
    precinct = models.ForeignKey(
        Precinct, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    fax_number = models.ForeignKey(
        FaxNumber, null=True, blank=True, on_delete=models.PROTECT, related_name="missed_faxes"
    )
    to_number = models.CharField(max_length=40, blank=True)
    number_match = models.CharField(max_length=10, choices=NumberMatch.choices, blank=True)
    from_address = models.CharField(max_length=320, blank=True, help_text="The caller's number.")
    sender_id = models.CharField(max_length=100, blank=True)
    known_sender = models.ForeignKey(
        KnownSender, null=True, blank=True, on_delete=models.PROTECT, related_name="missed_faxes"
    )
    error = models.TextField(help_text="Why the reception failed, as the fax server said it.")
    pages = models.PositiveIntegerField(
        null=True, blank=True, help_text="Pages the server got before it failed."
    )
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    resolved_by = models.ForeignKey(
        Delivery,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="missed_faxes_resolved",
        help_text="The fax received again that closed this to-do.",
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    resend_asked_at = models.DateTimeField(
        null=True, blank=True, help_text="When someone asked the sender to send it again."
    )
    resend_asked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-received_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["source", "external_id"],
                condition=~Q(external_id=""),
                name="missed_fax_once_per_source",
            ),
        ]
        indexes = [
            models.Index(fields=["received_at"]),
            models.Index(fields=["to_number", "received_at"]),
        ]
        verbose_name_plural = "missed faxes"

    def __str__(self) -> str:
        return f"Missed fax {self.pk}"

    @property
    def known_sender_off_line(self) -> bool:
        return self.known_sender_id is not None and self.number_match in (
            NumberMatch.RETIRED,
            NumberMatch.UNKNOWN,
        )


class ProviderEvent(models.Model):
    """A cloud fax provider's webhook event, stored before it is answered (so the provider retries
    anything not stored) and worked by a task: the document is fetched from the provider and goes
    through the one intake service. The provider's fax id makes a replayed event the same row."""

    class Provider(models.TextChoices):
        TELNYX = "telnyx", "Telnyx"
        PHAXIO = "phaxio", "Sinch (Phaxio)"
        DOCUMO = "documo", "Documo mFax"

    class Kind(models.TextChoices):
        RECEIVED = "received", "Received"
        PARTIAL = "partial", "Received with pages missing"
        FAILED = "failed", "Reception failed"

    class State(models.TextChoices):
        PENDING = "pending", "Waiting for its document"
        DONE = "done", "Recorded"
        GAVE_UP = "gave_up", "Its document could not be fetched"

    provider = models.CharField(max_length=10, choices=Provider.choices)
    fax_id = models.CharField(max_length=255)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    payload = models.JSONField(help_text="The event as the provider sent it.")
    stored_at = models.DateTimeField(default=timezone.now, editable=False)
    state = models.CharField(
        max_length=10, choices=State.choices, default=State.PENDING, db_index=True
    )
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    delivery = models.ForeignKey(
        Delivery, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    missed_fax = models.ForeignKey(
        MissedFax, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["provider", "fax_id"], name="provider_event_once"),
        ]

    def __str__(self) -> str:
        return f"{self.get_provider_display()} fax {self.pk}"


class LineDay(models.Model):
    """How many deliveries a fax number period received on one day (UTC): line health's own
    summary, kept by intake in the delivery's transaction, so that counting a line's traffic over
    months reads a few rows instead of every delivery (detainers.counting.line_traffic)."""

    fax_number = models.ForeignKey(FaxNumber, on_delete=models.PROTECT, related_name="+")
    day = models.DateField()
    deliveries = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["fax_number", "day"], name="line_day_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.fax_number_id} {self.day}: {self.deliveries}"
