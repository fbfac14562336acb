"""GET /api/v1/requests/, GET and PATCH /api/v1/requests/{id}/: who sees what, filters, triage."""

from datetime import datetime

import pytest
from django.utils import timezone
from rest_framework.pagination import PageNumberPagination

from detainers.intake.services import IncomingFile, delivery_receive
from detainers.models import Channel, Delivery, DetainerRequest, Disposition, Event, Source
from tests.factories import fax_received, pdf_bytes

pytestmark = pytest.mark.django_db

LIST = "/api/v1/requests/"
PERSONAL = {"subject_name", "date_of_birth", "a_number", "subject_id", "event_number"}
PERSONAL |= {"citizenship", "sex", "legal_review_note"}


def detail(pk: int) -> str:
    return f"/api/v1/requests/{pk}/"


def request_of(delivery) -> DetainerRequest:
    return delivery.requests.get()


def logged_by_clerk(clerk, **extra) -> DetainerRequest:
    """A fax a clerk logged on the intake page for their own precinct."""
    return request_of(
        delivery_receive(
            channel=Channel.FAX,
            source=Source.CLERK,
            received_at=extra.pop("received_at", timezone.now()),
            files=[IncomingFile("scan.pdf", pdf_bytes())],
            actor=clerk,
            precinct=clerk.precinct,
            **extra,
        ).delivery
    )


def reported_by_gateway(gateway, **extra) -> DetainerRequest:
    return request_of(fax_received(actor=gateway, **extra))


def read_from_mailbox(**extra) -> DetainerRequest:
    return request_of(
        delivery_receive(
            channel=Channel.EMAIL,
            source=Source.MAILBOX,
            received_at=extra.pop("received_at", timezone.now()),
            files=[IncomingFile("detainer.pdf", pdf_bytes())],
            from_address="ero@example.gov",
            **extra,
        ).delivery
    )


def ids(response) -> list[int]:
    assert response.status_code == 200, response.json()
    return [item["id"] for item in response.json()["results"]]


@pytest.fixture
def scene(people, b3, c11):
    """One item of each kind: B-3 by its clerk, C-11 by its clerk, the gateway's fax, an email."""
    return {
        "b3": logged_by_clerk(people["clerk"]),
        "c11": logged_by_clerk(people["other_precinct_clerk"]),
        "gateway": reported_by_gateway(people["gateway"], to_number="+16175550133"),
        "email": read_from_mailbox(),
    }


# --- Who sees what ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "sees"),
    [
        ("supervisor", {"b3", "c11", "gateway", "email"}),
        ("clerk", {"b3", "gateway"}),  # the gateway's fax came in on a B-3 number
        ("other_precinct_clerk", {"c11"}),
        ("gateway", {"gateway"}),
    ],
)
def test_the_list_holds_what_each_role_may_see(api_as, scene, who, sees):
    assert sorted(ids(api_as(who).get(LIST))) == sorted(scene[name].pk for name in sees)


@pytest.mark.parametrize(("who", "expected"), [("anonymous", 401), ("nobody", 403), ("admin", 403)])
def test_the_list_is_refused_to_those_without_a_reading_role(api_as, scene, who, expected):
    # Anonymous is 403, not 401: SessionAuthentication is first in settings and sends no challenge.
    assert api_as(who).get(LIST).status_code == expected


@pytest.mark.parametrize(
    ("who", "item", "expected"),
    [
        ("supervisor", "c11", 200),
        ("clerk", "b3", 200),
        ("clerk", "c11", 404),
        ("other_precinct_clerk", "b3", 404),
        ("gateway", "gateway", 200),
        ("gateway", "b3", 404),  # a clerk's delivery, though for the same precinct
        ("gateway", "email", 404),
        ("admin", "b3", 403),
        ("nobody", "b3", 403),
        ("anonymous", "b3", 401),
    ],
)
def test_one_request_is_shown_only_within_the_scope(api_as, scene, who, item, expected):
    response = api_as(who).get(detail(scene[item].pk))
    assert response.status_code == expected
    if expected == 200:
        assert response.json()["id"] == scene[item].pk


def test_an_id_that_does_not_exist_is_404(api_as, scene):
    assert api_as("supervisor").get(detail(999_999)).status_code == 404


