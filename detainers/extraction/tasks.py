"""Reading's Celery tasks (names kept from the first layout: `detainers.tasks.*`)."""

import logging

from celery import shared_task

logger = logging.getLogger(__name__)


@shared_task(
    name="detainers.tasks.extract_document",
    bind=True,
    autoretry_for=(Exception,),
    retry_backoff=5,
    retry_backoff_max=300,
    retry_jitter=True,
    max_retries=3,
)
def extract_document(self, extraction_id: int) -> None:
    """Read one routed document (detainers.extraction). Runs on the `extraction` queue, so a page of
    OCR never holds up routing. Safe to run any number of times: the extraction is claimed."""
    from detainers.extraction.services import document_extract

    document_extract(extraction_id=extraction_id)


@shared_task(name="detainers.tasks.sweep_extractions")
def sweep_extractions() -> int:
    """Beat: enqueue documents whose reading was never enqueued (broker down) or was abandoned."""
    from detainers.extraction.services import extractions_enqueue, extractions_pending

    pending = extractions_pending()
    extractions_enqueue(pending)
    if pending:
        logger.info("sweep re-enqueued %d extractions", len(pending))
    return len(pending)
