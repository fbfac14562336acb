"""python manage.py restore SRC [--check]: a backup into an empty database and empty document
storage, after every checksum is verified (detainers.records.backup). --check only verifies."""

from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.core.management.base import BaseCommand, CommandError
from django.db import connections

from detainers.records.backup import backup_restore, backup_verify


class Command(BaseCommand):
    help = (
        "Restore a backup (made by `backup`) into an empty database and empty document storage; "
        "with --check, only verify it."
    )

    def add_arguments(self, parser):
        parser.add_argument("source", help="The backup's folder.")
        parser.add_argument(
            "--check",
            action="store_true",
            help="Verify the manifest, the key and every file's checksum; restore nothing.",
        )

    def handle(self, *args, source, check=False, **options):
        key = settings.BACKUP_ENCRYPTION_KEY
        try:
            if check:
                manifest = backup_verify(source=Path(source), key=key)
            else:
                manifest = backup_restore(
                    source=Path(source),
                    database=connections["default"].settings_dict,
                    storage=default_storage,
                    key=key,
                )
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None
        done = "is complete and intact" if check else "was restored"
        self.stdout.write(
            f"The backup of {manifest.created_at} {done}: {len(manifest.tables)} tables, "
            f"{sum(manifest.tables.values())} rows, {len(manifest.documents)} stored files."
        )
        if not check:
            self.stdout.write(
                "Run `python manage.py migrate` if this version of the app is newer than the backup's "
                f"({manifest.app_version})."
            )
