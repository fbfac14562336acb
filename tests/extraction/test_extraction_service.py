"""Reading routed documents: made by routing, claimed once, recorded, filling requests' empty fields,
linking the same detainer faxed and emailed, failures shown with their reason and retried."""

import random
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from detainers.counting.rule import counts_check
from detainers.demo.filled_forms import expected_fields, filled_form_random, form_email_body
from detainers.demo.pages import form_pdf_text_layer
from detainers.extraction import services
from detainers.intake import routing
from detainers.intake.services import IncomingFile, delivery_receive
from detainers.models import (
    Channel,
    Delivery,
    DetainerRequest,
    Disposition,
    Event,
    Extraction,
    Source,
)
from detainers.triage import services as triage
from tests.factories import fax_received

pytestmark = pytest.mark.django_db


def a_detainer(seed: int = 1, **changes):
    """An I-247A with a warrant page behind it, whatever the seed draws."""
    form = filled_form_random(random.Random(seed))
    return form.__class__(**{**form.__dict__, "form_type": "I-247A", **changes})


def routed_fax(form, **extra):
    delivery = fax_received(content=form_pdf_text_layer(form), **extra)
    routing.delivery_route(delivery_id=delivery.pk)
    return delivery


def emailed(form, *, body: bool = False, received_at=None):
    if body:
        files = [IncomingFile("body.txt", form_email_body(form).encode(), "text/plain", form=True)]
    else:
        files = [IncomingFile("detainer.pdf", form_pdf_text_layer(form), form=True)]
    delivery = delivery_receive(
        channel=Channel.EMAIL,
        source=Source.MAILBOX,
        received_at=received_at or timezone.now(),
        files=files,
        from_address="eroboston@ice.dhs.gov",
        allowed_types=None,
    ).delivery
    routing.delivery_route(delivery_id=delivery.pk)
    return delivery


def emailed_unreadable(content: bytes):
    """An email whose attached "PDF" cannot be read, routed: the mailbox keeps whatever it gets."""
    delivery = delivery_receive(
        channel=Channel.EMAIL,
        source=Source.MAILBOX,
        received_at=timezone.now(),
        files=[IncomingFile("detainer.pdf", content, "application/pdf", form=True)],
        allowed_types=None,
    ).delivery
    routing.delivery_route(delivery_id=delivery.pk)
    return delivery


def read_all(delivery) -> list[Extraction]:
    extractions = list(Extraction.objects.filter(document__delivery=delivery))
    for extraction in extractions:
        services.document_extract(extraction_id=extraction.pk)
    return [Extraction.objects.get(pk=e.pk) for e in extractions]


def test_it_makes_one_pending_extraction_per_readable_document_when_routed(
    b3, django_capture_on_commit_callbacks, monkeypatch
):
    enqueued = []
    monkeypatch.setattr(services, "extractions_enqueue", enqueued.extend)
    delivery = fax_received(content=form_pdf_text_layer(a_detainer()))
    assert not Extraction.objects.exists()  # intake does not read
    with django_capture_on_commit_callbacks(execute=True):
        routing.delivery_route(delivery_id=delivery.pk)
    extraction = Extraction.objects.get(document__delivery=delivery)
    assert extraction.status == Extraction.Status.PENDING
    assert enqueued == [extraction.pk]
    routing.delivery_route(delivery_id=delivery.pk)  # routing again makes nothing more
    assert Extraction.objects.count() == 1


def test_the_raw_email_is_not_read_but_its_body_and_attachments_are(db):
    raw = IncomingFile("message.eml", b"From: a@b\r\n\r\nhello", "message/rfc822")
    body = IncomingFile("body.txt", b"hello", "text/plain")
    form = IncomingFile("detainer.pdf", form_pdf_text_layer(a_detainer()), form=True)
    delivery = delivery_receive(
        channel=Channel.EMAIL,
        source=Source.MAILBOX,
        received_at=timezone.now(),
        files=[raw, body, form],
        allowed_types=None,
    ).delivery
    routing.delivery_route(delivery_id=delivery.pk)
    read = Extraction.objects.filter(document__delivery=delivery)
    assert sorted(read.values_list("document__content_type", flat=True)) == [
        "application/pdf",
        "text/plain",
    ]


