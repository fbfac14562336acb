"""python manage.py purge_expired [--dry-run]: the daily purge (detainers.records), run by hand."""

from django.conf import settings
from django.core.management.base import BaseCommand

from detainers.records.purge import PurgeOutcome, purge_run
from detainers.records.selectors import PurgePlan


class Command(BaseCommand):
    help = (
        "Destroy what the retention rules say is due (documents' files, personal fields, raw "
        "emails, missed faxes' callers, views of documents), never anything held or counted. "
        "Above PURGE_APPROVAL_THRESHOLD records it records a purge for a supervisor to approve "
        "and stops. With --dry-run, only print what would go."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run", action="store_true", help="Print what would go; change nothing."
        )

    def handle(self, *args, dry_run=False, **options):
        outcome = purge_run(dry_run=dry_run)
        if dry_run:
            self._dry_run(outcome)
            return
        for log in outcome.destroyed:
            approved = f", approved by {log.approved_by}" if log.approved_by else ""
            self.stdout.write(f"Destroyed {log.count} under {log.rule_label}{approved}.")
        if outcome.requested:
            self.stdout.write(
                f"{outcome.requested.total} records are due: more than PURGE_APPROVAL_THRESHOLD. "
                f"Purge #{outcome.requested.pk} waits for a supervisor's approval at "
                "/records/purges/; nothing else was destroyed."
            )
        elif outcome.waiting:
            self.stdout.write(
                f"Purge #{outcome.waiting.pk} still waits for a supervisor's approval at "
                "/records/purges/; nothing else was destroyed."
            )
        elif not outcome.destroyed:
            self.stdout.write("Nothing is due.")

    def _dry_run(self, outcome: PurgeOutcome) -> None:
        self.stdout.write("Dry run: nothing is changed.")
        for approval, plan in outcome.approved:
            self.stdout.write(f"Approved purge #{approval.pk} would destroy:")
            self._plan(plan)
        if outcome.waiting:
            self.stdout.write(
                f"Purge #{outcome.waiting.pk} waits for approval: nothing more would go."
            )
            return
        self.stdout.write("Due now:" if outcome.due.total else "Nothing else is due.")
        self._plan(outcome.due)
        if outcome.due.total > settings.PURGE_APPROVAL_THRESHOLD:
            self.stdout.write(
                f"That is more than PURGE_APPROVAL_THRESHOLD ({settings.PURGE_APPROVAL_THRESHOLD}): "
                "a real run would record it for a supervisor's approval and destroy none of it."
            )

    def _plan(self, plan: PurgePlan) -> None:
        for batch in plan.batches:
            years = ", ".join(str(year) for year in batch.years)
            requests = ", ".join(f"#{pk}" for pk in batch.request_ids) or "none"
            self.stdout.write(
                f"  {len(batch.record_ids)} under {batch.label} (received in {years}); "
                f"requests: {requests}"
            )
