"""Hardening: login throttling, the content security policy and other headers, CSRF on every form,
session expiry and password rules. (`manage.py check --deploy` is in test_settings.py.)
"""

import os
import re
from datetime import timedelta
from html.parser import HTMLParser
from unittest import mock

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth.models import Group
from django.contrib.auth.password_validation import (
    get_default_password_validators,
    validate_password,
)
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import NoReverseMatch, URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from accounts.access import Role
from accounts.forms import UserCreationForm
from accounts.throttling import client_ip
from detainers.intake.routing import delivery_route
from detainers.models import DetainerRequest
from tests.conftest import PASSWORD, api_client_for, needs
from tests.factories import fax_received, image_bytes

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"


def log_in(client: Client, username: str, password: str, address: str = "10.0.0.1", **headers):
    return client.post(
        LOGIN, {"username": username, "password": password}, REMOTE_ADDR=address, **headers
    )


def fail_logins(client: Client, username: str, times: int, address: str = "10.0.0.1"):
    return [log_in(client, username, "not-the-password", address) for _ in range(times)]


def routed_item(**fax) -> DetainerRequest:
    delivery = fax_received(**fax)
    delivery_route(delivery_id=delivery.pk)
    return delivery.requests.get()


# --- Login throttling (django-axes) -------------------------------------------------------------


def test_it_is_configured_as_the_brief_says():
    assert settings.AXES_FAILURE_LIMIT == 5
    assert settings.AXES_COOLOFF_TIME == timedelta(minutes=15)
    assert settings.AXES_LOCKOUT_PARAMETERS == [["username", "ip_address"]]
    assert settings.AXES_RESET_ON_SUCCESS is True
    assert settings.AUTHENTICATION_BACKENDS[0] == "axes.backends.AxesStandaloneBackend"
    assert settings.MIDDLEWARE[-1] == "axes.middleware.AxesMiddleware"


def test_four_wrong_passwords_are_only_wrong_passwords(client, clerk):
    for response in fail_logins(client, "clerk", 4):
        assert response.status_code == 200
        assert "Please enter a correct username and password" in response.content.decode()

    assert log_in(client, "clerk", PASSWORD).status_code == 302


def test_the_fifth_failure_locks_the_name_from_that_address_with_the_apps_page(client, clerk):
    *_, fifth = fail_logins(client, "clerk", 5)
    right_password = log_in(client, "clerk", PASSWORD)

    for response in (fifth, right_password):
        assert response.status_code == 429
        page = response.content.decode()
        assert "Login paused" in page
        assert "15 minutes" in page
        assert "css/app.css" in page  # the app's own page, not a bare message
        assert "registration/lockout.html" in [template.name for template in response.templates]
    assert "_auth_user_id" not in client.session


def test_the_lock_holds_one_name_at_one_address(client, clerk, other_precinct_clerk):
    fail_logins(client, "clerk", 5, address="10.0.0.1")

    assert log_in(Client(), "clerk", PASSWORD, address="10.0.0.2").status_code == 302
    assert log_in(Client(), "other-clerk", PASSWORD, address="10.0.0.1").status_code == 302
    assert log_in(Client(), "clerk", PASSWORD, address="10.0.0.1").status_code == 429


def test_the_lock_lifts_after_15_minutes(client, clerk):
    fail_logins(client, "clerk", 5)
    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=14))
    assert log_in(client, "clerk", PASSWORD).status_code == 429

    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=16))
    assert log_in(client, "clerk", PASSWORD).status_code == 302


def test_a_successful_login_starts_the_count_again(client, clerk):
    fail_logins(client, "clerk", 4)
    assert log_in(client, "clerk", PASSWORD).status_code == 302
    client.logout()

    fail_logins(client, "clerk", 4)
    assert log_in(client, "clerk", PASSWORD).status_code == 302


