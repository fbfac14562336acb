"""The one intake service: what it writes, what it refuses, and that it never doubles a retried post."""

from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.utils import timezone

from detainers.intake import IncomingFile, delivery_receive
from detainers.models import (
    Channel,
    Delivery,
    DetainerRequest,
    Document,
    Event,
    InboxEntry,
    NumberMatch,
    Source,
)
from precincts.services import fax_number_retire

from .conftest import local
from .factories import fax_received, image_bytes, pdf_bytes

pytestmark = pytest.mark.django_db


def test_it_writes_delivery_document_request_and_event_together(
    b3, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        delivery = fax_received(gateway_id="gw-1")
    assert delivery.precinct == b3
    assert delivery.number_match == NumberMatch.OWNED
    assert delivery.routed_at is None
    document = Document.objects.get(delivery=delivery)
    assert document.content_type == "application/pdf"
    assert document.pages == 1
    assert len(document.sha256) == 64
    assert DetainerRequest.objects.filter(delivery=delivery).count() == 1
    assert Event.objects.filter(delivery=delivery, action="received").count() == 1
    assert len(callbacks) == 1, "routing is enqueued only after the commit"


def test_in_process_routing_puts_it_in_the_inbox_and_sends_one_notice(
    b3, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        delivery = fax_received()
    delivery.refresh_from_db()
    assert delivery.routed_at is not None
    assert InboxEntry.objects.filter(delivery=delivery).count() == 1
    assert len(mail.outbox) == 1
    assert delivery.receipt_number in mail.outbox[0].subject
    assert "B-3" in mail.outbox[0].subject


def test_a_retried_gateway_id_returns_the_first_delivery(b3):
    first = fax_received(gateway_id="gw-7")
    again = delivery_receive(
        channel=Channel.FAX,
        source=Source.GATEWAY,
        received_at=timezone.now(),
        files=[IncomingFile("fax.pdf", pdf_bytes())],
        to_number="+16175550133",
        external_id="gw-7",
    )
    assert again.created is False
    assert again.delivery.pk == first.pk
    assert Delivery.objects.count() == 1


def test_an_unknown_number_is_accepted_without_a_precinct(b3):
    delivery = fax_received(to_number="+1 617 555 0199")
    assert delivery.precinct is None
    assert delivery.number_match == NumberMatch.UNKNOWN
    assert delivery.needs_precinct


def test_a_fax_on_a_retired_number_is_flagged(b3):
    number = b3.fax_numbers.get()
    fax_number_retire(fax_number=number, active_until=timezone.now() - timedelta(days=1))
    delivery = fax_received(to_number="617-555-0133")
    assert delivery.precinct is None
    assert delivery.number_match == NumberMatch.RETIRED


def test_a_fax_on_an_old_number_goes_to_the_owner_at_the_time(b3, c11):
    number = b3.fax_numbers.get()
    fax_number_retire(fax_number=number, active_until=local(2024, 6, 1))
    from precincts.services import fax_number_assign

    fax_number_assign(precinct=c11, number="617-555-0133", active_from=local(2024, 6, 1))
    march = fax_received(received_at=local(2024, 3, 10, 14, 0))
    july = fax_received(received_at=local(2024, 7, 10, 14, 0))
    assert march.precinct == b3
    assert july.precinct == c11


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("empty.pdf", b"", "is empty"),
        ("page.pdf", b"<html><script>alert(1)</script></html>", "not a PDF"),
        ("setup.pdf", b"MZ\x90\x00" + b"\x00" * 200, "not a PDF"),
    ],
)
def test_it_refuses_files_that_are_not_what_they_claim(b3, name, content, message):
    with pytest.raises(ValidationError, match=message):
        fax_received(content=content)
    assert Delivery.objects.count() == 0


def test_a_file_over_the_limit_is_refused(b3, settings):
    settings.MAX_DOCUMENT_BYTES = 1000
    with pytest.raises(ValidationError, match="the limit is"):
        fax_received(content=pdf_bytes() + b"\n" * 2000)


def test_a_gateway_clock_ahead_does_not_lose_the_fax(b3):
    delivery = fax_received(received_at=timezone.now() + timedelta(hours=3))
    assert delivery.received_at <= timezone.now()
    assert "clock" in delivery.notes


def test_a_clerk_cannot_log_a_fax_from_the_future(b3, clerk):
    with pytest.raises(ValidationError) as caught:
        delivery_receive(
            channel=Channel.FAX,
            source=Source.CLERK,
            received_at=timezone.now() + timedelta(hours=1),
            files=[IncomingFile("scan.png", image_bytes("PNG"))],
            precinct=b3,
            fax_number=b3.fax_numbers.get(),
            actor=clerk,
        )
    assert "received_at" in caught.value.message_dict


def test_a_clerk_logging_late_must_say_why(b3, clerk):
    kwargs = dict(
        channel=Channel.FAX,
        source=Source.CLERK,
        received_at=timezone.now() - timedelta(days=9),
        files=[IncomingFile("scan.tif", image_bytes("TIFF", pages=3))],
        precinct=b3,
        fax_number=b3.fax_numbers.get(),
        actor=clerk,
    )
    with pytest.raises(ValidationError) as caught:
        delivery_receive(**kwargs)
    assert "late_reason" in caught.value.message_dict
    delivery = delivery_receive(
        **kwargs, late_reason="Found in the tray after the holiday"
    ).delivery
    assert delivery.pages == 3
    assert delivery.logged_by == clerk
