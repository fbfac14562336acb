"""An idle page warns before the session ends and can keep it; left alone, it ends at the server
and the page goes to the login page saying why. The 12-hour limit warns too, but cannot be put off.
The limits are seconds here (settings), so the journeys take seconds, not half an hour."""

import re
import time

from accounts.access import Role
from accounts.models import SignInEvent

from ..conftest import make_user
from .conftest import JOURNEY, log_in_through_the_form
from .steps import expect

pytestmark = JOURNEY


def test_it_warns_and_staying_signed_in_keeps_the_session(page, b3, settings, final_screenshot):
    settings.SESSION_IDLE_SECONDS = 10
    settings.SESSION_WARNING_SECONDS = 7
    clerk = make_user("clerk", Role.CLERK, b3)
    log_in_through_the_form(page, clerk)
    page.goto("/intake/")
    loaded = time.monotonic()
    warning = page.get_by_role("alertdialog")
    expect(warning).to_be_hidden()

    expect(warning).to_be_visible(timeout=8_000)
    expect(warning).to_contain_text("You will be signed out in")
    final_screenshot(page)
    warning.get_by_role("button", name="Stay signed in").click()
    expect(warning).to_be_hidden()

    # Past the deadline the page was loaded with: the session goes on.
    page.wait_for_timeout(max(0, (loaded + 11 - time.monotonic()) * 1000))
    page.reload()
    expect(page).to_have_url(re.compile(r"/intake/$"))
    expect(page.get_by_role("button", name="Log out")).to_be_visible()
    assert not SignInEvent.objects.filter(kind="session_expired").exists()


def test_left_alone_the_page_is_signed_out(page, b3, settings, final_screenshot):
    settings.SESSION_IDLE_SECONDS = 5
    settings.SESSION_WARNING_SECONDS = 3
    clerk = make_user("clerk", Role.CLERK, b3)
    log_in_through_the_form(page, clerk)
    page.goto("/intake/")

    expect(page.get_by_role("alertdialog")).to_be_visible(timeout=8_000)
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=%2Fintake%2F$"), timeout=15_000)

    expect(page.get_by_role("status")).to_contain_text(
        "You were signed out after 5 seconds without activity."
    )
    event = SignInEvent.objects.get(kind="session_expired")
    assert (event.user, event.detail) == (clerk, "no activity for 5 seconds")
    assert not SignInEvent.objects.filter(kind="sign_out").exists()
    final_screenshot(page)


def test_the_absolute_limit_warns_without_a_way_to_stay(page, b3, settings, final_screenshot):
    settings.SESSION_ABSOLUTE_SECONDS = 10
    settings.SESSION_WARNING_SECONDS = 7
    clerk = make_user("clerk", Role.CLERK, b3)
    log_in_through_the_form(page, clerk)
    page.goto("/intake/")

    warning = page.get_by_role("alertdialog")
    expect(warning).to_be_visible(timeout=8_000)
    expect(warning).to_contain_text("a session lasts at most 10 seconds")
    expect(warning.get_by_role("button", name="Stay signed in")).to_be_hidden()
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next="), timeout=15_000)

    expect(page.get_by_role("status")).to_contain_text("signed out 10 seconds after signing in")
    event = SignInEvent.objects.get(kind="session_expired")
    assert (event.user, event.detail) == (clerk, "10 seconds after signing in")
    final_screenshot(page)
