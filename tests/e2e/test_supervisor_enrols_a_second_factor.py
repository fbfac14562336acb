"""A supervisor's first sign-in with the second factor on: the QR code shows (under the content
security policy), the app's first code turns it on, the recovery codes are shown, the inbox opens."""

import re

from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.access import Role
from accounts.models import SignInEvent

from ..accounts.second_factor import code_now
from ..conftest import PASSWORD, make_user
from .conftest import JOURNEY
from .steps import expect

pytestmark = JOURNEY


def test_it_enrols_the_app_and_opens_the_inbox(page, settings, final_screenshot):
    settings.MFA_REQUIRED = True
    supervisor = make_user("supervisor", Role.SUPERVISOR)
    page.goto("/inbox/")
    page.get_by_label("User name").fill("supervisor")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()

    expect(page).to_have_url(re.compile(r"/accounts/mfa/enrol/\?next=%2Finbox%2F$"))
    qr = page.get_by_role("img", name=re.compile("QR code"))
    expect(qr).to_be_visible()
    assert qr.evaluate("image => image.naturalWidth") > 0, "the data: image was allowed and drawn"
    secret = page.get_by_test_id("mfa-secret").inner_text().replace(" ", "")
    device = TOTPDevice.objects.get(user=supervisor)
    assert len(secret) == 32
    page.get_by_label("Code").fill(code_now(device))
    page.get_by_role("button", name="Turn on").click()

    codes = page.get_by_test_id("recovery-codes").get_by_role("listitem")
    expect(codes).to_have_count(10)
    final_screenshot(page)
    page.get_by_role("link", name=re.compile("continue")).click()
    expect(page).to_have_url(re.compile(r"/inbox/$"))
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    assert SignInEvent.objects.filter(kind="mfa_enrolled", user=supervisor).count() == 1
