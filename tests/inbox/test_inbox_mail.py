"""Emails in the central inbox: the mailbox's health, quarantined and doubtful messages, retrying one,
the text of a message shown on the page, the raw message as a download, and each kind's headers."""

from email.message import EmailMessage
from email.utils import format_datetime

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from detainers.intake.routing import delivery_route
from detainers.intake.services import IncomingFile, delivery_receive
from detainers.mailbox import Origin, message_ingest
from detainers.models import Channel, DetainerRequest, Event, MailboxState, Source
from tests import mail_corpus as corpus
from tests.factories import fax_received, foreign_scripts, image_bytes

pytestmark = pytest.mark.django_db


def emailed(raw: bytes) -> DetainerRequest:
    """A message read by the mailbox reader and routed into the central inbox: its first request."""
    delivery = message_ingest(raw=raw, origin=Origin(mailbox="file://import")).delivery
    delivery_route(delivery_id=delivery.pk)
    return delivery.requests.select_related("delivery").order_by("pk").first()


def message(body: str, sender: str = "Vendor <sales@vendor.example>") -> bytes:
    mail = EmailMessage()
    mail["From"] = sender
    mail["To"] = corpus.CENTRAL
    mail["Subject"] = "Hello"
    mail["Date"] = format_datetime(timezone.now())
    mail["Message-ID"] = "<text@corpus.example>"
    mail.set_content(body)
    return mail.as_bytes()


def item_page(client, item: DetainerRequest) -> str:
    return client.get(reverse("inbox-item", args=[item.pk])).content.decode()


# --- The list -------------------------------------------------------------------------------------


def test_the_list_shows_the_mailbox_health_panel(settings, supervisor, page_as):
    settings.CENTRAL_MAILBOX_URL = ""
    client = page_as("supervisor")
    page = client.get(reverse("inbox")).content.decode()
    assert 'aria-label="Central mailbox"' in page
    # Plain words for a supervisor; the setting's name only for admins (tests/inbox/test_queue.py).
    assert "The central mailbox is not connected; an administrator sets it up." in page

    settings.CENTRAL_MAILBOX_URL = "imaps://central:s3cret@mail.example.org/INBOX"
    MailboxState.objects.create(
        mailbox="imaps://central@mail.example.org:993/INBOX",
        last_read_at=timezone.now(),
        waiting=4,
        last_error="Login failed: check the password",
        last_error_at=timezone.now(),
    )
    emailed(corpus.not_an_email())
    response = client.get(reverse("inbox"))
    page = response.content.decode()
    assert response.context["mailbox_health"].quarantined == 1
    assert "4 messages" in page
    assert "Login failed: check the password" in page
    assert "s3cret" not in page


def test_the_list_flags_quarantined_and_doubtful_emails(page_as):
    quarantined = emailed(corpus.not_an_email())
    doubtful = emailed(corpus.not_a_detainer("offer"))
    from_the_agency = emailed(corpus.with_forms("form"))
    assert quarantined.delivery.quarantine_reason and doubtful.delivery.possibly_not_detainer

    response = page_as("supervisor").get(reverse("inbox"))
    page = response.content.decode()

    listed = {row.request.pk for row in response.context["rows"]}
    assert listed == {quarantined.pk, doubtful.pk, from_the_agency.pk}
    assert f"Quarantined: {escape(quarantined.delivery.quarantine_reason)}</span>" in page
    assert page.count("Quarantined: ") == 1
    assert page.count("Possibly not a detainer</span>") == 1


def test_a_configured_mailbox_costs_the_list_one_more_query(
    settings, page_as, django_assert_num_queries
):
    item = emailed(corpus.not_an_email())
    settings.CENTRAL_MAILBOX_URL = "imaps://central:s3cret@mail.example.org/INBOX"
    client = page_as("supervisor")
    # tests/inbox/test_inbox.py pins 12 without a mailbox; the panel then also reads the mailbox's
    # state.
    with django_assert_num_queries(13):
        response = client.get(reverse("inbox"))

    assert response.status_code == 200
    assert [row.request.pk for row in response.context["rows"]] == [item.pk]
    health = response.context["mailbox_health"]
    assert health.configured and health.quarantined == 1
    assert 'aria-label="Central mailbox"' in response.content.decode()


# --- One email's page -----------------------------------------------------------------------------


def test_the_item_page_shows_the_quarantine_and_a_retry_button(page_as):
    item = emailed(corpus.not_an_email())
    page = item_page(page_as("supervisor"), item)
    assert "Quarantined: this email was not read" in page
    assert escape(item.delivery.quarantine_reason) in page
    assert f'action="{reverse("inbox-item-mail-retry", args=[item.pk])}"' in page
    assert "Retry reading this message" in page