def test_the_gateway_sees_its_fax_without_any_personal_field(api_as, scene):
    request = scene["gateway"]
    DetainerRequest.objects.filter(pk=request.pk).update(
        subject_name="Jane Roe", a_number="A012345678", legal_review_note="Jane Roe was held."
    )
    listed = api_as("gateway").get(LIST).json()["results"][0]
    shown = api_as("gateway").get(detail(request.pk)).json()

    for representation in (listed, shown):
        assert not PERSONAL & representation.keys()
        assert "Jane Roe" not in str(representation)
        assert representation["status"] == "new"
        assert representation["precinct"] == "B-3"
    assert api_as("supervisor").get(detail(request.pk)).json()["subject_name"] == "Jane Roe"


def test_the_representation_has_the_delivery_and_its_documents(api_as, scene):
    request = scene["gateway"]
    document = request.delivery.documents.get()
    shown = api_as("supervisor").get(detail(request.pk)).json()

    assert shown["delivery_id"] == request.delivery_id
    assert shown["receipt_number"] == request.delivery.receipt_number
    assert shown["channel"] == "fax"
    assert shown["source"] == "gateway"
    assert shown["fax_number"] == "(617) 555-0133"
    assert shown["number_match"] == "owned"
    assert shown["received_at"] == timezone.localtime(request.delivery.received_at).isoformat()
    assert shown["status"] == "new"
    assert shown["disposition"] == ""
    assert shown["reviewed_by"] is None
    assert shown["duplicate_of"] is None
    assert PERSONAL <= shown.keys()
    assert shown["documents"] == [
        {
            "id": document.pk,
            "url": f"http://testserver/documents/{document.pk}/",
            "content_type": "application/pdf",
            "size": document.size,
            "pages": 1,
            "sha256": document.sha256,
        }
    ]


def test_an_email_has_no_fax_number(api_as, scene):
    shown = api_as("supervisor").get(detail(scene["email"].pk)).json()
    assert shown["channel"] == "email"
    assert shown["fax_number"] is None
    assert shown["precinct"] is None


# --- Filters ----------------------------------------------------------------------------------


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def test_the_year_is_the_local_year_at_both_ends(api_as, people, b3):
    gateway = people["gateway"]
    first_moment = reported_by_gateway(gateway, received_at=at("2024-01-01T00:00:00-05:00"))
    late_new_years_eve = reported_by_gateway(gateway, received_at=at("2024-12-31T23:30:00-05:00"))
    reported_by_gateway(gateway, received_at=at("2023-12-31T23:59:59-05:00"))
    new_years_day = reported_by_gateway(gateway, received_at=at("2025-01-01T00:00:00-05:00"))
    supervisor = api_as("supervisor")

    # 23:30 on 31 December is already 2025 in UTC; it counts in 2024 here.
    assert ids(supervisor.get(LIST, {"year": 2024})) == [first_moment.pk, late_new_years_eve.pk]
    assert ids(supervisor.get(LIST, {"year": 2025})) == [new_years_day.pk]
    listed = supervisor.get(LIST, {"year": 2024}).json()["results"]
    assert listed[1]["received_at"] == "2024-12-31T23:30:00-05:00"


def test_filters_by_channel_precinct_and_status(api_as, scene):
    supervisor = api_as("supervisor")
    Delivery.objects.filter(pk__in=[scene["email"].delivery_id, scene["c11"].delivery_id]).update(
        routed_at=timezone.now()
    )
    DetainerRequest.objects.filter(pk=scene["c11"].pk).update(
        disposition=Disposition.NOT_IN_CUSTODY
    )

    assert ids(supervisor.get(LIST, {"channel": "email"})) == [scene["email"].pk]
    assert ids(supervisor.get(LIST, {"precinct": "C-11"})) == [scene["c11"].pk]
    assert ids(supervisor.get(LIST, {"precinct": "none"})) == [scene["email"].pk]
    assert ids(supervisor.get(LIST, {"status": "reviewed"})) == [scene["c11"].pk]
    assert ids(supervisor.get(LIST, {"status": "unreviewed"})) == [scene["email"].pk]
    assert ids(supervisor.get(LIST, {"status": "new"})) == [scene["b3"].pk, scene["gateway"].pk]
    assert ids(supervisor.get(LIST, {"channel": "fax", "precinct": "B-3", "status": "new"})) == [
        scene["b3"].pk,
        scene["gateway"].pk,
    ]


