"""The fax gateway's account sees what it sent and where it stands, no identifier of anyone.

Found (issue 13): its view of a request carried `duplicate_reason` ("Same Event # (...) as request
13"), so posting a fax that carries an Event # told it whether one exists and which request holds
it; and its status turned "reviewed" the moment the duplicate rule linked the fax, which tells the
same without a word. Here every fax goes the whole way a real one goes: posted or logged, routed
into the central inbox, read, and linked by the duplicate rules (tasks run in-process on commit).
"""

import random
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from detainers.demo.filled_forms import filled_form_random
from detainers.demo.pages import form_pdf_text_layer
from detainers.intake.services import IncomingFile, delivery_receive
from detainers.models import Channel, DetainerRequest, Disposition, Extraction, Source

pytestmark = pytest.mark.django_db

LIST = "/api/v1/requests/"
SEARCH = "/api/v1/requests/search/"
# What it sent (the delivery, its files) and where that stands; nothing read off the form, nothing
# learnt from other requests.
GATEWAY_FIELDS = {
    "id",
    "delivery_id",
    "receipt_number",
    "reference",  # the receipt number (with -2... for a delivery's further requests)
    "channel",
    "source",
    "precinct",
    "fax_number",
    "number_match",
    "received_at",
    "logged_at",
    "routed_at",
    "status",
    "documents",
}
DOCUMENT_FIELDS = {"id", "url", "content_type", "size", "pages", "sha256"}


def detail(pk: int) -> str:
    return f"/api/v1/requests/{pk}/"


@pytest.fixture
def form():
    """An I-247A with its Event #, Subject ID and A-number, as the agency fills one in."""
    drawn = filled_form_random(random.Random(13))
    return drawn.__class__(**{**drawn.__dict__, "form_type": "I-247A"})


@pytest.fixture
def gateway_faxes(api_as, b3, django_capture_on_commit_callbacks):
    """gateway_faxes(form) -> the request the gateway's fax of that form became, routed and read."""

    def post(form) -> DetainerRequest:
        fax = {
            "document": SimpleUploadedFile("fax.pdf", form_pdf_text_layer(form)),
            "to_number": "+1 617 555 0133",
            "from_number": "+1 202 555 0100",
            "received_at": timezone.localtime().isoformat(),
        }
        with django_capture_on_commit_callbacks(execute=True):
            response = api_as("gateway").post("/api/v1/faxes/", fax)
        assert response.status_code == 201, response.json()
        return read(DetainerRequest.objects.get(pk=response.json()["id"]))

    return post


@pytest.fixture
def clerk_logs(clerk, django_capture_on_commit_callbacks):
    """clerk_logs(form, hours_ago) -> the request a B-3 clerk's paper fax became, routed and read."""

    def log(form, hours_ago: int) -> DetainerRequest:
        with django_capture_on_commit_callbacks(execute=True):
            delivery = delivery_receive(
                channel=Channel.FAX,
                source=Source.CLERK,
                received_at=timezone.now() - timedelta(hours=hours_ago),
                files=[IncomingFile("scan.pdf", form_pdf_text_layer(form))],
                actor=clerk,
                precinct=clerk.precinct,
            ).delivery
        return read(delivery.requests.get())

    return log


def read(request: DetainerRequest) -> DetainerRequest:
    """The request once routing and reading have run: proven, or the test proves nothing."""
    request.refresh_from_db()
    assert request.delivery.routed_at is not None
    assert Extraction.objects.get(document__delivery=request.delivery).status == "done"
    return request


def as_gateway(api_as, request: DetainerRequest) -> dict[str, dict]:
    """The gateway's three answers about one request: in the list, alone, and found by search."""
    client = api_as("gateway")
    listed = client.get(LIST)
    shown = client.get(detail(request.pk))
    found = client.post(SEARCH, {"q": request.delivery.receipt_number}, format="json")
    for response in (listed, shown, found):
        assert response.status_code == 200, response.json()
    assert [item["id"] for item in listed.json()["results"]] == [request.pk]
    assert [item["id"] for item in found.json()["results"]] == [request.pk]
    return {
        "list": listed.json()["results"][0],
        "detail": shown.json(),
        "search": found.json()["results"][0],
    }


def test_it_shows_the_gateway_exactly_the_fields_about_what_it_sent(api_as, gateway_faxes, form):
    request = gateway_faxes(form)
    # Reading the form filled in its fields: there is something to leave out.
    assert (request.event_number, request.form_type) == (form.event_number, "I-247A")

    answers = as_gateway(api_as, request)

    for where, representation in answers.items():
        assert set(representation) == GATEWAY_FIELDS, where
        assert [set(document) for document in representation["documents"]] == [DOCUMENT_FIELDS]
        assert representation["receipt_number"] == request.delivery.receipt_number
        assert representation["reference"] == request.delivery.receipt_number  # its only request
        assert representation["precinct"] == "B-3"
        assert representation["status"] == "unreviewed"
    # A supervisor's answer about the same request holds what was read.
    supervisor = api_as("supervisor").get(detail(request.pk)).json()
    assert supervisor["event_number"] == form.event_number
    assert set(supervisor) > GATEWAY_FIELDS


