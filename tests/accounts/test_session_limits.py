"""A session ends after SESSION_IDLE_SECONDS without a request and SESSION_ABSOLUTE_SECONDS after
sign-in, whatever the browser does; the end is recorded as session_expired, not as a sign-out.
The clock is moved by moving the session's own moments back."""

import pytest

from accounts.models import SignInEvent
from accounts.session_limits import LAST_SEEN, SIGNED_IN_AT

from ..conftest import api_client_for

pytestmark = pytest.mark.django_db

SESSION = "/accounts/session/"


def moved_back(client, **seconds) -> None:
    session = client.session
    for key, by in seconds.items():
        session[key] -= by
    session.save()


@pytest.fixture
def signed_in(client, supervisor):
    client.force_login(supervisor)
    return client


def test_sign_in_starts_both_clocks(signed_in):
    session = signed_in.session
    assert session[SIGNED_IN_AT] == session[LAST_SEEN]


def test_an_idle_session_is_ended_and_recorded(signed_in, supervisor, settings):
    moved_back(signed_in, last_seen=settings.SESSION_IDLE_SECONDS + 1)

    response = signed_in.get("/inbox/", follow=True)

    assert response.redirect_chain[0][0].startswith("/accounts/login/?next=")
    assert "signed out after 30 minutes without activity" in response.content.decode()
    event = SignInEvent.objects.get(kind="session_expired")
    assert (event.user, event.detail) == (supervisor, "no activity for 30 minutes")
    assert not SignInEvent.objects.filter(kind="sign_out").exists()
    assert signed_in.get("/inbox/").status_code == 302


def test_activity_keeps_it_going(signed_in, settings):
    moved_back(signed_in, last_seen=settings.SESSION_IDLE_SECONDS - 5)
    assert signed_in.get("/inbox/").status_code == 200
    left = signed_in.get(SESSION).json()["idle_seconds_left"]
    assert left >= settings.SESSION_IDLE_SECONDS - 2
    assert not SignInEvent.objects.filter(kind="session_expired").exists()


def test_the_absolute_limit_holds_however_active(signed_in, supervisor, settings):
    moved_back(signed_in, signed_in_at=settings.SESSION_ABSOLUTE_SECONDS + 1)

    response = signed_in.get("/inbox/", follow=True)

    assert "signed out 12 hours after signing in" in response.content.decode()
    event = SignInEvent.objects.get(kind="session_expired")
    assert (event.user, event.detail) == (supervisor, "12 hours after signing in")


def test_looking_at_the_time_left_is_not_activity(signed_in, settings):
    moved_back(signed_in, last_seen=100)
    first = signed_in.get(SESSION).json()
    assert first["idle_seconds_left"] <= settings.SESSION_IDLE_SECONDS - 99
    second = signed_in.get(SESSION).json()
    assert second["idle_seconds_left"] <= first["idle_seconds_left"]


def test_stay_signed_in_starts_the_idle_time_again_but_not_the_absolute(signed_in, settings):
    moved_back(signed_in, last_seen=100, signed_in_at=1000)
    left = signed_in.post(SESSION).json()
    assert left["idle_seconds_left"] >= settings.SESSION_IDLE_SECONDS - 1
    assert left["absolute_seconds_left"] <= settings.SESSION_ABSOLUTE_SECONDS - 999


def test_the_endpoint_tells_an_expired_session_it_is_over(signed_in, settings):
    moved_back(signed_in, last_seen=settings.SESSION_IDLE_SECONDS + 1)
    response = signed_in.get(SESSION)
    assert response.status_code == 401
    assert SignInEvent.objects.filter(kind="session_expired").count() == 1


def test_anonymous_gets_401_from_the_endpoint(client):
    assert client.get(SESSION).status_code == 401


def test_a_token_has_no_session_to_end(supervisor):
    api = api_client_for(supervisor, token=True)
    assert api.get("/api/v1/stats/yearly/").status_code == 200
    assert not SignInEvent.objects.exists()
