"""python manage.py seed_demo [--no-samples]: districts, fax numbers and demo users. Idempotent."""

import logging
import random
from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime, time, timedelta

from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand
from django.db import transaction
from django.test import override_settings
from django.utils import timezone

from accounts.access import Role
from accounts.models import User
from detainers.core.documents import FAX_TYPES
from detainers.demo import filled_forms as demo_forms
from detainers.demo import pages as demo_pages
from detainers.intake import routing
from detainers.intake.receptions import fax_reception_record
from detainers.intake.services import IncomingFile, delivery_receive
from detainers.models import Channel, Source
from detainers.triage import services as triage
from precincts.models import FaxNumber, KnownSender, KnownSenderMark, Precinct
from precincts.services import fax_number_assign, fax_number_replace

# The twelve Boston police districts. Numbers are in the fictional range +1 617 555 0100-0199.
DISTRICTS = [
    ("A-1", "Downtown", "Downtown, Beacon Hill, Chinatown, North End", "40 New Sudbury St", "0101"),
    ("A-7", "East Boston", "East Boston", "69 Paris St", "0107"),
    ("A-15", "Charlestown", "Charlestown", "20 Vine St", "0115"),
    ("B-2", "Roxbury", "Roxbury, Mission Hill", "2400 Washington St", "0122"),
    ("B-3", "Mattapan", "Mattapan, North Dorchester", "1165 Blue Hill Ave", "0133"),
    ("C-6", "South Boston", "South Boston", "101 W Broadway", "0146"),
    ("C-11", "Dorchester", "Dorchester", "40 Gibson St", "0151"),
    ("D-4", "South End", "South End, Back Bay, Fenway", "650 Harrison Ave", "0164"),
    ("D-14", "Brighton", "Allston, Brighton", "301 Washington St", "0174"),
    ("E-5", "West Roxbury", "West Roxbury, Roslindale", "1708 Centre St", "0185"),
    ("E-13", "Jamaica Plain", "Jamaica Plain", "3347 Washington St", "0193"),
    ("E-18", "Hyde Park", "Hyde Park", "1249 Hyde Park Ave", "0198"),
]
# C-11's station line changed during the year: the old number is retired, the new one takes over.
CHANGED = ("C-11", "0152")
SAMPLE_COUNT = 120
DEMO_PASSWORD = "demo-password"  # noqa: S105 - printed for the demo; never used in production
DEMO_USERS = [
    ("clerk", Role.CLERK, "B-3"),
    ("supervisor", Role.SUPERVISOR, None),
    ("admin", Role.ADMIN, None),
    ("fax-gateway", Role.GATEWAY, None),
]


@contextmanager
def _info_logs_quiet():
    """No log record below WARNING while the block runs, from any logger."""
    before = logging.root.manager.disable
    logging.disable(logging.INFO)
    try:
        yield
    finally:
        logging.disable(before)


def _local_midnight(day) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min), timezone.get_default_timezone())


