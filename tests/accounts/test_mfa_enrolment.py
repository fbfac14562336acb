"""First sign-in of a supervisor or admin: enrol an authenticator app, then see recovery codes once."""

import logging

import pytest
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.mfa.services import mfa_secret_for_typing
from accounts.models import SignInEvent

from .second_factor import ENROL, code_now, sign_in_with_password

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _second_factor_on(settings):
    settings.MFA_REQUIRED = True
    settings.OTP_TOTP_THROTTLE_FACTOR = 0  # a wrong code then the right one, without waiting


def test_it_sends_a_supervisor_without_an_app_to_enrolment(client, supervisor):
    response = sign_in_with_password(client, supervisor)
    assert response.redirect_chain[-1] == (f"{ENROL}?next=%2Finbox%2F", 302)
    device = TOTPDevice.objects.get(user=supervisor)
    assert not device.confirmed
    page = response.content.decode()
    assert mfa_secret_for_typing(device=device) in page
    assert 'src="data:image/svg+xml' in page
    # Until the code is given the inbox stays shut.
    assert client.get("/inbox/")["Location"].startswith("/accounts/mfa/?next=")


def test_a_reload_shows_the_same_secret(client, supervisor):
    sign_in_with_password(client, supervisor)
    client.get(ENROL)
    assert TOTPDevice.objects.filter(user=supervisor).count() == 1


def test_the_first_code_turns_it_on_and_shows_the_recovery_codes_once(client, supervisor, caplog):
    caplog.set_level(logging.DEBUG)
    sign_in_with_password(client, supervisor)
    device = TOTPDevice.objects.get(user=supervisor)

    response = client.post(ENROL, {"code": code_now(device), "next": "/inbox/"})

    assert response.status_code == 200
    codes = [code for code in response.context["codes"]]
    assert sorted(codes) == sorted(
        StaticToken.objects.filter(device__user=supervisor).values_list("token", flat=True)
    )
    assert len(codes) == 10
    assert all(code in response.content.decode() for code in codes)
    device.refresh_from_db()
    assert device.confirmed
    assert SignInEvent.objects.filter(kind="mfa_enrolled", user=supervisor).count() == 1
    assert client.get("/inbox/").status_code == 200
    # Shown once: the enrolment page now leads on, without them.
    again = client.get(ENROL, follow=True)
    assert again.status_code == 200
    assert not any(code in again.content.decode() for code in codes)
    # Nothing secret in the log.
    assert "Sign-in event mfa_enrolled" in caplog.text
    for secret in [device.key, mfa_secret_for_typing(device=device).replace(" ", ""), *codes]:
        assert secret not in caplog.text


def test_a_wrong_code_does_not_turn_it_on(client, supervisor):
    sign_in_with_password(client, supervisor)
    device = TOTPDevice.objects.get(user=supervisor)
    wrong = f"{(int(code_now(device)) + 1) % 1_000_000:06d}"

    response = client.post(ENROL, {"code": wrong})

    assert response.status_code == 200
    assert "The code was not accepted" in response.content.decode()
    device.refresh_from_db()
    assert not device.confirmed
    event = SignInEvent.objects.get(kind="mfa_failed")
    assert event.user == supervisor
    assert wrong not in event.detail
    assert not StaticToken.objects.exists()
    assert client.post(ENROL, {"code": code_now(device)}).status_code == 200
    device.refresh_from_db()
    assert device.confirmed


def test_an_admin_is_asked_too(client, admin_user):
    response = sign_in_with_password(client, admin_user, next_url="/admin/")
    assert response.redirect_chain[-1][0].startswith(ENROL)


@pytest.mark.parametrize(("for_clerks", "asked"), [(False, False), (True, True)])
def test_clerks_are_asked_only_when_the_setting_says(client, clerk, settings, for_clerks, asked):
    settings.MFA_REQUIRED_FOR_CLERKS = for_clerks
    response = sign_in_with_password(client, clerk, next_url="/intake/")
    assert response.status_code == 200
    last = response.redirect_chain[-1][0]
    assert last.startswith(ENROL) if asked else last == "/intake/"


def test_nobody_is_asked_with_the_setting_off(client, supervisor, settings):
    settings.MFA_REQUIRED = False
    response = sign_in_with_password(client, supervisor)
    assert response.redirect_chain == [("/inbox/", 302)]
    assert response.status_code == 200
    assert not TOTPDevice.objects.exists()