def test_a_request_reviewed_before_it_was_routed_is_listed_as_reviewed_only(api_as, scene):
    supervisor = api_as("supervisor")
    DetainerRequest.objects.filter(pk=scene["b3"].pk).update(disposition=Disposition.NOT_IN_CUSTODY)

    assert supervisor.get(detail(scene["b3"].pk)).json()["status"] == "reviewed"
    assert scene["b3"].pk in ids(supervisor.get(LIST, {"status": "reviewed"}))
    assert scene["b3"].pk not in ids(supervisor.get(LIST, {"status": "new"}))


def test_a_filter_does_not_widen_the_scope(api_as, scene):
    # The filter finds C-11's item for whoever may see it, and the clerk does see their own.
    assert ids(api_as("supervisor").get(LIST, {"precinct": "C-11"})) == [scene["c11"].pk]
    assert sorted(ids(api_as("clerk").get(LIST))) == sorted([scene["b3"].pk, scene["gateway"].pk])
    assert ids(api_as("clerk").get(LIST, {"precinct": "C-11"})) == []


@pytest.mark.parametrize(
    ("parameter", "value"),
    [
        ("year", "last"),
        ("year", "20245"),
        ("channel", "pigeon"),
        ("precinct", "Z-99"),
        ("status", "done"),
    ],
)
def test_an_invalid_filter_is_a_400_naming_it(api_as, scene, parameter, value):
    response = api_as("supervisor").get(LIST, {parameter: value})
    assert response.status_code == 400
    assert list(response.json()) == [parameter]


@pytest.mark.parametrize("count", [1, 20])
@pytest.mark.parametrize(("who", "queries"), [("supervisor", 6), ("gateway", 4)])
def test_the_list_takes_the_same_queries_for_one_item_or_twenty(
    api_as, people, b3, django_assert_num_queries, count, who, queries
):
    # Session (session + user) then roles, or the token with its user's roles (one query); count;
    # page; documents.
    for number in range(count):
        request = reported_by_gateway(people["gateway"])
        DetainerRequest.objects.filter(pk=request.pk).update(
            reviewed_by=people["supervisor"],
            disposition=Disposition.NOT_IN_CUSTODY,
            form_type="I-247A",
        )
        if number:
            DetainerRequest.objects.filter(pk=request.pk).update(duplicate_of_id=request.pk - 1)
    client = api_as(who)
    # A token's first use writes its last_used (then at most once a minute): pin the steady state.
    client.get(LIST)
    with django_assert_num_queries(queries):
        response = client.get(LIST)
    assert len(response.json()["results"]) == count
    if who == "supervisor":
        assert response.json()["results"][0]["reviewed_by"] == "supervisor"


def test_the_list_is_paginated(api_as, people, b3, monkeypatch):
    monkeypatch.setattr(PageNumberPagination, "page_size", 2)
    made = [reported_by_gateway(people["gateway"]).pk for _ in range(3)]
    supervisor = api_as("supervisor")

    first = supervisor.get(LIST).json()
    assert first["count"] == 3
    assert [item["id"] for item in first["results"]] == made[:2]
    assert [item["id"] for item in supervisor.get(first["next"]).json()["results"]] == made[2:]


# --- Triage -----------------------------------------------------------------------------------


def test_a_supervisor_triages_and_an_event_records_it(api_as, people, scene):
    request = scene["b3"]
    response = api_as("supervisor").patch(
        detail(request.pk),
        {
            "form_type": "I-247A",
            "subject_name": "Jane Roe",
            "a_number": "A 012-345-678",
            "event_number": "24-0001 23",
            "form_date": "2024-03-14",
            "notify_before_release": True,
            "disposition": "released_before_arraignment",
        },
        format="json",
    )

    assert response.status_code == 200, response.json()
    shown = response.json()
    assert shown["disposition"] == "released_before_arraignment"
    assert shown["status"] == "reviewed"
    assert shown["reviewed_by"] == "supervisor"
    assert shown["reviewed_at"] is not None
    assert shown["a_number"] == "A012345678"
    assert shown["event_number"] == "24-000123"
    request.refresh_from_db()
    assert request.disposition == Disposition.RELEASED
    assert request.reviewed_by == people["supervisor"]
    assert request.subject_name == "Jane Roe"
    event = Event.objects.get(request=request, action="triaged")
    assert event.actor == people["supervisor"]
    assert event.changes["disposition"] == ["", "released_before_arraignment"]
    assert event.changes["form_type"] == ["", "I-247A"]


