"""Known senders: deliveries and missed faxes from them show their name; a fax from a known sender
on a number no precinct owns is flagged for a supervisor."""

import pytest

from detainers.intake.receptions import fax_reception_record
from detainers.intake.services import IncomingFile
from detainers.models import Source
from precincts.models import KnownSender, KnownSenderMark
from tests.conftest import local
from tests.factories import pdf_bytes

pytestmark = pytest.mark.django_db


@pytest.fixture
def field_office(db) -> KnownSender:
    sender = KnownSender.objects.create(name="ICE Boston Field Office")
    sender.marks.create(kind=KnownSenderMark.Kind.NUMBER, value="+12025550100")
    sender.marks.create(kind=KnownSenderMark.Kind.SENDER_ID, value="ICEBOSTONERO")
    return sender


def report(status="received", to="+1 617 555 0133", caller="", sender_id=""):
    return fax_reception_record(
        source=Source.GATEWAY,
        status=status,
        received_at=local(2024, 3, 15, 9, 30),
        to_number=to,
        from_number=caller,
        sender_id=sender_id,
        document=None if status == "failed" else IncomingFile("fax.pdf", pdf_bytes()),
    )


def test_a_fax_from_a_known_number_in_any_form_names_its_sender(b3, field_office):
    delivery = report(caller="(202) 555-0100").delivery

    assert delivery.known_sender == field_office
    assert not delivery.known_sender_off_line  # B-3 owns the line


def test_a_sender_id_is_recognised_whatever_its_spacing_and_case(b3, field_office):
    missed = report("failed", sender_id="  ice boston ero ").missed_fax

    assert missed.known_sender == field_office


def test_an_unknown_sender_is_nobody(b3, field_office):
    assert report(caller="+1 202 555 0199", sender_id="SOMEONE").delivery.known_sender is None


def test_an_inactive_sender_is_not_recognised(b3, field_office):
    field_office.active = False
    field_office.save()

    assert report(caller="+1 202 555 0100").delivery.known_sender is None


def test_a_known_sender_on_a_number_nobody_owns_is_flagged(b3, field_office, page_as):
    delivery = report(to="+1 617 555 0999", caller="+1 202 555 0100").delivery
    missed = report("failed", to="+1 617 555 0999", sender_id="ICEBOSTONERO").missed_fax

    assert delivery.known_sender_off_line and missed.known_sender_off_line
    request_id = delivery.requests.get().pk
    page = page_as("supervisor").get(f"/inbox/{request_id}/").content.decode()
    assert "ICE Boston Field Office" in page
    assert "A known sender faxed a number no precinct owns" in page
    missed_page = page_as("supervisor").get("/inbox/missed/").content.decode()
    assert "Known sender on a line no precinct owns" in missed_page


def test_an_admin_adds_a_known_sender_with_a_number_typed_any_way(admin_user, client):
    client.force_login(admin_user)
    response = client.post(
        "/admin/precincts/knownsender/add/",
        {
            "name": "ICE Burlington",
            "active": "on",
            "note": "",
            "marks-TOTAL_FORMS": "2",
            "marks-INITIAL_FORMS": "0",
            "marks-0-kind": "number",
            "marks-0-value": "(781) 555-0142",
            "marks-1-kind": "sender_id",
            "marks-1-value": "ice burl",
        },
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    marks = sorted(KnownSender.objects.get().marks.values_list("kind", "value"))
    assert marks == [("number", "+17815550142"), ("sender_id", "ICEBURL")]


def test_an_admin_is_told_when_a_number_does_not_read(admin_user, client):
    client.force_login(admin_user)
    response = client.post(
        "/admin/precincts/knownsender/add/",
        {
            "name": "Somebody",
            "active": "on",
            "marks-TOTAL_FORMS": "1",
            "marks-INITIAL_FORMS": "0",
            "marks-0-kind": "number",
            "marks-0-value": "call me",
        },
    )

    assert response.status_code == 200
    assert not KnownSender.objects.exists()
