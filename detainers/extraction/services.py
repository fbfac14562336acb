"""Reading routed documents: one extraction per document, claimed, read once, and recorded.

Routing makes the extractions (`extractions_create`, in its own transaction) and a task on the
`extraction` queue reads each (`document_extract`), so reading never slows intake. What the form says
fills the requests' empty fields through detainers.triage.services. A reading that fails for a reason a person
can act on is recorded as failed with that reason and can be retried from the inbox; any other error
is retried by the task, and recorded as failed (with an id to quote) after MAX_ATTEMPTS. One file
cannot hold the queue: a page over the pixel budget fails with "Kept, too large to read: ..."
(reading.py), a reading past its time limit is stopped and fails with that reason, and a document
whose reading never finished MAX_ATTEMPTS times (its worker killed: out of memory) is not tried again.
"""

import logging
import time
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import transaction
from django.db.models import Count, F, Min, OuterRef, Q, Subquery
from django.utils import timezone

from detainers.core.audit import event_record
from detainers.core.documents import JPEG, PDF, PNG, TEXT, TIFF
from detainers.core.enqueue import task_enqueue
from detainers.extraction.fields import form_fields
from detainers.extraction.reading import document_text
from detainers.extraction.selectors import identifier_shapes_confirmed
from detainers.extraction.tasks import extract_document as extract_document_task
from detainers.extraction.text import FieldReading, ReadingError
from detainers.models import Delivery, DetainerRequest, Document, Extraction
from detainers.triage.services import request_fields_extracted

logger = logging.getLogger(__name__)

READABLE = (PDF, TIFF, PNG, JPEG, TEXT)
# Longer than the task may run (CELERY_TASK_TIME_LIMIT): a claim older than this was abandoned.
LEASE = timedelta(minutes=10)
# An extraction still unclaimed this long after it was made lost its message (a broker down at the
# time): the sweep enqueues it again. Long enough that a busy queue is not filled with repeats.
SWEEP_AFTER = timedelta(minutes=5)
SWEEP_BATCH = 500
# How far back the sweep looks for routed documents without an extraction (routing makes them in its
# own transaction, so only a fault could leave one); older ones are `read_documents --inline`'s.
SWEEP_LOOKS_BACK = timedelta(days=2)
MAX_ATTEMPTS = 3


def extractions_create(*, delivery: Delivery) -> list[int]:
    """Inside routing's transaction: a pending extraction for each readable document, enqueued
    after the commit."""
    documents = delivery.documents.filter(content_type__in=READABLE, extraction__isnull=True)
    ids = [Extraction.objects.create(document=document).pk for document in documents]
    if ids:
        transaction.on_commit(lambda: extractions_enqueue(ids))
    return ids


def extractions_enqueue(extraction_ids: list[int]) -> None:
    for extraction_id in extraction_ids:
        if not task_enqueue(
            extract_document_task, extraction_id, what=f"extraction {extraction_id}"
        ):
            return  # the broker is down: the sweep enqueues the rest later


def document_extract(*, extraction_id: int) -> bool:
    """Read one document and record what it says. False if another run has it or it is done."""
    claimed_at = timezone.now()
    claimed = (
        Extraction.objects.filter(pk=extraction_id, status=Extraction.Status.PENDING)
        .filter(Q(claimed_at__isnull=True) | Q(claimed_at__lt=claimed_at - LEASE))
        .update(claimed_at=claimed_at, attempts=F("attempts") + 1)
    )
    if claimed != 1:
        return False
    extraction = Extraction.objects.select_related("document").get(pk=extraction_id)
    if extraction.attempts > MAX_ATTEMPTS:  # counted at each claim: the earlier ones never ended
        _finish(extraction, claimed_at, status=Extraction.Status.FAILED, error=_never_finished())
        return True
    started = time.monotonic()
    try:
        text = document_text(
            content=_content(extraction.document), content_type=extraction.document.content_type
        )
        readings = form_fields(text, shapes=identifier_shapes_confirmed())
    except ReadingError as error:
        _finish(extraction, claimed_at, status=Extraction.Status.FAILED, error=str(error))
        return True
    except SoftTimeLimitExceeded:
        # Celery's soft limit (tasks.extract_document), raised wherever the reading was: recorded
        # here, where the claim is known, and raised on so that the task ends without a retry.
        _finish(extraction, claimed_at, status=Extraction.Status.FAILED, error=_stopped())
        raise
    except Exception:
        _unexpected(extraction, claimed_at)
        raise
    _finish(
        extraction,
        claimed_at,
        status=Extraction.Status.DONE,
        readings=readings,
        method=text.method,
        pages=text.pages,
        seconds=round(time.monotonic() - started, 3),
        text=text.text,
        fields=_stored(readings),
    )
    return True


