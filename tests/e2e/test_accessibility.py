"""Each page a person may open passes axe-core's WCAG 2 A/AA rules: nothing serious or critical.

The pages are the access table's (tests/accounts/test_access_table.py: each cell that says 200 and
is a page, not a file), plus the login pages, the home page and the admin's change lists and forms,
on the demo data (seed_demo), so lists, charts and forms are full. Serious and critical violations
fail the page's test, naming each rule and element; moderate and minor ones are printed at the end.

One browser and one set of data serve the whole module (a browser and a seed per page would take
minutes), so these tests do not use the function-scoped `playwright` fixture of conftest.py: the
module's data is committed once, the driver starts after it (Django's ORM is not used while the
driver runs, see conftest's `playwright`), and the database is put back as it was when the module ends. Each
person has one browser context, signed in with a session cookie made before the driver started.
axe (tests/e2e/vendor/, never served by the app) is injected as an inline script, which the pages'
Content Security Policy refuses, so the contexts bypass CSP; the pages' own CSP is tested elsewhere.
"""

import io
import os
from dataclasses import dataclass, field
from pathlib import Path
from unittest import mock

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection, connections
from django.test import Client, override_settings
from django.utils import timezone
from pytest_django.live_server_helper import LiveServer

from accounts.models import User
from detainers.management.commands import seed_demo
from detainers.models import DetainerRequest, RetentionRule
from precincts.models import FaxNumber, Precinct

from ..accounts.test_access_table import ADMIN_PAGES, PAGES, PEOPLE
from ..conftest import needs
from .conftest import (
    CHROMIUM,
    CHROMIUM_ARGS,
    SCREENSHOTS,
    STEP_TIMEOUT_MS,
    _file_name,
    _playwright_available,
    screenshot,
)
from .steps import expect

# django_db: the test database is set up for the module's data; each test reads nothing itself.
pytestmark = [pytest.mark.browser, pytest.mark.django_db]

AXE = Path(__file__).resolve().parent / "vendor" / "axe.min.js"
# WCAG 2.0, 2.1 and 2.2, levels A and AA.
WCAG_A_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
# Only violations are collected: axe is quicker without the passes and the undecided.
AXE_RUN = (
    "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})"
)
FAILING = ("critical", "serious")
# The demo's requests (seed_demo makes 120, in half a minute): the 21st is the first one's repeat.
DEMO_SAMPLES = 21
PHONE = {"width": 390, "height": 844}
# Not pages: files (documents, exports, the filing), JSON, and the sign-on doors (404 here).
NOT_PAGES = ("/documents/", ".csv", ".json", ".pdf", "format=", "/accounts/session/", "/oidc/")
# Pages the access table does not list (it checks doors, not forms), with the demo's rows and
# year (the access table's 2024 has no demo requests).
MORE_PAGES = {
    "anonymous": ["/accounts/login/", "/admin/login/"],
    "clerk": ["/"],
    "supervisor": [
        "/",
        "/inbox/{duplicate}/",
        "/dashboard/requests/?year_from={year}&year_to={year}",
        "/reports/annual/{year}/",
    ],
    "admin": [
        "/",
        "/admin/",
        "/admin/accounts/user/",
        "/admin/accounts/user/{clerk_user}/change/",
        "/admin/accounts/user/add/",
        "/admin/accounts/apitoken/",
        "/admin/precincts/precinct/",
        "/admin/precincts/precinct/{b3_precinct}/change/",
        "/admin/precincts/precinct/add/",
        "/admin/precincts/faxnumber/",
        "/admin/precincts/faxnumber/{b3_line}/change/",
        "/admin/precincts/knownsender/",
        "/admin/detainers/retentionrule/{rule}/change/",
    ],
}


def pages_of(person: str) -> list[str]:
    column = PEOPLE.index(person)
    table = [url for url, codes in PAGES + ADMIN_PAGES if codes[column] == 200]
    urls = dict.fromkeys(MORE_PAGES[person] + table)  # once each, in order
    return [url for url in urls if not any(part in url for part in NOT_PAGES)]


CASES = [(person, url) for person in MORE_PAGES for url in pages_of(person)]
PHONE_CASES = [("clerk", "/intake/"), ("supervisor", "/inbox/")]