def test_it_tells_the_gateway_nothing_of_the_request_its_fax_repeats(
    api_as, clerk_logs, gateway_faxes, form
):
    original = clerk_logs(form, hours_ago=2)
    repeat = gateway_faxes(form)

    # The Event # rule linked them: a supervisor is told which request, and why.
    supervisor = api_as("supervisor").get(detail(repeat.pk)).json()
    assert supervisor["duplicate_of"] == original.pk
    assert supervisor["duplicate_reason"] == (
        f"Same Event # ({form.event_number}) as request {original.pk}"
    )
    assert (supervisor["disposition"], supervisor["status"]) == ("duplicate", "reviewed")

    for where, representation in as_gateway(api_as, repeat).items():
        assert set(representation) == GATEWAY_FIELDS, where
        # No person has reviewed it: "reviewed" would say that a match was found.
        assert representation["status"] == "unreviewed", where
        text = str(representation)
        for told in (form.event_number, f"request {original.pk}", "duplicate", "Event #"):
            assert told not in text, (where, told)
    # Nor does filtering by status tell what the answers leave out.
    gateway = api_as("gateway")
    assert [
        item["id"] for item in gateway.get(LIST, {"status": "unreviewed"}).json()["results"]
    ] == [repeat.pk]
    assert gateway.get(LIST, {"status": "reviewed"}).json()["results"] == []
    # And the request it repeats is not the gateway's to see.
    assert gateway.get(detail(original.pk)).status_code == 404


def test_it_shows_the_gateway_the_same_answer_before_and_after_its_fax_is_repeated(
    api_as, clerk_logs, gateway_faxes, form
):
    first = gateway_faxes(form)
    before = as_gateway(api_as, first)

    copy = clerk_logs(form, hours_ago=0)

    copy.refresh_from_db()
    assert (copy.duplicate_of_id, copy.disposition) == (first.pk, Disposition.DUPLICATE)
    assert as_gateway(api_as, first) == before


def test_it_shows_the_gateway_its_fax_reviewed_once_a_person_has_reviewed_it(
    api_as, clerk_logs, gateway_faxes, form
):
    clerk_logs(form, hours_ago=2)
    repeat = gateway_faxes(form)
    assert repeat.disposition == Disposition.DUPLICATE and repeat.reviewed_by is None

    # A person reviews it: not a duplicate after all, and not in custody.
    reviewed = api_as("supervisor").patch(
        detail(repeat.pk), {"disposition": "not_in_custody"}, format="json"
    )
    assert reviewed.status_code == 200, reviewed.json()

    gateway = api_as("gateway")
    assert gateway.get(detail(repeat.pk)).json()["status"] == "reviewed"
    assert [item["id"] for item in gateway.get(LIST, {"status": "reviewed"}).json()["results"]] == [
        repeat.pk
    ]
    assert gateway.get(LIST, {"status": "unreviewed"}).json()["results"] == []


def test_it_makes_the_schema_require_exactly_what_the_gateway_is_given(api_as):
    # A client that checks answers against the schema accepts the gateway's, and learns which
    # fields it can count on.
    schema = api_as("supervisor").get("/api/schema/", {"format": "json"})
    assert schema.status_code == 200
    component = schema.json()["components"]["schemas"]["DetainerRequest"]

    assert set(component["required"]) == GATEWAY_FIELDS
    assert {"duplicate_reason", "duplicate_of", "event_number"} <= set(component["properties"])


def test_it_answers_a_retried_post_without_telling_that_the_fax_repeats_another(
    api_as, clerk_logs, form, django_capture_on_commit_callbacks
):
    original = clerk_logs(form, hours_ago=2)
    fax = {
        "to_number": "+1 617 555 0133",
        "from_number": "+1 202 555 0100",
        "received_at": timezone.localtime().isoformat(),
        "gateway_id": "line-1-fax-77",
    }

    def post():
        upload = SimpleUploadedFile("fax.pdf", form_pdf_text_layer(form))
        with django_capture_on_commit_callbacks(execute=True):
            return api_as("gateway").post("/api/v1/faxes/", {**fax, "document": upload})

    first = post()
    assert first.status_code == 201, first.json()
    repeat = read(DetainerRequest.objects.get(pk=first.json()["id"]))
    repeat.refresh_from_db()
    # The Event # rule linked it by itself, and everyone else's status says so.
    assert (repeat.duplicate_of_id, repeat.status) == (original.pk, "reviewed")

    retried = post()

    assert retried.status_code == 200, retried.json()
    assert retried.json()["id"] == repeat.pk
    assert retried.json()["status"] == "unreviewed"
