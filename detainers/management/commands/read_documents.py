"""python manage.py read_documents [--inline]: what the beat sweep does for reading, for sites that
run it from cron, and the way to read every document at once after an upgrade."""

from django.core.management.base import BaseCommand
from tqdm import tqdm

from detainers.extraction import services
from detainers.extraction.tasks import sweep_extractions
from detainers.models import Extraction


class Command(BaseCommand):
    help = (
        "Enqueue the documents waiting to be read (and make the readings of routed documents that "
        "have none). With --inline, read them all here and now, without a worker: after an upgrade, "
        "documents received before reading existed are read this way."
    )

    def add_arguments(self, parser):
        parser.add_argument("--inline", action="store_true", help="Read here and now.")

    def handle(self, *args, inline=False, **options):
        if not inline:
            count = sweep_extractions()
            self.stdout.write(f"{count} documents enqueued for reading.")
            return
        while services.extractions_create_missing():
            pass
        pending = services.extractions_claimable()
        for extraction_id in tqdm(
            pending, desc="reading", unit="doc", file=self.stderr, disable=None
        ):
            services.document_extract(extraction_id=extraction_id)
        read = Extraction.objects.filter(pk__in=pending)
        done = read.filter(status=Extraction.Status.DONE).count()
        failed = read.filter(status=Extraction.Status.FAILED).count()
        self.stdout.write(
            f"{len(pending)} documents: {done} read, {failed} could not be read"
            + (" (the inbox says why; retry them there)." if failed else ".")
        )
