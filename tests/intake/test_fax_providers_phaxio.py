"""POST /api/v1/fax-providers/phaxio/: Phaxio's receive callback, signed with HMAC-SHA1 (the callback
URL, the sorted fields, the sorted files' SHA-1s, keyed by the callback token), file included."""

import hashlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from detainers.models import Delivery, MissedFax, ProviderEvent, Source
from tests.factories import pdf_bytes
from tests.fax_provider import CALLER, phaxio_fields, phaxio_headers

pytestmark = pytest.mark.django_db

URL = "/api/v1/fax-providers/phaxio/"
TOKEN = "phaxio-callback-token-for-tests"
# What Django's test client calls the host; the URL Phaxio signs is the one it was given.
ARRIVED_AT = "http://testserver" + URL


@pytest.fixture(autouse=True)
def phaxio(settings):
    settings.FAX_PHAXIO_CALLBACK_TOKEN = TOKEN
    settings.SITE_URL = "https://desk.example.org"


def post(client, fields: dict, document: bytes | None, *, token=TOKEN, url=ARRIVED_AT, **extra):
    files = {"file": document} if document is not None else {}
    data = {
        **fields,
        **{name: SimpleUploadedFile("fax.pdf", content) for name, content in files.items()},
    }
    return client.post(URL, data, **{**phaxio_headers(token, url, fields, files), **extra})


def test_a_signed_callback_is_recorded_with_the_file_it_carries(client, b3):
    document = pdf_bytes(pages=2)

    response = post(client, phaxio_fields(fax_id=111, num_pages=2), document)

    assert response.status_code == 200, response.content
    event = ProviderEvent.objects.get()
    assert response.json()["event_id"] == event.pk
    assert (event.provider, event.fax_id, event.state) == ("phaxio", "111", "done")
    delivery = event.delivery
    assert delivery.source == Source.PROVIDER
    assert delivery.external_id == "phaxio:111"
    assert delivery.precinct == b3
    assert delivery.from_address == CALLER
    assert delivery.documents.get().sha256 == hashlib.sha256(document).hexdigest()
    assert "file" not in event.payload  # the fields are kept; the file is the document


def test_the_url_registered_with_phaxio_is_the_site_url(client, b3):
    registered = "https://desk.example.org" + URL
    response = post(client, phaxio_fields(fax_id=112), pdf_bytes(), url=registered)

    assert response.status_code == 200, response.content
    assert ProviderEvent.objects.get().state == "done"


def test_a_wrong_signature_is_refused_401_and_stores_nothing(client, b3):
    fields = phaxio_fields(fax_id=113)
    wrong_token = post(client, fields, pdf_bytes(), token="someone-elses-token")
    wrong_url = post(client, fields, pdf_bytes(), url="https://elsewhere.example.org" + URL)
    # Signed for one file, sent with another: the files' digests are part of the signature.
    headers = phaxio_headers(TOKEN, ARRIVED_AT, fields, {"file": pdf_bytes()})
    swapped = client.post(
        URL, {**fields, "file": SimpleUploadedFile("fax.pdf", pdf_bytes(pages=3))}, **headers
    )
    unsigned = client.post(URL, {**fields, "file": SimpleUploadedFile("fax.pdf", pdf_bytes())})

    for response in (wrong_token, wrong_url, swapped, unsigned):
        assert response.status_code == 401
        assert "X-Phaxio-Signature" in response.json()["detail"]
    assert not ProviderEvent.objects.exists()
    assert not Delivery.objects.exists()


def test_without_a_callback_token_every_callback_is_refused(client, b3, settings):
    settings.FAX_PHAXIO_CALLBACK_TOKEN = ""
    response = post(client, phaxio_fields(fax_id=114), pdf_bytes(), token="")

    assert response.status_code == 401
    assert "FAX_PHAXIO_CALLBACK_TOKEN" in response.json()["detail"]
    assert not ProviderEvent.objects.exists()


def test_a_failed_reception_is_a_missed_fax(client, b3):
    fields = phaxio_fields(fax_id=115, status="failure", error_message="Far end hung up")
    response = post(client, fields, None)

    assert response.status_code == 200, response.content
    event = ProviderEvent.objects.get()
    assert (event.kind, event.state) == ("failed", "done")
    assert event.missed_fax == MissedFax.objects.get(external_id="phaxio:115")
    assert event.missed_fax.error == "Far end hung up"
    assert not Delivery.objects.exists()


def test_a_replayed_callback_makes_no_second_delivery(client, b3):
    fields = phaxio_fields(fax_id=116)
    first = post(client, fields, pdf_bytes())
    replay = post(client, fields, pdf_bytes())

    assert (first.status_code, replay.status_code) == (200, 200)
    assert replay.json()["created"] is False
    assert ProviderEvent.objects.count() == 1
    assert Delivery.objects.count() == 1


def test_a_test_callback_is_answered_and_not_recorded(client, b3):
    fields = {**phaxio_fields(fax_id=117), "is_test": "true"}
    response = post(client, fields, pdf_bytes())

    assert response.status_code == 200
    assert response.json()["event_id"] is None
    assert not ProviderEvent.objects.exists()
    assert not Delivery.objects.exists()


def test_a_document_intake_refuses_leaves_the_event_given_up_with_the_reason(client, b3):
    response = post(client, phaxio_fields(fax_id=118), b"this is not a fax")

    assert response.status_code == 200  # stored: asking Phaxio to send it again cannot help
    event = ProviderEvent.objects.get()
    assert event.state == "gave_up"
    assert event.last_error.startswith("The provider's document was refused: ")
    assert not Delivery.objects.exists()
