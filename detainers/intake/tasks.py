"""Routing's Celery tasks: another entry point. They take ids, call a service inside the function
(so that services can import their tasks at the top without a circle), and own the retries.

Task names stay those of the first layout (`detainers.tasks.*`): messages already queued and the beat
schedule keep working across the upgrade.
"""

import logging
import random
from datetime import datetime, timedelta

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


# Fetching a cloud provider's document (detainers.intake.provider_events). After a failed attempt
# the next waits between half and all of 2 minutes x 2**attempt: eight attempts over up to about
# four hours, and faxes that failed together (the provider had an outage) do not return together.
PROVIDER_FETCH_ATTEMPTS = 8
PROVIDER_FETCH_FIRST_WAIT = 120
# The sweep takes an event's fetch as lost when its next attempt is this many seconds overdue.
PROVIDER_FETCH_SWEEP_AFTER = 5 * 60


def provider_fetch_wait(attempt: int) -> float:
    """Seconds to wait after attempt number `attempt` (from 0) failed."""
    longest = PROVIDER_FETCH_FIRST_WAIT * 2**attempt
    return random.uniform(longest / 2, longest)


def provider_fetch_overdue(*, stored_at: datetime, attempts: int, now: datetime) -> bool:
    """Whether the next attempt of an event with `attempts` made should have started by now: every
    wait before it at its longest, every attempt at its slowest, and the sweep's margin."""
    from django.conf import settings

    waits = PROVIDER_FETCH_FIRST_WAIT * (2**attempts - 1)
    slowest = attempts * 4 * settings.FAX_MEDIA_TIMEOUT_SECONDS
    return now - stored_at > timedelta(seconds=waits + slowest + PROVIDER_FETCH_SWEEP_AFTER)


@shared_task(
    name="detainers.tasks.provider_fax_fetch", bind=True, max_retries=PROVIDER_FETCH_ATTEMPTS
)
def provider_fax_fetch(self, event_id: int, attempt: int = 0) -> str:
    """Fetch a provider event's document and record the fax; returns the event's state. `attempt`
    numbers the try (from 0): a copy of a try already made does nothing. The last one gives up."""
    from detainers.intake import provider_events

    last = attempt + 1 >= PROVIDER_FETCH_ATTEMPTS
    try:
        return provider_events.provider_event_fetch(
            event_id=event_id, attempt=attempt, last_attempt=last
        )
    except provider_events.FetchLater as later:
        raise self.retry(
            args=(event_id, attempt + 1), countdown=provider_fetch_wait(attempt), exc=later
        ) from None
    except Exception:
        # A bug, or the database went away: before the last attempt the sweep starts this one again
        # once it is overdue; at the last, the event says so rather than wait for ever.
        if last:
            provider_events.provider_event_give_up(
                event_id=event_id,
                reason="The last attempt failed with an unexpected error (see the worker's log).",
            )
        raise


@shared_task(name="detainers.tasks.provider_events_sweep")
def provider_events_sweep() -> int:
    """Beat, every minute: enqueue again the fetches that were lost (the broker was down when the
    event was stored, a worker died mid-fetch), judged by when the next attempt was due."""
    from django.utils import timezone

    from detainers.intake import provider_events

    now = timezone.now()
    waiting = provider_events.provider_events_pending(
        stored_before=now - timedelta(seconds=PROVIDER_FETCH_SWEEP_AFTER)
    )
    lost = [
        (event_id, attempts)
        for event_id, attempts, stored_at in waiting
        if provider_fetch_overdue(stored_at=stored_at, attempts=attempts, now=now)
    ]
    for event_id, attempts in lost:
        provider_fax_fetch.apply_async((event_id, attempts))
    if lost:
        logger.info("sweep re-enqueued %d provider fetches", len(lost))
    return len(lost)


# A pass stops taking new files after this long (well inside the task time limit); the next
# pass goes on with the rest.
DROP_FOLDER_RUN_SECONDS = 120


@shared_task(name="detainers.tasks.ingest_drop_folder")
def ingest_drop_folder() -> int:
    """Beat, every FAX_DROP_EVERY_SECONDS: one pass over FAX_DROP_FOLDER, if set. Returns how many
    faxes and missed faxes it took in (repeats included)."""
    from pathlib import Path

    from django.conf import settings

    from detainers.intake import folder

    if not settings.FAX_DROP_FOLDER:
        return 0
    try:
        summary = folder.drop_folder_ingest(
            folder=Path(settings.FAX_DROP_FOLDER), time_budget=DROP_FOLDER_RUN_SECONDS
        )
    except folder.DropFolderMissing as error:
        logger.error("FAX_DROP_FOLDER: %s", error)  # a path from settings, not personal data
        return 0
    if summary.read or summary.missed or summary.quarantined or summary.failed:
        logger.info("drop folder: %s", summary.line())
    return summary.read + summary.missed


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
