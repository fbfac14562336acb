"""The precinct and fax-number endpoints of CONTRACT.md: listing, giving, retiring and resolving."""

import pytest

from precincts.models import FaxNumber
from precincts.services import fax_number_assign, fax_number_retire
from tests.conftest import local

pytestmark = pytest.mark.django_db

PRECINCTS = "/api/v1/precincts/"
FAX_NUMBERS = "/api/v1/fax-numbers/"
RESOLVE = "/api/v1/fax-numbers/resolve/"


@pytest.fixture(autouse=True)
def _boston_time(settings):
    """The times expected below are Boston's whatever TIME_ZONE the environment sets."""
    settings.TIME_ZONE = "America/New_York"


@pytest.fixture
def admin_api(api_as):
    return api_as("admin")


def retire_url(fax_number_id: int) -> str:
    return f"{FAX_NUMBERS}{fax_number_id}/retire/"


def give(api, precinct: str, number: str, active_from: str, **extra):
    return api.post(
        FAX_NUMBERS,
        {"precinct": precinct, "number": number, "active_from": active_from, **extra},
        format="json",
    )


def resolved(api, number: str, at: str) -> str | None:
    response = api.get(RESOLVE, {"number": number, "at": at})
    assert response.status_code == 200, response.json()
    return response.json()["precinct"]


# --- Listing -----------------------------------------------------------------------------------
def test_it_lists_precincts_with_their_numbers_past_and_present(api_as, b3, c11):
    old = fax_number_assign(precinct=b3, number="617-555-0170", active_from=local(2018, 1, 1))
    fax_number_retire(fax_number=old, active_until=local(2019, 7, 1))
    response = api_as("clerk").get(PRECINCTS)
    assert response.status_code == 200
    by_code = {precinct["code"]: precinct for precinct in response.json()}
    assert list(by_code) == ["B-3", "C-11"]
    assert by_code["B-3"]["fax_numbers"] == [
        {
            "id": old.pk,
            "precinct": "B-3",
            "number": "+16175550170",
            "display_number": "(617) 555-0170",
            "kind": "station",
            "active_from": "2018-01-01T00:00:00-05:00",
            "active_until": "2019-07-01T00:00:00-04:00",
            "note": "",
        },
        {
            "id": FaxNumber.objects.get(number="+16175550133").pk,
            "precinct": "B-3",
            "number": "+16175550133",
            "display_number": "(617) 555-0133",
            "kind": "station",
            "active_from": "2020-01-01T00:00:00-05:00",
            "active_until": None,
            "note": "",
        },
    ]


def test_it_lists_precincts_in_a_fixed_number_of_queries(
    api_as, b3, c11, django_assert_num_queries
):
    api = api_as("supervisor")
    # session, user, the user's groups (role check), precincts, their fax numbers
    with django_assert_num_queries(5):
        api.get(PRECINCTS)
    for n in range(5):
        fax_number_assign(
            precinct=b3, number=f"617-555-01{80 + n}", active_from=local(2024, 1, 1 + n)
        )
    with django_assert_num_queries(5):
        assert len(api.get(PRECINCTS).json()[0]["fax_numbers"]) == 6


