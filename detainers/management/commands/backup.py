"""python manage.py backup DEST [--unencrypted]: the database and the documents, checksummed, into
a new folder (detainers.records.backup). Encrypted with BACKUP_ENCRYPTION_KEY when it is set."""

from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.core.management.base import BaseCommand, CommandError
from django.db import connections

from detainers.records.backup import backup_create


class Command(BaseCommand):
    help = "Write a checksummed backup of the database and the documents into DEST, a new folder."

    def add_arguments(self, parser):
        parser.add_argument("destination", help="A new (or empty) folder for the backup.")
        parser.add_argument(
            "--unencrypted",
            action="store_true",
            help="Write it in the clear although BACKUP_ENCRYPTION_KEY is unset "
            "(production refuses without this: a backup holds personal data).",
        )

    def handle(self, *args, destination, unencrypted=False, **options):
        key = settings.BACKUP_ENCRYPTION_KEY
        if not key and not unencrypted and not settings.DEBUG:
            raise CommandError(
                "BACKUP_ENCRYPTION_KEY is not set. Set it (docs/deploy.md, Backups), or pass "
                "--unencrypted to write personal data in the clear on purpose."
            )
        try:
            manifest = backup_create(
                destination=Path(destination),
                database=connections["default"].settings_dict,
                storage=default_storage,
                key=key,
            )
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None
        state = "encrypted" if manifest.encrypted else "not encrypted"
        self.stdout.write(
            f"Backup written to {destination} ({state}): the {manifest.engine} database, "
            f"{sum(manifest.tables.values())} rows in {len(manifest.tables)} tables, and "
            f"{len(manifest.documents)} stored files."
        )
        if manifest.missing:
            # Storage names are random (detainers.models.deliveries.document_path): no personal data.
            self.stderr.write(
                f"{len(manifest.missing)} stored files the database names were not in storage "
                f'(listed under "missing" in the manifest): {", ".join(manifest.missing[:10])}'
            )
