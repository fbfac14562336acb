"""The audit trail: one event for every change, with who made it.

Nothing here is ever hard-deleted: a report counts these rows, and a correction is a new event.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone

from detainers.models.deliveries import Delivery
from detainers.models.faxlines import MissedFax
from detainers.models.requests import DetainerRequest


class Event(models.Model):
    """The audit trail: who changed what, when, with old and new values. Written with the change."""

    delivery = models.ForeignKey(
        Delivery, null=True, blank=True, on_delete=models.PROTECT, related_name="events"
    )
    request = models.ForeignKey(
        DetainerRequest, null=True, blank=True, on_delete=models.PROTECT, related_name="events"
    )
    missed_fax = models.ForeignKey(
        MissedFax, null=True, blank=True, on_delete=models.PROTECT, related_name="events"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    action = models.CharField(max_length=40)
    at = models.DateTimeField(default=timezone.now, db_index=True)
    changes = models.JSONField(default=dict, blank=True, help_text="{field: [old, new]}")

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.action} at {self.at:%Y-%m-%d %H:%M}"
