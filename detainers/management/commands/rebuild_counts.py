"""python manage.py rebuild_counts [--check]: recompute the dashboard's summary and the fax lines'
traffic by day (line health's), or only compare them with a recount."""

from django.core.management.base import BaseCommand, CommandError

from detainers.counting.line_traffic import line_traffic_check, line_traffic_rebuild
from detainers.counting.rule import counts_check, counts_rebuild


class Command(BaseCommand):
    help = (
        "Recompute the summary counts from the requests. With --check, only say whether they agree."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--check", action="store_true", help="Compare only; exit 1 when they differ."
        )

    def handle(self, *args, check=False, **options):
        if not check:
            total = counts_rebuild()
            self.stdout.write(
                f"Summary rebuilt: {total} cells' worth of counted requests, by breakdown."
            )
            deliveries = line_traffic_rebuild()
            self.stdout.write(f"Fax lines' traffic by day rebuilt: {deliveries} deliveries.")
            return
        lines = line_traffic_check()
        for (line, day), (stored, recounted) in sorted(lines.items())[:50]:
            self.stderr.write(f"fax number {line} on {day}: summary {stored}, recount {recounted}")
        if lines:
            raise CommandError(
                f"The fax lines' traffic differs from a recount on {len(lines)} days; "
                "run rebuild_counts."
            )
        differences = counts_check()
        if differences:
            for key, (stored, recounted) in list(differences.items())[:50]:
                self.stderr.write(f"{key}: summary {stored}, recount {recounted}")
            raise CommandError(
                f"The summary differs from a recount in {len(differences)} cells; run rebuild_counts."
            )
        self.stdout.write("The summary equals a recount.")
