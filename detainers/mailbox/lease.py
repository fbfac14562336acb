"""The lease each mailbox reader holds while it reads, and the state it leaves for the health panel.

A run takes its lease with one conditional UPDATE, renews it each chunk, and releases it at the end;
a crashed run's lease lapses after LEASE.
"""

from datetime import timedelta

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from detainers.models import MailboxState

# Longer than a run takes between two renewals (one chunk); a crashed run's lease lapses after it.
LEASE = timedelta(minutes=10)


def reader_key(mailbox: str, part: int, parts: int) -> str:
    """The row (and lease) of one of several readers of a mailbox; the mailbox's own with one."""
    return mailbox if parts == 1 else f"{mailbox} reader {part + 1} of {parts}"


def mailbox_state_claim(mailbox: str, renew: bool = False) -> bool:
    """Take (or, for the run holding it, extend) the mailbox's lease with one conditional UPDATE."""
    if not renew:
        try:
            with transaction.atomic():
                MailboxState.objects.get_or_create(mailbox=mailbox)
        except IntegrityError:
            pass  # created by a run starting at the same moment
    now = timezone.now()
    rows = MailboxState.objects.filter(mailbox=mailbox)
    if not renew:
        rows = rows.filter(Q(running_until__isnull=True) | Q(running_until__lt=now))
    return rows.update(running_until=now + LEASE) == 1


def mailbox_state_release(mailbox: str) -> None:
    MailboxState.objects.filter(mailbox=mailbox).update(running_until=None)


def mailbox_state_read(mailbox: str, *, waiting: int, failed: int) -> None:
    error = (
        f"{failed} message(s) could not be recorded and were left in the folder; see the log."
        if failed
        else ""
    )
    now = timezone.now()
    MailboxState.objects.filter(mailbox=mailbox).update(
        last_read_at=now, waiting=waiting, last_error=error, last_error_at=now if error else None
    )


def mailbox_state_failed(mailbox: str, error: str) -> None:
    MailboxState.objects.filter(mailbox=mailbox).update(
        last_error=error, last_error_at=timezone.now()
    )
