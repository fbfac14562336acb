"""One message's bytes into one delivery (detainers.mailbox.messages), without an IMAP server:
what each awkward message becomes, that nothing is doubled, and retrying a quarantined one."""

import logging
from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.utils import timezone

from detainers.intake import routing
from detainers.mailbox import (
    Origin,
    mailbox_health,
    mailbox_retry_quarantined,
    message_ingest,
    messages_ingest,
)
from detainers.models import (
    Channel,
    Delivery,
    DetainerRequest,
    Event,
    MailboxState,
    MailMessage,
    Source,
)
from tests import mail_corpus as corpus
from tests.factories import fax_received

pytestmark = pytest.mark.django_db
INBOX = Origin(mailbox="imap://detainers@127.0.0.1:143/INBOX", uidvalidity=7)


def at(uid: int, **extra) -> Origin:
    return Origin(mailbox=INBOX.mailbox, uidvalidity=INBOX.uidvalidity, uid=uid, **extra)


def ingest(raw: bytes, uid: int | None = None, **extra) -> MailMessage:
    return message_ingest(
        raw=raw, origin=at(uid, **extra) if uid else Origin(mailbox="file://import", **extra)
    )


def kinds(delivery: Delivery) -> list[tuple[str, str]]:
    return list(delivery.documents.values_list("name", "content_type"))


def test_it_stores_the_raw_message_and_one_request_per_form():
    raw = corpus.with_forms("two", forms=2)
    copy = ingest(raw, uid=1)
    delivery = copy.delivery
    assert copy.outcome == MailMessage.Outcome.INGESTED and copy.folder == "Processed"
    assert (delivery.channel, delivery.source, delivery.precinct) == (
        Channel.EMAIL,
        Source.MAILBOX,
        None,
    )
    assert delivery.external_id == "<two@corpus.example>"
    assert delivery.from_address == "ero.boston@ice.dhs.gov"
    assert kinds(delivery) == [
        ("message.eml", "message/rfc822"),
        ("I-247A-1.pdf", "application/pdf"),
        ("I-247A-2.pdf", "application/pdf"),
        ("message.txt", "text/plain"),
    ]
    assert copy.raw.file.read() == raw and copy.sha256 == copy.raw.sha256
    requests = list(delivery.requests.select_related("document"))
    assert [request.document.name for request in requests] == ["I-247A-1.pdf", "I-247A-2.pdf"]
    assert delivery.pages == 3
    assert Event.objects.filter(delivery=delivery, action="received").count() == 2
    assert not delivery.possibly_not_detainer and not delivery.is_quarantined


def test_a_form_typed_into_the_body_is_a_request_on_the_text():
    delivery = ingest(corpus.form_in_body("typed")).delivery
    request = delivery.requests.get()
    assert request.document.name == "message.txt"
    assert "I-247A" in request.document.file.read().decode()
    assert not delivery.possibly_not_detainer


def test_mail_not_from_the_agency_without_a_form_is_kept_and_flagged():
    delivery = ingest(corpus.not_a_detainer("offer")).delivery
    assert delivery.possibly_not_detainer
    assert delivery.requests.count() == 1


def test_a_forwarded_agency_message_counts_as_the_agency_s():
    delivery = ingest(corpus.forwarded("fwd")).delivery
    assert [r.document.name for r in delivery.requests.all()] == ["detainer.pdf"]
    assert delivery.from_address == "kelly@police.example.gov"
    assert not delivery.possibly_not_detainer


def test_html_is_stored_as_text_only():
    delivery = ingest(corpus.html_only("html")).delivery
    stored = {name: type_ for name, type_ in kinds(delivery)}
    assert "text/html" not in stored.values()
    text = delivery.requests.get().document.file.read().decode()
    assert "John Doe" in text and "<script" not in text


@pytest.mark.parametrize("name", sorted(corpus.hard_cases()))
def test_every_hard_case_ends_as_a_delivery_or_a_quarantined_one(name):
    copy = ingest(corpus.hard_cases()[name], uid=100)
    delivery = copy.delivery
    assert delivery is not None and delivery.requests.count() >= 1
    assert (
        delivery.documents.filter(content_type="message/rfc822").exists() or name == "not_an_email"
    )
    if name == "not_an_email":
        assert copy.outcome == MailMessage.Outcome.QUARANTINED and copy.folder == "Quarantine"
        assert "no header fields" in delivery.quarantine_reason
        assert delivery.requests.get().document == copy.raw
    else:
        assert copy.outcome == MailMessage.Outcome.INGESTED and not delivery.quarantine_reason