# --- The "done when" -------------------------------------------------------------------
def test_it_follows_a_number_from_one_precinct_to_another(api_as, people, b3, c11):
    """An admin gives B-3 a number, retires it, gives it to C-11 later: who had it when?"""
    admin_api, clerk = api_as("admin"), api_as("clerk")
    given = give(
        admin_api, "B-3", "(617) 555-0170", "2024-01-01", kind="detainer", note="Detainer line"
    )
    assert given.status_code == 201, given.json()
    first = given.json()
    assert (first["number"], first["display_number"]) == ("+16175550170", "(617) 555-0170")
    assert (first["precinct"], first["kind"], first["note"]) == ("B-3", "detainer", "Detainer line")
    assert first["active_from"] == "2024-01-01T00:00:00-05:00"  # a date is local midnight
    assert first["active_until"] is None

    retired = admin_api.post(retire_url(first["id"]), {"active_until": "2024-03-15"}, format="json")
    assert retired.status_code == 200, retired.json()
    assert (
        retired.json()["active_until"] == "2024-03-15T00:00:00-04:00"
    )  # daylight saving time by then

    moved = give(admin_api, "C-11", "617.555.0170", "2024-04-01T08:00:00-04:00")
    assert moved.status_code == 201, moved.json()
    assert moved.json()["active_from"] == "2024-04-01T08:00:00-04:00"

    assert resolved(clerk, "+1 617 555 0170", "2023-12-31T23:59:59-05:00") is None  # before
    assert resolved(clerk, "617-555-0170", "2024-01-01") == "B-3"
    assert resolved(clerk, "6175550170", "2024-03-14T23:59:59-04:00") == "B-3"
    assert resolved(clerk, "(617) 555-0170", "2024-03-15") is None  # the retirement moment: nobody
    assert resolved(clerk, "(617) 555-0170", "2024-03-20T12:00:00Z") is None  # the gap
    assert resolved(clerk, "(617) 555-0170", "2024-04-01T07:59:59-04:00") is None
    assert resolved(clerk, "(617) 555-0170", "2024-04-01T12:00:00Z") == "C-11"  # 08:00 in Boston
    assert resolved(clerk, "(617) 555-0170", "2030-01-01") == "C-11"  # after

    owners = FaxNumber.objects.filter(number="+16175550170").order_by("active_from")
    assert [(period.precinct.code, period.created_by) for period in owners] == [
        ("B-3", people["admin"]),
        ("C-11", people["admin"]),
    ]
    assert owners[0].retired_by == people["admin"]


def test_resolve_answers_with_the_owning_period(api_as, b3):
    response = api_as("clerk").get(RESOLVE, {"number": "617.555.0133", "at": "2024-06-01T09:30:00"})
    assert response.status_code == 200
    body = response.json()
    assert (body["number"], body["precinct"]) == ("+16175550133", "B-3")
    assert body["at"] == "2024-06-01T09:30:00-04:00"  # a time without offset is local time
    assert body["fax_number"]["id"] == FaxNumber.objects.get(number="+16175550133").pk


@pytest.mark.parametrize(
    "query",
    [
        "at=2024-03-15T13:30:00%2B00:00",  # what a client that encodes its URL sends
        "at=2024-03-15T13:30:00+00:00",  # typed by hand: the "+" arrives as a space
        "at=2024-03-15+09:30",  # a space between date and time is not an offset
    ],
)
def test_resolve_reads_the_moment_however_the_query_was_written(api_as, b3, query):
    response = api_as("clerk").get(f"{RESOLVE}?number=6175550133&{query}")
    assert response.status_code == 200, response.json()
    assert response.json()["at"] == "2024-03-15T09:30:00-04:00"


def test_resolve_defaults_to_now(api_as, b3):
    body = api_as("supervisor").get(RESOLVE, {"number": "617 555 0133"}).json()
    assert body["precinct"] == "B-3"
    unknown = api_as("supervisor").get(RESOLVE, {"number": "617 555 0199"}).json()
    assert (unknown["precinct"], unknown["fax_number"]) == (None, None)


