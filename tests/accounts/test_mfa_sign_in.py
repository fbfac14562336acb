"""Signing in with a password and then a code: the app's current code, or a recovery code once."""

import time
from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.conf import settings as django_settings
from django_otp.plugins.otp_totp import models as totp_models

from accounts.models import SignInEvent

from .second_factor import (
    RECOVERY_CODES,
    VERIFY,
    code_at,
    code_now,
    enrolled,
    sign_in_with_password,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _second_factor_on(settings):
    settings.MFA_REQUIRED = True
    settings.OTP_TOTP_THROTTLE_FACTOR = 0
    settings.OTP_STATIC_THROTTLE_FACTOR = 0


@pytest.fixture
def app(supervisor):
    return enrolled(supervisor)


def test_the_password_leads_to_the_code_page(client, supervisor, app):
    response = sign_in_with_password(client, supervisor)
    assert response.redirect_chain[-1] == (f"{VERIFY}?next=%2Finbox%2F", 302)
    assert client.get("/inbox/")["Location"] == f"{VERIFY}?next=%2Finbox%2F"


def test_the_current_code_opens_the_page_asked_for_in_a_new_session(client, supervisor, app):
    sign_in_with_password(client, supervisor)
    before = client.cookies[django_settings.SESSION_COOKIE_NAME].value

    response = client.post(VERIFY, {"code": code_now(app), "next": "/inbox/"})

    assert response.status_code == 302
    assert response["Location"] == "/inbox/"
    assert client.get("/inbox/").status_code == 200
    assert client.cookies[django_settings.SESSION_COOKIE_NAME].value != before
    event = SignInEvent.objects.get(kind="mfa_verified")
    assert (event.user, event.method) == (supervisor, "totp")


def test_a_wrong_code_is_refused_and_recorded(client, supervisor, app):
    sign_in_with_password(client, supervisor)
    wrong = f"{(int(code_now(app)) + 1) % 1_000_000:06d}"

    response = client.post(VERIFY, {"code": wrong, "next": "/inbox/"})

    assert response.status_code == 200
    assert "That code is not right" in response.content.decode()
    event = SignInEvent.objects.get(kind="mfa_failed")
    assert (event.user, event.method, event.detail) == (supervisor, "totp", "the code was refused")
    assert client.get("/inbox/").status_code == 302


def _moment_when_codes_differ(app, start: float, offset: float) -> float:
    """The first 30-second step from `start` whose code differs from the code `offset` seconds
    later (one in a million are equal; the test then uses the next step instead of skipping)."""
    moment = start
    while code_at(app, moment) == code_at(app, moment + offset):
        moment += 30
    return moment


def _device_clock(monkeypatch, moment: float) -> None:
    """The device reads the clock as time.time() in its own module: only that clock moves."""
    monkeypatch.setattr(totp_models, "time", SimpleNamespace(time=lambda: moment))


def test_a_code_from_an_earlier_time_step_is_refused(client, supervisor, app, monkeypatch):
    sign_in_with_password(client, supervisor)
    # Five minutes old: ten 30-second steps back, past the one step of tolerance.
    old_moment = _moment_when_codes_differ(app, time.time() - 300, 300)
    _device_clock(monkeypatch, old_moment + 300)
    old = code_at(app, old_moment)

    response = client.post(VERIFY, {"code": old})

    assert response.status_code == 200
    assert SignInEvent.objects.filter(kind="mfa_failed").count() == 1
    assert not SignInEvent.objects.filter(kind="mfa_verified").exists()


def test_a_code_is_accepted_once(client, supervisor, app):
    code = code_now(app)
    sign_in_with_password(client, supervisor)
    assert client.post(VERIFY, {"code": code}).status_code == 302
    client.post("/accounts/logout/")
    sign_in_with_password(client, supervisor)

    replay = client.post(VERIFY, {"code": code})

    assert replay.status_code == 200
    assert client.get("/inbox/").status_code == 302


def test_the_clock_moved_on_refuses_the_code_shown_before(client, supervisor, app, monkeypatch):
    shown_at = _moment_when_codes_differ(app, time.time(), 120)
    shown = code_at(app, shown_at)
    sign_in_with_password(client, supervisor)
    later = shown_at + 120  # four steps on: past the tolerance of one
    _device_clock(monkeypatch, later)

    assert client.post(VERIFY, {"code": shown}).status_code == 200
    assert client.post(VERIFY, {"code": code_at(app, later)}).status_code == 302


def test_a_recovery_code_works_once(client, supervisor, app):
    sign_in_with_password(client, supervisor)
    response = client.post(VERIFY, {"code": RECOVERY_CODES[0].upper(), "next": "/inbox/"})
    assert response.status_code == 302
    assert client.get("/inbox/").status_code == 200
    event = SignInEvent.objects.get(kind="recovery_code_used")
    assert (event.user, event.detail) == (supervisor, "2 recovery codes left")
    assert RECOVERY_CODES[0] not in event.detail

    client.post("/accounts/logout/")
    sign_in_with_password(client, supervisor)
    assert client.post(VERIFY, {"code": RECOVERY_CODES[0]}).status_code == 200
    assert client.get("/inbox/").status_code == 302
    assert SignInEvent.objects.filter(kind="mfa_failed", method="recovery code").count() == 1


def test_wrong_codes_in_a_row_make_the_next_one_wait(client, supervisor, app, settings):
    settings.OTP_TOTP_THROTTLE_FACTOR = 60
    sign_in_with_password(client, supervisor)
    wrong = f"{(int(code_now(app)) + 1) % 1_000_000:06d}"
    client.post(VERIFY, {"code": wrong})

    response = client.post(VERIFY, {"code": code_now(app)})

    assert response.status_code == 200
    assert "Too many wrong codes" in response.content.decode()
    assert SignInEvent.objects.filter(kind="mfa_failed").count() == 2
    # A minute later (the failure moved back rather than the clock forward) it is taken.
    app.refresh_from_db()
    app.throttling_failure_timestamp -= timedelta(seconds=61)
    app.save()
    assert client.post(VERIFY, {"code": code_now(app)}).status_code == 302


def test_a_person_without_a_code_owed_is_sent_on(client, supervisor, settings):
    settings.MFA_REQUIRED = False
    client.force_login(supervisor)
    response = client.get(f"{VERIFY}?next=/inbox/")
    assert response["Location"] == "/inbox/"


def test_the_code_page_sends_nowhere_but_this_site(client, supervisor, app):
    sign_in_with_password(client, supervisor)
    response = client.post(VERIFY, {"code": code_now(app), "next": "https://evil.example/"})
    assert response["Location"] == "/"
