"""The one intake service: what it writes, what it refuses, and that it never doubles a retried post."""

import logging
from datetime import timedelta
from pathlib import Path

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import DatabaseError, IntegrityError, OperationalError, transaction
from django.utils import timezone

from detainers.intake.services import (
    DeliveryFacts,
    IncomingFile,
    deliveries_receive,
    delivery_receive,
)
from detainers.intake.storage import intake_transaction
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
from tests.conftest import local
from tests.factories import fax_received, image_bytes, pdf_bytes

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


# --- No orphaned files: a document's file stays only if its row committed ------------------------


def stored_files(settings) -> set[str]:
    """Every file under MEDIA_ROOT (a folder of the test's own), as the rows name them."""
    root = Path(settings.MEDIA_ROOT)
    return {path.relative_to(root).as_posix() for path in root.rglob("*") if path.is_file()}


def document_files() -> set[str]:
    return set(Document.objects.values_list("file", flat=True))


def refusing(settings, seen: list, error: Exception):
    """An insert that fails after the documents' files were written, noting the files it saw."""

    def refuse(*args, **kwargs):
        seen.append(stored_files(settings))
        raise error

    return refuse


def gateway_fax(gateway_id: str) -> DeliveryFacts:
    return DeliveryFacts(
        channel=Channel.FAX,
        source=Source.GATEWAY,
        received_at=timezone.now(),
        files=[IncomingFile("fax.pdf", pdf_bytes())],
        to_number="+16175550133",
        external_id=gateway_id,
    )


def test_a_failed_insert_takes_back_the_file_it_followed(b3, settings, monkeypatch):
    kept = fax_received(gateway_id="kept")
    seen = []
    monkeypatch.setattr(
        DetainerRequest.objects, "bulk_create", refusing(settings, seen, IntegrityError("refused"))
    )
    with pytest.raises(IntegrityError):
        fax_received(gateway_id="refused")
    assert len(seen[0]) == 2, "the refused fax's file was on disk when its insert failed"
    assert stored_files(settings) == document_files() == {kept.documents.get().file.name}
    assert Delivery.objects.count() == 1


def test_a_failed_batch_takes_back_every_file_it_wrote_and_no_other(b3, settings, monkeypatch):
    kept = fax_received(gateway_id="before-the-batch")
    seen = []
    monkeypatch.setattr(
        Event.objects, "bulk_create", refusing(settings, seen, DatabaseError("deadlock detected"))
    )
    with pytest.raises(DatabaseError):
        deliveries_receive(deliveries=[gateway_fax(f"batch-{n}") for n in range(3)])
    assert len(seen[0]) == 4
    assert stored_files(settings) == document_files() == {kept.documents.get().file.name}


def test_the_files_go_when_the_callers_transaction_fails_after_intake_returned(b3, settings):
    with pytest.raises(RuntimeError), intake_transaction():
        fax_received(gateway_id="returned")
        assert len(stored_files(settings)) == 1
        raise RuntimeError("the caller's own write failed")
    assert stored_files(settings) == set() and Delivery.objects.count() == 0


def test_a_failure_caught_by_the_caller_takes_only_its_own_files(b3, settings, monkeypatch):
    with intake_transaction():
        fax_received(gateway_id="before")
        with monkeypatch.context() as patched:
            patched.setattr(
                DetainerRequest.objects, "bulk_create", refusing(settings, [], IntegrityError())
            )
            with pytest.raises(IntegrityError):
                fax_received(gateway_id="caught")
        fax_received(gateway_id="after")
    assert len(stored_files(settings)) == 2
    assert stored_files(settings) == document_files()


@pytest.mark.django_db(transaction=True)
def test_when_the_commit_itself_fails_the_files_are_kept(settings, monkeypatch, caplog):
    """A lost connection during COMMIT leaves the outcome unknown: the row may exist, so its file
    must too. A stray file costs disk space; a row without its file would lose a document."""

    def connection_lost():
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(transaction.get_connection(), "commit", connection_lost)
    with caplog.at_level(logging.WARNING, logger="detainers.intake.storage"):
        with pytest.raises(OperationalError):
            fax_received(gateway_id="unknown-outcome")
    assert len(stored_files(settings)) == 1
    assert "unknown outcome; kept 1 document file" in caplog.text