def test_defects_of_a_truncated_message_are_recorded_on_the_delivery():
    delivery = ingest(corpus.truncated("cut")).delivery
    assert "CloseBoundaryNotFoundDefect" in delivery.parse_defects
    assert "cut short" in delivery.notes


def test_the_same_message_id_twice_is_one_delivery():
    first = ingest(corpus.with_forms("same"), uid=1)
    # Delivered again by another route: other bytes (a Received line), same Message-ID.
    second = ingest(b"Received: from relay2\r\n" + corpus.with_forms("same"), uid=2)
    assert second.outcome == MailMessage.Outcome.DUPLICATE and second.delivery == first.delivery
    assert Delivery.objects.count() == 1 and DetainerRequest.objects.count() == 1


def test_the_same_bytes_without_a_message_id_are_one_delivery():
    raw = corpus.no_message_id("x")
    first = ingest(raw, uid=1)
    again = ingest(raw)  # the backfill of the same file
    assert first.delivery.external_id == f"sha256:{first.sha256}"
    assert again.outcome == MailMessage.Outcome.DUPLICATE and again.delivery == first.delivery
    assert Delivery.objects.count() == 1


def test_a_copy_read_again_after_a_crash_is_not_read_twice():
    raw = corpus.with_forms("crash")
    first = ingest(raw, uid=5)
    # The run died after the commit, before the move: the copy is still at UID 5.
    again = ingest(raw, uid=5)
    assert again.pk == first.pk
    assert MailMessage.objects.count() == 1 and Delivery.objects.count() == 1


def test_the_app_s_own_notice_is_skipped_without_a_delivery():
    copy = ingest(corpus.own_notice("notice"), uid=3)
    assert copy.outcome == MailMessage.Outcome.OWN_NOTICE and copy.delivery is None
    assert copy.folder == "Processed"
    assert Delivery.objects.count() == 0


def test_a_real_routing_notice_carries_the_header_the_mailbox_recognises(b3):
    delivery = fax_received()
    routing.delivery_route(delivery_id=delivery.pk)
    routing.delivery_send_notice(delivery_id=delivery.pk)
    sent = mail.outbox[-1].message().as_bytes()
    copy = ingest(sent, uid=9)
    assert copy.outcome == MailMessage.Outcome.OWN_NOTICE
    assert Delivery.objects.filter(source=Source.MAILBOX).count() == 0


def test_an_oversize_message_is_quarantined_with_its_raw_and_can_be_retried(settings, supervisor):
    settings.MAX_MESSAGE_BYTES = 20_000
    raw = corpus.oversize("big", 30_000)
    copy = ingest(raw, uid=4)
    delivery = copy.delivery
    assert copy.outcome == MailMessage.Outcome.QUARANTINED and copy.folder == "Quarantine"
    assert (
        "the limit is" in delivery.quarantine_reason
        and "MAX_MESSAGE_BYTES" in delivery.quarantine_reason
    )
    assert kinds(delivery) == [("message.eml", "message/rfc822")]
    assert delivery.requests.get().document == copy.raw

    mailbox_retry_quarantined(delivery_id=delivery.pk, actor=supervisor)
    delivery.refresh_from_db()
    assert not delivery.is_quarantined
    assert [r.document.name for r in delivery.requests.all()] == ["big.pdf"]
    assert Event.objects.filter(
        delivery=delivery, action="quarantine_retried", actor=supervisor
    ).exists()
    with pytest.raises(ValidationError, match="not a quarantined email"):
        mailbox_retry_quarantined(delivery_id=delivery.pk, actor=supervisor)


def test_a_retry_that_still_fails_changes_nothing(supervisor):
    delivery = ingest(corpus.not_an_email(), uid=8).delivery
    with pytest.raises(ValidationError, match="still cannot be read"):
        mailbox_retry_quarantined(delivery_id=delivery.pk, actor=supervisor)
    delivery.refresh_from_db()
    assert delivery.is_quarantined and delivery.documents.count() == 1


