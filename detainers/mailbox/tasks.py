"""The central mailbox's Celery tasks (names kept from the first layout: `detainers.tasks.*`)."""

from celery import shared_task
from django.conf import settings

# A run of the periodic task stops taking new chunks after this long, well inside the task's soft
# time limit (CELERY_TASK_SOFT_TIME_LIMIT); the next minute's run goes on where it stopped.
MAILBOX_RUN_SECONDS = 150


@shared_task(name="detainers.tasks.ingest_mailbox")
def ingest_mailbox() -> int:
    """Beat, every minute: read the central mailbox, if CENTRAL_MAILBOX_URL names one. With
    MAILBOX_READERS above 1, the other readers' shares go to the worker pool as tasks of their own
    (dropped if not started within the minute: the next minute's take over) and this task reads
    the first share. Returns how many messages it read itself."""
    if not settings.CENTRAL_MAILBOX_URL:
        return 0
    parts = settings.MAILBOX_READERS
    for part in range(1, parts):
        ingest_mailbox_part.apply_async((part, parts), expires=60)
    return ingest_mailbox_part(0, parts)


@shared_task(name="detainers.tasks.ingest_mailbox_part")
def ingest_mailbox_part(part: int, parts: int) -> int:
    """One reader's share of the central mailbox: the copies whose UID leaves remainder `part`."""
    from detainers.mailbox.imap import mailbox_ingest

    return mailbox_ingest(time_budget=MAILBOX_RUN_SECONDS, part=part, parts=parts).read