# --- Bad input: 400 naming the field to fix ----------------------------------------------------
@pytest.mark.parametrize(
    ("body", "field", "says"),
    [
        ({"number": "fax me"}, "number", "is not a phone number"),
        ({"number": "123"}, "number", "wrong number of digits"),
        ({"number": "+1 999 555 0123"}, "number", "not a valid phone number"),
        ({"number": ""}, "number", "may not be blank"),
        ({"active_from": "15/03/2024"}, "active_from", "is not a date or time"),
        ({"active_from": "2024-02-30"}, "active_from", "is not a date or time"),
        ({"active_from": 20240315}, "active_from", "Give a date or time as text"),
        ({"precinct": "Z-99"}, "precinct", "does not exist"),
        ({"kind": "pigeon"}, "kind", "is not a valid choice"),
    ],
)
def test_it_refuses_bad_input_naming_the_field(admin_api, b3, body, field, says):
    response = admin_api.post(
        FAX_NUMBERS,
        {"precinct": "B-3", "number": "617-555-0170", "active_from": "2024-03-15", **body},
        format="json",
    )
    assert response.status_code == 400
    assert says in response.json()[field][0]
    assert not FaxNumber.objects.filter(number="+16175550170").exists()


def test_it_refuses_a_missing_field(admin_api, b3):
    response = admin_api.post(FAX_NUMBERS, {"precinct": "B-3"}, format="json")
    assert response.status_code == 400
    assert set(response.json()) == {"number", "active_from"}


def test_it_refuses_a_number_another_precinct_owns(admin_api, b3, c11):
    response = give(admin_api, "C-11", "617.555.0133", "2025-01-01")
    assert response.status_code == 400
    # The message says who owns it and from when, in local time.
    assert response.json()["active_from"] == [
        "(617) 555-0133 already belongs to B-3 from 2020-01-01 00:00 EST with no end. Retire it "
        "there first, or choose a start after that period."
    ]
    assert FaxNumber.objects.filter(number="+16175550133").count() == 1


def test_it_refuses_to_retire_twice(admin_api, b3):
    number = FaxNumber.objects.get(number="+16175550133")
    assert (
        admin_api.post(
            retire_url(number.pk), {"active_until": "2024-03-15"}, format="json"
        ).status_code
        == 200
    )
    again = admin_api.post(retire_url(number.pk), {"active_until": "2025-01-01"}, format="json")
    assert again.status_code == 400
    assert "already retired at 2024-03-15 00:00 EDT" in again.json()["active_until"][0]
    number.refresh_from_db()
    assert number.active_until == local(2024, 3, 15)


@pytest.mark.parametrize(
    ("active_until", "says"),
    [
        ("2019-06-01", "must come after"),
        ("yesterday", "is not a date or time"),
        (None, "may not be null"),
    ],
)
def test_it_refuses_a_bad_retirement_naming_the_field(admin_api, b3, active_until, says):
    number = FaxNumber.objects.get(number="+16175550133")
    response = admin_api.post(retire_url(number.pk), {"active_until": active_until}, format="json")
    assert response.status_code == 400
    assert says in response.json()["active_until"][0]
    number.refresh_from_db()
    assert number.active_until is None


def test_it_answers_404_for_an_unknown_number_id(admin_api, b3):
    assert (
        admin_api.post(
            retire_url(999999), {"active_until": "2024-03-15"}, format="json"
        ).status_code
        == 404
    )


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"number": "fax me"}, "number"),
        ({"number": "617 555 0133", "at": "soon"}, "at"),
        ({}, "number"),
    ],
)
def test_resolve_refuses_bad_input_naming_the_field(api_as, b3, query, field):
    response = api_as("clerk").get(RESOLVE, query)
    assert response.status_code == 400
    assert field in response.json()


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("2024-03-15", (2024, 3, 15)),
        ("2024-03-15T09:30:00-04:00", (2024, 3, 15, 9, 30)),
        ("2024-03-15T13:30:00Z", (2024, 3, 15, 9, 30)),
        ("2024-03-15T09:30", (2024, 3, 15, 9, 30)),  # no offset: local time
    ],
)
def test_it_reads_dates_and_datetimes(admin_api, b3, typed, stored):
    response = give(admin_api, "B-3", "617-555-0170", typed)
    assert response.status_code == 201, response.json()
    assert FaxNumber.objects.get(number="+16175550170").active_from == local(*stored)
