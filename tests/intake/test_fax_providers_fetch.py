"""The task that fetches a provider's document (detainers.tasks.provider_fax_fetch): it waits and
tries again while the document is not there, gives up with a reason when asking again cannot help,
fetches only from allowed addresses, and a sweep restarts the fetches that were lost.

The task runs in-process; `retries` replaces Celery's retry so that a test sees the retry the task
asks for (and its delay) and runs it itself, instead of Celery running it at once.
"""

import hashlib
import json
from datetime import timedelta

import pytest
from celery.exceptions import Retry
from django.utils import timezone

from detainers.intake import provider_events
from detainers.intake.provider_events import provider_event_record, provider_events_given_up
from detainers.intake.providers import provider_fax_read
from detainers.intake.tasks import (
    PROVIDER_FETCH_ATTEMPTS,
    provider_events_sweep,
    provider_fax_fetch,
)
from detainers.models import Delivery, ProviderEvent
from tests import fax_provider
from tests.factories import pdf_bytes
from tests.fax_provider import telnyx_event

pytestmark = pytest.mark.django_db

media_server = fax_provider.media_server
telnyx = fax_provider.telnyx
State = ProviderEvent.State


@pytest.fixture
def retries(monkeypatch) -> list[tuple[tuple, float]]:
    """The retries the task asks for: (its arguments, its delay in seconds)."""
    asked: list[tuple[tuple, float]] = []

    def retry(*, args, countdown, exc):
        asked.append((args, countdown))
        return Retry(exc=exc, when=countdown)

    monkeypatch.setattr(provider_fax_fetch, "retry", retry)
    return asked


def stored(fax_id: str, media_url: str) -> ProviderEvent:
    """An event as the webhook stores it (its own enqueue is not run: the test runs the task)."""
    event = telnyx_event(fax_id=fax_id, media_url=media_url)
    fax = provider_fax_read("telnyx", json.loads(event))
    return provider_event_record(fax=fax).event


def test_a_document_not_there_yet_is_asked_for_again_later(b3, telnyx, media_server, retries):
    event = stored("late-1", media_server.url("/media/late-1.pdf"))

    provider_fax_fetch.apply(args=(event.pk, 0))

    event.refresh_from_db()
    assert event.state == State.PENDING  # still waiting, not given up
    assert event.attempts == 1
    assert "HTTP 404" in event.last_error
    [(arguments, delay)] = retries
    assert arguments == (event.pk, 1)
    assert 60 <= delay <= 120  # the first wait: one to two minutes
    assert not Delivery.objects.exists()

    document = pdf_bytes()
    media_server.documents["/media/late-1.pdf"] = document  # the provider has stored it now
    provider_fax_fetch.apply(args=arguments)

    event.refresh_from_db()
    assert event.state == State.DONE
    assert event.attempts == 2
    assert event.delivery.documents.get().sha256 == hashlib.sha256(document).hexdigest()
    assert media_server.requests == ["/media/late-1.pdf", "/media/late-1.pdf"]
    assert len(retries) == 1


def test_each_wait_is_longer_than_the_last(b3, telnyx, media_server, retries):
    event = stored("late-2", media_server.url("/media/late-2.pdf"))
    for attempt in range(4):
        provider_fax_fetch.apply(args=(event.pk, attempt))

    delays = [delay for _, delay in retries]
    assert [arguments for arguments, _ in retries] == [(event.pk, n) for n in range(1, 5)]
    for attempt, delay in enumerate(delays):
        assert 120 * 2**attempt / 2 <= delay <= 120 * 2**attempt


def test_after_the_last_attempt_it_gives_up_and_stays_listed(b3, telnyx, media_server, retries):
    event = stored("late-3", media_server.url("/media/late-3.pdf"))
    last = PROVIDER_FETCH_ATTEMPTS - 1
    ProviderEvent.objects.filter(pk=event.pk).update(attempts=last)

    provider_fax_fetch.apply(args=(event.pk, last))

    event.refresh_from_db()
    assert event.state == State.GAVE_UP
    assert "HTTP 404" in event.last_error
    assert f"Gave up after {PROVIDER_FETCH_ATTEMPTS} attempts" in event.last_error
    assert retries == []
    assert list(provider_events_given_up()) == [event]
    assert not Delivery.objects.exists()


def test_a_copy_of_an_attempt_already_made_does_nothing(b3, telnyx, media_server, retries):
    event = stored("late-4", media_server.url("/media/late-4.pdf"))
    provider_fax_fetch.apply(args=(event.pk, 0))
    media_server.documents["/media/late-4.pdf"] = pdf_bytes()

    provider_fax_fetch.apply(args=(event.pk, 0))  # redelivered, or re-enqueued by the sweep

    event.refresh_from_db()
    assert (event.state, event.attempts) == (State.PENDING, 1)
    assert media_server.requests == ["/media/late-4.pdf"]  # asked once only


def test_a_document_over_the_cap_is_not_kept(b3, telnyx, media_server, settings, retries):
    settings.FAX_MEDIA_MAX_BYTES = 100_000
    media_server.documents["/media/big.pdf"] = pdf_bytes() + b"%" * 200_000
    media_server.documents["/media/big-undeclared.pdf"] = pdf_bytes() + b"%" * 2_000_000
    media_server.undeclared.add("/media/big-undeclared.pdf")  # read until the cap, then stopped
    declared = stored("big-1", media_server.url("/media/big.pdf"))
    undeclared = stored("big-2", media_server.url("/media/big-undeclared.pdf"))

    for event in (declared, undeclared):
        provider_fax_fetch.apply(args=(event.pk, 0))
        event.refresh_from_db()
        assert event.state == State.GAVE_UP
        assert "larger than the cap of 100,000 bytes" in event.last_error
    assert retries == []
    assert not Delivery.objects.exists()