def test_a_message_that_cannot_be_stored_as_read_is_stored_quarantined(monkeypatch):
    from detainers.mailbox import messages

    def broken(parsed):
        raise OSError("disk trouble")

    monkeypatch.setattr(messages, "_files_of", broken)
    copy = ingest(corpus.with_forms("store"), uid=6)
    assert copy.outcome == MailMessage.Outcome.QUARANTINED
    assert "could not be stored as read (OSError)" in copy.delivery.quarantine_reason


def test_received_at_is_the_date_header_if_sane_else_the_arrival_else_now():
    arrived = timezone.now().replace(microsecond=0) - timedelta(hours=2)
    sent = arrived - timedelta(minutes=1)
    assert (
        ingest(corpus.with_forms("a", when=sent), uid=1, internal_date=arrived).delivery.received_at
        == sent
    )
    # A sender's clock a year off: the server's arrival time is used.
    wrong = arrived - timedelta(days=365)
    assert (
        ingest(
            corpus.with_forms("b", when=wrong), uid=2, internal_date=arrived
        ).delivery.received_at
        == arrived
    )
    future = timezone.now() + timedelta(days=3)
    delivery = ingest(corpus.with_forms("c", when=future)).delivery
    assert delivery.received_at <= timezone.now()


def test_logs_carry_ids_and_counts_never_subjects_names_or_addresses(caplog):
    cases = corpus.hard_cases()
    with caplog.at_level(logging.DEBUG):
        for name, raw in cases.items():
            ingest(raw, uid=hash(name) % 10_000 + 1)
    read = [
        record.getMessage()
        for record in caplog.records
        if record.name == "detainers.mailbox.messages"
        and "read into delivery" in record.getMessage()
    ]
    assert len(read) == len(cases) == MailMessage.objects.count()
    assert set(read) == {
        f"mail message {copy.pk} read into delivery {copy.delivery_id} ({copy.outcome})"
        for copy in MailMessage.objects.all()
    }
    # Each is in the messages as sent (latin-1 reads any bytes): its absence below means something.
    sent = b"".join(cases.values()).decode("latin-1").lower()
    logged = caplog.text.lower()
    for personal in (
        "ero.boston",
        "ice.dhs.gov",
        "muñoz",
        "munoz",
        "john doe",
        "detainer for",
        "kelly",
    ):
        assert personal in sent, personal
        assert personal not in logged


def test_health_says_not_configured_then_shows_the_recorded_state(settings):
    settings.CENTRAL_MAILBOX_URL = ""
    assert mailbox_health().configured is False
    settings.CENTRAL_MAILBOX_URL = "imaps://central:s3cret@mail.example.org/INBOX"
    health = mailbox_health()
    assert health.configured and health.overdue and health.last_read_at is None
    assert health.mailbox == "imaps://central@mail.example.org:993/INBOX"
    MailboxState.objects.create(
        mailbox=health.mailbox, last_read_at=timezone.now(), waiting=3, last_error=""
    )
    ingest(corpus.not_an_email(), uid=1)
    health = mailbox_health()
    assert (health.waiting, health.quarantined, health.overdue, health.ok) == (3, 1, False, True)


# --- A chunk at a time (the IMAP reader) ------------------------------------------------------


def chunk(*raws: bytes, first_uid: int = 1) -> list[tuple[bytes, Origin]]:
    return [(raw, at(first_uid + n)) for n, raw in enumerate(raws)]


