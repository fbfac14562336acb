"""POST /api/v1/faxes/: the fax gateway reports a received fax (CONTRACT.md)."""

import hashlib

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile

from detainers.models import Delivery, DetainerRequest, Document, NumberMatch, Source
from tests.factories import image_bytes, pdf_bytes

pytestmark = pytest.mark.django_db

URL = "/api/v1/faxes/"


def fax_form(content=None, name="fax.pdf", **fields):
    form = {
        "document": SimpleUploadedFile(name, pdf_bytes() if content is None else content),
        "to_number": "+1 617 555 0133",
        "from_number": "+1 202 555 0100",
        "received_at": "2024-03-15T09:30:00-04:00",
    }
    form.update(fields)
    return {key: value for key, value in form.items() if value is not None}


def test_it_accepts_a_pdf_and_answers_201_with_the_new_item(api_as, gateway, b3):
    content = pdf_bytes(pages=2)
    response = api_as("gateway").post(URL, fax_form(content, gateway_id="gw-1"))

    assert response.status_code == 201, response.json()
    item = response.json()
    request = DetainerRequest.objects.get()
    delivery = request.delivery
    assert item["id"] == request.pk
    assert item["delivery_id"] == delivery.pk
    assert item["receipt_number"] == delivery.receipt_number
    assert item["channel"] == "fax"
    assert item["precinct"] == "B-3"
    assert item["number_match"] == NumberMatch.OWNED
    assert item["received_at"] == "2024-03-15T09:30:00-04:00"
    assert item["status"] == "new"
    assert item["routed_at"] is None  # routing runs after the commit
    assert item["pages"] == 2
    assert item["document"] == {
        "content_type": "application/pdf",
        "size": len(content),
        "sha256": hashlib.sha256(content).hexdigest(),
        "pages": 2,
    }
    assert delivery.source == Source.GATEWAY
    assert delivery.logged_by == gateway
    assert delivery.external_id == "gw-1"
    assert delivery.from_address == "+1 202 555 0100"
    assert delivery.to_number == "+16175550133"


def test_it_accepts_a_multipage_tiff(api_as, b3):
    response = api_as("gateway").post(URL, fax_form(image_bytes("TIFF", pages=3), name="fax.tif"))

    assert response.status_code == 201, response.json()
    assert response.json()["document"]["content_type"] == "image/tiff"
    assert response.json()["document"]["pages"] == 3


def test_the_pages_the_gateway_counted_are_kept(api_as, b3):
    response = api_as("gateway").post(URL, fax_form(pages="4"))

    assert response.status_code == 201
    assert response.json()["pages"] == 4
    assert response.json()["document"]["pages"] == 1  # what the file itself holds


def test_a_retry_with_the_same_gateway_id_returns_the_first_item_with_200(api_as, b3):
    gateway = api_as("gateway")
    first = gateway.post(URL, fax_form(gateway_id="gw-7"))
    again = gateway.post(URL, fax_form(gateway_id="gw-7"))

    assert first.status_code == 201
    assert again.status_code == 200
    assert again.json() == first.json()
    assert Delivery.objects.count() == 1
    assert DetainerRequest.objects.count() == 1


def test_posts_without_a_gateway_id_are_separate_faxes(api_as, b3):
    gateway = api_as("gateway")
    assert gateway.post(URL, fax_form()).status_code == 201
    assert gateway.post(URL, fax_form()).status_code == 201
    assert Delivery.objects.count() == 2


@pytest.mark.parametrize("dialled", ["+1 617 555 0199", "not a number"])
def test_a_number_of_no_precinct_is_accepted_without_a_precinct(api_as, b3, dialled):
    response = api_as("gateway").post(URL, fax_form(to_number=dialled))

    assert response.status_code == 201, response.json()
    assert response.json()["precinct"] is None
    assert response.json()["number_match"] == NumberMatch.UNKNOWN
    assert Delivery.objects.get().needs_precinct


