"""What was read off a document (detainers.extraction).

Nothing here is ever hard-deleted: a report counts these rows, and a correction is a new event.
"""

from django.db import models
from django.utils import timezone

from detainers.models.deliveries import Document


class Extraction(models.Model):
    """Reading one document: its text (for search) and the form's fields, each with a confidence.

    Made when the delivery is routed (detainers.extraction.services) and worked by a task on its own
    queue, so reading never slows intake. `claimed_at` is a lease, claimed with a conditional UPDATE
    like routing's, so a retried or swept task never reads a document twice at once.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting to be read"
        DONE = "done", "Read"
        FAILED = "failed", "Could not be read"

    document = models.OneToOneField(Document, on_delete=models.PROTECT, related_name="extraction")
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    created_at = models.DateTimeField(default=timezone.now)
    claimed_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    finished_at = models.DateTimeField(null=True, blank=True)
    method = models.CharField(
        max_length=12, blank=True, help_text="text_layer, ocr or plain_text: how the text was read."
    )
    pages = models.PositiveIntegerField(null=True, blank=True)
    seconds = models.FloatField(null=True, blank=True, help_text="Time spent reading.")
    text = models.TextField(blank=True, help_text="The document's text, for search.")
    fields = models.JSONField(
        default=dict, blank=True, help_text='What the form says: {field: {"value", "confidence"}}.'
    )
    error = models.TextField(blank=True, help_text="Why it could not be read (no personal data).")

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        # Never the text or a field: this string ends up in logs and admin messages.
        return f"Extraction {self.pk} ({self.status})"
