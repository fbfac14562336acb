"""python manage.py route_pending [--inline]: what the beat sweep does, for sites that run it from cron."""

from django.core.management.base import BaseCommand

from detainers.intake import routing
from detainers.intake.tasks import sweep_unrouted


class Command(BaseCommand):
    help = (
        "Re-enqueue deliveries accepted more than 30 seconds ago that are not yet in the central inbox "
        "(or not yet announced). With --inline, route them in this process instead (no broker needed)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--inline", action="store_true", help="Route here and now, without a worker."
        )

    def handle(self, *args, inline=False, **options):
        if not inline:
            count = sweep_unrouted()
            self.stdout.write(f"{count} deliveries enqueued for routing.")
            return
        pending = routing.deliveries_pending()
        routed = sum(routing.delivery_route(delivery_id=pk) for pk in pending)
        announced = sum(routing.delivery_send_notice(delivery_id=pk) for pk in pending)
        self.stdout.write(f"{len(pending)} pending: {routed} routed, {announced} notices sent.")
