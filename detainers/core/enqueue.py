"""Handing work to the Celery workers without ever depending on them.

The row in the database is the outbox: every task here has a sweep (or a page that offers to start it
again) that finds work left undone. So enqueueing tries once, with one quick reconnect (a broker that
restarted leaves a stale connection), and if the broker is down it logs and lets the sweep do it:
nothing a person or a machine sent us waits on Redis.
"""

import logging

from celery import Task
from django.db import transaction

logger = logging.getLogger(__name__)

QUICK_RETRY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.2}


def task_enqueue(task: Task, *args, what: str) -> bool:
    """Enqueue now. False (and a warning naming `what`, never personal data) if the broker is down."""
    try:
        task.apply_async(args, retry=True, retry_policy=QUICK_RETRY)
    except Exception:  # noqa: BLE001 - the broker is down; the sweep picks the work up later
        logger.warning("%s not enqueued (broker unavailable); the sweep will pick it up", what)
        return False
    return True


def task_enqueue_after_commit(task: Task, *args, what: str) -> None:
    """Enqueue once the current transaction commits (never for a row that was rolled back)."""
    transaction.on_commit(lambda: task_enqueue(task, *args, what=what))