def test_a_read_email_has_no_retry_button(page_as):
    item = emailed(corpus.with_forms("read"))
    page = item_page(page_as("supervisor"), item)
    assert "Retry reading this message" not in page
    assert "Possibly not a detainer" not in page
    assert "From (the message's sender)" in page and "ero.boston@ice.dhs.gov" in page
    assert "&lt;read@corpus.example&gt;" in page, "the Message-ID"


def test_the_item_page_shows_a_doubtful_email_and_its_sender(page_as):
    item = emailed(corpus.not_a_detainer("offer"))
    page = item_page(page_as("supervisor"), item)
    assert "Possibly not a detainer" in page
    assert "sales@vendor.example" in page


def test_parse_defects_are_listed_as_text(page_as):
    delivery = delivery_receive(
        channel=Channel.EMAIL,
        source=Source.MAILBOX,
        received_at=timezone.now(),
        files=[IncomingFile("message.txt", b"Hello", "text/plain", form=True)],
        from_address="someone@example.org",
        allowed_types=None,
        parse_defects=("CloseBoundaryNotFoundDefect", "<img src=x onerror=alert(1)>"),
    ).delivery
    delivery_route(delivery_id=delivery.pk)
    page = item_page(page_as("supervisor"), delivery.requests.get())
    assert "<li>CloseBoundaryNotFoundDefect</li>" in page
    assert "<li>&lt;img src=x onerror=alert(1)&gt;</li>" in page
    assert "<img src=x" not in page


def test_the_defects_of_a_truncated_message_are_shown(page_as):
    item = emailed(corpus.truncated("cut"))
    page = item_page(page_as("supervisor"), item)
    assert "Problems found reading the message" in page
    assert "<li>CloseBoundaryNotFoundDefect</li>" in page


# --- Retrying a quarantined email -----------------------------------------------------------------


def test_retry_reads_a_quarantined_message_again(settings, supervisor, page_as):
    settings.MAX_MESSAGE_BYTES = 20_000
    item = emailed(corpus.oversize("big", 30_000))
    assert item.delivery.is_quarantined
    client = page_as("supervisor")

    response = client.post(reverse("inbox-item-mail-retry", args=[item.pk]))

    assert response.status_code == 302
    assert response["Location"] == reverse("inbox-item", args=[item.pk])
    page = client.get(response["Location"]).content.decode()
    assert f"The message of {item.delivery.receipt_number} was read again." in page
    assert "Retry reading this message" not in page
    item.refresh_from_db()
    item.delivery.refresh_from_db()
    assert not item.delivery.is_quarantined
    assert item.document.name == "big.pdf"
    assert Event.objects.filter(
        delivery=item.delivery, action="quarantine_retried", actor=supervisor
    ).exists()


def test_retry_that_still_fails_says_why_and_changes_nothing(page_as):
    item = emailed(corpus.not_an_email())
    client = page_as("supervisor")
    response = client.post(reverse("inbox-item-mail-retry", args=[item.pk]), follow=True)
    page = response.content.decode()
    assert response.redirect_chain == [(reverse("inbox-item", args=[item.pk]), 302)]
    assert 'class="message error"' in page and "It still cannot be read" in page
    item.delivery.refresh_from_db()
    assert item.delivery.is_quarantined
    assert not Event.objects.filter(action="quarantine_retried").exists()


def test_retry_refuses_a_delivery_that_is_not_quarantined(b3, page_as):
    delivery = fax_received()
    delivery_route(delivery_id=delivery.pk)
    item = delivery.requests.get()
    response = page_as("supervisor").post(
        reverse("inbox-item-mail-retry", args=[item.pk]), follow=True
    )
    assert "This is not a quarantined email: there is nothing to retry." in (
        response.content.decode()
    )
    assert not Event.objects.filter(action="quarantine_retried").exists()


RETRY_EXPECTED = {
    "anonymous": 302,
    "clerk": 403,
    "other_precinct_clerk": 403,
    "supervisor": 302,
    "admin": 403,
    "gateway": 403,
    "nobody": 403,
}


