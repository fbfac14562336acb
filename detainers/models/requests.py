"""The detainer requests a delivery carries, with what triage records about each.

Nothing here is ever hard-deleted: a report counts these rows, and a correction is a new event.
"""

from django.conf import settings
from django.db import models

from detainers.models.deliveries import Delivery, Document


class FormType(models.TextChoices):
    I247A = "I-247A", "I-247A Immigration Detainer – Notice of Action"
    I247D = "I-247D", "I-247D Immigration Detainer – Request for Voluntary Action (rescinded)"
    I247N = "I-247N", "I-247N Request for Voluntary Notification of Release (rescinded)"
    I247X = "I-247X", "I-247X Request for Voluntary Transfer (rescinded)"
    I203 = "I-203", "I-203 Order to Detain or Release"
    I200 = "I-200", "I-200 Warrant for Arrest of Alien (administrative)"
    I205 = "I-205", "I-205 Warrant of Removal/Deportation (administrative)"
    JUDICIAL = "judicial_warrant", "Judicial warrant"
    OTHER = "other", "Other or unknown"


class ProbableCause(models.TextChoices):
    """The probable-cause boxes of the I-247A."""

    FINAL_ORDER = "final_order", "Final order of removal"
    PENDING_PROCEEDINGS = "pending_proceedings", "Pending removal proceedings"
    BIOMETRIC_MATCH = "biometric_match", "Biometric match and database records"
    STATEMENTS = "statements", "Statements to an immigration officer or other evidence"
    NONE_MARKED = "none_marked", "No box ticked"


class Disposition(models.TextChoices):
    """Outcomes under Massachusetts law (Lunn v. Commonwealth) and the city's Trust Act.

    There is deliberately no "held" or "transferred on a civil detainer": such a case is a
    legal-review flag, not an ordinary outcome.
    """

    NOT_ACTED_UPON = "not_acted_upon", "Not acted upon (civil detainer)"
    NOT_IN_CUSTODY = "not_in_custody", "Subject not in custody when received"
    RELEASED = (
        "released_before_arraignment",
        "Released before arraignment (bail or personal recognizance)",
    )
    TO_COURT = "transferred_to_court", "Transferred to court, no further custody"
    NOTIFICATION = "notification_no_information", "Notification request, no information given"
    JUDICIAL = (
        "judicial_warrant_referred",
        "Judicial criminal warrant, referred (counted separately)",
    )
    CANCELLED = "cancelled_by_agency", "Cancelled or superseded by the agency"
    DUPLICATE = "duplicate", "Duplicate of an earlier request"
    NOT_A_DETAINER = "not_a_detainer", "Not a detainer request"


class DetainerRequest(models.Model):
    """What is counted: one request from the agency, carried by a delivery."""

    class Status(models.TextChoices):
        NEW = "new", "Received, not yet in the central inbox"
        UNREVIEWED = "unreviewed", "In the central inbox, awaiting review"
        REVIEWED = "reviewed", "Reviewed"

    delivery = models.ForeignKey(Delivery, on_delete=models.PROTECT, related_name="requests")
    # Which of its delivery's requests this is (1, 2, ...): the "-2" of its reference.
    sequence = models.PositiveSmallIntegerField(default=1, db_default=1)
    document = models.ForeignKey(
        Document, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    form_type = models.CharField(max_length=20, choices=FormType.choices, blank=True)
    form_date = models.DateField(null=True, blank=True)
    subject_id = models.CharField("Subject ID", max_length=40, blank=True, db_index=True)
    event_number = models.CharField("Event #", max_length=40, blank=True, db_index=True)
    a_number = models.CharField("File No / A-number", max_length=20, blank=True, db_index=True)
    subject_name = models.CharField(max_length=200, blank=True)
    date_of_birth = models.DateField(null=True, blank=True)
    citizenship = models.CharField(max_length=100, blank=True)
    sex = models.CharField(max_length=20, blank=True)
    probable_cause = models.CharField(max_length=30, choices=ProbableCause.choices, blank=True)
    notify_before_release = models.BooleanField(null=True, blank=True)
    hold_up_to_48_hours = models.BooleanField(null=True, blank=True)
    warrant_attached = models.BooleanField(
        null=True,
        blank=True,
        help_text="Accompanied by an administrative warrant (Form I-200 or I-205).",
    )
    disposition = models.CharField(
        max_length=40, choices=Disposition.choices, blank=True, db_index=True
    )
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    duplicate_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="duplicates"
    )
    duplicate_reason = models.CharField(max_length=200, blank=True)
    duplicate_check_dismissed = models.BooleanField(
        default=False, help_text="A reviewer undid an automatic duplicate link; do not link again."
    )
    legal_review = models.BooleanField(
        default=False, help_text="Needs legal review (e.g. held or transferred)."
    )
    legal_review_note = models.TextField(blank=True)
    # What the Trust Act filing reports beside each request (detainers.counting: the filing).
    held_beyond_release = models.BooleanField(
        null=True, blank=True, help_text="Held past the time the person would have been released."
    )
    transferred_to_federal_custody = models.BooleanField(null=True, blank=True)
    reimbursement_amount = models.DecimalField(
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        help_text="Federal reimbursement received for this request's costs, in dollars.",
    )
    personal_data_purged_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When the subject's personal fields were destroyed at the end of their "
        "retention period; what is counted stays.",
    )

    class Meta:
        ordering = ["id"]
        indexes = [
            # The inbox's first part: the few requests nobody has reviewed yet (migration 0013).
            models.Index(
                fields=["delivery"],
                condition=models.Q(disposition=""),
                name="request_unreviewed_idx",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["delivery", "sequence"], name="request_delivery_sequence_unique"
            ),
        ]

    def __str__(self) -> str:
        # Never the subject's name: this string ends up in logs and admin messages.
        return f"Request {self.pk}"

    @property
    def reference(self) -> str:
        """The one name people use for a request: its delivery's receipt number (DD-2026-000121),
        with "-2", "-3"... for the further requests of the same delivery. Reads self.delivery."""
        receipt = self.delivery.receipt_number
        return receipt if self.sequence == 1 else f"{receipt}-{self.sequence}"

    @property
    def linked_automatically(self) -> bool:
        """Marked a duplicate by the automatic rules, and no person has reviewed it since."""
        return self.disposition == Disposition.DUPLICATE and self.reviewed_at is None

    @property
    def status_label(self) -> str:
        """What a page says of its review: the disposition, "Linked automatically as a duplicate",
        or "Unreviewed"."""
        if self.linked_automatically:
            return "Linked automatically as a duplicate"
        return self.get_disposition_display() if self.disposition else "Unreviewed"

    @property
    def status(self) -> str:
        if self.disposition:
            return self.Status.REVIEWED
        return self.Status.UNREVIEWED if self.delivery.routed_at else self.Status.NEW
