"""A fax received again closes the to-do of the missed or partial fax it stands in for: same line,
same caller number or sender id, within FAX_RESEND_WINDOW_HOURS; a supervisor can undo the link."""

from datetime import timedelta

import pytest

from detainers.intake.receptions import fax_reception_record
from detainers.intake.services import IncomingFile
from detainers.models import Delivery, Event, MissedFax, Source
from tests.conftest import local
from tests.factories import pdf_bytes

pytestmark = pytest.mark.django_db

CALL = local(2024, 3, 15, 9, 30)


def call(status="received", at=CALL, to="+1 617 555 0133", caller="+1 202 555 0100", **more):
    return fax_reception_record(
        source=Source.GATEWAY,
        status=status,
        received_at=at,
        to_number=to,
        from_number=caller,
        document=None if status == "failed" else IncomingFile("fax.pdf", pdf_bytes()),
        **more,
    )


def test_a_fax_from_the_same_caller_on_the_same_line_closes_the_missed_fax(b3):
    missed = call("failed", error="busy").missed_fax
    resent = call(at=CALL + timedelta(minutes=20)).delivery

    missed.refresh_from_db()
    assert missed.resolved_by == resent
    assert missed.resolved_at is not None
    event = Event.objects.get(action="missed_fax_resent")
    assert (event.missed_fax, event.delivery) == (missed, resent)


def test_the_same_sender_id_closes_it_when_the_caller_number_is_withheld(b3):
    missed = call("failed", caller="", sender_id="ICE BOSTON").missed_fax
    resent = call(at=CALL + timedelta(hours=2), caller="", sender_id="ICE BOSTON").delivery

    missed.refresh_from_db()
    assert missed.resolved_by == resent


@pytest.mark.parametrize(
    "later",
    [
        {"at": CALL + timedelta(hours=25)},  # after the 24-hour window
        {"at": CALL + timedelta(minutes=5), "caller": "+1 202 555 0199"},  # another caller
        {"at": CALL + timedelta(minutes=5), "to": "+1 617 555 0151"},  # another line
        {"at": CALL - timedelta(minutes=5)},  # received before the failure
    ],
)
def test_other_faxes_leave_it_open(b3, c11, later):
    missed = call("failed").missed_fax
    call(**later)

    missed.refresh_from_db()
    assert missed.resolved_by is None
    assert Delivery.objects.count() == 1  # the later fax itself was received


def test_the_window_is_a_setting(b3, settings):
    settings.FAX_RESEND_WINDOW_HOURS = 48
    missed = call("failed").missed_fax
    resent = call(at=CALL + timedelta(hours=30)).delivery

    missed.refresh_from_db()
    assert missed.resolved_by == resent


def test_a_fax_received_again_closes_a_partial_one(b3):
    partial = call("partial", error="page 2 lost").delivery
    resent = call(at=CALL + timedelta(minutes=10)).delivery

    partial.refresh_from_db()
    assert partial.resend_closed_by == resent
    assert Event.objects.filter(action="partial_fax_resent", delivery=partial).count() == 1
    resent.refresh_from_db()
    assert resent.resend_closed_by is None  # it closed the other, not itself


def test_a_supervisor_undoes_the_link_and_the_missed_fax_is_open_again(b3, page_as, supervisor):
    missed = call("failed").missed_fax
    call(at=CALL + timedelta(minutes=20))

    response = page_as("supervisor").post(f"/inbox/missed/{missed.pk}/unlink/")

    assert response.status_code == 302
    missed.refresh_from_db()
    assert (missed.resolved_by, missed.resolved_at) == (None, None)
    event = Event.objects.get(action="missed_fax_resend_unlinked")
    assert event.actor == supervisor
    assert event.missed_fax == missed


def test_a_supervisor_undoes_a_partial_fax_link_from_its_item_page(b3, page_as, supervisor):
    partial = call("partial").delivery
    call(at=CALL + timedelta(minutes=10))
    request_id = partial.requests.get().pk

    response = page_as("supervisor").post(f"/inbox/{request_id}/resend-unlink/")

    assert response.status_code == 302
    partial.refresh_from_db()
    assert partial.resend_closed_by is None
    assert Event.objects.get(action="partial_fax_resend_unlinked").actor == supervisor


def test_a_supervisor_notes_that_the_sender_was_asked(b3, page_as, supervisor):
    missed = call("failed").missed_fax

    response = page_as("supervisor").post(f"/inbox/missed/{missed.pk}/asked/")

    assert response.status_code == 302
    missed.refresh_from_db()
    assert missed.resend_asked_by == supervisor and missed.resend_asked_at is not None
    assert MissedFax.objects.get().resolved_by is None  # asking does not close it
