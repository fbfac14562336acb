"""A notice claimed by a task whose worker died: the same task, handed out again (acks_late,
reject_on_worker_lost), takes its claim back at once; any other task waits for the lease; the
notice is never sent twice."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from detainers.intake import routing
from detainers.intake.tasks import (
    notice_claims_of_a_dead_run_release,
    route_deliveries,
    route_delivery,
    sweep_unrouted,
)
from detainers.models import Delivery, Event
from tests.factories import fax_received

pytestmark = pytest.mark.django_db


class WorkerKilled(BaseException):
    """What SIGKILL looks like from inside: nothing after this line runs, no `except Exception`
    gives the claim back."""


def routed_delivery() -> Delivery:
    delivery = fax_received()  # on_commit never runs inside the test's transaction: unrouted
    assert routing.delivery_route(delivery_id=delivery.pk) is True
    return delivery


def killed_while_sending(monkeypatch, delivery: Delivery, *, task_id: str) -> None:
    """Task `task_id` claims the notice and its worker dies before the mail server has it."""

    def killed(**message):
        raise WorkerKilled

    with monkeypatch.context() as patched:
        patched.setattr(routing, "send_mail", killed)
        with pytest.raises(WorkerKilled):
            routing.delivery_send_notice(delivery_id=delivery.pk, claimed_by=task_id)
    delivery.refresh_from_db()
    assert delivery.notice_claimed_at is not None and delivery.notice_claimed_by == task_id
    assert delivery.notice_sent_at is None
    assert len(mail.outbox) == 0


def lease_lapses(delivery: Delivery) -> None:
    Delivery.objects.filter(pk=delivery.pk).update(
        notice_claimed_at=timezone.now() - routing.NOTICE_LEASE - timedelta(seconds=1)
    )


def test_it_takes_back_its_own_claim_when_the_same_task_comes_again(monkeypatch, b3):
    delivery = routed_delivery()
    killed_while_sending(monkeypatch, delivery, task_id="t1")

    assert routing.delivery_send_notice(delivery_id=delivery.pk, claimed_by="t1") is True

    assert len(mail.outbox) == 1
    assert delivery.receipt_number in mail.outbox[0].subject
    delivery.refresh_from_db()
    assert delivery.notice_sent_at is not None
    assert Event.objects.filter(delivery=delivery, action="notice_sent").count() == 1
    # Sent: neither the same task again nor any other sends it a second time.
    assert routing.delivery_send_notice(delivery_id=delivery.pk, claimed_by="t1") is False
    lease_lapses(delivery)
    assert routing.delivery_send_notice(delivery_id=delivery.pk, claimed_by="t2") is False
    assert len(mail.outbox) == 1


def test_another_task_waits_for_the_lease_to_lapse(monkeypatch, b3, settings):
    settings.ROUTING_SWEEP_AFTER_SECONDS = 0
    delivery = routed_delivery()
    killed_while_sending(monkeypatch, delivery, task_id="t1")

    assert routing.delivery_send_notice(delivery_id=delivery.pk, claimed_by="t2") is False
    assert routing.delivery_send_notice(delivery_id=delivery.pk) is False
    assert delivery.pk not in routing.deliveries_pending(), "the sweep leaves a live claim alone"
    assert len(mail.outbox) == 0
    delivery.refresh_from_db()
    assert delivery.notice_claimed_by == "t1", "a refused attempt leaves the claim as it was"

    lease_lapses(delivery)
    assert delivery.pk in routing.deliveries_pending()
    assert routing.delivery_send_notice(delivery_id=delivery.pk, claimed_by="t2") is True
    assert len(mail.outbox) == 1
    # The first task, handed out again at last (visibility_timeout), finds it sent.
    assert routing.delivery_send_notice(delivery_id=delivery.pk, claimed_by="t1") is False
    assert len(mail.outbox) == 1


def test_callers_without_a_task_id_never_take_each_others_claim(monkeypatch, b3):
    delivery = routed_delivery()
    killed_while_sending(monkeypatch, delivery, task_id="")  # e.g. `route_pending --inline`
    assert routing.delivery_send_notice(delivery_id=delivery.pk) is False
    assert routing.delivery_send_notice(delivery_id=delivery.pk, claimed_by="") is False
    assert len(mail.outbox) == 0
    lease_lapses(delivery)
    assert routing.delivery_send_notice(delivery_id=delivery.pk) is True
    assert len(mail.outbox) == 1


def test_a_failed_send_gives_the_claim_back_to_anyone(monkeypatch, b3):
    delivery = routed_delivery()

    def refused(**message):
        raise ConnectionRefusedError("mail server down")

    with monkeypatch.context() as patched:
        patched.setattr(routing, "send_mail", refused)
        with pytest.raises(ConnectionRefusedError):
            routing.delivery_send_notice(delivery_id=delivery.pk, claimed_by="t1")
    delivery.refresh_from_db()
    assert (delivery.notice_claimed_at, delivery.notice_claimed_by) == (None, "")
    assert routing.delivery_send_notice(delivery_id=delivery.pk, claimed_by="t2") is True
    assert len(mail.outbox) == 1


def test_a_notice_sent_but_not_recorded_is_not_raised_for_a_retry_to_send_again(
    monkeypatch, b3, caplog
):
    delivery = routed_delivery()

    def broken(**changes):
        raise ValueError("event table broken")

    monkeypatch.setattr(routing, "event_record", broken)
    # Raising here would retry the task with its own id, and the retry would send it again.
    assert routing.delivery_send_notice(delivery_id=delivery.pk, claimed_by="t1") is True
    assert len(mail.outbox) == 1
    assert f"notice for delivery {delivery.pk} was sent but could not be recorded" in caplog.text
    assert "ValueError" in caplog.text
    assert "event table broken" not in caplog.text, "only the kind of error: it may hold data"


def test_the_routing_task_claims_with_its_own_id(b3):
    delivery = fax_received()
    route_delivery.apply(args=(delivery.pk,), task_id="route-task-1").get()
    delivery.refresh_from_db()
    assert delivery.notice_sent_at is not None
    assert delivery.notice_claimed_by.split(" ")[0] == "route-task-1"
    assert len(mail.outbox) == 1


def test_the_batch_task_claims_each_notice_with_its_own_id(b3):
    first, second = fax_received(), fax_received()
    route_deliveries.apply(args=([first.pk, second.pk],), task_id="batch-task-1").get()
    claims = dict(
        Delivery.objects.filter(notice_sent_at__isnull=False).values_list("pk", "notice_claimed_by")
    )
    assert {pk: claim.split(" ")[0] for pk, claim in claims.items()} == {
        first.pk: "batch-task-1",
        second.pk: "batch-task-1",
    }
    assert len(mail.outbox) == 2


def test_a_redelivered_routing_task_sends_the_notice_its_dead_run_claimed(monkeypatch, b3):
    delivery = fax_received()

    def killed(**message):
        raise WorkerKilled

    with monkeypatch.context() as patched:
        patched.setattr(routing, "send_mail", killed)
        with pytest.raises(WorkerKilled):
            route_delivery.apply(args=(delivery.pk,), task_id="route-task-2", throw=True)
    delivery.refresh_from_db()
    assert delivery.routed_at is not None and delivery.notice_sent_at is None
    assert delivery.notice_claimed_by.split(" ")[0] == "route-task-2"

    route_delivery.apply(args=(delivery.pk,), task_id="route-task-3").get()  # the sweep's, say
    assert len(mail.outbox) == 0
    route_delivery.apply(args=(delivery.pk,), task_id="route-task-2").get()  # handed out again
    assert len(mail.outbox) == 1
    delivery.refresh_from_db()
    assert delivery.notice_sent_at is not None


def test_the_sweeps_tasks_leave_a_live_claim_alone(monkeypatch, b3, settings):
    settings.ROUTING_SWEEP_AFTER_SECONDS = 0
    delivery = routed_delivery()
    killed_while_sending(monkeypatch, delivery, task_id="t1")
    Delivery.objects.filter(pk=delivery.pk).update(routed_at=timezone.now() - timedelta(minutes=1))
    assert sweep_unrouted.apply().get() == 0
    assert len(mail.outbox) == 0
    lease_lapses(delivery)
    assert sweep_unrouted.apply().get() == 1  # its task (a new id) sends the notice
    assert len(mail.outbox) == 1
    delivery.refresh_from_db()
    assert delivery.notice_claimed_by not in ("", "t1")


def test_a_restarted_worker_frees_what_its_dead_run_claimed_and_nothing_else(monkeypatch, b3):
    """A whole worker killed between claim and send: its tasks come back only after the broker's
    visibility timeout (an hour), so the worker, starting again under the same name, frees its
    dead run's claims before it takes a task, and the next sweep sends them."""
    dead, other_node, sent = routed_delivery(), routed_delivery(), routed_delivery()
    killed_while_sending(monkeypatch, dead, task_id="t1 celery@worker-a")
    killed_while_sending(monkeypatch, other_node, task_id="t2 celery@worker-b")
    assert routing.delivery_send_notice(delivery_id=sent.pk, claimed_by="t3 celery@worker-a")

    freed = notice_claims_of_a_dead_run_release(sender="celery@worker-a")

    assert freed == 1
    claims = dict(Delivery.objects.values_list("pk", "notice_claimed_by"))
    assert claims == {
        dead.pk: "",
        other_node.pk: "t2 celery@worker-b",
        sent.pk: "t3 celery@worker-a",
    }
    # Freed, it goes out with the next caller at once; the other worker's live claim still holds.
    assert routing.delivery_send_notice(delivery_id=dead.pk, claimed_by="sweep-1") is True
    assert routing.delivery_send_notice(delivery_id=other_node.pk, claimed_by="sweep-2") is False
    assert len(mail.outbox) == 2  # the one sent before, and the freed one


def test_the_release_runs_when_a_worker_is_set_up():
    from celery.signals import celeryd_after_setup

    receivers = [receiver() for _, receiver in celeryd_after_setup.receivers]
    assert notice_claims_of_a_dead_run_release in receivers
