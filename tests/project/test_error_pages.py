"""The pages people see when something is refused, missing or broken, as in production (DEBUG off):
in the app's layout with a way back, no list of the app's URLs, nothing of what was asked for; the
API keeps its JSON answers."""

import re
from unittest import mock

import pytest
from django.contrib.auth.models import AnonymousUser
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.staticfiles import finders
from django.core.exceptions import PermissionDenied
from django.template.loader import get_template
from django.test import RequestFactory

from config.urls import permission_denied
from detainers.inbox import search

pytestmark = pytest.mark.django_db

NAME = "Zelda-Quixote"  # stands for anything personal a mistyped address could carry


@pytest.fixture(autouse=True)
def _production(settings):
    settings.DEBUG = False


def the_way_back(content: str) -> bool:
    return 'href="/">Go to the start page</a>' in content


def test_a_missing_page_is_styled_for_anonymous_visitors(client):
    response = client.get(f"/inbox/search/{NAME}/")
    content = response.content.decode()

    assert response.status_code == 404
    assert '<h1 id="error-title">Page not found</h1>' in content
    assert 'class="site-header"' in content and "css/app.css" in content  # the app's layout
    assert the_way_back(content) and 'href="/accounts/login/">Log in</a>' in content
    assert NAME not in content and "/inbox/search/" not in content
    assert "URLconf" not in content and "api/v1/" not in content  # no list of the routes


def test_a_missing_page_is_styled_for_a_signed_in_user(page_as):
    response = page_as("supervisor").get(f"/inbox/{NAME}/")
    content = response.content.decode()

    assert response.status_code == 404
    assert "Page not found" in content
    assert 'href="/inbox/">Central inbox</a>' in content and "Log out" in content
    assert the_way_back(content) and ">Log in</a>" not in content
    assert NAME not in content and "URLconf" not in content


def test_a_refusal_is_styled_and_says_what_to_do(page_as):
    response = page_as("clerk").get("/inbox/")  # supervisors only
    content = response.content.decode()

    assert response.status_code == 403
    assert "You may not open this page" in content
    assert (
        "Your account (clerk) does not have the role" in content
        and "ask an administrator" in content
    )
    assert 'href="/intake/">Log a fax</a>' in content  # the clerk's own navigation
    assert the_way_back(content)


def test_a_refusal_to_an_anonymous_visitor_offers_the_login():
    request = RequestFactory().get("/records/holds/")
    request.user, request.session = AnonymousUser(), SessionStore()
    response = permission_denied(request, PermissionDenied("a detail for the log only"))
    content = response.content.decode()

    assert response.status_code == 403
    assert "only for signed-in users" in content and ">Log in</a>" in content
    assert the_way_back(content) and "a detail for the log only" not in content


def test_an_unhandled_error_is_styled_with_an_id_to_quote(page_as, caplog):
    client = page_as("supervisor")
    client.raise_request_exception = False
    with mock.patch.object(search, "requests_search", side_effect=RuntimeError("search broke")):
        response = client.post("/inbox/search/", {"q": NAME})
    content = response.content.decode()

    assert response.status_code == 500 and response["Content-Type"].startswith("text/html")
    assert "Something went wrong" in content and "css/app.css" in content
    error_id = re.search(r'<strong class="error-id">([0-9a-f]{12})</strong>', content)[1]
    assert f"Server error id {error_id}" in caplog.text  # an operator finds the traceback by it
    assert the_way_back(content)
    assert NAME not in content and "search broke" not in content and "Traceback" not in content
    assert "supervisor" not in content  # rendered without the request: nobody's name


def test_the_error_page_renders_without_a_request_or_the_database(django_assert_num_queries):
    with django_assert_num_queries(0):
        content = get_template("500.html").render({"error_id": "0123456789ab"})
    assert "0123456789ab" in content and the_way_back(content)


def test_the_api_keeps_its_json_answers(api_as):
    missing = api_as("supervisor").get("/api/v1/no-such-thing/")
    assert (missing.status_code, missing.json()) == (404, {"detail": "Not found."})
    with mock.patch.object(search, "requests_search", side_effect=RuntimeError("search broke")):
        client = api_as("supervisor")
        client.raise_request_exception = False
        broken = client.post("/api/v1/requests/search/", {"q": NAME}, format="json")
    assert broken.status_code == 500 and broken["Content-Type"] == "application/json"
    assert re.fullmatch(r"Server error \(id [0-9a-f]{12}\)\.", broken.json()["detail"])


def test_every_page_has_the_icon(client):
    login = client.get("/accounts/login/").content.decode()
    admin_login = client.get("/admin/login/").content.decode()
    for content in (login, admin_login, get_template("500.html").render({})):
        assert re.search(r'<link rel="icon" href="/static/favicon\.svg"', content)
    assert finders.find("favicon.svg") and finders.find("favicon.ico")


def test_a_form_sent_without_its_security_token_says_what_to_do(page_as):
    client = page_as("clerk")
    client.handler.enforce_csrf_checks = True
    response = client.post("/intake/", {"received_at": "2026-12-07 14:05"})
    content = response.content.decode()

    assert response.status_code == 403
    assert "The form has expired" in content and "reload the page" in content
    assert 'href="/intake/">Log a fax</a>' in content and the_way_back(content)
    assert "CSRF" not in content  # no jargon, no reason string for developers


def test_a_request_too_large_to_read_is_styled(page_as, settings):
    fields = {f"field{n}": "1" for n in range(settings.DATA_UPLOAD_MAX_NUMBER_FIELDS + 1)}
    response = page_as("clerk").post("/intake/", fields)
    content = response.content.decode()

    assert response.status_code == 400
    assert "The request could not be read" in content and the_way_back(content)
