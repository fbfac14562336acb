"""What the central inbox shows about the mailbox, so that a broken password does not go unnoticed
for weeks; and the lease that keeps two runs (beat and a manual one) off the same mailbox, or off the
same reader's share of it when MAILBOX_READERS readers work side by side (one row each)."""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.utils import timezone

from detainers.mailbox.address import mailbox_address_parse
from detainers.mailbox.lease import reader_key
from detainers.mailbox.oauth2 import oauth2_client
from detainers.models import Delivery, MailboxState, Source

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
    # How the reader signs in, e.g. "an OAuth2 token from login.microsoftonline.com". A token
    # server's refusal or silence is a last_error in plain words (oauth2.py).
    sign_in: str = ""

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

    quarantined = (
        Delivery.objects.filter(source=Source.MAILBOX).exclude(quarantine_reason="").count()
    )
    if not settings.CENTRAL_MAILBOX_URL:
        return MailboxHealth(configured=False, quarantined=quarantined)
    oauth2 = oauth2_client()
    sign_in = f"an OAuth2 token from {oauth2.token_host}" if oauth2 else "the URL's password"
    try:
        key = mailbox_address_parse(settings.CENTRAL_MAILBOX_URL).key
    except ValueError as error:
        return MailboxHealth(
            configured=True, last_error=str(error), quarantined=quarantined, sign_in=sign_in
        )
    readers = [
        reader_key(key, part, settings.MAILBOX_READERS) for part in range(settings.MAILBOX_READERS)
    ]
    states = list(MailboxState.objects.filter(mailbox__in=readers))
    if not states:
        return MailboxHealth(configured=True, mailbox=key, quarantined=quarantined, sign_in=sign_in)
    # The panel answers for the mailbox: as late as its least recent reader, any reader's error.
    reads = [state.last_read_at for state in states]
    failed = max(states, key=lambda state: state.last_error_at or datetime.min.replace(tzinfo=UTC))
    return MailboxHealth(
        configured=True,
        mailbox=key,
        last_read_at=None if len(states) < len(readers) or None in reads else min(reads),
        waiting=max((state.waiting for state in states if state.waiting is not None), default=None),
        last_error=failed.last_error,
        last_error_at=failed.last_error_at,
        quarantined=quarantined,
        sign_in=sign_in,
    )