@dataclass
class Desk:
    """The demo's rows the URLs name, a browser context per person, what axe found that is
    moderate or minor."""

    rows: dict[str, int | str]
    contexts: dict[str, object] = field(default_factory=dict)
    minor: list[str] = field(default_factory=list)


@pytest.fixture(scope="module")
def desk(pytestconfig, django_db_setup, django_db_blocker, tmp_path_factory):
    needs(f"Chromium at {CHROMIUM} (apt-get install chromium)", os.access(CHROMIUM, os.X_OK))
    needs("The playwright package (pip install -e '.[test]')", _playwright_available())
    from playwright.sync_api import sync_playwright

    module_settings = override_settings(
        MEDIA_ROOT=tmp_path_factory.mktemp("media"),
        PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
        MFA_REQUIRED=False,
    )
    async_unsafe = mock.patch.dict(os.environ, DJANGO_ALLOW_ASYNC_UNSAFE="true")  # conftest's
    with django_db_blocker.unblock(), module_settings, async_unsafe:
        # A server of the module's own: pytest-django's `live_server` fixture would flush the
        # database after each test. It shares this thread's SQLite connection, opened before
        # the driver starts.
        # What the migrations left (roles, retention rules...), for the tests after this module:
        # it runs among the tests that share one database, so it puts that database back.
        before = connection.creation.serialize_db_to_string()
        live_server = LiveServer("localhost")
        live_server._live_server_modified_settings.enable()
        try:
            with mock.patch.object(seed_demo, "SAMPLE_COUNT", DEMO_SAMPLES):
                call_command("seed_demo", stdout=io.StringIO())
            desk = Desk(rows=_demo_rows())
            cookies = {person: _session_cookie(person) for person in MORE_PAGES}
            with sync_playwright() as driver:
                try:
                    browser = driver.chromium.launch(
                        executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
                    )
                    for person, cookie in cookies.items():
                        desk.contexts[person] = _context(browser, live_server.url, cookie)
                    yield desk
                finally:
                    connections.close_all()
        finally:
            live_server._live_server_modified_settings.disable()
            live_server.stop()
            # As serialized_rollback does: emptied, then what was there before put back.
            call_command("flush", interactive=False, verbosity=0, inhibit_post_migrate=True)
            connection.creation.deserialize_db_from_string(before)
    if desk.minor:  # shown after the results, whether or not output is captured
        report = pytestconfig.pluginmanager.get_plugin("terminalreporter")
        report.write_line("\naxe, moderate and minor (not failing):")
        for line in sorted(set(desk.minor)):
            report.write_line(f"  {line}")


def _session_cookie(person: str) -> dict | None:
    if person == "anonymous":
        return None
    client = Client()
    client.force_login(User.objects.get(username=person))
    return {
        "name": settings.SESSION_COOKIE_NAME,
        "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
    }


def _demo_rows() -> dict[str, int | str]:
    requests = DetainerRequest.objects.order_by("pk")
    reviewed = requests.filter(reviewed_at__isnull=False).exclude(disposition="duplicate")
    rule, _ = RetentionRule.objects.get_or_create(kind="document_views", defaults={"period": 7})
    return {
        "b3_precinct": Precinct.objects.get(code="B-3").pk,
        "b3_line": FaxNumber.objects.filter(precinct__code="B-3").first().pk,
        "clerk_user": User.objects.get(username="clerk").pk,
        "rule": rule.pk,
        # The access table's two requests: here one reviewed, with its fields, and one waiting;
        # and one the rules called a duplicate.
        "b3": reviewed.first().pk,
        "b3_reference": reviewed.select_related("delivery").first().reference,
        "c11": requests.filter(reviewed_at__isnull=True).first().pk,
        "duplicate": requests.filter(disposition="duplicate").first().pk,
        "year": timezone.localdate().year,
    }


def _context(browser, base_url: str, cookie: dict | None):
    context = browser.new_context(
        base_url=base_url,
        bypass_csp=True,  # for axe's inline script (the module's docstring)
        locale="en-US",
        timezone_id=settings.TIME_ZONE,
        viewport={"width": 1280, "height": 900},
    )
    context.set_default_timeout(STEP_TIMEOUT_MS)
    if cookie is not None:
        context.add_cookies([{**cookie, "url": base_url}])
    return context


