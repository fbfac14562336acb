"""Reading's Celery tasks (names kept from the first layout: `detainers.tasks.*`)."""

import logging

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings

logger = logging.getLogger(__name__)


@shared_task(
    name="detainers.tasks.extract_document",
    bind=True,
    autoretry_for=(Exception,),
    # The same file would take as long again: stopped once, recorded as failed, never retried.
    dont_autoretry_for=(SoftTimeLimitExceeded,),
    retry_backoff=5,
    retry_backoff_max=300,
    retry_jitter=True,
    max_retries=3,
    soft_time_limit=settings.EXTRACTION_SOFT_TIME_LIMIT,
    time_limit=settings.EXTRACTION_SOFT_TIME_LIMIT + 30,
)
def extract_document(self, extraction_id: int) -> None:
    """Read one routed document (detainers.extraction). Runs on the `extraction` queue, so a page of
    OCR never holds up routing. Safe to run any number of times: the extraction is claimed.

    At its soft time limit the reading is stopped and the extraction recorded as failed with the
    reason (document_extract, or extraction_stopped when the limit came between its steps); the
    worker then takes the next document."""
    from detainers.extraction.services import document_extract, extraction_stopped

    try:
        document_extract(extraction_id=extraction_id)
    except SoftTimeLimitExceeded:
        extraction_stopped(extraction_id=extraction_id)
        logger.warning("extraction %s stopped at its time limit", extraction_id)


@shared_task(name="detainers.tasks.sweep_extractions")
def sweep_extractions() -> int:
    """Beat: enqueue documents whose reading was never enqueued (broker down) or was abandoned."""
    from detainers.extraction.services import extractions_enqueue, extractions_pending

    pending = extractions_pending()
    extractions_enqueue(pending)
    if pending:
        logger.info("sweep re-enqueued %d extractions", len(pending))
    return len(pending)
