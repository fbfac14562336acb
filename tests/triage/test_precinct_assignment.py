"""Putting a delivery in a precinct (detainers.triage.assignment): the event, the counts, the page, access."""

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Sum
from django.urls import reverse

from detainers.counting.rule import counts_check
from detainers.intake.routing import delivery_route
from detainers.intake.services import IncomingFile, delivery_receive
from detainers.models import Channel, CountCell, DetainerRequest, Disposition, Event, Source
from detainers.triage.assignment import delivery_assign_precinct
from detainers.triage.services import request_triage
from precincts.models import Precinct
from tests.conftest import local
from tests.factories import fax_received, pdf_bytes

pytestmark = pytest.mark.django_db

UNKNOWN_LINE = "+16175550199"


def routed_fax(**kwargs) -> DetainerRequest:
    delivery = fax_received(**kwargs)
    delivery_route(delivery_id=delivery.pk)
    return delivery.requests.select_related("delivery").get()


def counted_in(precinct_id: int) -> int:
    """Requests the summary counts for a precinct (0: none), by the month breakdown."""
    cells = CountCell.objects.filter(precinct_id=precinct_id, breakdown="month")
    return cells.aggregate(total=Sum("total"))["total"] or 0


# --- The service ----------------------------------------------------------------------------------


def test_it_assigns_a_fax_on_an_unknown_number_and_the_counts_follow(b3, supervisor):
    request = routed_fax(to_number=UNKNOWN_LINE, received_at=local(2024, 5, 1, 9))
    request_triage(
        request_id=request.pk,
        actor=supervisor,
        changes={"form_type": "I-247A", "disposition": Disposition.NOT_ACTED_UPON},
    )
    assert (counted_in(0), counted_in(b3.pk)) == (1, 0)

    delivery = delivery_assign_precinct(
        delivery_id=request.delivery_id, precinct_id=b3.pk, actor=supervisor, reason=""
    )

    delivery.refresh_from_db()
    assert delivery.precinct == b3
    # What was dialled stays on record as it was.
    assert (delivery.to_number, delivery.number_match, delivery.fax_number) == (
        UNKNOWN_LINE,
        "unknown",
        None,
    )
    assert not delivery.needs_precinct
    event = Event.objects.get(action="precinct_assigned")
    assert (event.actor, event.delivery, event.request) == (supervisor, delivery, None)
    assert event.changes == {"precinct": [None, "B-3"], "reason": [None, ""]}
    assert (counted_in(0), counted_in(b3.pk)) == (0, 1)
    by_disposition = CountCell.objects.get(
        precinct_id=b3.pk, breakdown="disposition", value=Disposition.NOT_ACTED_UPON
    )
    assert by_disposition.total == 1
    assert counts_check() == {}


def test_every_request_of_an_email_moves_with_it(c11, supervisor):
    delivery = delivery_receive(
        channel=Channel.EMAIL,
        source=Source.MAILBOX,
        received_at=local(2024, 6, 1, 9),
        files=[
            IncomingFile("one.pdf", pdf_bytes(), form=True),
            IncomingFile("two.pdf", pdf_bytes(2), form=True),
        ],
        from_address="ero.boston@ice.dhs.gov",
        allowed_types=None,
    ).delivery
    assert delivery.requests.count() == 2 and not delivery.needs_precinct

    delivery_assign_precinct(
        delivery_id=delivery.pk, precinct_id=c11.pk, actor=supervisor, reason="Cover names C-11"
    )

    assert (counted_in(0), counted_in(c11.pk)) == (0, 2)
    assert counts_check() == {}
    assert Event.objects.get(action="precinct_assigned").changes["reason"] == [
        None,
        "Cover names C-11",
    ]


def test_a_correction_needs_a_reason_and_keeps_the_fax_number(b3, c11, supervisor):
    request = routed_fax(received_at=local(2024, 3, 1, 9))  # B-3's line
    delivery = request.delivery
    line = delivery.fax_number
    assert delivery.precinct == b3 and line is not None

    with pytest.raises(ValidationError) as refused:
        delivery_assign_precinct(
            delivery_id=delivery.pk, precinct_id=c11.pk, actor=supervisor, reason="  "
        )
    assert "reason" in refused.value.message_dict
    delivery.refresh_from_db()
    assert delivery.precinct == b3
    assert not Event.objects.filter(action="precinct_assigned").exists()

    delivery_assign_precinct(
        delivery_id=delivery.pk,
        precinct_id=c11.pk,
        actor=supervisor,
        reason="Handed over at the station: C-11's arrest.",
    )
    delivery.refresh_from_db()
    assert (delivery.precinct, delivery.fax_number, delivery.number_match) == (c11, line, "owned")
    event = Event.objects.get(action="precinct_assigned")
    assert event.changes["precinct"] == ["B-3", "C-11"]
    assert (counted_in(b3.pk), counted_in(c11.pk)) == (0, 1)
    assert counts_check() == {}