@pytest.mark.parametrize(
    ("content", "name", "says"),
    [
        (b"<!DOCTYPE html><html><body>fax</body></html>", "fax.pdf", "not a PDF, TIFF file"),
        (b"", "fax.pdf", "is empty"),
        (
            b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" * 8,
            "fax.pdf",
            "not a PDF, TIFF file",
        ),
        (b"\x7fELF\x02\x01\x01\x00" * 8, "fax.tif", "not a PDF, TIFF file"),
        (image_bytes("PNG"), "fax.png", "not a PDF, TIFF file"),  # a scan, not what a gateway sends
    ],
    ids=["html", "empty", "windows-executable", "elf-executable", "png"],
)
def test_it_refuses_what_is_not_a_pdf_or_tiff_and_says_so_under_document(
    api_as, b3, content, name, says
):
    response = api_as("gateway").post(URL, fax_form(content, name=name))

    assert response.status_code == 400
    assert list(response.json()) == ["document"]
    assert says in response.json()["document"][0]
    assert not Delivery.objects.exists()
    assert not Document.objects.exists()


def test_it_refuses_a_document_over_the_limit_before_reading_it(api_as, b3, settings):
    settings.MAX_DOCUMENT_BYTES = 1000
    response = api_as("gateway").post(URL, fax_form(pdf_bytes() + b"\0" * 1000))

    assert response.status_code == 400
    assert "the limit is" in response.json()["document"][0]


@pytest.mark.parametrize("missing", ["document", "to_number", "from_number", "received_at"])
def test_a_missing_field_is_named(api_as, b3, missing):
    response = api_as("gateway").post(URL, fax_form(**{missing: None}))

    assert response.status_code == 400
    assert missing in response.json()
    assert not Delivery.objects.exists()


@pytest.mark.parametrize("moment", ["2024-03-15T09:30:00", "2024-03-15", "yesterday at nine"])
def test_a_time_without_its_offset_is_refused_under_received_at(api_as, b3, moment):
    response = api_as("gateway").post(URL, fax_form(received_at=moment))

    assert response.status_code == 400
    assert list(response.json()) == ["received_at"]
    assert not Delivery.objects.exists()


def test_a_utc_time_is_answered_in_local_time(api_as, b3):
    response = api_as("gateway").post(URL, fax_form(received_at="2024-03-15T13:30:00Z"))

    assert response.status_code == 201
    assert response.json()["received_at"] == "2024-03-15T09:30:00-04:00"


@pytest.mark.parametrize(
    ("field", "value"), [("pages", "0"), ("pages", "many"), ("gateway_id", "x" * 256)]
)
def test_bad_optional_fields_are_named(api_as, b3, field, value):
    response = api_as("gateway").post(URL, fax_form(**{field: value}))

    assert response.status_code == 400
    assert list(response.json()) == [field]


def test_it_takes_multipart_only(api_as, b3):
    body = {key: value for key, value in fax_form().items() if key != "document"}
    response = api_as("gateway").post(URL, body, format="json")

    assert response.status_code == 415


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("anonymous", 401),  # TokenAuthentication comes first: 401 with WWW-Authenticate
        ("nobody", 403),
        ("clerk", 403),
        ("supervisor", 403),
        ("admin", 403),
        ("gateway", 201),
    ],
)
def test_only_the_fax_gateway_may_report_a_fax(api_as, b3, who, expected):
    response = api_as(who).post(URL, fax_form())

    assert response.status_code == expected
    assert Delivery.objects.count() == (1 if expected == 201 else 0)


def test_a_wrong_token_is_refused(client, b3, gateway):
    response = client.post(URL, fax_form(), HTTP_AUTHORIZATION="Token not-the-token")

    assert response.status_code == 401
    assert response.json()["detail"] == "Invalid token."
    assert not Delivery.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_with_in_process_tasks_the_answer_says_it_is_already_in_the_inbox(api_as, b3):
    # No broker in tests: routing runs in-process as soon as the intake transaction commits,
    # before the answer is written. The answer reads the item again, so it tells the truth.
    response = api_as("gateway").post(URL, fax_form())

    assert response.status_code == 201
    assert response.json()["routed_at"] is not None
    assert response.json()["status"] == "unreviewed"
    assert len(mail.outbox) == 1
