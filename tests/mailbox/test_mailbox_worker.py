"""The central mailbox with a real Celery worker: a chunk of emails read from Dovecot is routed by the
worker (one task for the chunk), each attached form is read, and a detainer that was faxed before is
linked to the fax as its duplicate; with two readers, the worker reads its share beside the beat's."""

import random
from dataclasses import replace
from datetime import timedelta
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

import pytest
from django.utils import timezone

from detainers.demo.filled_forms import filled_form_random
from detainers.demo.pages import form_pdf_text_layer
from detainers.mailbox import mailbox_health, mailbox_ingest, tasks
from detainers.models import Delivery, DetainerRequest, Extraction, InboxEntry, MailMessage
from tests import mail_corpus as corpus
from tests.factories import fax_received
from tests.processes import wait_for

pytestmark = [pytest.mark.imap, pytest.mark.worker, pytest.mark.postgres]


def emailed_form(form) -> bytes:
    message = EmailMessage()
    message["From"] = "ero.boston@ice.dhs.gov"
    message["To"] = "detainers@police.example"
    message["Subject"] = "Detainer"
    message["Date"] = format_datetime(timezone.now())
    message["Message-ID"] = make_msgid(domain="ice.dhs.gov")
    message.set_content("Please find the detainer attached.\n")
    message.add_attachment(
        form_pdf_text_layer(form), maintype="application", subtype="pdf", filename="I-247A.pdf"
    )
    return bytes(message)


def test_the_worker_routes_a_chunk_reads_its_forms_and_links_a_faxed_copy(
    imap, worker, smtp_sink, b3
):
    forms = [
        replace(filled_form_random(random.Random(seed)), form_type="I-247A") for seed in (1, 2, 3)
    ]
    faxed = fax_received(
        content=form_pdf_text_layer(forms[0]), received_at=timezone.now() - timedelta(hours=1)
    )
    imap.append(*(emailed_form(form) for form in forms))

    summary = mailbox_ingest()
    assert (summary.ingested, summary.failed) == (3, 0)
    emails = Delivery.objects.exclude(pk=faxed.pk)

    def all_done() -> bool:
        announced = Delivery.objects.filter(notice_sent_at__isnull=False).count() == 4
        read = not Extraction.objects.filter(status="pending").exists()
        return announced and read and Extraction.objects.count() >= 4

    wait_for(all_done, 60, what="4 deliveries routed, announced and read by the worker")
    assert InboxEntry.objects.count() == 4
    assert "route_deliveries" in worker.log()  # the chunk went as one task
    for form in forms:
        request = DetainerRequest.objects.get(delivery__in=emails, event_number=form.event_number)
        assert request.a_number == form.a_number
    copy = DetainerRequest.objects.get(delivery__in=emails, event_number=forms[0].event_number)
    wait_for(lambda: DetainerRequest.objects.get(pk=copy.pk).duplicate_of_id, 10, what="link")
    assert DetainerRequest.objects.get(pk=copy.pk).duplicate_of == faxed.requests.get()


def test_with_two_readers_the_minutes_task_reads_one_share_and_the_worker_the_other(
    imap, worker, settings
):
    """MAILBOX_READERS=2 as docker-compose.yml runs it: the beat's task reads its share here while
    the worker reads the other at the same time, each under its own lease; all is read once."""
    settings.MAILBOX_READERS = 2
    worker.env["CENTRAL_MAILBOX_URL"] = imap.server.url()  # how a deployed worker knows it
    worker.stop()
    worker.start()
    try:
        imap.append(*(corpus.with_forms(f"shared-{n}") for n in range(12)))
        own = tasks.ingest_mailbox()
        wait_for(
            lambda: MailMessage.objects.count() == 12 and imap.count("INBOX") == 0,
            60,
            what="the worker's share read and moved",
        )
        assert "ingest_mailbox_part" in worker.log()
    finally:
        del worker.env["CENTRAL_MAILBOX_URL"]
        worker.stop()
        worker.start()  # without the mailbox; it goes on routing and reading what was read
    uids = list(MailMessage.objects.values_list("uid", flat=True))
    assert own == sum(uid % 2 == 0 for uid in uids) == 6
    assert Delivery.objects.count() == 12 and imap.count("Processed") == 12
    assert mailbox_health().last_read_at is not None and mailbox_health().last_error == ""