def test_an_admin_lifts_a_lock_by_deleting_the_attempt(client, clerk, page_as):
    fail_logins(client, "clerk", 5)
    attempt = AccessAttempt.objects.get()
    admin = page_as("admin")

    assert admin.get(reverse("admin:axes_accessattempt_changelist")).status_code == 200
    deleted = admin.post(
        reverse("admin:axes_accessattempt_delete", args=[attempt.pk]), {"post": "yes"}
    )

    assert deleted.status_code == 302
    assert log_in(Client(), "clerk", PASSWORD).status_code == 302


def test_api_tokens_are_not_passwords_and_are_not_throttled(client, gateway, b3):
    # The integration account's name locked out on the login page...
    fail_logins(client, "fax-gateway", 5)
    assert log_in(client, "fax-gateway", PASSWORD).status_code == 429
    attempts = AccessAttempt.objects.count()

    # ...its token still works, and wrong tokens are refused without touching the lockout table.
    assert api_client_for(gateway, token=True).get("/api/v1/requests/").status_code == 200
    for _ in range(6):
        refused = Client().get("/api/v1/requests/", HTTP_AUTHORIZATION="Token wrong")
        assert refused.status_code == 401
    assert AccessAttempt.objects.count() == attempts


def test_session_authentication_of_the_api_still_works(page_as, b3):
    assert page_as("supervisor").get("/api/v1/requests/").status_code == 200


@pytest.mark.parametrize(
    ("proxies", "forwarded", "remote", "counted_as"),
    [
        (0, "203.0.113.9", "127.0.0.1", "127.0.0.1"),  # no proxy: the header is the client's lie
        (1, "203.0.113.9", "127.0.0.1", "203.0.113.9"),
        (1, "198.51.100.7, 203.0.113.9", "127.0.0.1", "203.0.113.9"),  # left one: client's own
        (2, "198.51.100.7, 203.0.113.9", "127.0.0.1", "198.51.100.7"),
        (1, "", "127.0.0.1", "127.0.0.1"),  # the proxy did not say: the connection does
        (1, "not-an-address", "127.0.0.1", "127.0.0.1"),
    ],
)
def test_the_address_counted_is_the_one_the_trusted_proxies_saw(
    rf, settings, proxies, forwarded, remote, counted_as
):
    settings.PROXY_COUNT = proxies
    request = rf.get("/", HTTP_X_FORWARDED_FOR=forwarded, REMOTE_ADDR=remote)
    assert client_ip(request) == counted_as


def test_a_client_cannot_dodge_the_lock_by_inventing_forwarded_addresses(client, clerk):
    for n in range(5):
        log_in(client, "clerk", "wrong", HTTP_X_FORWARDED_FOR=f"198.51.100.{n}")
    assert (
        log_in(client, "clerk", PASSWORD, HTTP_X_FORWARDED_FOR="198.51.100.99").status_code == 429
    )


# --- Headers and the content security policy ----------------------------------------------------


def policy_of(response) -> dict[str, set[str]]:
    header = response.headers["Content-Security-Policy"]
    directives = (part.split() for part in header.split(";") if part.strip())
    return {name: set(values) for name, *values in directives}


def test_every_page_sends_the_security_headers_and_the_policy(client):
    response = client.get(LOGIN)

    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["Cross-Origin-Opener-Policy"] == "same-origin"  # Django's default
    assert response.headers["X-Frame-Options"] == "DENY"
    assert policy_of(response) == {
        "default-src": {"'self'"},
        "script-src": {"'self'"},
        "style-src": {"'self'"},
        "img-src": {"'self'", "data:"},
        "object-src": {"'self'"},
        "frame-ancestors": {"'self'"},
        "form-action": {"'self'"},
        "base-uri": {"'self'"},
    }


def test_documents_keep_their_own_stricter_policies(page_as, b3):
    # The site's policy must not replace the document views' own: a stored file may run nothing.
    pdf = routed_item().delivery.documents.get()
    png = fax_received(content=image_bytes("PNG")).documents.get()
    client = page_as("supervisor")

    pdf_policy = policy_of(client.get(reverse("document", args=[pdf.pk])))
    png_policy = client.get(reverse("document", args=[png.pk])).headers["Content-Security-Policy"]

    assert pdf_policy["default-src"] == {"'none'"} and "script-src" not in pdf_policy
    assert png_policy == "sandbox"


