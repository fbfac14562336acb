"""Browser journeys: Playwright's sync API driving Debian's Chromium against pytest-django's live_server.

No browser is downloaded: the tests start /usr/bin/chromium (the `chromium` Debian package) headless.
Without it, or without the `playwright` package, a test skips locally and fails with CI=true.

The live server is a thread of this test process, so the app it serves shares this process's
settings (the tmp MEDIA_ROOT of tests/conftest.py) and runs tasks in-process: a delivery is routed
into the inbox when its transaction commits, before the page answers.

A test that fails leaves a screenshot of its page in test-artifacts/screenshots/<test name>.png; a
journey that passes leaves one of the page it ended on, under the same name, to look at.
"""

import os
import re
from importlib import import_module
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connections
from django.test import Client

from accounts.models import User

from ..conftest import PASSWORD, needs

CHROMIUM = "/usr/bin/chromium"
# As root Chromium needs --no-sandbox; the rest keep it from calling Google's hosts, which this
# machine's closed network refuses (slowly, many at a time).
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
# Every journey: it needs Chromium, and the live server needs a transactional database (the role
# groups come back after each flush: accounts.roles runs on post_migrate).
JOURNEY = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
STEP_TIMEOUT_MS = 10_000


def _playwright_available() -> bool:
    try:
        import_module("playwright.sync_api")
    except ImportError:
        return False
    return True


@pytest.fixture
def playwright(transactional_db, monkeypatch):
    """Playwright's driver (its wheel carries it), for one test.

    While it runs, Playwright's sync API leaves its asyncio loop marked as running in this thread.
    Django then refuses ORM calls here, and keeps this thread's connections apart from those it
    had before (asgiref's Local follows the loop). So the driver starts after the test database is
    set up and stops before it is flushed, and the connections the test used meanwhile are closed
    first. The ORM calls meanwhile are the test's own, one at a time between browser steps; the
    app runs in the live server's thread, where no loop runs.
    """
    needs(f"Chromium at {CHROMIUM} (apt-get install chromium)", os.access(CHROMIUM, os.X_OK))
    needs("The playwright package (pip install -e '.[test]')", _playwright_available())
    from playwright.sync_api import sync_playwright

    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    driver = sync_playwright().start()
    yield driver
    connections.close_all()
    driver.stop()


@pytest.fixture
def browser(playwright):
    """A headless Chromium; each page the test opens gets a fresh context (cookies, storage)."""
    chromium = playwright.chromium.launch(
        executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
    )
    yield chromium
    chromium.close()


@pytest.fixture
def new_page(browser, live_server, request):
    """new_page() -> a page in a context of its own, on the live server, in the department's zone.

    Every page opened is screenshotted if the test fails (see pytest_runtest_makereport)."""
    for stale in SCREENSHOTS.glob(f"{_file_name(request.node)}*.png"):
        if re.fullmatch(rf"{re.escape(_file_name(request.node))}(-\d+)?\.png", stale.name):
            stale.unlink()  # a picture from an earlier run would pass for this one's
    contexts = []

    def open_page():
        context = browser.new_context(
            base_url=live_server.url,
            locale="en-US",
            timezone_id=settings.TIME_ZONE,
            viewport={"width": 1280, "height": 900},
        )
        context.set_default_timeout(STEP_TIMEOUT_MS)
        contexts.append(context)
        return context.new_page()

    yield open_page
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        for index, context in enumerate(contexts):
            for page in context.pages:
                try:
                    screenshot(page, request.node, suffix=f"-{index}" if index else "")
                except Exception as error:  # noqa: BLE001 - the test's own failure is what counts
                    request.node.warn(pytest.PytestWarning(f"no screenshot of {page.url}: {error}"))
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_page):
    return new_page()


def screenshot(page, node, suffix: str = "") -> Path:
    """test-artifacts/screenshots/<test name><suffix>.png, the whole page."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{_file_name(node)}{suffix}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def _file_name(node) -> str:
    return re.sub(r"[^\w.-]+", "_", node.name)


@pytest.fixture
def final_screenshot(request):
    """final_screenshot(page): the page a passing journey ended on, kept to look at."""
    return lambda page: screenshot(page, request.node)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


# --- Logging in -----------------------------------------------------------------------------------


def log_in_through_the_form(page, user: User, login_path: str = "/accounts/login/") -> None:
    """Type the user name and password into the real login form, as a person would."""
    page.goto(login_path)
    page.get_by_label(re.compile(r"^User ?name:?$", re.I)).fill(user.get_username())
    page.get_by_label(re.compile(r"^Password:?$", re.I)).fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state()
    assert "/login/" not in page.url, f"{user} was not logged in: still on {page.url}"


@pytest.fixture
def log_in_with_a_session_cookie(live_server):
    """A quicker way in, for the people whose login is not what the journey is about."""

    def log_in(page, user: User) -> None:
        client = Client()
        client.force_login(user)
        cookie = client.cookies[settings.SESSION_COOKIE_NAME]
        page.context.add_cookies(
            [{"name": cookie.key, "value": cookie.value, "url": live_server.url}]
        )

    return log_in
