"""The sweep and `route_pending`: what routing has not finished is finished, once."""

import pytest
from django.core import mail
from django.core.management import call_command

from detainers.intake import routing
from detainers.models import Delivery, InboxEntry
from tests.factories import fax_received

pytestmark = pytest.mark.django_db


def test_only_deliveries_older_than_the_sweep_delay_are_pending(b3, settings):
    delivery = (
        fax_received()
    )  # on_commit does not run inside the test's transaction: still unrouted
    settings.ROUTING_SWEEP_AFTER_SECONDS = 3600
    assert routing.deliveries_pending() == []
    settings.ROUTING_SWEEP_AFTER_SECONDS = 0
    assert routing.deliveries_pending() == [delivery.pk]


def test_route_pending_inline_routes_and_announces_each_once(b3, settings, capsys):
    settings.ROUTING_SWEEP_AFTER_SECONDS = 0
    first, second = fax_received(), fax_received()
    call_command("route_pending", "--inline")
    call_command("route_pending", "--inline")
    assert Delivery.objects.filter(routed_at__isnull=True).count() == 0
    assert InboxEntry.objects.filter(delivery__in=[first, second]).count() == 2
    assert len(mail.outbox) == 2
    assert "2 pending: 2 routed, 2 notices sent." in capsys.readouterr().out


def test_route_pending_enqueues_through_the_task(b3, settings, capsys):
    settings.ROUTING_SWEEP_AFTER_SECONDS = 0
    delivery = fax_received()
    call_command("route_pending")  # tasks run in-process in this test
    delivery.refresh_from_db()
    assert delivery.routed_at is not None and delivery.notice_sent_at is not None
    assert "1 deliveries enqueued" in capsys.readouterr().out


def test_a_failed_notice_is_rolled_back_and_sent_by_the_next_attempt(b3, settings, monkeypatch):
    settings.ROUTING_SWEEP_AFTER_SECONDS = 0
    delivery = fax_received()
    routing.delivery_route(delivery_id=delivery.pk)

    def refuse(*args, **kwargs):
        raise ConnectionRefusedError("mail server down")

    monkeypatch.setattr(routing, "send_mail", refuse)
    with pytest.raises(ConnectionRefusedError):
        routing.delivery_send_notice(delivery_id=delivery.pk)
    assert Delivery.objects.get(pk=delivery.pk).notice_sent_at is None
    monkeypatch.undo()
    assert routing.delivery_send_notice(delivery_id=delivery.pk) is True
    assert routing.delivery_send_notice(delivery_id=delivery.pk) is False
    assert len(mail.outbox) == 1


def test_a_notice_claimed_by_a_worker_that_died_is_sent_once_the_claim_lapses(b3, settings):
    from datetime import timedelta

    from django.utils import timezone

    settings.ROUTING_SWEEP_AFTER_SECONDS = 0
    delivery = fax_received()
    routing.delivery_route(delivery_id=delivery.pk)
    # A worker claimed the notice a minute ago and is (as far as anyone knows) still sending it.
    Delivery.objects.filter(pk=delivery.pk).update(
        notice_claimed_at=timezone.now() - timedelta(minutes=1)
    )
    assert delivery.pk not in routing.deliveries_pending()
    assert routing.delivery_send_notice(delivery_id=delivery.pk) is False
    assert len(mail.outbox) == 0
    # It died: after the lease, the sweep finds the notice and sends it, once.
    Delivery.objects.filter(pk=delivery.pk).update(
        notice_claimed_at=timezone.now() - routing.NOTICE_LEASE * 2
    )
    assert delivery.pk in routing.deliveries_pending()
    assert routing.delivery_send_notice(delivery_id=delivery.pk) is True
    assert routing.delivery_send_notice(delivery_id=delivery.pk) is False
    assert len(mail.outbox) == 1