def test_a_url_outside_the_allowed_prefixes_is_never_fetched(
    b3, telnyx, media_server, settings, retries
):
    settings.FAX_MEDIA_ALLOWED_URLS = [media_server.url("/media/")]
    media_server.documents["/private/secret.pdf"] = pdf_bytes()
    elsewhere = stored("far-1", media_server.url("/private/secret.pdf"))
    dotted = stored("far-2", media_server.url("/media/../private/secret.pdf"))
    with_user = stored("far-3", media_server.url("/media/x.pdf").replace("//", "//media@"))

    for event in (elsewhere, dotted, with_user):
        provider_fax_fetch.apply(args=(event.pk, 0))
        event.refresh_from_db()
        assert event.state == State.GAVE_UP
        assert "not under FAX_MEDIA_ALLOWED_URLS" in event.last_error
    assert media_server.requests == []
    assert retries == []


def test_a_redirect_is_followed_only_inside_the_allowed_prefixes(
    b3, telnyx, media_server, settings, retries
):
    settings.FAX_MEDIA_ALLOWED_URLS = [media_server.url("/media/")]
    document = pdf_bytes()
    media_server.documents["/media/stored.pdf"] = document
    media_server.documents["/private/secret.pdf"] = pdf_bytes(pages=3)
    media_server.redirects["/media/inside.pdf"] = media_server.url("/media/stored.pdf")
    media_server.redirects["/media/outside.pdf"] = media_server.url("/private/secret.pdf")
    inside = stored("hop-1", media_server.url("/media/inside.pdf"))
    outside = stored("hop-2", media_server.url("/media/outside.pdf"))

    provider_fax_fetch.apply(args=(inside.pk, 0))
    provider_fax_fetch.apply(args=(outside.pk, 0))

    inside.refresh_from_db()
    outside.refresh_from_db()
    assert inside.state == State.DONE
    assert inside.delivery.documents.get().sha256 == hashlib.sha256(document).hexdigest()
    assert outside.state == State.GAVE_UP
    assert "redirect was not followed" in outside.last_error
    assert "/private/secret.pdf" not in media_server.requests
    assert media_server.requests == ["/media/inside.pdf", "/media/stored.pdf", "/media/outside.pdf"]


def test_something_that_is_not_a_fax_document_gives_up_with_the_reason(
    b3, telnyx, media_server, retries
):
    media_server.documents["/media/page.pdf"] = b"<html>Sign in to continue</html>"
    event = stored("html-1", media_server.url("/media/page.pdf"))

    provider_fax_fetch.apply(args=(event.pk, 0))

    event.refresh_from_db()
    assert event.state == State.GAVE_UP
    assert event.last_error.startswith("The provider's document was refused: ")
    assert not Delivery.objects.exists()


def test_the_sweep_restarts_fetches_that_were_lost_and_leaves_waiting_ones_alone(
    b3, telnyx, media_server, retries
):
    for name in ("lost", "fresh", "backing-off"):
        media_server.documents[f"/media/{name}.pdf"] = pdf_bytes()
    lost = stored("lost", media_server.url("/media/lost.pdf"))  # its task never ran
    fresh = stored("fresh", media_server.url("/media/fresh.pdf"))
    backing_off = stored("backing-off", media_server.url("/media/backing-off.pdf"))
    now = timezone.now()
    ProviderEvent.objects.filter(pk=lost.pk).update(stored_at=now - timedelta(minutes=6))
    ProviderEvent.objects.filter(pk=fresh.pk).update(stored_at=now - timedelta(minutes=1))
    # Three attempts made: its next one may be up to 14 minutes of waits away, and is not late.
    ProviderEvent.objects.filter(pk=backing_off.pk).update(
        stored_at=now - timedelta(minutes=20), attempts=3
    )

    assert provider_events_sweep.apply().get() == 1

    for event in (lost, fresh, backing_off):
        event.refresh_from_db()
    assert lost.state == State.DONE
    assert (fresh.state, fresh.attempts) == (State.PENDING, 0)
    assert (backing_off.state, backing_off.attempts) == (State.PENDING, 3)
    assert media_server.requests == ["/media/lost.pdf"]


def test_an_unexpected_error_leaves_the_event_for_the_sweep_until_the_last_attempt(
    b3, telnyx, media_server, monkeypatch, retries
):
    def broken(**kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(provider_events, "media_fetch", broken)
    event = stored("bug-1", media_server.url("/media/bug-1.pdf"))
    last = PROVIDER_FETCH_ATTEMPTS - 1

    provider_fax_fetch.apply(args=(event.pk, 0))
    event.refresh_from_db()
    assert (event.state, event.attempts) == (State.PENDING, 1)  # the sweep will start it again

    ProviderEvent.objects.filter(pk=event.pk).update(attempts=last)
    provider_fax_fetch.apply(args=(event.pk, last))
    event.refresh_from_db()
    assert event.state == State.GAVE_UP
    assert "unexpected error" in event.last_error
    assert retries == []
