"""A view that loses the database answers 503 with Retry-After (config/middleware.py), not 500.

The fault suite (faults/run.py) restarts PostgreSQL under real traffic; these tests pin the answer
itself, with the view made to raise what psycopg raises through Django when the server is gone.
"""

import logging

import pytest
from django.db import InterfaceError, OperationalError

from accounts.authentication import ApiTokenAuthentication
from detainers.inbox.views import items as inbox
from detainers.intake import api
from detainers.models import Delivery
from tests.intake.test_api_faxes import URL, fax_form

pytestmark = pytest.mark.django_db

# What psycopg says can name the server; a log line must not repeat it.
SERVER_MESSAGE = 'connection to server at "db.internal" (10.0.0.5), port 5432 failed'


def gone(*args, **kwargs):
    raise OperationalError(SERVER_MESSAGE)


def test_it_answers_a_fax_post_with_503_json_and_retry_after(api_as, b3, monkeypatch):
    monkeypatch.setattr(api, "fax_reception_record", gone)

    response = api_as("gateway").post(URL, fax_form(gateway_id="gw-down"))

    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert response["Content-Type"] == "application/json"
    assert "try again" in response.json()["detail"]
    assert Delivery.objects.count() == 0


def test_the_same_post_is_taken_once_the_database_is_back(api_as, b3, monkeypatch):
    monkeypatch.setattr(api, "fax_reception_record", gone)
    client = api_as("gateway")
    assert client.post(URL, fax_form(gateway_id="gw-again")).status_code == 503

    monkeypatch.undo()

    assert client.post(URL, fax_form(gateway_id="gw-again")).status_code == 201
    assert client.post(URL, fax_form(gateway_id="gw-again")).status_code == 200
    assert Delivery.objects.filter(external_id="gw-again").count() == 1


def test_it_answers_503_when_the_token_cannot_be_checked(api_as, gateway, monkeypatch):
    # DRF authenticates inside the view; its exception handler must not turn this into a 401/500.
    client = api_as("gateway")
    monkeypatch.setattr(ApiTokenAuthentication, "authenticate_credentials", gone)

    response = client.get("/api/v1/requests/")

    assert response.status_code == 503
    assert response["Retry-After"] == "5"


def test_it_answers_a_connection_closed_mid_request_the_same_way(api_as, b3, monkeypatch):
    def closed(*args, **kwargs):
        raise InterfaceError("connection already closed")

    monkeypatch.setattr(api, "fax_reception_record", closed)

    response = api_as("gateway").post(URL, fax_form())

    assert response.status_code == 503
    assert response["Retry-After"] == "5"


def test_it_answers_a_page_with_a_short_html_page(page_as, monkeypatch):
    monkeypatch.setattr(inbox.selectors, "inbox_requests", gone)

    response = page_as("supervisor").get("/inbox/")

    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert response["Content-Type"].startswith("text/html")
    assert b"Try again in a moment" in response.content


def test_it_logs_the_error_type_only(api_as, b3, monkeypatch, caplog):
    monkeypatch.setattr(api, "fax_reception_record", gone)

    with caplog.at_level(logging.WARNING, logger="config.middleware"):
        api_as("gateway").post(URL, fax_form(gateway_id="gw-log"))

    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "OperationalError" in logged
    assert "db.internal" not in logged and "gw-log" not in logged


def test_it_leaves_any_other_error_to_django(api_as, b3, monkeypatch):
    def bug(*args, **kwargs):
        raise RuntimeError("a bug, not an outage")

    monkeypatch.setattr(api, "fax_reception_record", bug)

    with pytest.raises(RuntimeError):
        api_as("gateway").post(URL, fax_form())
