"""Read the central mailbox now: what the periodic task does every minute."""

import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from detainers.mailbox import MailboxNotConfigured, mailbox_ingest


class Command(BaseCommand):
    help = (
        "Read new messages from CENTRAL_MAILBOX_URL into deliveries (--once: one pass, then exit)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--once", action="store_true", help="Read once and exit (what beat does each minute)."
        )
        parser.add_argument(
            "--every", type=int, default=60, help="Seconds between reads without --once."
        )

    def handle(self, *args, once: bool, every: int, **options):
        parts = settings.MAILBOX_READERS
        while True:
            # Each reader's share in turn (MAILBOX_READERS): the same leases as the periodic task.
            failed = [self._read(part, parts) for part in range(parts)]
            if once and any(failed):
                raise CommandError("Read stopped early; what was read is kept. Run again to go on.")
            if once:
                return
            time.sleep(every)

    def _read(self, part: int, parts: int) -> bool:
        """One reader's share; True when it stopped early."""
        try:
            summary = mailbox_ingest(part=part, parts=parts)
        except MailboxNotConfigured as error:
            raise CommandError(str(error)) from None
        except ValueError as error:  # a malformed CENTRAL_MAILBOX_URL
            raise CommandError(str(error)) from None
        said = (
            "Another run is reading this mailbox; nothing done."
            if summary.busy
            else f"{summary.line()}; {summary.moved} moved on the server."
        )
        self.stdout.write(f"Reader {part + 1} of {parts}: {said}" if parts > 1 else said)
        if summary.error:
            self.stderr.write(f"The mailbox could not be read to the end: {summary.error}")
        return bool(summary.error)