def test_a_text_layer_form_fills_the_requests_empty_fields(b3):
    form = a_detainer(seed=7)
    delivery = routed_fax(form)
    (extraction,) = read_all(delivery)
    assert extraction.status == Extraction.Status.DONE
    assert extraction.method == "text_layer"
    assert form.subject_name in extraction.text
    request = delivery.requests.get()
    for field, value in expected_fields(form).items():
        assert getattr(request, field) == value, field
    assert not request.disposition  # still the reviewer's to confirm
    event = Event.objects.get(request=request, action="fields_read")
    assert event.actor is None
    assert event.changes["a_number"] == [None, form.a_number]
    assert counts_check() == {}  # form type and basis moved the dashboard's cells too


def test_a_form_typed_into_the_email_body_is_read_too(db):
    form = a_detainer(seed=3)
    delivery = emailed(form, body=True)
    (extraction,) = read_all(delivery)
    assert extraction.method == "plain_text"
    request = delivery.requests.get()
    assert (request.event_number, request.a_number) == (form.event_number, form.a_number)


def test_it_never_overwrites_a_value_a_person_entered(b3, supervisor):
    form = a_detainer(seed=11)
    delivery = routed_fax(form)
    request = delivery.requests.get()
    triage.request_triage(request_id=request.pk, actor=supervisor, changes={"citizenship": "X"})
    read_all(delivery)
    request.refresh_from_db()
    assert request.citizenship == "X"
    assert request.subject_id == form.subject_id  # the empty ones are filled


def test_it_leaves_a_reviewed_request_alone(b3, supervisor):
    form = a_detainer(seed=12)
    delivery = routed_fax(form)
    request = delivery.requests.get()
    triage.request_triage(
        request_id=request.pk,
        actor=supervisor,
        changes={"disposition": Disposition.NOT_ACTED_UPON},
    )
    (extraction,) = read_all(delivery)
    request.refresh_from_db()
    assert extraction.fields["subject_id"]["value"] == form.subject_id
    assert request.subject_id == ""


def test_only_confident_values_are_written(b3):
    request = fax_received().requests.get()
    written = triage.request_fields_extracted(
        request_id=request.pk,
        readings={"subject_id": ("123456789", 0.95), "citizenship": ("HONDURAS", 0.6)},
    )
    request.refresh_from_db()
    assert written == ["subject_id"]
    assert (request.subject_id, request.citizenship) == ("123456789", "")


def test_a_value_triage_would_refuse_is_not_written(b3):
    request = fax_received().requests.get()
    tomorrow = timezone.localdate() + timedelta(days=1)
    written = triage.request_fields_extracted(
        request_id=request.pk,
        readings={"form_date": (tomorrow, 1.0), "a_number": ("A12", 1.0)},
    )
    assert written == []


def test_the_same_detainer_faxed_and_emailed_is_linked_once_and_can_be_undone(b3, supervisor):
    form = a_detainer(seed=21)
    faxed = routed_fax(form, received_at=timezone.now() - timedelta(hours=2))
    mailed = emailed(form)
    read_all(faxed)
    read_all(mailed)
    original, copy = faxed.requests.get(), mailed.requests.get()
    assert copy.duplicate_of_id == original.pk
    assert copy.disposition == Disposition.DUPLICATE
    assert form.event_number in copy.duplicate_reason
    assert original.duplicate_of_id is None

    triage.request_duplicate_undo(request_id=copy.pk, actor=supervisor)
    # Reading it again (a supervisor's retry) does not link it again.
    Extraction.objects.filter(document__delivery=mailed).update(status="failed")
    extraction = Extraction.objects.get(document__delivery=mailed)
    services.extraction_retry(extraction_id=extraction.pk, actor=supervisor)
    read_all(mailed)
    copy.refresh_from_db()
    assert copy.duplicate_of_id is None and copy.duplicate_check_dismissed


def test_an_extraction_is_read_once_and_a_lapsed_claim_is_taken_over(b3):
    delivery = routed_fax(a_detainer())
    extraction = Extraction.objects.get(document__delivery=delivery)
    Extraction.objects.filter(pk=extraction.pk).update(claimed_at=timezone.now())
    assert services.document_extract(extraction_id=extraction.pk) is False  # someone holds it
    Extraction.objects.filter(pk=extraction.pk).update(
        claimed_at=timezone.now() - services.LEASE - timedelta(seconds=1)
    )
    assert services.document_extract(extraction_id=extraction.pk) is True
    assert services.document_extract(extraction_id=extraction.pk) is False  # done
    assert Event.objects.filter(delivery=delivery, action="fields_read").count() == 1


