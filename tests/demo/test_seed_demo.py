"""seed_demo: the twelve districts, the demo users, a year of samples, and nothing doubled on a rerun."""

import pytest
from django.core.management import call_command

from accounts.access import Role, roles_of
from accounts.models import User
from detainers.counting.rule import counts_check
from detainers.models import Delivery, DetainerRequest, Extraction, MissedFax
from precincts.models import FaxNumber, KnownSenderMark, Precinct

pytestmark = pytest.mark.django_db


def snapshot() -> tuple:
    return (
        Precinct.objects.count(),
        FaxNumber.objects.count(),
        User.objects.count(),
        Delivery.objects.count(),
        DetainerRequest.objects.count(),
        MissedFax.objects.count(),
        KnownSenderMark.objects.count(),
    )


def test_it_seeds_the_demo_and_a_rerun_changes_nothing(capsys):
    call_command("seed_demo")
    first = snapshot()
    call_command("seed_demo")
    assert snapshot() == first
    assert first[0] == 12
    assert set(Precinct.objects.values_list("code", flat=True)) >= {"A-1", "B-3", "C-11", "E-18"}
    assert Delivery.objects.count() == 120
    assert MissedFax.objects.count() == 3  # failed receptions, counted apart
    # The samples' sender is the demo's known sender.
    assert Delivery.objects.filter(channel="fax", known_sender__isnull=True).count() == 0
    assert counts_check() == {}
    out = capsys.readouterr().out
    for username in ("clerk", "supervisor", "admin", "fax-gateway"):
        assert username in out
    assert "demo-password" in out


def test_the_demo_users_have_their_roles(capsys):
    call_command("seed_demo", "--no-samples")
    assert roles_of(User.objects.get(username="clerk")) == {Role.CLERK}
    assert User.objects.get(username="clerk").precinct.code == "B-3"
    assert roles_of(User.objects.get(username="supervisor")) == {Role.SUPERVISOR}
    assert roles_of(User.objects.get(username="admin")) == {Role.ADMIN}
    assert roles_of(User.objects.get(username="fax-gateway")) == {Role.GATEWAY}
    assert Delivery.objects.count() == 0


def test_c11_changed_its_number_during_the_year(capsys):
    call_command("seed_demo", "--no-samples")
    numbers = FaxNumber.objects.filter(precinct__code="C-11").order_by("active_from")
    old, new = numbers
    assert old.active_until == new.active_from
    assert all(number.number.startswith("+1617555") for number in FaxNumber.objects.all())


def test_the_samples_are_read_like_real_mail_and_faxes(capsys, django_capture_on_commit_callbacks):
    """As under `make run` (tasks in-process): after the commit every sample's form is read, the
    unreviewed ones are filled in from it, and the repeated emails are linked to their originals."""
    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed_demo")
    assert not Extraction.objects.exclude(status=Extraction.Status.DONE).exists()
    unreviewed = DetainerRequest.objects.filter(disposition="")
    assert unreviewed.exists()
    assert not unreviewed.filter(a_number="").exists()  # every one filled in from its form
    repeats = DetainerRequest.objects.filter(delivery__external_id__in=REPEATS)
    assert repeats.count() == len(REPEATS)
    assert all(request.duplicate_of_id for request in repeats)
    assert counts_check() == {}


REPEATS = [f"demo-sample-{index:04d}" for index in range(20, 120, 20)]
