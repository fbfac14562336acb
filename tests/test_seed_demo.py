"""seed_demo: the twelve districts, the demo users, a year of samples, and nothing doubled on a rerun."""

import pytest
from django.core.management import call_command

from accounts.access import Role, roles_of
from accounts.models import User
from detainers.counting import counts_check
from detainers.models import Delivery, DetainerRequest
from precincts.models import FaxNumber, Precinct

pytestmark = pytest.mark.django_db


def snapshot() -> tuple:
    return (
        Precinct.objects.count(),
        FaxNumber.objects.count(),
        User.objects.count(),
        Delivery.objects.count(),
        DetainerRequest.objects.count(),
    )


def test_it_seeds_the_demo_and_a_rerun_changes_nothing(capsys):
    call_command("seed_demo")
    first = snapshot()
    call_command("seed_demo")
    assert snapshot() == first
    assert first[0] == 12
    assert set(Precinct.objects.values_list("code", flat=True)) >= {"A-1", "B-3", "C-11", "E-18"}
    assert Delivery.objects.count() == 120
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
