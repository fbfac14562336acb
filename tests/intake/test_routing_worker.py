"""Routing with a real Celery worker and a real Redis: every accepted fax reaches the inbox once."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.utils import timezone

from detainers.intake import routing
from detainers.intake.tasks import route_delivery, sweep_unrouted
from detainers.models import Delivery, Event, InboxEntry
from tests.conftest import api_client_for
from tests.factories import fax_received, pdf_bytes
from tests.processes import wait_for

pytestmark = [pytest.mark.worker, pytest.mark.postgres]


def routed(delivery_id: int) -> bool:
    return Delivery.objects.filter(
        pk=delivery_id, routed_at__isnull=False, notice_sent_at__isnull=False
    ).exists()


def test_a_fax_posted_to_the_api_is_routed_by_the_worker(worker, smtp_sink, b3, gateway):
    response = api_client_for(gateway, token=True).post(
        "/api/v1/faxes/",
        {
            "document": SimpleUploadedFile("fax.pdf", pdf_bytes()),
            "to_number": "(617) 555-0133",
            "from_number": "+1 202 555 0100",
            "received_at": timezone.now().isoformat(),
            "gateway_id": "worker-1",
        },
    )
    assert response.status_code == 201, response.content
    assert response.json()["routed_at"] is None  # the worker, not this process, routes it
    delivery = Delivery.objects.get(pk=response.json()["delivery_id"])
    wait_for(lambda: routed(delivery.pk), 30, what="delivery routed by the worker")
    assert InboxEntry.objects.filter(delivery_id=delivery.pk).count() == 1
    wait_for(lambda: len(smtp_sink.messages) == 1, 10, what="one notice")
    notice = smtp_sink.messages[0]
    assert delivery.receipt_number.encode() in notice.content
    assert "delivery" in worker.log() and "routed" in worker.log()


def test_running_the_task_twice_gives_one_entry_and_one_email(worker, smtp_sink, b3):
    delivery = fax_received()
    wait_for(lambda: routed(delivery.pk), 30, what="first routing")
    route_delivery.apply_async((delivery.pk,))
    route_delivery.apply_async((delivery.pk,))
    sweep_unrouted.apply_async()
    # Wait until the worker has drained the queue: a marker task routed after the repeats.
    marker = fax_received()
    wait_for(lambda: routed(marker.pk), 30, what="marker routed after the repeats")
    assert InboxEntry.objects.filter(delivery_id=delivery.pk).count() == 1
    assert Event.objects.filter(delivery_id=delivery.pk, action="routed").count() == 1
    assert Event.objects.filter(delivery_id=delivery.pk, action="notice_sent").count() == 1
    assert len(smtp_sink.messages) == 2  # one for the delivery, one for the marker


def test_a_fax_accepted_while_the_broker_is_down_is_routed_by_the_sweep(
    worker, private_redis, smtp_sink, b3
):
    private_redis.stop()
    try:
        delivery = fax_received(gateway_id="while-down")  # must not raise
        assert Delivery.objects.get(pk=delivery.pk).routed_at is None
    finally:
        private_redis.start()
    with override_settings(ROUTING_SWEEP_AFTER_SECONDS=0):
        assert delivery.pk in routing.deliveries_pending()
        sweep_unrouted.apply()  # what beat runs every minute; it enqueues to the restarted broker
    wait_for(lambda: routed(delivery.pk), 60, what="swept delivery routed by the worker")
    assert InboxEntry.objects.filter(delivery_id=delivery.pk).count() == 1
    wait_for(lambda: len(smtp_sink.messages) >= 1, 10, what="notice after the sweep")
    assert len(smtp_sink.messages) == 1
