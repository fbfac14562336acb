"""What the filing reports beside each request (held beyond release, transferred to federal custody,
the reimbursement received): the triage page and PATCH /api/v1/requests/{id}/ record them with
their audit event, and refuse a bad amount naming the field."""

from decimal import Decimal

import pytest
from django.urls import reverse

from detainers.models import DetainerRequest, Event
from tests.factories import fax_received

pytestmark = pytest.mark.django_db


def detail(pk: int) -> str:
    return f"/api/v1/requests/{pk}/"


@pytest.fixture
def item(b3) -> DetainerRequest:
    return fax_received().requests.get()


def fresh(item: DetainerRequest) -> DetainerRequest:
    return DetainerRequest.objects.get(pk=item.pk)


def triage_events(item: DetainerRequest):
    return Event.objects.filter(request=item, action="triaged")


# --- The API --------------------------------------------------------------------------------------


def test_the_api_records_the_three_fields_with_an_event(api_as, people, item):
    body = {
        "held_beyond_release": True,
        "transferred_to_federal_custody": False,
        "reimbursement_amount": "1250.5",
    }
    response = api_as("supervisor").patch(detail(item.pk), body, format="json")

    assert response.status_code == 200, response.json()
    shown = response.json()
    assert shown["held_beyond_release"] is True
    assert shown["transferred_to_federal_custody"] is False
    assert shown["reimbursement_amount"] == "1250.50"
    item = fresh(item)
    assert (item.held_beyond_release, item.transferred_to_federal_custody) == (True, False)
    assert item.reimbursement_amount == Decimal("1250.50")
    event = triage_events(item).get()
    assert event.actor == people["supervisor"]
    assert event.changes == {
        "held_beyond_release": [None, True],
        "transferred_to_federal_custody": [None, False],
        "reimbursement_amount": [None, "1250.50"],
    }


def test_the_api_takes_a_json_number_and_null_clears(api_as, item):
    supervisor = api_as("supervisor")
    assert (
        supervisor.patch(detail(item.pk), {"reimbursement_amount": 80}, format="json").json()[
            "reimbursement_amount"
        ]
        == "80.00"
    )

    cleared = supervisor.patch(
        detail(item.pk),
        {"reimbursement_amount": None, "held_beyond_release": None},
        format="json",
    )

    assert cleared.status_code == 200, cleared.json()
    assert cleared.json()["reimbursement_amount"] is None
    assert fresh(item).reimbursement_amount is None
    assert triage_events(item).last().changes == {"reimbursement_amount": ["80.00", None]}


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        ("-0.01", "cannot be negative"),
        (-5, "cannot be negative"),
        ("12.345", "At most 2 decimals"),
        ("twelve", "Give an amount in dollars"),
        ("NaN", "Give an amount in dollars"),
        ("10000000000", "At most 9,999,999,999.99"),
        (True, "Give an amount in dollars"),
    ],
)
def test_a_bad_amount_is_a_400_naming_the_field_and_nothing_changes(api_as, item, amount, message):
    body = {"reimbursement_amount": amount, "held_beyond_release": True}
    response = api_as("supervisor").patch(detail(item.pk), body, format="json")

    assert response.status_code == 400
    assert set(response.json()) == {"reimbursement_amount"}
    assert message in response.json()["reimbursement_amount"][0]
    assert fresh(item).held_beyond_release is None, "nothing of the change was saved"
    assert not triage_events(item).exists()


def test_held_must_be_true_false_or_null(api_as, item):
    response = api_as("supervisor").patch(
        detail(item.pk), {"held_beyond_release": "perhaps"}, format="json"
    )

    assert response.status_code == 400
    assert "held_beyond_release" in response.json()
    assert not triage_events(item).exists()


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("anonymous", 401),
        ("clerk", 403),  # even the clerk of the request's precinct
        ("other_precinct_clerk", 403),
        ("admin", 403),
        ("gateway", 403),
        ("nobody", 403),
    ],
)
def test_only_supervisors_record_them(api_as, item, who, expected):
    response = api_as(who).patch(detail(item.pk), {"held_beyond_release": True}, format="json")

    assert response.status_code == expected
    assert fresh(item).held_beyond_release is None
    assert not triage_events(item).exists()


def test_the_gateway_does_not_see_them(api_as, people, b3):
    item = fax_received(actor=people["gateway"]).requests.get()
    response = api_as("gateway").get(detail(item.pk))

    assert response.status_code == 200
    assert not {"held_beyond_release", "reimbursement_amount"} & set(response.json())


def test_the_schema_documents_them(api_as):
    schema = api_as("supervisor").get("/api/schema/", {"format": "json"}).json()
    patch = schema["paths"]["/api/v1/requests/{id}/"]["patch"]
    ref = patch["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    body = schema["components"]["schemas"][ref.rsplit("/", 1)[-1]]["properties"]

    assert {"held_beyond_release", "transferred_to_federal_custody"} <= body.keys()
    assert "at most 2 decimals" in body["reimbursement_amount"]["description"]


# --- The triage page ------------------------------------------------------------------------------


def form_of(**changes) -> dict:
    """What the browser posts for a request nobody has triaged yet, with `changes` typed in."""
    shown = {
        "notify_before_release": "unknown",
        "hold_up_to_48_hours": "unknown",
        "warrant_attached": "unknown",
        "held_beyond_release": "unknown",
        "transferred_to_federal_custody": "unknown",
        "reimbursement_amount": "",
    }
    return {**shown, **changes}


def test_the_page_records_them_with_an_event(item, supervisor, page_as):
    client = page_as("supervisor")
    response = client.post(
        reverse("inbox-item-triage", args=[item.pk]),
        form_of(
            held_beyond_release="false",
            transferred_to_federal_custody="true",
            reimbursement_amount="300.00",
        ),
    )

    assert response.status_code == 302, response.context["form"].errors
    item = fresh(item)
    assert (item.held_beyond_release, item.transferred_to_federal_custody) == (False, True)
    assert item.reimbursement_amount == Decimal("300.00")
    assert triage_events(item).get().changes == {
        "held_beyond_release": [None, False],
        "transferred_to_federal_custody": [None, True],
        "reimbursement_amount": [None, "300.00"],
    }
    page = client.get(reverse("inbox-item", args=[item.pk])).content.decode()
    assert 'name="reimbursement_amount" value="300.00"' in page


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        ("-1", "cannot be negative"),
        ("1.999", "At most 2 decimals"),
        ("lots", "Give an amount in dollars"),
    ],
)
def test_the_page_refuses_a_bad_amount_next_to_the_field(item, page_as, amount, message):
    response = page_as("supervisor").post(
        reverse("inbox-item-triage", args=[item.pk]),
        form_of(reimbursement_amount=amount, held_beyond_release="true"),
    )

    assert response.status_code == 400
    assert message in response.context["form"].errors["reimbursement_amount"][0]
    assert 'id="id_reimbursement_amount_error"' in response.content.decode()
    assert fresh(item).held_beyond_release is None
    assert not triage_events(item).exists()
