"""Fax numbers: normalising, giving a number to a precinct, retiring it, and who owned it when."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from precincts.models import FaxNumber, Precinct
from precincts.phone import fax_number_normalise
from precincts.selectors import fax_number_owner_at
from precincts.services import fax_number_assign, fax_number_retire
from tests.conftest import local

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "typed",
    [
        "(617) 555-0123",
        "617.555.0123",
        "+1 617 555 0123",
        "1-617-555-0123",
        "6175550123",
        " 617 555 0123 ",
    ],
)
def test_it_normalises_common_forms(typed):
    assert fax_number_normalise(typed) == "+16175550123"


@pytest.mark.parametrize(
    ("typed", "reason"),
    [
        ("", "Enter a fax number"),
        ("fax me", "is not a phone number"),
        ("123", "wrong number of digits"),
        ("+1 999 555 0123", "not a valid phone number"),
    ],
)
def test_it_refuses_what_is_not_a_number_and_says_why(typed, reason):
    with pytest.raises(ValidationError) as caught:
        fax_number_normalise(typed)
    assert reason in caught.value.messages[0]


def test_it_attributes_a_number_to_each_owner_in_turn(b3, c11):
    first = fax_number_assign(precinct=b3, number="617-555-0170", active_from=local(2024, 1, 1))
    fax_number_retire(fax_number=first, active_until=local(2024, 3, 15))
    fax_number_assign(precinct=c11, number="(617) 555-0170", active_from=local(2024, 4, 1))

    def owner(*moment):
        found = fax_number_owner_at(number="+16175550170", at=local(*moment))
        return found.precinct.code if found else None

    assert owner(2023, 12, 31, 23, 59) is None
    assert owner(2024, 2, 1) == "B-3"
    assert owner(2024, 3, 14, 23, 59) == "B-3"
    assert owner(2024, 3, 15) is None  # retired at the start of the 15th
    assert owner(2024, 3, 20) is None
    assert owner(2024, 4, 1) == "C-11"
    assert owner(2026, 1, 1) == "C-11"


def test_it_refuses_a_second_owner_at_the_same_time(b3, c11):
    fax_number_assign(precinct=b3, number="617-555-0170", active_from=local(2024, 1, 1))
    with pytest.raises(ValidationError) as caught:
        fax_number_assign(precinct=c11, number="617.555.0170", active_from=local(2025, 1, 1))
    assert "already belongs to B-3" in caught.value.messages[0]
    assert FaxNumber.objects.filter(number="+16175550170").count() == 1


def test_it_refuses_an_owner_that_would_start_before_a_retired_period_ends(b3, c11):
    first = fax_number_assign(precinct=b3, number="617-555-0170", active_from=local(2024, 1, 1))
    fax_number_retire(fax_number=first, active_until=local(2024, 6, 1))
    with pytest.raises(ValidationError):
        fax_number_assign(precinct=c11, number="617-555-0170", active_from=local(2024, 5, 1))


def test_a_retired_number_can_go_to_another_precinct_from_the_moment_it_ended(b3, c11):
    first = fax_number_assign(precinct=b3, number="617-555-0170", active_from=local(2024, 1, 1))
    fax_number_retire(fax_number=first, active_until=local(2024, 6, 1))
    second = fax_number_assign(precinct=c11, number="617-555-0170", active_from=local(2024, 6, 1))
    assert second.precinct == c11


def test_history_is_not_rewritten(b3):
    number = fax_number_assign(precinct=b3, number="617-555-0170", active_from=local(2024, 1, 1))
    fax_number_retire(fax_number=number, active_until=local(2024, 6, 1))
    with pytest.raises(ValidationError, match="already retired"):
        fax_number_retire(fax_number=number, active_until=local(2025, 6, 1))
    number.refresh_from_db()
    assert number.active_until == local(2024, 6, 1)


def test_retiring_before_the_start_is_refused(b3):
    number = fax_number_assign(precinct=b3, number="617-555-0170", active_from=local(2024, 1, 1))
    with pytest.raises(ValidationError, match="must come after"):
        fax_number_retire(fax_number=number, active_until=local(2023, 6, 1))


@pytest.mark.postgres
def test_postgres_itself_refuses_two_owners_at_once(b3, c11):
    """The exclusion constraint holds even for code that goes around the service."""
    FaxNumber.objects.create(precinct=b3, number="+16175550170", active_from=local(2024, 1, 1))
    with pytest.raises(IntegrityError), transaction.atomic():
        FaxNumber.objects.create(precinct=c11, number="+16175550170", active_from=local(2024, 5, 1))
    # Touching periods do not overlap: [2024-01-01, 2024-06-01) then [2024-06-01, ...)
    FaxNumber.objects.filter(precinct=b3).update(active_until=local(2024, 6, 1))
    FaxNumber.objects.create(precinct=c11, number="+16175550170", active_from=local(2024, 6, 1))
    assert FaxNumber.objects.filter(number="+16175550170").count() == 2


def test_an_empty_period_is_refused_by_the_database(b3):
    with pytest.raises(IntegrityError), transaction.atomic():
        FaxNumber.objects.create(
            precinct=b3,
            number="+16175550170",
            active_from=local(2024, 1, 1),
            active_until=local(2023, 1, 1),
        )
    assert not Precinct.objects.filter(fax_numbers__number="+16175550170").exists()
