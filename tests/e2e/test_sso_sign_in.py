"""People sign in with the city's provider in a real browser: the login page's button, the
provider's page, and back on their home page with what their role does; a person taken out of
their group at the provider gets in no more. The provider is tests/oidc_provider.py's, on
127.0.0.1; its pages ask for a stylesheet on the internet, which the browser is not let reach."""

import re

import pytest

from accounts.access import Role, roles_of
from accounts.models import User

from .conftest import JOURNEY
from .steps import expect

pytestmark = JOURNEY

ROLES = {
    # role: (group at the provider, the home page's tile for it, a tile it must not show)
    Role.CLERK: ("detainer-clerks", "Log a received fax", "Central inbox"),
    Role.SUPERVISOR: ("detainer-supervisors", "Central inbox", "Administration"),
    Role.ADMIN: ("detainer-admins", "Administration", "Log a received fax"),
}
NOT_LOOPBACK = re.compile(r"^https?://(?!127\.0\.0\.1[:/]|localhost[:/])")


def sign_in_at_the_provider(page, sub: str) -> None:
    """What a person does: the login page's button, then who they are on the provider's page."""
    page.context.route(NOT_LOOPBACK, lambda route: route.abort())
    page.goto("/accounts/login/")
    page.get_by_role("link", name="Sign in with City Hall sign-on").click()
    page.get_by_placeholder("sub").fill(sub)
    page.get_by_role("button", name="Authorize").click()
    page.wait_for_load_state()


@pytest.mark.parametrize("role", list(ROLES), ids=lambda role: role.name.lower())
def test_each_role_lands_on_its_home_page(
    page, live_server, sso_settings, b3, role, final_screenshot
):
    group, tile, not_theirs = ROLES[role]
    sub = f"{role.name.lower()}-sub"
    sso_settings.person(
        sub,
        preferred_username=f"ana.{role.name.lower()}",
        given_name="Ana",
        family_name="Reyes",
        groups=[group, "all-city-staff"],
        precinct="B-3",
    )

    sign_in_at_the_provider(page, sub)

    expect(page).to_have_url(f"{live_server.url}/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Welcome, Ana Reyes")
    expect(page.locator("#main").get_by_role("link", name=tile)).to_be_visible()
    expect(page.get_by_role("link", name=not_theirs)).to_have_count(0)
    user = User.objects.get(sso_subject=sub)
    assert roles_of(user) == {role}
    assert user.precinct == (b3 if role == Role.CLERK else None), "a precinct is a clerk's only"
    who = f"ana.{role.name.lower()}" + (" · B-3" if role == Role.CLERK else "")
    expect(page.locator(".who")).to_have_text(who)
    final_screenshot(page)


def test_taken_out_of_the_group_a_clerk_gets_in_no_more(
    page, live_server, sso_settings, b3, final_screenshot
):
    sso_settings.person(
        "clerk-sub", preferred_username="ana.clerk", groups=["detainer-clerks"], precinct="B-3"
    )
    sign_in_at_the_provider(page, "clerk-sub")
    expect(page.locator("#main").get_by_role("link", name="Log a received fax")).to_be_visible()

    # Logging out ends the provider's session too: its page, then back to our login page.
    page.get_by_role("button", name="Log out").click()
    expect(page).to_have_url(re.compile(rf"^{re.escape(sso_settings.issuer)}/oauth2/end_session"))
    page.get_by_role("button", name="End session").click()
    expect(page).to_have_url(f"{live_server.url}/accounts/login/")

    sso_settings.person("clerk-sub", preferred_username="ana.clerk", groups=[], precinct="B-3")
    sign_in_at_the_provider(page, "clerk-sub")

    expect(page).to_have_url(f"{live_server.url}/accounts/login/")
    expect(page.get_by_role("status")).to_contain_text(
        "your account there is in no group that may use Detainer Desk"
    )
    expect(page.locator(".who")).to_have_count(0)
    final_screenshot(page)
    user = User.objects.get(sso_subject="clerk-sub")
    assert roles_of(user) == frozenset()
    assert user.is_active
    page.goto("/intake/")
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=/intake/$"))
