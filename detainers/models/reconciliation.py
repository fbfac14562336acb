"""An agency's list reconciled against ours, row by row.

Nothing here is ever hard-deleted: a report counts these rows, and a correction is a new event.
"""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone

from detainers.models.requests import DetainerRequest
from precincts.models import Precinct


def reconciliation_path(reconciliation: "Reconciliation", filename: str) -> str:
    # Like documents: no names in paths, and never served from a public URL (MEDIA_URL is not routed).
    return f"reconciliations/{timezone.now():%Y/%m}/{uuid.uuid4().hex}.csv"


class Reconciliation(models.Model):
    """One upload of the agency's published list of detainers, compared with what we counted in `year`.

    The file is kept (under MEDIA_ROOT, read only by the service) so a worker can process it; its
    column `mapping` says which of its columns holds each fact the matching reads
    (detainers.reconcile.agency_csv.FIELDS). The results are the rows (ReconciliationRow); the
    figures are counts of those rows, so every figure equals the length of its list.
    """

    class Status(models.TextChoices):
        MAPPING = "mapping", "Waiting for the columns to be chosen"
        QUEUED = "queued", "Waiting to be processed"
        RUNNING = "running", "Being processed"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    year = models.PositiveSmallIntegerField(help_text="The local year compared.")
    file = models.FileField(upload_to=reconciliation_path, max_length=200)
    file_name = models.CharField(max_length=255, help_text="The file name as it was uploaded.")
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    encoding = models.CharField(max_length=20, help_text="utf-8-sig or cp1252, as detected.")
    delimiter = models.CharField(max_length=1)
    columns = models.JSONField(default=list, help_text="The file's column names, as found.")
    mapping = models.JSONField(default=dict, blank=True, help_text="{fact: column name}.")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.MAPPING)
    rows_total = models.PositiveIntegerField(default=0, help_text="Data rows in the file.")
    rows_done = models.PositiveIntegerField(default=0)
    rows_outside_year = models.PositiveIntegerField(
        default=0, help_text="Agency rows dated in another year, left out of every figure."
    )
    error = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"Reconciliation {self.pk} ({self.year})"

    @property
    def progress(self) -> float:
        if self.status == self.Status.DONE:
            return 1.0
        return min(self.rows_done / self.rows_total, 1.0) if self.rows_total else 0.0

    @property
    def is_done(self) -> bool:
        return self.status == self.Status.DONE


class ReconciliationRow(models.Model):
    """One result: an agency row with what it matched, or one of our requests no agency row matched.

    `precinct` and `line` are where the row counts: for a match and for one of ours, our request's
    delivery (its precinct and the fax number it arrived on); for an agency row with no match, the
    precinct inferred from the agency's facility and that precinct's line at the agency's date.
    """

    class Result(models.TextChoices):
        MATCHED = "matched", "Matched"
        FALLBACK = "fallback", "Matched by date, precinct and person, awaiting confirmation"
        AGENCY_ONLY = "agency_only", "On the agency's list only (never received)"
        OURS_ONLY = "ours_only", "Ours only (not on the agency's list)"
        AMBIGUOUS = "ambiguous", "Ambiguous (several of ours equally close)"

    class Rule(models.TextChoices):
        EVENT_NUMBER = "event_number", "Event #"
        SUBJECT_ID = "subject_id", "Subject ID"
        A_NUMBER = "a_number", "A-number"
        FALLBACK = "fallback", "Date, precinct and person"
        NONE = "", "None"

    class Decision(models.TextChoices):
        CONFIRMED = "confirmed", "Confirmed"
        REJECTED = "rejected", "Rejected"
        NONE = "", "Not decided"

    reconciliation = models.ForeignKey(
        Reconciliation, on_delete=models.CASCADE, related_name="rows"
    )
    result = models.CharField(max_length=12, choices=Result.choices)
    rule = models.CharField(max_length=12, choices=Rule.choices, blank=True)
    confidence = models.FloatField(null=True, blank=True)
    line_number = models.PositiveIntegerField(
        null=True, blank=True, help_text="The agency row's line in the file (1 is the header)."
    )
    agency_row = models.JSONField(
        default=dict, blank=True, help_text="The agency's row as given: {column: value}."
    )
    prepare_date = models.DateField(null=True, blank=True)
    request = models.ForeignKey(
        DetainerRequest, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    candidates = models.JSONField(
        default=list,
        blank=True,
        help_text="Ambiguous or rejected: [{request, confidence}] of ours that came close.",
    )
    precinct = models.ForeignKey(
        Precinct, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    line = models.CharField(
        max_length=40, blank=True, help_text="The fax number (E.164) it counts on; blank if none."
    )
    decision = models.CharField(max_length=10, choices=Decision.choices, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["reconciliation", "result", "precinct", "line"])]

    def __str__(self) -> str:
        # Never the agency's identifiers: this string ends up in logs and admin messages.
        return f"Reconciliation row {self.pk} ({self.result})"

    @property
    def line_display(self) -> str:
        from precincts.phone import fax_number_display

        return fax_number_display(self.line) if self.line else ""
