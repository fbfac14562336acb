"""Retention and legal holds (detainers.records): how long each kind of record is kept, holds that
stop its destruction, the approval a large purge waits for, and the log of what was destroyed.

None of these rows is ever deleted: a destruction log, a hold and an approval are themselves the
records a records officer answers with.
"""

from datetime import datetime, timedelta

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from detainers.models.requests import DetainerRequest


class RecordKind(models.TextChoices):
    """What a retention rule is about. Each kind is destroyed its own way (detainers.records.purge);
    what is counted is never one of them."""

    DOCUMENTS = "documents", "Documents (faxes, scans, attachments, an email's text)"
    PERSONAL_DATA = "personal_data", "The subject's personal fields and what was read of them"
    RAW_EMAIL = "raw_email", "Emails exactly as received (.eml)"
    MISSED_FAX_CALLERS = "missed_fax_callers", "Missed faxes: the caller's number and machine id"
    DOCUMENT_VIEWS = "document_views", "Who opened a document (audit events of views)"


class RetentionRule(models.Model):
    """How long one kind of record is kept, counted from the start of its year's clock
    (detainers.records.selectors: the local end of the year, or the close of its annual report
    when that came later). Admins edit it in the admin; one row per kind, never deleted."""

    class Unit(models.TextChoices):
        DAYS = "days", "days"
        YEARS = "years", "years"

    kind = models.CharField(max_length=20, choices=RecordKind.choices, unique=True)
    period = models.PositiveIntegerField(validators=[MinValueValidator(1)])
    unit = models.CharField(max_length=5, choices=Unit.choices, default=Unit.YEARS)
    schedule_reference = models.CharField(
        max_length=300,
        blank=True,
        help_text="The series of the Massachusetts Municipal Records Retention Schedule this "
        "period follows, as the city's records officer confirmed it (docs/deploy.md).",
    )
    changed_at = models.DateTimeField(default=timezone.now)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["kind"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.period_label}"

    @property
    def period_label(self) -> str:
        return f"{self.period} {self.get_unit_display()}"

    def run_out_by(self, now: datetime) -> datetime:
        """The latest clock start whose period has run out at `now`: now, less the period."""
        if self.unit == self.Unit.DAYS:
            return now - timedelta(days=self.period)
        local = timezone.localtime(now)
        try:
            return local.replace(year=local.year - self.period)
        except ValueError:  # 29 February, and the year `period` years back is not a leap year
            return local.replace(year=local.year - self.period, day=28)


class LegalHold(models.Model):
    """A supervisor's order that some requests' records be kept whatever their retention rule says:
    documents (and the raw email) of their deliveries, personal fields, views of their documents.
    A hold on a year also keeps that year's missed faxes and views. Released, never deleted."""

    class Scope(models.TextChoices):
        REQUEST = "request", "One request"
        SEARCH = "search", "Requests found by a search"
        YEAR = "year", "Every request received in a year"

    scope = models.CharField(max_length=10, choices=Scope.choices)
    scope_description = models.CharField(
        max_length=200, help_text="What the hold covers, in words (never a name searched for)."
    )
    year = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="A hold on a year: the local year it covers."
    )
    reason = models.TextField()
    placed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    placed_at = models.DateTimeField(default=timezone.now)
    released_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    released_at = models.DateTimeField(null=True, blank=True)
    release_reason = models.TextField(blank=True)
    requests = models.ManyToManyField(
        DetainerRequest, through="LegalHoldRequest", related_name="legal_holds"
    )

    class Meta:
        ordering = ["-placed_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(scope="year") | Q(year__isnull=False), name="legal_hold_year_given"
            ),
        ]

    def __str__(self) -> str:
        return f"Legal hold {self.pk}"

    @property
    def is_active(self) -> bool:
        return self.released_at is None


class LegalHoldRequest(models.Model):
    """A request a hold covers."""

    hold = models.ForeignKey(LegalHold, on_delete=models.PROTECT, related_name="held_requests")
    request = models.ForeignKey(
        DetainerRequest, on_delete=models.PROTECT, related_name="legal_hold_links"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["hold", "request"], name="legal_hold_request_once"),
        ]

    def __str__(self) -> str:
        return f"Hold {self.hold_id} on request {self.request_id}"


class PurgeApproval(models.Model):
    """A purge larger than PURGE_APPROVAL_THRESHOLD waits here until a supervisor approves it; the
    next run then destroys exactly what was planned (less anything held, or no longer due, by
    then). One pending at a time."""

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for a supervisor's approval"
        APPROVED = "approved", "Approved, to be destroyed by the next run"
        DONE = "done", "Destroyed"

    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    planned = models.JSONField(
        help_text='What would go, by kind: {kind: {"record_ids", "request_ids", "years", '
        '"period", "unit"}}.'
    )
    total = models.PositiveIntegerField(help_text="Records planned, every kind together.")
    created_at = models.DateTimeField(default=timezone.now)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["status"], condition=Q(status="pending"), name="purge_approval_one_pending"
            ),
        ]

    def __str__(self) -> str:
        return f"Purge approval {self.pk} ({self.status})"

    @property
    def planned_kinds(self) -> list[tuple[str, dict]]:
        """(The kind's name, what is planned of it), for the approval page."""
        return [(RecordKind(kind).label, batch) for kind, batch in self.planned.items()]


class DestructionLog(models.Model):
    """One kind of record destroyed by one purge: how many, whose, under which rule, approved by
    whom. A dry run writes none."""

    kind = models.CharField(max_length=20, choices=RecordKind.choices)
    count = models.PositiveIntegerField()
    record_ids = models.JSONField(
        default=list, help_text="The documents, requests, missed faxes or events destroyed."
    )
    request_ids = models.JSONField(default=list, help_text="The requests they belonged to.")
    years = models.JSONField(default=list, help_text="The local years they were received in.")
    rule_period = models.PositiveIntegerField()
    rule_unit = models.CharField(max_length=5, choices=RetentionRule.Unit.choices)
    approval = models.ForeignKey(
        PurgeApproval, null=True, blank=True, on_delete=models.PROTECT, related_name="destroyed"
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The supervisor who approved a purge above the threshold; empty for one "
        "below it, which the retention rule itself authorises.",
    )
    at = models.DateTimeField(default=timezone.now, db_index=True)
    dry_run = models.BooleanField(
        default=False, help_text="Always false: a dry run destroys nothing and logs nothing."
    )

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"Destroyed {self.count} ({self.kind}) at {self.at:%Y-%m-%d %H:%M}"

    @property
    def rule_label(self) -> str:
        return f"{self.get_kind_display()}: {self.rule_period} {self.rule_unit}"
