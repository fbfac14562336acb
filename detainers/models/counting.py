"""The summary table the counts are read from, and the figures of closed years.

Nothing here is ever hard-deleted: a report counts these rows, and a correction is a new event.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone

from detainers.models.deliveries import Channel


class CountCell(models.Model):
    """The summary the dashboard reads: how many counted requests share a year, precinct, channel and
    one breakdown value. Kept by detainers.counting.rule in the same transaction as every change; never
    edited by hand (`python manage.py rebuild_counts` recomputes it)."""

    year = models.PositiveSmallIntegerField()
    precinct_id = models.PositiveIntegerField(help_text="0: no precinct.")
    channel = models.CharField(max_length=10, choices=Channel.choices)
    breakdown = models.CharField(max_length=20)
    value = models.CharField(max_length=40, blank=True)
    total = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["year", "precinct_id", "channel", "breakdown", "value"],
                name="countcell_one_per_key",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.year} {self.breakdown}={self.value}: {self.total}"


class ClosedYear(models.Model):
    """A year whose annual Trust Act report was closed: its figures frozen as reported to the Council.

    Written once by detainers.counting.annual.annual_report_close and never changed; later corrections to the
    requests show on the report as differences against `figures`. The row itself is the audit trail
    (who closed the year, and when).
    """

    year = models.PositiveSmallIntegerField(unique=True)
    figures = models.JSONField(
        help_text="The report's figures as reported: [{key, section, label, value}], in the report's order."
    )
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    closed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["year"]

    def __str__(self) -> str:
        return f"Annual report {self.year} (closed)"