def test_the_api_docs_run_no_inline_script_and_allow_only_their_own_style(page_as):
    client = page_as("supervisor")
    response = client.get("/api/docs/")
    policy = policy_of(response)
    page = response.content.decode()

    assert response.status_code == 200
    assert policy["script-src"] == {"'self'"}
    assert "'unsafe-inline'" not in response.headers["Content-Security-Policy"]
    assert {value for value in policy["style-src"] if value.startswith("'sha256-")}
    assert "swagger-ui-bundle.js" in page
    assert not re.search(r"<script>\s*\S", page), "no inline script"
    start_up = client.get("/api/docs/?script=")
    assert start_up.status_code == 200
    assert "SwaggerUIBundle" in start_up.content.decode()


# --- Every page with a form: CSRF token, and nothing inline the policy would block ---------------


class PageReader(HTMLParser):
    """The POST forms of a page (whether each holds a CSRF token) and any inline code or style."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms: list[dict] = []
        self.open_form: dict | None = None
        self.inline: list[str] = []
        self.in_script = False

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "form":
            self.open_form = {
                "method": (attributes.get("method") or "get").lower(),
                "action": attributes.get("action"),
                "token": False,
            }
            self.forms.append(self.open_form)
        elif tag == "input" and attributes.get("name") == "csrfmiddlewaretoken" and self.open_form:
            self.open_form["token"] = bool(attributes.get("value"))
        self.in_script = tag == "script" and not attributes.get("src")
        if tag == "style":
            self.inline.append("<style> block")
        for name in attributes:
            if name == "style" or name.startswith("on"):
                self.inline.append(f"{name}= on <{tag}>")
            if name in ("href", "src", "action") and (attributes[name] or "").startswith(
                "javascript:"
            ):
                self.inline.append(f"javascript: URL on <{tag}>")

    def handle_endtag(self, tag):
        if tag == "form":
            self.open_form = None
        if tag == "script":
            self.in_script = False

    def handle_data(self, data):
        if self.in_script and data.strip():
            self.inline.append("inline <script>")


def read(response) -> PageReader:
    reader = PageReader()
    reader.feed(response.content.decode())
    return reader


def page_urls(item: DetainerRequest) -> list[str]:
    """Every page route that takes no argument, plus one of each kind that does."""
    skip = ("api/", "admin/", "healthz", "accounts/logout/")
    found: list[str] = []

    def walk(patterns, prefix=""):
        for pattern in patterns:
            route = prefix + str(pattern.pattern)
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, route)
            elif isinstance(pattern, URLPattern) and "<" not in route and "^" not in route:
                if not route.startswith(skip):
                    found.append("/" + route)

    walk(get_resolver().url_patterns)
    found += [
        reverse("inbox-item", args=[item.pk]),
        reverse("admin:index"),
        reverse("admin:precincts_precinct_add"),
        reverse("admin:precincts_faxnumber_add"),
        reverse("admin:accounts_user_add"),
    ]
    try:
        found.append(reverse("annual-report", args=[timezone.localdate().year]))
    except NoReverseMatch:
        pass
    return sorted(set(found))


def test_every_post_form_on_every_page_carries_a_csrf_token(client, people, b3):
    item = routed_item(to_number="+16175550199")  # no precinct: the form that assigns one
    item.duplicate_of = routed_item()  # and the undo-duplicate form
    item.save(update_fields=["duplicate_of"])
    checked: set[tuple[str, str]] = set()
    for person in ("anonymous", "clerk", "supervisor", "admin"):
        client.logout()
        if people[person] is not None:
            client.force_login(people[person])
        for url in page_urls(item):
            response = client.get(url)
            if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
                continue
            for form in read(response).forms:
                if form["method"] == "post":
                    assert form["token"], f"{url} as {person}: a POST form without a CSRF token"
                    # Without its fragment (the triage form lands on its errors: #triage-errors).
                    checked.add((url, (form["action"] or url).split("#")[0]))
    actions = {action for _, action in checked}
    for expected in (
        LOGIN,
        reverse("logout"),
        reverse("inbox-item-triage", args=[item.pk]),
        reverse("inbox-item-duplicate-undo", args=[item.pk]),
    ):
        assert expected in actions, f"never saw the form posting to {expected}"
    assert any(url == "/intake/" for url, _ in checked)


def test_no_page_of_the_app_has_inline_script_or_style(client, people, b3):
    """The policy would block them: a page that needs one would break in the browser."""
    item = routed_item()
    checked: set[tuple[str, str]] = set()
    for person in ("anonymous", "clerk", "supervisor", "admin"):
        client.logout()
        if people[person] is not None:
            client.force_login(people[person])
        for url in page_urls(item):
            if url.startswith("/admin/"):
                continue  # Django's own templates; checked in a browser below
            response = client.get(url)
            if response.status_code == 200 and "html" in response.get("Content-Type", ""):
                assert read(response).inline == [], f"{url} as {person}"
                checked.add((person, url))
    # Only pages that opened are read: each person's own pages must have been among them.
    assert {
        ("anonymous", LOGIN),
        ("clerk", "/intake/"),
        ("supervisor", "/dashboard/"),
        ("supervisor", reverse("inbox")),
        ("supervisor", reverse("inbox-item", args=[item.pk])),
        ("supervisor", "/inbox/search/"),
        ("admin", "/"),
    } <= checked, sorted(checked)
    fail_logins(Client(), "clerk", 5)
    lockout = log_in(Client(), "clerk", "wrong")
    assert lockout.status_code == 429 and read(lockout).inline == []


def csrf_client(user=None) -> Client:
    client = Client(enforce_csrf_checks=True)
    if user is not None:
        client.force_login(user)
    return client


def test_a_login_without_the_csrf_token_is_refused(clerk):
    client = csrf_client()
    assert client.post(LOGIN, {"username": "clerk", "password": PASSWORD}).status_code == 403
    assert "_auth_user_id" not in client.session

    page = client.get(LOGIN)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode())[1]
    with_token = {"username": "clerk", "password": PASSWORD, "csrfmiddlewaretoken": token}
    assert client.post(LOGIN, with_token).status_code == 302


def test_an_intake_post_without_the_csrf_token_is_refused(clerk, b3):
    response = csrf_client(clerk).post("/intake/", {"notes": "x"})

    assert response.status_code == 403
    assert not DetainerRequest.objects.exists()


def test_a_triage_post_without_the_csrf_token_is_refused(supervisor, b3):
    item = routed_item()
    response = csrf_client(supervisor).post(
        reverse("inbox-item-triage", args=[item.pk]), {"subject_name": "Changed"}
    )

    assert response.status_code == 403
    item.refresh_from_db()
    assert item.subject_name == ""


# --- Sessions and passwords ---------------------------------------------------------------------


def test_a_session_ends_with_the_browser_when_idle_and_12_hours_after_sign_in(client, supervisor):
    # The rules themselves: accounts/session_limits.py, tests/accounts/test_session_limits.py and
    # the browser's warning in tests/e2e/test_session_times_out.py. Here, from the outside.
    assert settings.SESSION_EXPIRE_AT_BROWSER_CLOSE is True
    assert settings.SESSION_IDLE_SECONDS == 30 * 60
    assert settings.SESSION_ABSOLUTE_SECONDS == 12 * 60 * 60
    assert settings.SESSION_COOKIE_AGE >= settings.SESSION_ABSOLUTE_SECONDS  # a backstop only
    response = log_in(client, "supervisor", PASSWORD)
    cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    assert cookie["max-age"] == "" and cookie["expires"] == ""  # gone when the browser closes
    assert cookie["httponly"]
    signed_in_at = client.session["signed_in_at"]

    def at(minutes: float):
        return mock.patch(
            "accounts.session_limits.now_seconds", return_value=signed_in_at + minutes * 60
        )

    # A request every 29 minutes keeps it for 12 hours, and not a minute more.
    for minutes in range(29, 12 * 60, 29):
        with at(minutes):
            assert client.get("/inbox/").status_code == 200
    with at(12 * 60 + 1):
        response = client.get("/inbox/")
    assert response.status_code == 302
    assert response.url.startswith(LOGIN)

    log_in(client, "supervisor", PASSWORD)
    signed_in_at = client.session["signed_in_at"]
    with at(31):
        response = client.get("/inbox/")
    assert response.status_code == 302
    assert response.url.startswith(LOGIN)


@pytest.mark.parametrize(
    "password",
    ["short1!", "password123", "12345678901234", "other-clerk1", "qwertyuiop"],
    ids=["too-short", "common", "all-digits", "like-the-user-name", "keyboard-row"],
)
def test_a_weak_password_is_refused(other_precinct_clerk, password):
    with pytest.raises(ValidationError):
        validate_password(password, user=other_precinct_clerk)


def test_a_long_uncommon_password_is_accepted(clerk, client):
    password = "violet tram ledger 1987 harbour"
    # Accepted by every rule in force: with no rules configured anything would be.
    rules = [type(rule).__name__ for rule in get_default_password_validators()]
    assert rules == [
        "UserAttributeSimilarityValidator",
        "MinimumLengthValidator",
        "CommonPasswordValidator",
        "NumericPasswordValidator",
    ]
    assert validate_password(password, user=clerk) is None

    form = UserCreationForm(
        data={"username": "newclerk", "password1": password, "password2": password}
    )
    assert form.is_valid(), form.errors
    assert form.save().check_password(password)
    clerk.set_password(password)
    clerk.save(update_fields=["password"])
    assert log_in(client, "clerk", password).status_code == 302


def test_the_admins_new_user_form_refuses_a_weak_password(db):
    form = UserCreationForm(
        data={"username": "newclerk", "password1": "password123", "password2": "password123"}
    )
    assert not form.is_valid()
    assert "password2" in form.errors


# --- In a real browser: nothing the policy blocks ------------------------------------------------

CHROMIUM = "/usr/bin/chromium"
WATCH_VIOLATIONS = (
    "document.addEventListener('securitypolicyviolation', e => "
    "(window.__violations = window.__violations || []).push(e.violatedDirective + ' ' + e.blockedURI));"
)


@pytest.fixture
def roles(transactional_db):
    """The role groups, which a data migration made and an earlier transactional test's flush may
    have removed (serialized_rollback fails after such a flush: its content types collide)."""
    for role in Role:
        Group.objects.get_or_create(name=role.value)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_in_chromium_the_docs_and_pages_run_with_no_policy_violation(
    roles, live_server, supervisor, b3, monkeypatch
):
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        sync_playwright = None
    needs("Chromium and the playwright package", os.access(CHROMIUM, os.X_OK) and sync_playwright)
    item = routed_item()
    session = Client()
    session.force_login(supervisor)
    cookie = session.cookies[settings.SESSION_COOKIE_NAME]
    # Playwright's sync API leaves an asyncio loop marked as running in this thread; the ORM calls
    # above are done, and the app itself runs in the live server's thread.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

    with sync_playwright() as driver:
        browser = driver.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--no-first-run",
            ],
        )
        context = browser.new_context(base_url=live_server.url)
        context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": live_server.url}])
        context.add_init_script(WATCH_VIOLATIONS)
        page = context.new_page()
        console = []
        page.on("console", lambda message: console.append(message.text))
        seen = {}
        for url in ("/api/docs/", reverse("inbox-item", args=[item.pk]), "/inbox/", "/"):
            page.goto(url)
            if url == "/api/docs/":
                page.wait_for_selector(".opblock", timeout=15_000)
                assert page.locator(".opblock").count() >= 4
            page.wait_for_load_state("networkidle")
            seen[url] = page.evaluate("window.__violations || []")
        browser.close()

    assert all(not violations for violations in seen.values()), seen
    assert not [line for line in console if "Content Security Policy" in line], console
