"""Take in faxes dropped as files in a folder (detainers.intake.folder): what beat does with
FAX_DROP_FOLDER, for any folder, once or until interrupted."""

import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from detainers.intake.folder import SETTLE_SECONDS, DropFolderMissing, drop_folder_ingest


class Command(BaseCommand):
    help = (
        "Take in the faxes in PATH: PDF or TIFF files, each with an optional sidecar "
        "(<name>.json, or a RightFax <name>.xml). Read files move to PATH/processed/, unreadable "
        "ones to PATH/quarantine/ with a .reason.txt; nothing is deleted. Without --once it "
        "reads the folder every FAX_DROP_EVERY_SECONDS until interrupted (Ctrl-C)."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help="The drop folder.")
        parser.add_argument("--once", action="store_true", help="One pass, then exit.")
        parser.add_argument(
            "--every",
            type=float,
            default=None,
            help="Seconds between passes (default: FAX_DROP_EVERY_SECONDS).",
        )
        parser.add_argument(
            "--settle",
            type=float,
            default=SETTLE_SECONDS,
            help=f"Seconds a file must stay unchanged before it is read (default {SETTLE_SECONDS}).",
        )

    def handle(self, *args, path: str, once: bool, every: float | None, settle: float, **options):
        every = settings.FAX_DROP_EVERY_SECONDS if every is None else every
        if every <= 0 or settle < 0:
            raise CommandError("--every must be above 0 and --settle 0 or more.")
        sightings: dict = {}  # what each pass saw, so a file's next pass knows if it changed
        try:
            while True:
                failed = self._pass(Path(path), settle, sightings)
                if once:
                    if failed:
                        raise CommandError(
                            f"{failed} file(s) could not be taken in (see the log); they stay "
                            "in the folder for the next pass."
                        )
                    return
                time.sleep(every)
        except KeyboardInterrupt:
            self.stdout.write("Stopped; what was taken in is kept, the rest waits in the folder.")

    def _pass(self, folder: Path, settle: float, sightings: dict) -> int:
        try:
            summary = drop_folder_ingest(folder=folder, settle_seconds=settle, sightings=sightings)
        except DropFolderMissing as error:
            raise CommandError(str(error)) from None
        self.stdout.write(summary.line())
        return summary.failed
