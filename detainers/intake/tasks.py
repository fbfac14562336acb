"""Routing's Celery tasks: another entry point. They take ids, call a service inside the function
(so that services can import their tasks at the top without a circle), and own the retries.

Task names stay those of the first layout (`detainers.tasks.*`): messages already queued and the beat
schedule keep working across the upgrade.
"""

import logging

from celery import shared_task
from celery.signals import celeryd_after_setup

logger = logging.getLogger(__name__)


@shared_task(
    name="detainers.tasks.route_delivery",
    bind=True,
    autoretry_for=(Exception,),
    retry_backoff=2,
    retry_backoff_max=300,
    retry_jitter=True,
    max_retries=8,
)
def route_delivery(self, delivery_id: int) -> None:
    """Route one delivery and send its notice. Safe to run any number of times.

    The task's id names its claim on the notice: delivered again after its worker died (or retried
    after an error before the send), it takes that claim back instead of waiting for it to lapse."""
    from detainers.intake import routing

    routing.delivery_route_and_announce(delivery_id=delivery_id, claimed_by=_claimant(self))


@shared_task(name="detainers.tasks.route_deliveries", bind=True)
def route_deliveries(self, delivery_ids: list[int]) -> None:
    """Route a batch accepted together (the mailbox's chunks). A delivery that fails here gets a
    task of its own, with route_delivery's retries, so one bad notice never holds back the rest
    nor sends the others twice; if even that cannot be enqueued, the sweep finds it."""
    from detainers.intake import routing

    for delivery_id in delivery_ids:
        try:
            routing.delivery_route_and_announce(delivery_id=delivery_id, claimed_by=_claimant(self))
        except Exception:  # noqa: BLE001 - retried on its own, below
            logger.warning(
                "routing delivery %s failed in its batch; retrying it alone", delivery_id
            )
            route_delivery.apply_async((delivery_id,), countdown=2)


@shared_task(name="detainers.tasks.sweep_unrouted")
def sweep_unrouted() -> int:
    """Beat, every minute: re-enqueue what routing has not finished 30 seconds after it was accepted."""
    from detainers.intake import routing

    pending = routing.deliveries_pending()
    for delivery_id in pending:
        route_delivery.apply_async((delivery_id,))
    if pending:
        logger.info("sweep re-enqueued %d deliveries", len(pending))
    return len(pending)


def _claimant(task) -> str:
    """How a task names its claim on a notice: its id, then its worker's name."""
    if not task.request.id:
        return ""
    return f"{task.request.id} {task.request.hostname or ''}".strip()


@celeryd_after_setup.connect
def notice_claims_of_a_dead_run_release(sender: str, **kwargs) -> int:
    """When a worker starts, before it takes a task: free what its previous run claimed and died
    holding (routing.notice_claims_release). Runs in the worker's main process, before the pool
    forks, so the database connection it opened is closed again here."""
    from django.db import connection

    from detainers.intake import routing

    try:
        freed = routing.notice_claims_release(node=sender)
    finally:
        if not connection.in_atomic_block:  # (inside one only when a test calls it)
            connection.close()
    if freed:
        logger.info("freed %d notice claim(s) of a previous run of %s", freed, sender)
    return freed