def extraction_stopped(*, extraction_id: int) -> bool:
    """The task's time limit came between the reading's steps (not inside document_text): a
    reading still claimed is recorded as failed with the reason. False if it was recorded already."""
    extraction = (
        Extraction.objects.filter(
            pk=extraction_id, status=Extraction.Status.PENDING, claimed_at__isnull=False
        )
        .select_related("document")
        .first()
    )
    if extraction is None:
        return False
    _finish(extraction, extraction.claimed_at, status=Extraction.Status.FAILED, error=_stopped())
    return True


def _stopped() -> str:
    return (
        f"Reading took longer than {settings.EXTRACTION_SOFT_TIME_LIMIT} seconds and was stopped. "
        "The document is kept as received: open it and enter the fields by hand."
    )


def _never_finished() -> str:
    return (
        f"Reading was started {MAX_ATTEMPTS} times and never finished (the worker reading it was "
        "stopped, most likely out of memory). The document is kept as received: open it and enter "
        "the fields by hand."
    )


def _content(document: Document) -> bytes:
    try:
        with document.file.open("rb") as stored:
            return stored.read()
    except OSError as error:
        raise ReadingError("The stored file could not be opened.") from error


def _unexpected(extraction: Extraction, claimed_at) -> None:
    """A fault nobody can act on: give the claim back for the task's retry, or after the last
    attempt record it as failed with an id to quote (the traceback is in the log under that id)."""
    if extraction.attempts < MAX_ATTEMPTS:  # read after the claim counted this attempt
        Extraction.objects.filter(pk=extraction.pk, claimed_at=claimed_at).update(claimed_at=None)
        return
    error_id = uuid.uuid4().hex[:8]
    logger.exception("extraction %s failed (error id %s)", extraction.pk, error_id)
    _finish(
        extraction,
        claimed_at,
        status=Extraction.Status.FAILED,
        error=f"Reading failed {MAX_ATTEMPTS} times (error id {error_id}).",
    )


@transaction.atomic
def _finish(
    extraction: Extraction, claimed_at, *, status: str, readings: dict | None = None, **result
) -> None:
    """Record the result, if the claim is still ours, and fill the requests the document carries."""
    recorded = Extraction.objects.filter(
        pk=extraction.pk, status=Extraction.Status.PENDING, claimed_at=claimed_at
    ).update(status=status, finished_at=timezone.now(), **result)
    if recorded != 1:
        return
    event_record(
        action="document_read" if status == Extraction.Status.DONE else "document_not_read",
        delivery=extraction.document.delivery,
        changes={"document": (None, extraction.document_id), "extraction": (None, status)},
    )
    logger.info("extraction %s recorded (%s)", extraction.pk, status)
    if not readings:
        return
    values = {field: (reading.value, reading.confidence) for field, reading in readings.items()}
    carried = DetainerRequest.objects.filter(document_id=extraction.document_id)
    for request_id in carried.values_list("pk", flat=True):
        request_fields_extracted(request_id=request_id, readings=values)


def _stored(readings: dict[str, FieldReading]) -> dict:
    """JSON for Extraction.fields: dates as ISO strings."""
    return {
        field: {
            "value": reading.value.isoformat()
            if isinstance(reading.value, date)
            else reading.value,
            "confidence": round(reading.confidence, 3),
        }
        for field, reading in readings.items()
    }


DATE_FIELDS = ("form_date", "date_of_birth")


def _typed(stored: dict) -> dict:
    """Extraction.fields with each value back in its Python type (`value_typed`)."""
    typed = {}
    for field, reading in stored.items():
        value = reading.get("value")
        if field in DATE_FIELDS and isinstance(value, str):
            try:
                value = date.fromisoformat(value)
            except ValueError:
                continue
        typed[field] = {**reading, "value_typed": value}
    return typed


def extraction_suggestions(*, document_id: int | None) -> dict[str, dict]:
    """What the request's document says, for the triage form: {field: {value_typed, confidence}}."""
    if document_id is None:
        return {}
    extraction = Extraction.objects.filter(
        document_id=document_id, status=Extraction.Status.DONE
    ).first()
    return _typed(extraction.fields) if extraction else {}


