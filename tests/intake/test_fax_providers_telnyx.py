"""POST /api/v1/fax-providers/telnyx/: Telnyx's signed fax events, stored before they are answered.

The tests' own provider (tests/fax_provider.py) signs with a key made here and serves documents
over HTTP on 127.0.0.1; the fetch task runs in-process once the webhook's transaction commits.
"""

import hashlib
import json
import time

import pytest
from django.test import Client

from detainers.counting.rule import counts_stored
from detainers.models import Delivery, MissedFax, ProviderEvent, Source
from tests import fax_provider
from tests.factories import pdf_bytes
from tests.fax_provider import CALLER, TelnyxSigner, telnyx_event, telnyx_post

pytestmark = pytest.mark.django_db

media_server = fax_provider.media_server
telnyx = fax_provider.telnyx
State = ProviderEvent.State


def nothing_stored() -> bool:
    return not (
        ProviderEvent.objects.exists() or Delivery.objects.exists() or MissedFax.objects.exists()
    )


def test_it_stores_a_received_fax_and_then_fetches_its_document_into_a_delivery(
    client, b3, telnyx, media_server, django_capture_on_commit_callbacks
):
    document = pdf_bytes(pages=2)
    media_server.documents["/media/fax-1.pdf"] = document
    body = telnyx_event(
        fax_id="fax-1", media_url=media_server.url("/media/fax-1.pdf"), page_count=2
    )

    with django_capture_on_commit_callbacks() as after_commit:
        response = telnyx_post(client, telnyx, body)

    # Answered once stored, before anything was fetched: the provider's wait is not ours.
    assert response.status_code == 200, response.content
    event = ProviderEvent.objects.get()
    assert response.json() == {
        "created": True,
        "event_id": event.pk,
        "state": "pending",
        "detail": "Stored.",
    }
    assert (event.provider, event.fax_id, event.kind) == ("telnyx", "fax-1", "received")
    assert event.payload == json.loads(body)
    assert media_server.requests == []
    assert not Delivery.objects.exists()

    for callback in after_commit:  # the commit: the fetch task runs (in-process in tests)
        callback()

    event.refresh_from_db()
    assert event.state == State.DONE
    assert event.attempts == 1
    delivery = event.delivery
    assert delivery.source == Source.PROVIDER
    assert delivery.external_id == "telnyx:fax-1"
    assert delivery.precinct == b3
    assert delivery.from_address == CALLER
    assert delivery.pages == 2
    assert delivery.documents.get().sha256 == hashlib.sha256(document).hexdigest()
    assert delivery.requests.count() == 1
    assert media_server.requests == ["/media/fax-1.pdf"]


def test_a_replayed_event_is_answered_200_and_stores_nothing_new(
    client, b3, telnyx, media_server, django_capture_on_commit_callbacks
):
    media_server.documents["/media/fax-2.pdf"] = pdf_bytes()
    body = telnyx_event(fax_id="fax-2", media_url=media_server.url("/media/fax-2.pdf"))

    with django_capture_on_commit_callbacks(execute=True):
        first = telnyx_post(client, telnyx, body)
    with django_capture_on_commit_callbacks(execute=True):
        replay = telnyx_post(client, telnyx, body)  # Telnyx retries a webhook it thinks was lost

    assert first.status_code == replay.status_code == 200
    assert replay.json()["created"] is False
    assert replay.json()["event_id"] == first.json()["event_id"]
    assert replay.json()["state"] == "done"
    assert ProviderEvent.objects.count() == 1
    assert Delivery.objects.count() == 1
    assert media_server.requests == ["/media/fax-2.pdf"]  # fetched once


def test_a_failed_reception_is_a_missed_fax_at_once_and_nothing_is_fetched_or_counted(
    client, b3, telnyx, media_server, django_capture_on_commit_callbacks
):
    counts_before = counts_stored()
    body = telnyx_event("fax.failed", fax_id="fax-3", failure_reason="receiver_call_dropped")

    with django_capture_on_commit_callbacks(execute=True):
        response = telnyx_post(client, telnyx, body)

    assert response.status_code == 200, response.content
    event = ProviderEvent.objects.get()
    assert (event.kind, event.state) == ("failed", "done")
    missed = event.missed_fax
    assert missed.source == Source.PROVIDER
    assert missed.external_id == "telnyx:fax-3"
    assert missed.precinct == b3
    assert missed.from_address == CALLER
    assert missed.error == "receiver call dropped"
    assert not Delivery.objects.exists()
    assert media_server.requests == []
    assert counts_stored() == counts_before


