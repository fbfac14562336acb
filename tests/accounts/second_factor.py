"""Helpers for the second-factor tests: codes as an authenticator app would show them."""

import time

from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from ..conftest import PASSWORD

LOGIN = "/accounts/login/"
VERIFY = "/accounts/mfa/"
ENROL = "/accounts/mfa/enrol/"
RECOVERY_CODES = ["aaaa2222", "bbbb3333", "cccc4444"]


def code_at(device: TOTPDevice, moment: float) -> str:
    """The six digits the app shows at `moment` (Unix seconds)."""
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, 0)
    totp.time = moment
    return f"{totp.token():06d}"


def code_now(device: TOTPDevice) -> str:
    return code_at(device, time.time())


def enrolled(user) -> TOTPDevice:
    """A confirmed app and three recovery codes, as if the person had enrolled earlier."""
    device = TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=True)
    codes = StaticDevice.objects.create(user=user, name="Recovery codes", confirmed=True)
    for token in RECOVERY_CODES:
        StaticToken.objects.create(device=codes, token=token)
    return device


def sign_in_with_password(client, user, next_url: str = "/inbox/"):
    """The login form, then wherever it leads (the code page, when a code is owed)."""
    return client.post(
        f"{LOGIN}?next={next_url}",
        {"username": user.get_username(), "password": PASSWORD, "next": next_url},
        follow=True,
    )