@transaction.atomic
def extraction_retry(*, extraction_id: int, actor) -> bool:
    """A supervisor asks for a failed reading to be tried again. False if it had not failed."""
    retried = Extraction.objects.filter(pk=extraction_id, status=Extraction.Status.FAILED).update(
        status=Extraction.Status.PENDING,
        claimed_at=None,
        attempts=0,
        error="",
        finished_at=None,
        created_at=timezone.now(),
    )
    if retried != 1:
        return False
    extraction = Extraction.objects.select_related("document__delivery").get(pk=extraction_id)
    event_record(
        action="document_read_again",
        actor=actor,
        delivery=extraction.document.delivery,
        changes={"document": (None, extraction.document_id)},
    )
    transaction.on_commit(lambda: extractions_enqueue([extraction_id]))
    return True


def extractions_retry_failed(*, actor) -> int:
    failed = Extraction.objects.filter(status=Extraction.Status.FAILED).values_list("pk", flat=True)
    return sum(extraction_retry(extraction_id=pk, actor=actor) for pk in list(failed))


def extractions_create_missing(*, routed_since=None, limit: int = SWEEP_BATCH) -> list[int]:
    """Extractions for routed readable documents that have none: routed before reading existed
    (`read_documents --inline` reads those), or by a routing that did not make them. Returns the new
    ones' ids. `routed_since` bounds the search by the indexed routed_at, so that the sweep does
    not scan every document ever received each minute."""
    documents = Document.objects.filter(
        delivery__routed_at__isnull=False, content_type__in=READABLE, extraction__isnull=True
    )
    if routed_since is not None:
        documents = documents.filter(delivery__routed_at__gte=routed_since)
    missing = list(documents.values_list("pk", flat=True)[:limit])
    Extraction.objects.bulk_create(
        [Extraction(document_id=pk) for pk in missing], ignore_conflicts=True
    )
    return list(
        Extraction.objects.filter(document_id__in=missing, status=Extraction.Status.PENDING)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def extractions_pending() -> list[int]:
    """For the sweep: the missing extractions, made now, and those whose message was lost or whose
    claim lapsed."""
    now = timezone.now()
    fresh = extractions_create_missing(routed_since=now - SWEEP_LOOKS_BACK)
    stale = Extraction.objects.filter(status=Extraction.Status.PENDING).filter(
        Q(claimed_at__isnull=True, created_at__lt=now - SWEEP_AFTER) | Q(claimed_at__lt=now - LEASE)
    )
    return sorted(set(stale.values_list("pk", flat=True)[:SWEEP_BATCH]) | set(fresh))


def extractions_claimable() -> list[int]:
    """Every pending extraction nobody holds: what `read_documents --inline` reads, oldest first."""
    now = timezone.now()
    return list(
        Extraction.objects.filter(status=Extraction.Status.PENDING)
        .filter(Q(claimed_at__isnull=True) | Q(claimed_at__lt=now - LEASE))
        .order_by("pk")
        .values_list("pk", flat=True)
    )


@dataclass(frozen=True)
class ExtractionHealth:
    waiting: int
    oldest_waiting: datetime | None
    failed: int
    recent_failures: list  # failed Extractions, newest first, each with `request_id` (or None)


def extraction_health(*, failures_shown: int = 10) -> ExtractionHealth:
    """Selector for the inbox's panel (templates/detainers/_extraction_health.html): one query, and
    one more when something failed. Only waiting and failed rows are read (`status` is indexed)."""
    waiting, failed = Extraction.Status.PENDING, Extraction.Status.FAILED
    figures = Extraction.objects.filter(status__in=[waiting, failed]).aggregate(
        waiting=Count("pk", filter=Q(status=waiting)),
        oldest_waiting=Min("created_at", filter=Q(status=waiting)),
        failed=Count("pk", filter=Q(status=failed)),
    )
    recent = []
    if figures["failed"]:
        first_request = (
            DetainerRequest.objects.filter(delivery_id=OuterRef("document__delivery_id"))
            .order_by("pk")
            .values("pk")[:1]
        )
        recent = list(
            Extraction.objects.filter(status=failed)
            .select_related("document__delivery")
            .annotate(request_id=Subquery(first_request))
            .order_by("-finished_at", "-pk")[:failures_shown]
        )
    return ExtractionHealth(**figures, recent_failures=recent)