@pytest.mark.parametrize("person", list(RETRY_EXPECTED))
def test_only_a_supervisor_retries(people, page_as, person):
    item = emailed(corpus.not_an_email())
    client = page_as(person)
    response = client.post(reverse("inbox-item-mail-retry", args=[item.pk]))
    assert response.status_code == RETRY_EXPECTED[person]
    if person == "anonymous":
        assert response["Location"].startswith("/accounts/login/")
    assert client.get(reverse("inbox-item-mail-retry", args=[item.pk])).status_code == (
        405 if person == "supervisor" else RETRY_EXPECTED[person]
    )


# --- Documents of an email ------------------------------------------------------------------------


def test_the_text_of_an_email_is_shown_escaped_and_audited(supervisor, page_as):
    item = emailed(message("Grüße,\n<script>alert('body')</script>\nSee you.\n"))
    text = item.delivery.documents.get(content_type="text/plain")

    page = item_page(page_as("supervisor"), item)

    assert '<pre class="inbox-text">' in page
    assert "&lt;script&gt;alert(&#x27;body&#x27;)&lt;/script&gt;" in page
    assert foreign_scripts(page) == []
    assert "Grüße," in page
    assert f'src="{reverse("document", args=[text.pk])}"' not in page, "no <img> of a text"
    # Shown on the page without the document view, so the page records the look itself.
    viewed = Event.objects.get(action="document_viewed")
    assert (viewed.actor, viewed.changes) == (supervisor, {"document": [None, text.pk]})


def test_a_long_text_is_cut_at_200_kb_with_a_note(page_as):
    line = "x" * 99 + "\n"
    item = emailed(message(line * 2100 + "THE END\n"))  # 210 KB
    response = page_as("supervisor").get(reverse("inbox-item", args=[item.pk]))
    shown = next(doc for doc in response.context["documents"] if doc.kind == "text")
    assert shown.text_cut and len(shown.text.encode()) == 200 * 1024
    page = response.content.decode()
    assert "THE END" not in page
    assert "Only the first 200 KB of this text are shown." in page


def test_a_text_document_is_served_inline_as_utf8_locked_down(page_as):
    item = emailed(message("Grüße <b>bold</b>\n"))
    text = item.delivery.documents.get(content_type="text/plain")
    response = page_as("supervisor").get(reverse("document", args=[text.pk]))
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response["Content-Disposition"].startswith("inline;")
    assert response["Content-Disposition"].endswith('.txt"')
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == "sandbox"
    assert "Grüße <b>bold</b>" in b"".join(response.streaming_content).decode("utf-8")


def test_the_raw_message_is_offered_as_a_download_only(page_as):
    item = emailed(corpus.with_forms("raw"))
    raw = item.delivery.documents.get(content_type="message/rfc822")
    client = page_as("supervisor")
    page = item_page(client, item)
    url = reverse("document", args=[raw.pk])
    assert "The email exactly as received (.eml)" in page
    assert f'<a href="{url}">Download the file</a>' in page
    assert f'data="{url}"' not in page and f'src="{url}"' not in page
    response = client.get(url)
    assert response["Content-Disposition"] == (
        f'attachment; filename="{item.delivery.receipt_number}-1.eml"'
    )
    assert response["Content-Security-Policy"] == "sandbox"
    assert response["X-Content-Type-Options"] == "nosniff"


# --- Headers of each kind -------------------------------------------------------------------------


def test_a_pdf_is_served_without_sandbox_but_locked_down(page_as):
    item = emailed(corpus.with_forms("pdf"))
    pdf = item.document
    response = page_as("supervisor").get(reverse("document", args=[pdf.pk]))
    assert response["Content-Type"] == "application/pdf"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "SAMEORIGIN"
    directives = {
        part.strip().split(" ", 1)[0]: part.strip()
        for part in response["Content-Security-Policy"].split(";")
    }
    # Chromium's viewer will not start in a sandboxed document; nothing but its own embed and
    # styles is allowed instead, and plugin-types (obsolete) is not relied upon.
    assert "sandbox" not in directives and "plugin-types" not in directives
    assert directives["default-src"] == "default-src 'none'"
    assert directives["object-src"] == "object-src 'self'"
    assert directives["frame-ancestors"] == "frame-ancestors 'self'"
    assert "script-src" not in directives, "scripts fall back to default-src 'none'"


def test_everything_but_a_pdf_keeps_the_sandbox(b3, page_as):
    delivery = fax_received(content=image_bytes("TIFF", pages=1))
    tiff = delivery.documents.get()
    client = page_as("supervisor")
    for url in (reverse("document", args=[tiff.pk]), reverse("document-page", args=[tiff.pk, 1])):
        response = client.get(url)
        assert response["Content-Security-Policy"] == "sandbox"
        assert response["X-Content-Type-Options"] == "nosniff"