def axe_check(
    desk: Desk, person: str, url: str, node, viewport: dict | None = None, step=None
) -> list:
    """Open the page as the person, run axe; the serious and critical violations, one line each.

    A page with any is screenshotted (test-artifacts/screenshots/<test name>.png), as is every
    page at a phone's width, which must also not scroll sideways. `step(page, rows)`, if given,
    is what the person does on the page before the check."""
    (SCREENSHOTS / f"{_file_name(node)}.png").unlink(missing_ok=True)  # an earlier run's
    page = desk.contexts[person].new_page()
    try:
        if viewport:
            page.set_viewport_size(viewport)
        response = page.goto(url)
        assert response.status == 200, f"{url} as {person}: {response.status}"
        assert response.headers["content-type"].startswith("text/html")
        if step:
            step(page, desk.rows)
        page.add_script_tag(content=AXE.read_text())
        results = page.evaluate(AXE_RUN, WCAG_A_AA)
        failing = []
        for violation in results["violations"]:
            for element in violation["nodes"]:
                line = f"{violation['id']} ({violation['impact']}) on {url} as {person}: "
                line += ", ".join(map(str, element["target"]))
                (failing if violation["impact"] in FAILING else desk.minor).append(line)
        if viewport:  # WCAG 1.4.10, which axe leaves out: only a wide table may scroll sideways
            width = page.evaluate("document.documentElement.scrollWidth")
            if width > viewport["width"]:
                failing.append(
                    f"reflow: {url} as {person} is {width} px wide at {viewport['width']}"
                )
        if failing or viewport:
            screenshot(page, node)
        return failing
    finally:
        page.close()


@pytest.mark.parametrize(("person", "url"), CASES, ids=[f"{p} {u}" for p, u in CASES])
def test_the_page_has_no_serious_accessibility_violation(desk, person, url, request):
    failing = axe_check(desk, person, url.format(**desk.rows), request.node)
    assert not failing, "\n".join(failing)


@pytest.mark.parametrize(("person", "url"), PHONE_CASES, ids=[f"{p} {u}" for p, u in PHONE_CASES])
def test_the_page_at_a_phones_width_has_no_serious_accessibility_violation(
    desk, person, url, request
):
    failing = axe_check(desk, person, url, request.node, viewport=PHONE)
    assert not failing, "\n".join(failing)


# Pages as a step leaves them: what a person sees after sending a form.
def a_wrong_password(page, rows) -> None:
    page.get_by_label("User name").fill("clerk")
    page.get_by_label("Password").fill("not-the-password")
    page.get_by_role("button", name="Log in").click()
    expect(page.locator(".error-summary, .errorlist").first).to_be_visible()


def the_form_sent_empty(page, rows) -> None:
    page.get_by_role("button", name="Log this fax").click()
    expect(page.locator(".error-summary")).to_be_visible()


def a_search_for_a_receipt(page, rows) -> None:
    page.get_by_role("searchbox", name="Search").fill(rows["b3_reference"])
    page.get_by_role("button", name="Search", exact=True).click()
    expect(page.get_by_role("link", name=rows["b3_reference"], exact=True)).to_be_visible()


STEPS = [
    ("anonymous", "/accounts/login/", a_wrong_password),
    ("clerk", "/intake/", the_form_sent_empty),
    ("supervisor", "/inbox/search/", a_search_for_a_receipt),
]


@pytest.mark.parametrize(
    ("person", "url", "step"), STEPS, ids=[f"{p} {s.__name__}" for p, _, s in STEPS]
)
def test_the_page_after_a_step_has_no_serious_accessibility_violation(
    desk, person, url, step, request
):
    failing = axe_check(desk, person, url, request.node, step=step)
    assert not failing, "\n".join(failing)


def test_the_second_factors_enrolment_has_no_serious_accessibility_violation(
    desk, settings, request
):
    settings.MFA_REQUIRED = True  # the supervisor has no authenticator app yet: enrol first
    failing = axe_check(desk, "supervisor", "/accounts/mfa/enrol/", request.node)
    assert not failing, "\n".join(failing)
