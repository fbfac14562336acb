"""PDFs whose actions reach outside the document (open a link, send a form, open another file):
refused at intake (tests/security/test_hostile_input.py), kept from the mailbox, where nothing sent
is refused, but flagged and only ever offered as a download, never opened in a browser."""

import uuid
from email.message import EmailMessage

import pytest

from detainers.core.documents import pdf_active_content
from detainers.intake import routing
from detainers.mailbox import Origin, message_ingest
from detainers.models import Document, MailMessage
from tests.factories import pdf_bytes
from tests.security.test_hostile_input import (
    JAVASCRIPT,
    pdf_with_object_stream,
    pdf_with_open_action,
)

pytestmark = pytest.mark.django_db

ACTIVE_PDFS = {
    "uri": pdf_with_open_action({"/S": "/URI", "/URI": "https://example.invalid/x"}),
    "submit-form": pdf_with_open_action({"/S": "/SubmitForm", "/F": "https://example.invalid/c"}),
    "remote-goto": pdf_with_open_action({"/S": "/GoToR", "/F": "other.pdf"}),
    "javascript": pdf_with_open_action(JAVASCRIPT),
    "uri-in-object-stream": pdf_with_object_stream(b"<< /S /URI /URI (https://example.invalid) >>"),
}


def emailed_pdf(content: bytes) -> Document:
    message = EmailMessage()
    message["From"] = "ERO Boston <ero.boston@ice.dhs.gov>"
    message["To"] = "detainers@police.example.gov"
    message["Subject"] = "Detainer"
    message["Message-ID"] = f"<actions-{uuid.uuid4().hex}@corpus.example>"
    message.set_content("Please find the detainer attached.\n")
    message.add_attachment(content, maintype="application", subtype="pdf", filename="i247a.pdf")
    raw = message.as_bytes(policy=message.policy.clone(linesep="\r\n"))
    copy = message_ingest(raw=raw, origin=Origin(mailbox="file://actions"))
    assert copy.outcome == MailMessage.Outcome.INGESTED
    routing.delivery_route(delivery_id=copy.delivery_id)
    return copy.delivery.documents.get(content_type="application/pdf")


@pytest.mark.parametrize("case", ACTIVE_PDFS)
def test_the_mailbox_keeps_a_pdf_with_actions_flagged_and_serves_it_only_as_a_download(
    page_as, case
):
    document = emailed_pdf(ACTIVE_PDFS[case])

    # Kept, byte for byte, and flagged with what was found.
    with document.file.open("rb") as stored:
        assert stored.read() == ACTIVE_PDFS[case]
    assert document.active_content.startswith("active content")
    request = document.delivery.requests.get()
    supervisor = page_as("supervisor")

    page = supervisor.get(f"/inbox/{request.pk}/")
    served = supervisor.get(f"/documents/{document.pk}/")

    assert page.status_code == 200
    html = page.content.decode()
    assert "download only, open it with care" in html
    assert f'data="/documents/{document.pk}/' not in html  # never embedded in the page
    assert served.status_code == 200
    assert served["Content-Disposition"].startswith("attachment;")
    assert served["Content-Security-Policy"] == "sandbox"


def test_an_honest_emailed_pdf_is_still_shown_in_the_page(page_as):
    document = emailed_pdf(pdf_bytes(pages=2))
    request = document.delivery.requests.get()
    supervisor = page_as("supervisor")

    page = supervisor.get(f"/inbox/{request.pk}/")
    served = supervisor.get(f"/documents/{document.pk}/")

    assert document.active_content == ""
    # Embedded, with the viewer's pass (its pages are not each a view of the document).
    assert f'data="/documents/{document.pk}/?pass=' in page.content.decode()
    assert served["Content-Disposition"].startswith("inline;")
    assert served["Content-Security-Policy"] != "sandbox"


def test_a_harmless_go_to_page_action_is_not_flagged():
    assert pdf_active_content(pdf_with_object_stream(b"<< /S /GoTo /D [3 0 R /Fit] >>")) == ""
    assert (
        pdf_active_content(b"%PDF-1.4 not really\n%%EOF") == "damaged, so it could not be checked"
    )
