"""Celery tasks: another entry point. They take ids, call a service, and own the retries."""

import logging

from celery import shared_task

from . import routing
from .reconcile import services as reconcile_services

logger = logging.getLogger(__name__)


@shared_task(
    bind=True,
    autoretry_for=(Exception,),
    retry_backoff=2,
    retry_backoff_max=300,
    retry_jitter=True,
    max_retries=8,
)
def route_delivery(self, delivery_id: int) -> None:
    """Route one delivery and send its notice. Safe to run any number of times."""
    _route(delivery_id)


def _route(delivery_id: int) -> None:
    routing.delivery_route(delivery_id=delivery_id)
    routing.delivery_send_notice(delivery_id=delivery_id)


@shared_task
def route_deliveries(delivery_ids: list[int]) -> None:
    """Route a batch accepted together (the mailbox's chunks). A delivery that fails here gets a
    task of its own, with route_delivery's retries, so one bad notice never holds back the rest
    nor sends the others twice; if even that cannot be enqueued, the sweep finds it."""
    for delivery_id in delivery_ids:
        try:
            _route(delivery_id)
        except Exception:  # noqa: BLE001 - retried on its own, below
            logger.warning(
                "routing delivery %s failed in its batch; retrying it alone", delivery_id
            )
            route_delivery.apply_async((delivery_id,), countdown=2)


@shared_task
def sweep_unrouted() -> int:
    """Beat, every minute: re-enqueue what routing has not finished 30 seconds after it was accepted."""
    pending = routing.deliveries_pending()
    for delivery_id in pending:
        route_delivery.apply_async((delivery_id,))
    if pending:
        logger.info("sweep re-enqueued %d deliveries", len(pending))
    return len(pending)


# A run of the periodic task stops taking new chunks after this long, well inside the task's soft
# time limit (CELERY_TASK_SOFT_TIME_LIMIT); the next minute's run goes on where it stopped.
MAILBOX_RUN_SECONDS = 150


@shared_task
def ingest_mailbox() -> int:
    """Beat, every minute: read the central mailbox, if CENTRAL_MAILBOX_URL names one. With
    MAILBOX_READERS above 1, the other readers' shares go to the worker pool as tasks of their own
    (dropped if not started within the minute: the next minute's take over) and this task reads
    the first share. Returns how many messages it read itself."""
    from django.conf import settings

    if not settings.CENTRAL_MAILBOX_URL:
        return 0
    parts = settings.MAILBOX_READERS
    for part in range(1, parts):
        ingest_mailbox_part.apply_async((part, parts), expires=60)
    return ingest_mailbox_part(0, parts)


@shared_task
def ingest_mailbox_part(part: int, parts: int) -> int:
    """One reader's share of the central mailbox: the copies whose UID leaves remainder `part`."""
    from . import mailbox

    return mailbox.mailbox_ingest(time_budget=MAILBOX_RUN_SECONDS, part=part, parts=parts).read


@shared_task(bind=True, max_retries=3)
def reconcile_run(self, reconciliation_id: int) -> None:
    """Reconcile an uploaded agency list (a large one: detainers.reconcile.services). A file that
    cannot be read fails the list, and its page says why; any other error is retried, and after the
    last retry the list fails with an error id to quote. Safe to run twice: the run is claimed."""
    try:
        reconcile_services.reconciliation_run(reconciliation_id=reconciliation_id)
    except Exception as error:
        if self.request.retries >= self.max_retries:
            reconcile_services.reconciliation_fail(reconciliation_id=reconciliation_id)
            raise
        raise self.retry(exc=error, countdown=5 * 2**self.request.retries) from error


@shared_task(
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
    from .extraction.services import document_extract

    document_extract(extraction_id=extraction_id)


@shared_task
def sweep_extractions() -> int:
    """Beat: enqueue documents whose reading was never enqueued (broker down) or was abandoned."""
    from .extraction.services import extractions_enqueue, extractions_pending

    pending = extractions_pending()
    extractions_enqueue(pending)
    if pending:
        logger.info("sweep re-enqueued %d extractions", len(pending))
    return len(pending)
