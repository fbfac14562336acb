"""GET /healthz: what a load balancer and `docker compose ps` ask. It must answer quickly and say
only "ok" or "down" per service, never why."""

import os
import socket
import threading
import time
from unittest import mock

import pytest
from django.db import OperationalError
from django.test import override_settings

from config import health
from tests.conftest import needs

pytestmark = pytest.mark.django_db

CLOSED_PORT_BROKER = "redis://127.0.0.1:1/0"
ANSWERS = {"ok", "down"}


def assert_says_nothing_else(body: dict) -> None:
    assert set(body) == {"database", "broker", "broker_mode"}
    assert body["database"] in ANSWERS
    assert body["broker"] in ANSWERS
    assert body["broker_mode"] in {"celery", "in-process"}


def test_it_answers_ok_when_all_is_well(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    body = response.json()
    assert body["database"] == "ok"
    assert body["broker"] == "ok"
    assert_says_nothing_else(body)
    assert "no-cache" in response["Cache-Control"]


def test_it_answers_head_for_load_balancers(client):
    assert client.head("/healthz").status_code == 200


def test_it_refuses_post(client):
    assert client.post("/healthz").status_code == 405


def test_it_reports_a_closed_broker_port_quickly(client):
    with override_settings(CELERY_BROKER_URL=CLOSED_PORT_BROKER):
        started = time.monotonic()
        response = client.get("/healthz")
        elapsed = time.monotonic() - started

    assert response.status_code == 503
    body = response.json()
    assert body == {"database": "ok", "broker": "down", "broker_mode": "celery"}
    # Well under the broker's 5 s socket timeouts: a refused connection is not retried.
    assert elapsed < 1.5


def test_it_uses_the_broker_from_settings_even_when_the_environment_names_another(
    client, monkeypatch
):
    # Celery prefers the CELERY_BROKER_URL environment variable over settings; the health check
    # must not, or it would report a broker the app is not using.
    monkeypatch.setenv("CELERY_BROKER_URL", "redis://127.0.0.1:6379/15")
    with override_settings(CELERY_BROKER_URL=CLOSED_PORT_BROKER):
        response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json()["broker"] == "down"


@pytest.fixture
def silent_broker():
    """A port that accepts connections and never answers: the worst case for a health check."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    accepted = []

    def accept_forever():
        while True:
            try:
                accepted.append(listener.accept()[0])
            except OSError:
                return

    threading.Thread(target=accept_forever, daemon=True).start()
    yield f"redis://127.0.0.1:{listener.getsockname()[1]}/0"
    listener.close()
    for sock in accepted:
        sock.close()


def test_it_gives_up_on_a_broker_that_never_answers(client, silent_broker, monkeypatch):
    monkeypatch.setattr(health, "BROKER_TIMEOUT_SECONDS", 0.5)
    with override_settings(CELERY_BROKER_URL=silent_broker):
        started = time.monotonic()
        response = client.get("/healthz")
        elapsed = time.monotonic() - started

    assert response.status_code == 503
    assert response.json()["broker"] == "down"
    assert elapsed < 3


@pytest.mark.redis
def test_it_answers_ok_with_the_real_broker(client):
    broker_url = os.environ.get("CELERY_BROKER_URL", "")
    needs("A Redis broker (CELERY_BROKER_URL)", bool(broker_url))

    with override_settings(CELERY_BROKER_URL=broker_url):
        response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"database": "ok", "broker": "ok", "broker_mode": "celery"}


def test_it_reports_a_database_that_fails_without_saying_why(client):
    secret_reason = "password authentication failed for user detainers at db.internal"
    with mock.patch.object(
        health.connection, "cursor", side_effect=OperationalError(secret_reason)
    ):
        response = client.get("/healthz")

    assert response.status_code == 503
    body = response.json()
    assert body["database"] == "down"
    assert_says_nothing_else(body)
    assert b"password" not in response.content
    assert b"db.internal" not in response.content
