"""Backfill: ingest .eml files and Maildir folders through the same code as the mailbox."""

import re
from datetime import UTC, datetime
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from detainers.mailbox import IngestSummary, Origin, message_ingest

MAILDIR_STAMP = re.compile(r"^(\d{9,11})\.")


class Command(BaseCommand):
    help = (
        "Ingest .eml files, folders of them, or Maildir folders (cur/ and new/). "
        "Re-importing doubles nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+", type=Path)

    def handle(self, *args, paths: list[Path], **options):
        messages = [message for path in paths for message in self._messages_under(path)]
        summary = IngestSummary()
        for path in tqdm(messages, unit="msg", file=self.stderr, disable=None, desc="import_eml"):
            origin = Origin(mailbox="file://import", internal_date=_maildir_arrival(path))
            try:
                summary.count(message_ingest(raw=path.read_bytes(), origin=origin))
            except Exception as error:  # noqa: BLE001 - one bad file never stops the backfill
                summary.failed += 1
                self.stderr.write(
                    f"{path}: not imported ({type(error).__name__}); run again to retry it."
                )
        self.stdout.write(
            f"{summary.ingested} ingested, {summary.duplicates} duplicates, "
            f"{summary.quarantined} quarantined ({summary.own_notices} own notices skipped, "
            f"{summary.failed} failed) from {len(messages)} files."
        )

    def _messages_under(self, path: Path) -> list[Path]:
        if path.is_file():
            return [path]
        if not path.is_dir():
            raise CommandError(f"{path} is neither a file nor a folder.")
        if (path / "cur").is_dir() or (path / "new").is_dir():
            found = [
                p for sub in ("cur", "new") if (path / sub).is_dir() for p in (path / sub).iterdir()
            ]
        else:
            found = list(path.rglob("*.eml"))
        return sorted(p for p in found if p.is_file() and not p.name.startswith("."))


def _maildir_arrival(path: Path) -> datetime | None:
    """Maildir names start with the arrival time (seconds since 1970); an .eml name says nothing."""
    stamp = MAILDIR_STAMP.match(path.name)
    if stamp is None or path.parent.name not in ("cur", "new"):
        return None
    return datetime.fromtimestamp(int(stamp.group(1)), tz=UTC)