class Command(BaseCommand):
    help = "Load the twelve districts with fax numbers, demo users and (unless --no-samples) sample requests."

    def add_arguments(self, parser):
        parser.add_argument(
            "--no-samples", action="store_true", help="Leave out the sample requests."
        )
        parser.add_argument(
            "--port", type=int, default=8000, help="The port the logins are printed for (8000)."
        )

    def handle(self, *args, no_samples=False, port=8000, **options):
        # The services log every routing, reading and task at INFO: hundreds of lines that would
        # push the logins off the screen. Warnings and errors still show.
        with _info_logs_quiet():
            self._seed(no_samples=no_samples)  # its tasks run in-process once it commits
        self.stdout.write(
            self.style.SUCCESS(f"Demo data ready. Log in at http://127.0.0.1:{port}/ as:")
        )
        for username, role, precinct_code in DEMO_USERS:
            where = f" (precinct {precinct_code})" if precinct_code else ""
            self.stdout.write(f"  {username:<12} password {DEMO_PASSWORD:<14} {role.value}{where}")

    @transaction.atomic
    def _seed(self, *, no_samples: bool) -> None:
        today = timezone.localdate()
        opened = _local_midnight(today.replace(year=today.year - 3, month=1, day=1))
        changed_at = _local_midnight(today - timedelta(days=180))
        for code, name, neighbourhood, address, line in DISTRICTS:
            precinct, _ = Precinct.objects.update_or_create(
                code=code,
                defaults={"name": name, "neighbourhood": neighbourhood, "address": address},
            )
            self._give(precinct, f"+1617555{line}", opened, FaxNumber.Kind.STATION)
        self._change_c11(changed_at)
        for username, role, precinct_code in DEMO_USERS:
            self._user(username, role, precinct_code)
        self._known_sender()
        if not no_samples:
            self._samples()
            self._missed_samples()

    def _give(self, precinct, number, active_from, kind):
        if not FaxNumber.objects.filter(number=number).exists():
            fax_number_assign(precinct=precinct, number=number, active_from=active_from, kind=kind)

    def _change_c11(self, changed_at):
        _, new_line = CHANGED
        old = FaxNumber.objects.get(number="+16175550151")
        if old.active_until is None:  # not replaced by an earlier run
            fax_number_replace(
                fax_number=old,
                number=f"+1617555{new_line}",
                at=changed_at,
                kind=FaxNumber.Kind.DETAINER,
                note="Replaced +1 617 555 0151 as the district's detainer line.",
            )

    def _user(self, username, role, precinct_code):
        user, _ = User.objects.get_or_create(username=username)
        user.precinct = Precinct.objects.get(code=precinct_code) if precinct_code else None
        user.is_staff = role == Role.ADMIN
        user.set_password(DEMO_PASSWORD)
        user.save()
        user.groups.set([Group.objects.get(name=role.value)])

    def _known_sender(self):
        """The agency's (fictional) field office, which sends the sample faxes."""
        sender, _ = KnownSender.objects.get_or_create(name="ICE ERO Boston (demo)")
        for kind, value in (
            (KnownSenderMark.Kind.NUMBER, "+12025550100"),
            (KnownSenderMark.Kind.SENDER_ID, "ICEEROBOSTON"),
        ):
            KnownSenderMark.objects.get_or_create(
                kind=kind, value=value, defaults={"sender": sender}
            )

    def _missed_samples(self):
        """A few failed receptions on the lines: missed faxes, each a to-do in /inbox/missed/."""
        numbers = list(FaxNumber.objects.filter(active_until__isnull=True).order_by("number"))
        now = timezone.now()
        errors = ["No carrier detected", "RSPREC error/got DCN", "Page 2: too many bad lines"]
        for index, error in enumerate(errors):
            fax_reception_record(
                source=Source.GATEWAY,
                status="failed",
                received_at=now - timedelta(days=3 * index + 1),
                to_number=numbers[index].number,
                from_number="+12025550100",
                sender_id="ICE ERO BOSTON",
                error=error,
                external_id=f"demo-missed-{index}",
            )

    def _samples(self):
        """A year of invented requests through the real intake, routing, reading and triage services.

        Each carries an invented filled-in form (detainers.demo.filled_forms). Two in three are reviewed
        here; the others are left for the reading, which fills them in after the commit (with tasks
        in-process, at the end of this command). Every twentieth is the sample before it emailed
        again, which the reading links as its duplicate."""
        supervisor = User.objects.get(username="supervisor")
        numbers = list(FaxNumber.objects.select_related("precinct"))
        rng = random.Random(2024)  # the same samples every time: seeding twice changes nothing
        now = timezone.now()
        created = 0
        form, previous_at = None, now
        with override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"):
            for index in range(SAMPLE_COUNT):
                received_at = now - timedelta(
                    days=rng.uniform(0.02, 365), minutes=rng.randint(0, 600)
                )
                line = rng.choice(numbers)
                by_email = index % 5 == 0
                repeat = index % 20 == 0 and index > 0
                if repeat:  # the agency emails what it faxed an hour before
                    received_at = min(previous_at + timedelta(hours=1), now)
                else:
                    day = timezone.localtime(received_at).date()
                    form = replace(demo_forms.filled_form_random(rng), form_date=day)
                previous_at = received_at
                result = delivery_receive(
                    channel=Channel.EMAIL if by_email else Channel.FAX,
                    source=Source.MAILBOX if by_email else Source.GATEWAY,
                    received_at=received_at,
                    files=[
                        IncomingFile(
                            "detainer.pdf", demo_pages.form_pdf_text_layer(form), form=by_email
                        )
                    ],
                    to_number="" if by_email else line.number,
                    from_address="ero-boston@ice.example.invalid" if by_email else "+12025550100",
                    external_id=f"demo-sample-{index:04d}",
                    allowed_types=FAX_TYPES,
                )
                if not result.created:
                    continue
                created += 1
                routing.delivery_route(delivery_id=result.delivery.pk)
                routing.delivery_send_notice(delivery_id=result.delivery.pk)
                if index % 3 and not repeat:  # two in three are reviewed already
                    self._review_sample(result.delivery, form, rng, supervisor)
        self.stdout.write(f"{created} sample requests added ({SAMPLE_COUNT} in the demo set).")

    def _review_sample(self, delivery, form, rng, supervisor):
        """What a supervisor would have entered from the form, and a disposition."""
        changes = {
            **demo_forms.expected_fields(form),
            "disposition": rng.choice(
                ["not_acted_upon"] * 6
                + ["not_in_custody", "released_before_arraignment", "transferred_to_court"]
            ),
        }
        request = delivery.requests.get()
        triage.request_triage(request_id=request.pk, actor=supervisor, changes=changes)
