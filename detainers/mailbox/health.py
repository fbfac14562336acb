"""What the central inbox shows about the mailbox, so that a broken password does not go unnoticed
for weeks; and the lease that keeps two runs (beat and a manual one) off the same mailbox."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from ..models import Delivery, MailboxState, Source

# Longer than a run takes between two renewals (one chunk); a crashed run's lease lapses after it.
LEASE = timedelta(minutes=10)
# Beat reads every minute: a mailbox not read for this long is shown as overdue.
OVERDUE_AFTER = timedelta(minutes=10)


@dataclass(frozen=True)
class MailboxHealth:
    configured: bool
    mailbox: str = ""  # the URL without the password
    last_read_at: datetime | None = None
    waiting: int | None = None
    last_error: str = ""
    last_error_at: datetime | None = None
    quarantined: int = 0  # quarantined email deliveries still waiting for a supervisor

    @property
    def overdue(self) -> bool:
        if not self.configured:
            return False
        return self.last_read_at is None or self.last_read_at < timezone.now() - OVERDUE_AFTER

    @property
    def ok(self) -> bool:
        return self.configured and not self.last_error and not self.overdue


def mailbox_health() -> MailboxHealth:
    """Selector for the inbox's partial (templates/detainers/_mailbox_health.html). Two queries."""
    from .imap import mailbox_address_parse

    quarantined = (
        Delivery.objects.filter(source=Source.MAILBOX).exclude(quarantine_reason="").count()
    )
    if not settings.CENTRAL_MAILBOX_URL:
        return MailboxHealth(configured=False, quarantined=quarantined)
    try:
        key = mailbox_address_parse(settings.CENTRAL_MAILBOX_URL).key
    except ValueError as error:
        return MailboxHealth(configured=True, last_error=str(error), quarantined=quarantined)
    state = MailboxState.objects.filter(mailbox=key).first()
    if state is None:
        return MailboxHealth(configured=True, mailbox=key, quarantined=quarantined)
    return MailboxHealth(
        configured=True,
        mailbox=key,
        last_read_at=state.last_read_at,
        waiting=state.waiting,
        last_error=state.last_error,
        last_error_at=state.last_error_at,
        quarantined=quarantined,
    )


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
