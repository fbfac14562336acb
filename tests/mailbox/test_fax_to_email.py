"""Mail from fax-to-email services is a fax: channel fax, on the precinct that owns the called
number, with the caller's number and the pages the notice gives (CONTRACT.md "Fax lines")."""

from email.message import EmailMessage
from email.utils import format_datetime

import pytest

from detainers.counting.selectors import CountFilter, yearly_stats
from detainers.mailbox.fax_to_email import fax_to_email_of
from detainers.mailbox.messages import Origin, message_ingest
from detainers.models import Channel, Delivery
from tests.conftest import local
from tests.factories import image_bytes, pdf_bytes

pytestmark = pytest.mark.django_db

WHEN = local(2024, 3, 15, 9, 30)

# The usual wordings: (subject, body). The called number is B-3's +1 617 555 0133.
NOTICES = {
    "efax": (
        'eFax message from "202-555-0100" - 2 page(s), Caller-ID: 1-202-555-0100',
        "You have received a 2 page fax at 2024-03-15 09:30:00 EDT.\n"
        "* The fax was sent to: 1-617-555-0133\n* Your fax ID: bos1_abc123\n",
    ),
    "ringcentral": (
        "New Fax Message from (202) 555-0100",
        "You have a new fax message.\nFrom: (202) 555-0100\nTo: (617) 555-0133\n"
        "Received: Friday, March 15, 2024 9:30 AM\nPages: 2\n",
    ),
    "generic": (
        "Fax from 2025550100 to 6175550133 - 2 pages",
        "A fax was received. See the attachment.\n",
    ),
    "fax_server": (
        "facsimile received",
        "Called number: +1 617 555 0133\nCaller ID: +1 202 555 0100\nCSID: ICE BOSTON ERO\n"
        "2 pages received in 1:05\n",
    ),
}


def fax_mail(subject: str, body: str, attachment: bytes | None = None, message_id="fax-1"):
    message = EmailMessage()
    message["From"] = "fax-noreply@efax.example.com"
    message["To"] = "detainers@police.example.gov"
    message["Subject"] = subject
    message["Date"] = format_datetime(WHEN)
    message["Message-ID"] = f"<{message_id}@efax.example.com>"
    message.set_content(body)
    if attachment is not None:
        message.add_attachment(attachment, maintype="application", subtype="pdf", filename="f.pdf")
    return message.as_bytes()


def ingest(raw: bytes, uid: int = 1) -> Delivery:
    copy = message_ingest(raw=raw, origin=Origin("file:///fax.eml", uid=uid))
    return copy.delivery


@pytest.mark.parametrize("service", sorted(NOTICES))
def test_each_usual_notice_is_recorded_as_a_fax_on_the_called_precinct(b3, service):
    subject, body = NOTICES[service]
    delivery = ingest(fax_mail(subject, body, pdf_bytes(pages=2)))

    assert delivery.channel == Channel.FAX
    assert delivery.precinct == b3
    assert delivery.to_number == "+16175550133"
    assert delivery.number_match == "owned"
    assert delivery.from_address == "+12025550100"
    assert delivery.pages == 2
    assert "fax-noreply@efax.example.com" in delivery.notes
    assert yearly_stats(counts=CountFilter(year_from=2024, year_to=2024))[0]["by_channel"] == {
        "fax": 1,
        "email": 0,
    }


def test_the_sending_machine_id_is_kept(b3):
    subject, body = NOTICES["fax_server"]

    assert ingest(fax_mail(subject, body, pdf_bytes())).sender_id == "ICE BOSTON ERO"


def test_a_tiff_attachment_is_a_scan_too(b3):
    message = EmailMessage()
    message["From"] = "fax@provider.example"
    message["Subject"] = "Fax from 2025550100 to 6175550133"
    message["Message-ID"] = "<tiff@provider.example>"
    message.set_content("New fax.")
    message.add_attachment(image_bytes("TIFF"), maintype="image", subtype="tiff", filename="f.tif")

    assert ingest(message.as_bytes()).channel == Channel.FAX


def test_a_called_number_no_precinct_owns_is_still_a_fax_flagged_for_a_precinct(b3):
    delivery = ingest(fax_mail("Fax from 2025550100 to 6175550999", "", pdf_bytes()))

    assert delivery.channel == Channel.FAX
    assert delivery.precinct is None and delivery.needs_precinct
    assert delivery.number_match == "unknown"


def test_a_notice_without_a_scan_stays_an_email(b3):
    subject, body = NOTICES["ringcentral"]

    assert ingest(fax_mail(subject, body)).channel == Channel.EMAIL


def test_mail_that_does_not_speak_of_a_fax_stays_an_email_whatever_numbers_it_holds(b3):
    body = "Please see the attached detainer.\nCall me: (617) 555-0133\nTo: (617) 555-0133\n"

    delivery = ingest(fax_mail("Detainer for your precinct", body, pdf_bytes()))

    assert delivery.channel == Channel.EMAIL
    assert delivery.to_number == ""


def test_a_fax_word_without_a_readable_called_number_stays_an_email(b3):
    assert fax_to_email_of(subject="Fax received", body="From: 202-555-0100", has_scan=True) is None
