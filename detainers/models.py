"""The domain: deliveries as received, their documents, the detainer requests they carry, and the audit trail.

Nothing here is ever hard-deleted: a report counts these rows, and a correction is a new event.
"""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from precincts.models import FaxNumber, Precinct


class Channel(models.TextChoices):
    FAX = "fax", "Fax"
    EMAIL = "email", "Email"


class Source(models.TextChoices):
    CLERK = "clerk", "Clerk's intake page"
    GATEWAY = "gateway", "Fax gateway"
    MAILBOX = "mailbox", "Central mailbox"


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
        indexes = [models.Index(fields=["precinct", "received_at"])]
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
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.content_type})"


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

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        # Never the subject's name: this string ends up in logs and admin messages.
        return f"Request {self.pk}"

    @property
    def status(self) -> str:
        if self.disposition:
            return self.Status.REVIEWED
        return self.Status.UNREVIEWED if self.delivery.routed_at else self.Status.NEW


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


class InboxEntry(models.Model):
    """A delivery's place in the central inbox. One per delivery, whatever the routing retries do."""

    delivery = models.OneToOneField(Delivery, on_delete=models.PROTECT, related_name="inbox_entry")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at"]
        verbose_name_plural = "inbox entries"

    def __str__(self) -> str:
        return f"Inbox entry for delivery {self.delivery_id}"


class Event(models.Model):
    """The audit trail: who changed what, when, with old and new values. Written with the change."""

    delivery = models.ForeignKey(
        Delivery, null=True, blank=True, on_delete=models.PROTECT, related_name="events"
    )
    request = models.ForeignKey(
        DetainerRequest, null=True, blank=True, on_delete=models.PROTECT, related_name="events"
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


class CountCell(models.Model):
    """The summary the dashboard reads: how many counted requests share a year, precinct, channel and
    one breakdown value. Kept by detainers.counting in the same transaction as every change; never
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

    Written once by detainers.annual.annual_report_close and never changed; later corrections to the
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