def test_an_unreadable_document_fails_with_its_reason_and_can_be_retried(db, supervisor):
    delivery = emailed_unreadable(form_pdf_text_layer(a_detainer())[:400])  # truncated
    (extraction,) = read_all(delivery)
    assert extraction.status == Extraction.Status.FAILED
    assert extraction.error
    health = services.extraction_health()
    assert (health.waiting, health.failed) == (0, 1)
    assert health.recent_failures == [extraction]
    assert health.recent_failures[0].request_id == delivery.requests.get().pk

    assert services.extraction_retry(extraction_id=extraction.pk, actor=supervisor) is True
    assert services.extraction_retry(extraction_id=extraction.pk, actor=supervisor) is False
    extraction.refresh_from_db()
    assert (extraction.status, extraction.error, extraction.attempts) == ("pending", "", 0)
    assert Event.objects.filter(action="document_read_again", actor=supervisor).count() == 1


def test_an_unexpected_error_is_retried_then_recorded_with_an_id(b3, monkeypatch, caplog):
    delivery = routed_fax(a_detainer())
    extraction = Extraction.objects.get(document__delivery=delivery)

    def broken(**kwargs):
        raise RuntimeError("bug")

    monkeypatch.setattr(services, "document_text", broken)
    for _ in range(services.MAX_ATTEMPTS - 1):
        with pytest.raises(RuntimeError):
            services.document_extract(extraction_id=extraction.pk)
        extraction.refresh_from_db()
        assert (extraction.status, extraction.claimed_at) == ("pending", None)  # free to retry
    with pytest.raises(RuntimeError):
        services.document_extract(extraction_id=extraction.pk)
    extraction.refresh_from_db()
    assert extraction.status == Extraction.Status.FAILED
    assert "error id" in extraction.error
    error_id = extraction.error.split("error id ")[1].rstrip(").")
    assert error_id in caplog.text


def test_the_sweep_makes_missing_extractions_and_returns_stale_ones(b3):
    unread = routed_fax(a_detainer(seed=1))
    Extraction.objects.filter(document__delivery=unread).delete()  # as if routing had not made it
    ancient = routed_fax(a_detainer(seed=5))
    Extraction.objects.filter(document__delivery=ancient).delete()
    Delivery.objects.filter(pk=ancient.pk).update(
        routed_at=timezone.now() - services.SWEEP_LOOKS_BACK - timedelta(minutes=1)
    )  # routed before reading existed: left to `read_documents --inline`, not scanned every minute
    lost = routed_fax(a_detainer(seed=2))
    abandoned = routed_fax(a_detainer(seed=3))
    routed_fax(a_detainer(seed=4))  # just routed, its message on the way: not returned
    long_ago = timezone.now() - services.SWEEP_AFTER - timedelta(seconds=1)
    Extraction.objects.filter(document__delivery=lost).update(created_at=long_ago)
    Extraction.objects.filter(document__delivery=abandoned).update(
        claimed_at=timezone.now() - services.LEASE - timedelta(seconds=1)
    )
    pending = services.extractions_pending()
    by_delivery = dict(
        Extraction.objects.filter(pk__in=pending).values_list("document__delivery", "pk")
    )
    assert set(by_delivery) == {unread.pk, lost.pk, abandoned.pk}
    assert not Extraction.objects.filter(document__delivery=ancient).exists()
    assert services.extractions_pending() == [by_delivery[lost.pk], by_delivery[abandoned.pk]]


