"""With a real Celery worker: a notice claimed by a task whose worker died is sent by that same task
when the broker hands it out again (its id reaches the claim), and by no other task before the
lease lapses."""

import pytest
from django.db import transaction
from django.utils import timezone

from detainers.intake import routing
from detainers.intake.tasks import route_delivery
from detainers.models import Delivery
from tests.factories import fax_received
from tests.processes import wait_for

pytestmark = [pytest.mark.worker, pytest.mark.postgres]

DEAD_TASK = "3f1c2a9e-0000-4000-8000-00000000dead"


def notices_for(smtp_sink, delivery: Delivery) -> int:
    return sum(delivery.receipt_number.encode() in m.content for m in list(smtp_sink.messages))


def announced(delivery_id: int) -> bool:
    return Delivery.objects.filter(pk=delivery_id, notice_sent_at__isnull=False).exists()


def queue_drained(smtp_sink) -> None:
    """The worker (one process, one task at a time, in order) has run everything published so far:
    a delivery accepted now has been routed and announced."""
    marker = fax_received()
    wait_for(lambda: announced(marker.pk), 30, what="a marker delivery announced")
    wait_for(lambda: notices_for(smtp_sink, marker) == 1, 10, what="the marker's notice")


def test_the_same_task_handed_out_again_sends_the_notice_it_claimed(worker, smtp_sink, b3):
    with transaction.atomic():
        delivery = fax_received()  # its routing task is published when this block commits
        assert routing.delivery_route(delivery_id=delivery.pk) is True
        # As a worker killed between its claim and the send leaves the row.
        Delivery.objects.filter(pk=delivery.pk).update(
            notice_claimed_at=timezone.now(), notice_claimed_by=DEAD_TASK
        )
    route_delivery.apply_async((delivery.pk,), task_id="another-task-id-0000000000000001")
    queue_drained(smtp_sink)
    assert "another-task-id-0000000000000001" in worker.log(), "the other task ran"
    assert notices_for(smtp_sink, delivery) == 0, "other tasks respect the live claim"
    assert not announced(delivery.pk)

    route_delivery.apply_async((delivery.pk,), task_id=DEAD_TASK)

    wait_for(lambda: announced(delivery.pk), 30, what="the notice sent by the same task")
    wait_for(lambda: notices_for(smtp_sink, delivery) >= 1, 10, what="the notice at the sink")
    queue_drained(smtp_sink)
    assert notices_for(smtp_sink, delivery) == 1
    assert Delivery.objects.get(pk=delivery.pk).notice_claimed_by.split(" ")[0] == DEAD_TASK