def test_it_refuses_an_inactive_a_missing_or_the_same_precinct(b3, supervisor):
    retired = Precinct.objects.create(code="Z-9", name="Closed station", active=False)
    request = routed_fax(to_number=UNKNOWN_LINE)
    for precinct_id in (retired.pk, 999999):
        with pytest.raises(ValidationError, match="active precincts"):
            delivery_assign_precinct(
                delivery_id=request.delivery_id, precinct_id=precinct_id, actor=supervisor
            )
    delivery_assign_precinct(delivery_id=request.delivery_id, precinct_id=b3.pk, actor=supervisor)
    with pytest.raises(ValidationError, match="already B-3"):
        delivery_assign_precinct(
            delivery_id=request.delivery_id, precinct_id=b3.pk, actor=supervisor, reason="again"
        )
    assert Event.objects.filter(action="precinct_assigned").count() == 1
    assert counts_check() == {}


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_triage_racing_an_assignment_leaves_the_counts_right(b3, supervisor):
    """The assignment locks the delivery's requests, so a triage of one of them waits and then
    counts in the new precinct; without that lock the two deltas would be computed from stale rows."""
    request = routed_fax(to_number=UNKNOWN_LINE, received_at=local(2024, 4, 1, 9))
    errors = []

    def triage():
        try:
            request_triage(
                request_id=request.pk,
                actor=supervisor,
                changes={"disposition": Disposition.NOT_IN_CUSTODY},
            )
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            connection.close()

    with transaction.atomic():
        delivery_assign_precinct(
            delivery_id=request.delivery_id, precinct_id=b3.pk, actor=supervisor
        )
        racing = threading.Thread(target=triage)
        racing.start()
        racing.join(timeout=0.5)
        assert racing.is_alive(), "the triage must wait for the assignment's lock"
    racing.join(timeout=10)
    assert not errors
    assert counts_check() == {}
    assert (
        CountCell.objects.get(
            precinct_id=b3.pk, breakdown="disposition", value=Disposition.NOT_IN_CUSTODY
        ).total
        == 1
    )


# --- The page -------------------------------------------------------------------------------------


def test_the_item_page_offers_the_active_precincts(b3, c11, page_as):
    Precinct.objects.create(code="Z-9", name="Closed station", active=False)
    request = routed_fax(to_number=UNKNOWN_LINE)
    page = page_as("supervisor").get(reverse("inbox-item", args=[request.pk])).content.decode()
    assert f'action="{reverse("inbox-item-precinct", args=[request.pk])}"' in page
    assert "Assign a precinct" in page
    assert f'<option value="{b3.pk}">B-3 Mattapan</option>' in page
    assert f'<option value="{c11.pk}">C-11 Dorchester</option>' in page
    assert "Z-9" not in page


def test_a_supervisor_assigns_from_the_page(b3, supervisor, page_as):
    request = routed_fax(to_number=UNKNOWN_LINE)
    client = page_as("supervisor")
    url = reverse("inbox-item-precinct", args=[request.pk])

    response = client.post(url, {"precinct": b3.pk, "reason": "Cover sheet from B-3"})

    assert response.status_code == 302
    assert response["Location"] == reverse("inbox-item", args=[request.pk])
    page = client.get(response["Location"]).content.decode()
    assert f"{request.delivery.receipt_number} now belongs to B-3." in page
    assert "The precinct was assigned or corrected." in page and "Cover sheet from B-3" in page
    assert "Correct the precinct" in page
    request.delivery.refresh_from_db()
    assert request.delivery.precinct == b3
    assert counts_check() == {}


def test_a_correction_without_a_reason_is_refused_on_the_page(b3, c11, page_as):
    request = routed_fax()  # B-3's line
    response = page_as("supervisor").post(
        reverse("inbox-item-precinct", args=[request.pk]), {"precinct": c11.pk, "reason": ""}
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "The precinct was not changed" in page
    assert "say why it belongs to C-11 instead" in page
    request.delivery.refresh_from_db()
    assert request.delivery.precinct == b3
    assert not Event.objects.filter(action="precinct_assigned").exists()


def test_the_page_refuses_get(b3, page_as):
    request = routed_fax()
    url = reverse("inbox-item-precinct", args=[request.pk])
    assert page_as("supervisor").get(url).status_code == 405


EXPECTED = {
    "anonymous": 302,
    "clerk": 403,
    "other_precinct_clerk": 403,
    "supervisor": 302,
    "admin": 403,
    "gateway": 403,
    "nobody": 403,
}


@pytest.mark.parametrize("person", list(EXPECTED))
def test_only_a_supervisor_assigns_a_precinct(b3, c11, people, page_as, person):
    # On B-3's line, so B-3's clerk can see the request and is still refused.
    request = routed_fax()
    response = page_as(person).post(
        reverse("inbox-item-precinct", args=[request.pk]),
        {"precinct": c11.pk, "reason": "Wrong station"},
    )
    assert response.status_code == EXPECTED[person]
    if person == "anonymous":
        assert response["Location"].startswith("/accounts/login/")
    request.delivery.refresh_from_db()
    assert (request.delivery.precinct == c11) == (person == "supervisor")