def test_a_bad_signature_is_refused_401_and_stores_nothing(client, b3, telnyx, media_server):
    body = telnyx_event(fax_id="fax-4", media_url=media_server.url("/media/fax-4.pdf"))
    someone_else = TelnyxSigner()

    forged = telnyx_post(client, someone_else, body)
    tampered = client.post(
        "/api/v1/fax-providers/telnyx/",
        data=body.replace(b"fax-4", b"fax-5"),
        content_type="application/json",
        **telnyx.headers(body),
    )
    unsigned = client.post(
        "/api/v1/fax-providers/telnyx/", data=body, content_type="application/json"
    )

    for response in (forged, tampered, unsigned):
        assert response.status_code == 401
        assert "detail" in response.json()
    assert nothing_stored()
    assert media_server.requests == []


@pytest.mark.parametrize("skew", [-301, 301, -3600])
def test_a_timestamp_outside_five_minutes_is_refused_401(client, b3, telnyx, media_server, skew):
    body = telnyx_event(fax_id="fax-6")
    # A valid signature: only the timestamp it signs is too old (a replay) or in the future.
    response = telnyx_post(
        client, telnyx, body, **telnyx.headers(body, timestamp=int(time.time()) + skew)
    )

    assert response.status_code == 401
    assert "five minutes" in response.json()["detail"]
    assert nothing_stored()


def test_a_timestamp_inside_the_window_is_accepted(client, b3, telnyx):
    body = telnyx_event("fax.failed", fax_id="fax-7")
    response = telnyx_post(client, telnyx, body, **telnyx.headers(body, int(time.time()) - 290))

    assert response.status_code == 200
    assert ProviderEvent.objects.filter(fax_id="fax-7").exists()


def test_without_a_public_key_every_event_is_refused(client, b3, telnyx, settings):
    settings.FAX_TELNYX_PUBLIC_KEY = ""
    response = telnyx_post(client, telnyx, telnyx_event("fax.failed", fax_id="fax-8"))

    assert response.status_code == 401
    assert "FAX_TELNYX_PUBLIC_KEY" in response.json()["detail"]
    assert nothing_stored()


def test_it_needs_no_csrf_token_session_or_api_token(b3, telnyx):
    strict = Client(enforce_csrf_checks=True)
    response = telnyx_post(strict, telnyx, telnyx_event("fax.failed", fax_id="fax-9"))

    assert response.status_code == 200
    assert ProviderEvent.objects.get().fax_id == "fax-9"


def test_events_about_sent_faxes_are_answered_and_not_stored(client, b3, telnyx):
    delivered = telnyx_event("fax.delivered", fax_id="fax-10")
    outbound_failure = telnyx_event("fax.failed", fax_id="fax-11", direction="outbound")

    for body in (delivered, outbound_failure):
        response = telnyx_post(client, telnyx, body)
        assert response.status_code == 200
        assert response.json()["created"] is False
        assert response.json()["event_id"] is None
    assert nothing_stored()


def test_a_signed_body_that_is_not_a_fax_event_is_400(client, b3, telnyx):
    for body in (b"not json", b"[]", json.dumps({"data": {"event_type": "fax.received"}}).encode()):
        response = telnyx_post(client, telnyx, body)
        assert response.status_code == 400, body
        assert response.json()["detail"]
    assert nothing_stored()


def test_a_partial_reception_becomes_a_partial_delivery(
    client, b3, telnyx, media_server, django_capture_on_commit_callbacks
):
    media_server.documents["/media/fax-12.pdf"] = pdf_bytes()
    body = telnyx_event(
        fax_id="fax-12", media_url=media_server.url("/media/fax-12.pdf"), partial_content=True
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = telnyx_post(client, telnyx, body)

    assert response.status_code == 200
    event = ProviderEvent.objects.get()
    assert (event.kind, event.state) == ("partial", "done")
    assert event.delivery.partial is True
    assert "pages missing" in event.delivery.notes


def test_the_schema_says_who_may_use_it(api_as):
    schema = api_as("supervisor").get("/api/schema/", {"format": "json"}).json()
    for provider in ("telnyx", "phaxio", "documo"):
        post = schema["paths"][f"/api/v1/fax-providers/{provider}/"]["post"]
        assert post["description"].startswith("Who: ")
        assert "no user, session or API token" in post["description"]
        assert not post.get("security")  # no token or session scheme: the signature is the proof
        assert {"200", "400", "401"} <= post["responses"].keys()
