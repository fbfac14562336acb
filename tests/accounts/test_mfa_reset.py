"""An admin resets a person's second factor (a lost phone) from the user list; it is recorded."""

import pytest
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.mfa.services import mfa_reset
from accounts.models import SignInEvent

from .second_factor import ENROL, VERIFY, code_now, enrolled, sign_in_with_password

pytestmark = pytest.mark.django_db

USERS = "/admin/accounts/user/"


def reset(client, *users):
    return client.post(
        USERS, {"action": "reset_second_factor", "_selected_action": [u.pk for u in users]}
    )


def test_an_admin_resets_a_supervisors_app_and_codes(client, admin_user, supervisor, clerk):
    enrolled(supervisor)
    enrolled(clerk)
    client.force_login(admin_user)

    response = reset(client, supervisor)

    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(user=supervisor).exists()
    assert not StaticDevice.objects.filter(user=supervisor).exists()
    assert TOTPDevice.objects.filter(user=clerk).exists()  # only whom the admin chose
    event = SignInEvent.objects.get(kind="mfa_reset")
    assert (event.user, event.detail, event.address) == (supervisor, "by admin", "127.0.0.1")


def test_the_persons_verified_session_owes_a_code_again(client, admin_user, supervisor, settings):
    settings.MFA_REQUIRED = True
    device = enrolled(supervisor)
    sign_in_with_password(client, supervisor)
    assert client.post(VERIFY, {"code": code_now(device)}).status_code == 302
    assert client.get("/inbox/").status_code == 200

    assert mfa_reset(user=supervisor, actor=admin_user) == 2  # the app and the recovery codes

    response = client.get("/inbox/", follow=True)
    assert response.redirect_chain[-1][0].startswith(ENROL)


def test_a_supervisor_cannot_reset_anyone(client, supervisor, clerk):
    enrolled(clerk)
    client.force_login(supervisor)
    assert reset(client, clerk)["Location"].startswith("/admin/login/")
    assert TOTPDevice.objects.filter(user=clerk).exists()
    assert not SignInEvent.objects.filter(kind="mfa_reset").exists()


def test_the_device_admins_that_show_secrets_are_not_offered(client, admin_user):
    admin_user.is_superuser = True
    admin_user.save()
    client.force_login(admin_user)
    assert client.get("/admin/otp_totp/totpdevice/").status_code == 404
    assert client.get("/admin/otp_static/staticdevice/").status_code == 404
