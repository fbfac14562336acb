"""A Telnyx event with a real Celery worker: the webhook is answered once stored, and the worker (a
process of its own) downloads the document from the test provider's HTTP server and records it.

The worker is this module's own: it must be started with FAX_MEDIA_ALLOWED_URLS naming the media
server (settings are read once, at its start), and it listens on its own Redis database so that
the suite's shared worker never takes these tasks.
"""

import hashlib
import os

import pytest
from django.db import connection
from django.test import Client

from detainers.models import Delivery, ProviderEvent
from tests import processes
from tests.conftest import _until_the_worker_is_idle, needs, point_celery_at
from tests.factories import pdf_bytes
from tests.fax_provider import MediaServer, TelnyxSigner, telnyx_event, telnyx_post

pytestmark = [pytest.mark.worker, pytest.mark.postgres]


@pytest.fixture(scope="module")
def provider_media():
    server = MediaServer().start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def provider_worker(
    django_db_setup, django_db_blocker, private_redis, provider_media, tmp_path_factory
):
    with django_db_blocker.unblock():
        needs(
            "PostgreSQL (a worker cannot share an SQLite test database)",
            connection.vendor == "postgresql",
        )
        database = processes.database_url(connection.settings_dict)
    broker = private_redis.url.rsplit("/", 1)[0] + "/12"
    worker = processes.CeleryWorker(
        env={
            "DJANGO_DEBUG": "True",
            "DATABASE_URL": database,
            "CELERY_BROKER_URL": broker,
            "MEDIA_ROOT": str(tmp_path_factory.mktemp("provider-worker-media")),
            "FAX_MEDIA_ALLOWED_URLS": provider_media.base,
        },
        log_path=tmp_path_factory.mktemp("provider-worker") / "worker.log",
    )
    worker.start()
    yield worker
    worker.stop()


@pytest.fixture
def live(provider_worker, transactional_db, settings):
    """This process publishes to the module's worker; tasks no longer run in-process."""
    from config.celery_app import app

    broker = provider_worker.env["CELERY_BROKER_URL"]
    settings.CELERY_BROKER_URL = broker
    settings.MEDIA_ROOT = provider_worker.env["MEDIA_ROOT"]
    settings.FAX_MEDIA_ALLOWED_URLS = [provider_worker.env["FAX_MEDIA_ALLOWED_URLS"]]
    point_celery_at(broker)
    app.conf.task_always_eager = False
    yield provider_worker
    _until_the_worker_is_idle(broker)
    app.conf.task_always_eager = True
    point_celery_at(None)


def test_the_worker_fetches_the_document_of_a_stored_event(live, b3, provider_media, settings):
    signer = TelnyxSigner()
    settings.FAX_TELNYX_PUBLIC_KEY = signer.public_key
    document = pdf_bytes(pages=3)
    provider_media.documents["/media/worker-1.pdf"] = document
    body = telnyx_event(fax_id="worker-1", media_url=provider_media.url("/media/worker-1.pdf"))

    response = telnyx_post(Client(), signer, body)

    assert response.status_code == 200, response.content
    assert response.json()["state"] == "pending"  # answered before the worker fetched anything
    event = ProviderEvent.objects.get()

    def recorded() -> bool:
        event.refresh_from_db()
        return event.state != ProviderEvent.State.PENDING

    processes.wait_for(recorded, 30, what="the worker to fetch the document")
    assert event.state == ProviderEvent.State.DONE, event.last_error
    delivery = Delivery.objects.get()
    assert event.delivery == delivery
    assert delivery.documents.get().sha256 == hashlib.sha256(document).hexdigest()
    assert provider_media.requests == ["/media/worker-1.pdf"]
    assert "provider_fax_fetch" in live.log()
    assert os.path.exists(delivery.documents.get().file.path)  # stored where the worker writes