def test_only_the_fields_sent_are_changed(api_as, scene):
    request = scene["b3"]
    DetainerRequest.objects.filter(pk=request.pk).update(subject_name="Jane Roe", sex="F")
    response = api_as("supervisor").patch(detail(request.pk), {"sex": "female"}, format="json")

    assert response.status_code == 200
    request.refresh_from_db()
    assert (request.subject_name, request.sex) == ("Jane Roe", "female")
    assert Event.objects.get(request=request, action="triaged").changes == {"sex": ["F", "female"]}


def test_marking_a_duplicate_and_unlinking_it(api_as, scene):
    supervisor = api_as("supervisor")
    original, repeat = scene["b3"], scene["c11"]

    linked = supervisor.patch(detail(repeat.pk), {"duplicate_of": original.pk}, format="json")
    assert linked.status_code == 200, linked.json()
    assert linked.json()["duplicate_of"] == original.pk
    assert linked.json()["disposition"] == "duplicate"
    assert linked.json()["duplicate_reason"]

    # Unlinking goes with another disposition: a "duplicate" of nothing is refused.
    unlinked = supervisor.patch(
        detail(repeat.pk), {"duplicate_of": None, "disposition": "not_in_custody"}, format="json"
    )
    assert unlinked.status_code == 200, unlinked.json()
    assert unlinked.json()["duplicate_of"] is None
    assert unlinked.json()["disposition"] == "not_in_custody"


@pytest.mark.parametrize(
    ("body", "named"),
    [
        ({"form_type": "I-999"}, "form_type"),
        ({"disposition": "held"}, "disposition"),
        ({"a_number": "12"}, "a_number"),  # refused by the triage service
        ({"disposition": "duplicate"}, "duplicate_of"),  # duplicate of what?
        ({"duplicate_of": 999_999}, "duplicate_of"),
        ({"date_of_birth": "2999-01-01"}, "date_of_birth"),
        ({"form_date": "last week"}, "form_date"),
        ({"status": "reviewed"}, "status"),
        ({"colour": "blue"}, "colour"),
    ],
)
def test_a_bad_change_is_a_400_naming_the_field_and_nothing_changes(api_as, scene, body, named):
    request = scene["b3"]
    response = api_as("supervisor").patch(detail(request.pk), body, format="json")

    assert response.status_code == 400
    assert named in response.json()
    assert not Event.objects.filter(request=request, action="triaged").exists()


def test_unknown_fields_are_named_together_with_other_mistakes(api_as, scene):
    body = {"colour": "blue", "form_type": "I-999"}
    response = api_as("supervisor").patch(detail(scene["b3"].pk), body, format="json")

    assert response.status_code == 400
    assert set(response.json()) == {"colour", "form_type"}


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("clerk", 403),  # even the clerk of the request's precinct
        ("other_precinct_clerk", 403),
        ("gateway", 403),
        ("admin", 403),
        ("nobody", 403),
        ("anonymous", 401),
        ("supervisor", 200),
    ],
)
def test_only_supervisors_triage(api_as, scene, who, expected):
    request = scene["b3"]
    response = api_as(who).patch(
        detail(request.pk), {"disposition": "not_in_custody"}, format="json"
    )

    assert response.status_code == expected
    request.refresh_from_db()
    assert request.disposition == ("not_in_custody" if expected == 200 else "")
    assert Event.objects.filter(request=request, action="triaged").exists() == (expected == 200)


def test_triaging_a_request_that_does_not_exist_is_404(api_as, scene):
    response = api_as("supervisor").patch(detail(999_999), {"sex": "F"}, format="json")
    assert response.status_code == 404
