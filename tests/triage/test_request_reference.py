"""One name for a request: its receipt reference (DD-2026-000121, -2 for a delivery's second request),
typed in any of the spellings people use, found only where the person may see it."""

import pytest
from django.utils import timezone

from accounts.access import Role
from detainers.core.identifiers import RequestReference, request_reference_parse
from detainers.intake.services import IncomingFile, delivery_receive
from detainers.models import Channel, Source
from detainers.triage.selectors import request_by_reference
from tests.conftest import make_user
from tests.factories import fax_received, pdf_bytes

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("DD-2026-000121", RequestReference(delivery_id=121, year=2026)),
        ("  dd 2026 121 ", RequestReference(delivery_id=121, year=2026)),
        ("DD-2026-000121-2", RequestReference(delivery_id=121, sequence=2, year=2026)),
        ("#121", RequestReference(request_id=121)),
        ("121", RequestReference(request_id=121)),
        ("Request #7", RequestReference(request_id=7)),
    ],
)
def test_the_spellings_people_type_are_read(typed, expected):
    assert request_reference_parse(typed) == expected


@pytest.mark.parametrize(
    "typed", ["", "DD-26-121", "DD-2026-", "A012345678", "12a", "DD-2026-1-2-3"]
)
def test_anything_else_is_not_a_reference(typed):
    assert request_reference_parse(typed) is None


def _email_with_two_forms():
    return delivery_receive(
        channel=Channel.EMAIL,
        source=Source.MAILBOX,
        received_at=timezone.now(),
        files=[
            IncomingFile("first.pdf", pdf_bytes(), form=True),
            IncomingFile("second.pdf", pdf_bytes(2), form=True),
        ],
        from_address="agent@example.gov",
        external_id="<two-forms@example.gov>",
    ).delivery


def test_a_delivery_s_requests_are_numbered_and_named_by_its_receipt():
    delivery = _email_with_two_forms()
    first, second = delivery.requests.order_by("pk")
    assert (first.sequence, second.sequence) == (1, 2)
    assert first.reference == delivery.receipt_number
    assert second.reference == f"{delivery.receipt_number}-2"


def test_a_supervisor_finds_a_request_by_its_receipt_or_its_old_number(b3):
    supervisor = make_user("supervisor", Role.SUPERVISOR)
    delivery = _email_with_two_forms()
    first, second = delivery.requests.order_by("pk")
    assert request_by_reference(user=supervisor, text=delivery.receipt_number) == first
    assert request_by_reference(user=supervisor, text=second.reference.lower()) == second
    assert request_by_reference(user=supervisor, text=f"#{second.pk}") == second
    assert request_by_reference(user=supervisor, text=f"{delivery.receipt_number}-3") is None


def test_a_receipt_with_the_wrong_year_names_nothing():
    supervisor = make_user("supervisor", Role.SUPERVISOR)
    delivery = fax_received()
    year = timezone.localtime(delivery.logged_at).year
    wrong = f"DD-{year - 1}-{delivery.pk:06d}"
    assert request_by_reference(user=supervisor, text=wrong) is None


def test_a_clerk_does_not_find_another_precinct_s_request(b3, c11):
    clerk = make_user("clerk", Role.CLERK, precinct=c11)
    delivery = fax_received(to_number="+1 617 555 0133")  # B-3's line
    assert request_by_reference(user=clerk, text=delivery.receipt_number) is None
    own = fax_received(to_number="+16175550151")  # C-11's
    assert request_by_reference(user=clerk, text=own.receipt_number) == own.requests.get()
