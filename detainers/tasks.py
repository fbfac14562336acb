"""Celery tasks: another entry point. They take ids, call a service, and own the retries."""

import logging

from celery import shared_task

from . import routing

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
    routing.delivery_route(delivery_id=delivery_id)
    routing.delivery_send_notice(delivery_id=delivery_id)


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
    """Beat, every minute: read the central mailbox, if CENTRAL_MAILBOX_URL names one."""
    from django.conf import settings

    from . import mailbox

    if not settings.CENTRAL_MAILBOX_URL:
        return 0
    return mailbox.mailbox_ingest(time_budget=MAILBOX_RUN_SECONDS).read