def test_the_triage_form_offers_what_it_read_and_saves_it_with_the_form(client, b3, supervisor):
    form = a_detainer(seed=31)
    delivery = routed_fax(form)
    request = delivery.requests.get()
    extraction = Extraction.objects.get(document__delivery=delivery)
    services.document_extract(extraction_id=extraction.pk)
    # As if the reading were unsure of the name: offered, not written.
    Extraction.objects.filter(pk=extraction.pk).update(
        fields={
            **extraction_fields(extraction),
            "citizenship": {"value": "PERU", "confidence": 0.5},
        }
    )
    DetainerRequest.objects.filter(pk=request.pk).update(citizenship="")
    request.refresh_from_db()
    client.force_login(supervisor)
    page = client.get(reverse("inbox-item", args=[request.pk])).content.decode()
    assert 'value="PERU"' in page
    assert "Suggested by the document (50% sure)" in page
    assert "From the document (100% sure)" in page
    read = len(extraction_fields(extraction))
    assert f"{read} fields below were read from the document automatically" in page

    posted = {
        "form_type": request.form_type,
        "form_date": request.form_date.isoformat(),
        "subject_id": request.subject_id,
        "event_number": request.event_number,
        "a_number": request.a_number,
        "subject_name": request.subject_name,
        "date_of_birth": request.date_of_birth.isoformat(),
        "citizenship": "PERU",  # as offered, unchanged
        "sex": request.sex,
        "probable_cause": request.probable_cause,
        "notify_before_release": str(request.notify_before_release).lower(),
        "hold_up_to_48_hours": str(request.hold_up_to_48_hours).lower(),
        "warrant_attached": str(request.warrant_attached).lower(),
    }
    response = client.post(reverse("inbox-item-triage", args=[request.pk]), posted)
    assert response.status_code == 302
    request.refresh_from_db()
    assert request.citizenship == "PERU"
    triaged = Event.objects.get(request=request, action="triaged")
    assert triaged.actor == supervisor and set(triaged.changes) == {"citizenship"}
    triage.request_triage(
        request_id=request.pk, actor=supervisor, changes={"disposition": "not_acted_upon"}
    )
    page = client.get(reverse("inbox-item", args=[request.pk])).content.decode()
    assert "read from the document automatically" not in page  # reviewed: nothing left to check


def extraction_fields(extraction: Extraction) -> dict:
    extraction.refresh_from_db()
    return extraction.fields


def test_a_value_someone_changed_shows_what_the_document_says(client, b3, supervisor):
    form = a_detainer(seed=32)
    delivery = routed_fax(form)
    read_all(delivery)
    request = delivery.requests.get()
    triage.request_triage(request_id=request.pk, actor=supervisor, changes={"subject_id": "1"})
    client.force_login(supervisor)
    page = client.get(reverse("inbox-item", args=[request.pk])).content.decode()
    assert f"The document reads “{form.subject_id}” (100% sure)" in page


def test_the_inbox_shows_reading_health_and_retries_every_failed_one(client, db, supervisor):
    delivery = emailed_unreadable(b"%PDF-1.4 broken")
    (extraction,) = read_all(delivery)
    client.force_login(supervisor)
    page = client.get(reverse("inbox")).content.decode()
    assert "Reading documents" in page and extraction.error in page
    response = client.post(reverse("extraction-retry-failed"))
    assert response.status_code == 302
    assert Extraction.objects.get(pk=extraction.pk).status == Extraction.Status.PENDING


@pytest.mark.parametrize("url_name", ["extraction-retry-failed", "document-read-again"])
def test_only_supervisors_may_retry_a_reading(client, b3, clerk, admin_user, url_name):
    delivery = fax_received()
    document = delivery.documents.get()
    url = reverse(url_name, args=[document.pk] if url_name == "document-read-again" else [])
    assert client.post(url).status_code == 302  # anonymous: to the login page
    assert "/accounts/login/" in client.post(url)["Location"]
    for person in (clerk, admin_user):
        client.force_login(person)
        assert client.post(url).status_code == 403
    # The role is checked before the method: without it, any request is refused the same way.
    assert client.get(url).status_code == 403


def test_a_supervisor_reads_one_failed_document_again_from_its_page(client, db, supervisor):
    delivery = emailed_unreadable(b"%PDF-1.4 broken")
    (extraction,) = read_all(delivery)
    request = delivery.requests.get()
    client.force_login(supervisor)
    page = client.get(reverse("inbox-item", args=[request.pk])).content.decode()
    assert "Could not be read" in page and extraction.error in page
    url = reverse("document-read-again", args=[extraction.document_id])
    response = client.post(url)
    assert response["Location"] == reverse("inbox-item", args=[request.pk])
    assert Extraction.objects.get(pk=extraction.pk).status == Extraction.Status.PENDING
    client.post(url)  # not failed any more: nothing to retry, nothing changed
    assert Event.objects.filter(action="document_read_again").count() == 1