def test_a_chunk_is_read_like_one_message_at_a_time():
    """Every kind of copy in one chunk: new, the same message again (in the chunk and from before),
    unreadable, and our own notice; each ends as message_ingest would have left it."""
    before = ingest(corpus.with_forms("before"), uid=1)
    two = corpus.with_forms("two", forms=2)
    rows = messages_ingest(
        copies=chunk(
            two,
            b"Received: from relay2\r\n" + two,
            corpus.with_forms("before"),
            corpus.not_an_email(),
            corpus.own_notice("ours"),
            first_uid=2,
        )
    )
    outcomes = [row.outcome for row in rows]
    assert outcomes == ["ingested", "duplicate", "duplicate", "quarantined", "own_notice"]
    assert [row.uid for row in rows] == [2, 3, 4, 5, 6] and all(row.pk for row in rows)
    assert rows[1].delivery == rows[0].delivery and rows[2].delivery == before.delivery
    assert Delivery.objects.count() == 3 and MailMessage.objects.count() == 6
    read = rows[0].delivery
    assert kinds(read)[0] == ("message.eml", "message/rfc822") and read.pages == 3
    assert rows[0].raw.file.read() == two and rows[0].sha256 == rows[0].raw.sha256
    assert read.requests.count() == 2
    assert Event.objects.filter(delivery=read, action="received").count() == 2
    assert "no header fields" in rows[3].delivery.quarantine_reason
    assert rows[3].delivery.requests.get().document == rows[3].raw


def test_a_chunk_costs_the_same_queries_whatever_its_size():
    """One query per table, not per message: that is what makes the mailbox keep up."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries_for(first_uid: int, count: int) -> int:
        raws = [corpus.with_forms(f"q{first_uid}-{n}") for n in range(count)]
        with CaptureQueriesContext(connection) as captured:
            messages_ingest(copies=chunk(*raws, first_uid=first_uid))
        return len(captured.captured_queries)

    assert queries_for(1, 2) == queries_for(100, 20)


def test_a_chunk_that_cannot_be_written_keeps_nothing(monkeypatch):
    from detainers.mailbox import messages

    raws = [corpus.with_forms(f"all-or-nothing-{n}") for n in range(3)]
    real = messages._files_of

    def fails_on_the_last(parsed):
        if "all-or-nothing-2" in parsed.headers.message_id:
            raise OSError("disk trouble")
        return real(parsed)

    monkeypatch.setattr(messages, "_files_of", fails_on_the_last)
    with pytest.raises(OSError):
        messages_ingest(copies=chunk(*raws))
    assert Delivery.objects.count() == 0 and MailMessage.objects.count() == 0


def test_a_chunk_refused_after_its_files_were_written_leaves_none_behind(settings):
    """A real constraint, not a patched one: another run recorded the copy at UID 3 meanwhile. The
    chunk's deliveries and files were written before its rows for the copies were refused."""
    from django.db import IntegrityError

    from tests.intake.test_intake_service import document_files, stored_files

    kept = ingest(corpus.own_notice("recorded-meanwhile"), uid=3)
    with pytest.raises(IntegrityError):
        messages_ingest(copies=chunk(*(corpus.with_forms(f"late-{n}") for n in range(3))))
    assert Delivery.objects.count() == 0 and list(MailMessage.objects.all()) == [kept]
    assert stored_files(settings) == document_files() == set()


def test_a_chunk_enqueues_one_routing_task_after_the_commit(
    monkeypatch, django_capture_on_commit_callbacks
):
    from detainers.intake import tasks

    sent = []
    monkeypatch.setattr(
        tasks.route_deliveries, "apply_async", lambda args, **options: sent.append(args)
    )
    with django_capture_on_commit_callbacks(execute=True):
        rows = messages_ingest(copies=chunk(*(corpus.with_forms(f"r{n}") for n in range(3))))
    assert sent == [([row.delivery_id for row in rows],)]


def test_the_batch_routing_task_routes_each_and_hands_a_failure_to_its_own_task(
    monkeypatch, mailoutbox
):
    from detainers.intake import tasks

    ids = [ingest(corpus.with_forms(f"route-{n}"), uid=n + 1).delivery_id for n in range(3)]
    real = routing.delivery_send_notice
    retried = []

    def fails_for_the_second(*, delivery_id, **claim):
        if delivery_id == ids[1]:
            raise ConnectionError("SMTP down")
        return real(delivery_id=delivery_id, **claim)

    monkeypatch.setattr(routing, "delivery_send_notice", fails_for_the_second)
    monkeypatch.setattr(
        tasks.route_delivery, "apply_async", lambda args, **options: retried.append(args)
    )
    tasks.route_deliveries.apply(args=(ids,)).get()
    assert Delivery.objects.filter(pk__in=ids, routed_at__isnull=False).count() == 3
    assert len(mailoutbox) == 2 and retried == [(ids[1],)]
