"""POST /api/v1/fax-providers/documo/: Documo mFax's inbound fax webhooks, with the HTTP basic auth
set on the webhook; the document is downloaded afterwards."""

import hashlib

import pytest

from detainers.models import Delivery, MissedFax, ProviderEvent
from tests import fax_provider
from tests.factories import pdf_bytes
from tests.fax_provider import basic, documo_event

pytestmark = pytest.mark.django_db

URL = "/api/v1/fax-providers/documo/"
USER, PASSWORD = "documo-webhook", "a-long-webhook-password"

media_server = fax_provider.media_server


@pytest.fixture(autouse=True)
def documo(settings, media_server):
    settings.FAX_DOCUMO_WEBHOOK_USER = USER
    settings.FAX_DOCUMO_WEBHOOK_PASSWORD = PASSWORD
    settings.FAX_DOCUMO_API_KEY = "documo-api-key"
    settings.FAX_MEDIA_ALLOWED_URLS = [media_server.base]


def post(client, body: bytes, authorization: str | None = None):
    headers = {"HTTP_AUTHORIZATION": authorization or basic(USER, PASSWORD)}
    return client.post(URL, data=body, content_type="application/json", **headers)


def test_a_webhook_with_the_right_credentials_is_stored_and_its_document_fetched(
    client, b3, media_server, django_capture_on_commit_callbacks
):
    document = pdf_bytes()
    media_server.documents["/download/m-1"] = document
    body = documo_event(message_id="m-1", downloadUrl=media_server.url("/download/m-1"))

    with django_capture_on_commit_callbacks(execute=True):
        response = post(client, body)

    assert response.status_code == 200, response.content
    event = ProviderEvent.objects.get()
    assert (event.provider, event.fax_id, event.state) == ("documo", "m-1", "done")
    assert event.delivery.external_id == "documo:m-1"
    assert event.delivery.sender_id == "DHS ERO BOSTON"
    assert event.delivery.documents.get().sha256 == hashlib.sha256(document).hexdigest()
    # Documo's API key goes to Documo's API only, never to another address.
    assert media_server.requests == ["/download/m-1"]
    assert "Authorization" not in media_server.headers[0]


def test_wrong_or_missing_credentials_are_refused_401_and_nothing_is_stored(client, b3):
    body = documo_event(message_id="m-2")
    wrong = post(client, body, basic(USER, "guessed"))
    other_user = post(client, body, basic("admin", PASSWORD))
    not_basic = post(client, body, "Bearer " + PASSWORD)
    missing = client.post(URL, data=body, content_type="application/json")

    for response in (wrong, other_user, not_basic, missing):
        assert response.status_code == 401
        assert response["WWW-Authenticate"].startswith("Basic ")
    assert not ProviderEvent.objects.exists()


def test_without_credentials_configured_every_webhook_is_refused(client, b3, settings):
    settings.FAX_DOCUMO_WEBHOOK_USER = settings.FAX_DOCUMO_WEBHOOK_PASSWORD = ""
    response = post(client, documo_event(message_id="m-3"), basic("", ""))

    assert response.status_code == 401
    assert not ProviderEvent.objects.exists()


def test_a_failed_reception_is_a_missed_fax_with_documos_reason(client, b3, media_server):
    response = post(client, documo_event(message_id="m-4", status="failed"))

    assert response.status_code == 200, response.content
    missed = MissedFax.objects.get()
    assert missed.external_id == "documo:m-4"
    assert missed.error == "NO CARRIER"
    assert missed.sender_id == "DHS ERO BOSTON"
    assert ProviderEvent.objects.get().missed_fax == missed
    assert not Delivery.objects.exists()
    assert media_server.requests == []


def test_without_a_download_url_it_asks_documos_api_which_must_be_allowed(
    client, b3, media_server, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = post(client, documo_event(message_id="m-5"))

    assert response.status_code == 200
    event = ProviderEvent.objects.get()
    # https://api.documo.com/ is not in this test's FAX_MEDIA_ALLOWED_URLS, so nothing was asked.
    assert event.state == "gave_up"
    assert "FAX_MEDIA_ALLOWED_URLS" in event.last_error
    assert media_server.requests == []


def test_pages_missing_make_a_partial_delivery(
    client, b3, media_server, django_capture_on_commit_callbacks
):
    media_server.documents["/download/m-6"] = pdf_bytes()
    body = documo_event(
        message_id="m-6",
        pagesCount=3,
        pagesComplete=2,
        downloadUrl=media_server.url("/download/m-6"),
    )
    with django_capture_on_commit_callbacks(execute=True):
        post(client, body)

    event = ProviderEvent.objects.get()
    assert (event.kind, event.state) == ("partial", "done")
    assert event.delivery.partial is True
    assert event.delivery.pages == 2
