"""POST /api/v1/faxes/ with status: a failed reception is a missed fax, never a request; a partial
one is a request flagged for a resend (CONTRACT.md "Fax lines")."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from detainers.counting.selectors import CountFilter, yearly_stats
from detainers.models import CountCell, Delivery, DetainerRequest, Event, MissedFax
from precincts.services import fax_number_retire
from tests.conftest import local
from tests.factories import pdf_bytes

pytestmark = pytest.mark.django_db

URL = "/api/v1/faxes/"


def report(**fields) -> dict:
    form = {
        "to_number": "+1 617 555 0133",
        "from_number": "+1 202 555 0100",
        "received_at": "2024-03-15T09:30:00-04:00",
    }
    form.update(fields)
    return {key: value for key, value in form.items() if value is not None}


def test_it_records_a_failed_reception_as_a_missed_fax_with_no_request(api_as, gateway, b3):
    response = api_as("gateway").post(
        URL,
        report(status="failed", error="RSPREC error/got DCN", sender_id=" AGENCY BOS ", pages="1"),
    )

    assert response.status_code == 201, response.json()
    answer = response.json()
    missed = MissedFax.objects.get()
    assert answer["id"] is None
    assert answer["missed_fax_id"] == missed.pk
    assert answer["status"] == "failed"
    assert answer["precinct"] == "B-3"
    assert answer["received_at"] == "2024-03-15T09:30:00-04:00"
    assert answer["error"] == "RSPREC error/got DCN"
    assert answer["sender_id"] == "AGENCY BOS"
    assert missed.to_number == "+16175550133"
    assert missed.from_address == "+1 202 555 0100"
    assert missed.pages == 1
    assert missed.reported_by == gateway
    assert Event.objects.get(missed_fax=missed).action == "missed_fax_received"
    # Nothing to count: no delivery, no request, no count cell.
    assert not Delivery.objects.exists()
    assert not DetainerRequest.objects.exists()
    assert not CountCell.objects.exists()
    assert yearly_stats(counts=CountFilter(year_from=2024, year_to=2024)) == []


def test_a_failed_report_without_a_reason_is_kept_with_a_plain_one(api_as, b3):
    response = api_as("gateway").post(URL, report(status="failed"))

    assert response.status_code == 201
    assert "without saying why" in MissedFax.objects.get().error


def test_a_retried_failed_report_returns_the_first_missed_fax_with_200(api_as, b3):
    gateway = api_as("gateway")
    first = gateway.post(URL, report(status="failed", gateway_id="comm-000123"))
    again = gateway.post(URL, report(status="failed", gateway_id="comm-000123"))

    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["missed_fax_id"] == first.json()["missed_fax_id"]
    assert MissedFax.objects.count() == 1


def test_the_precinct_of_a_missed_fax_comes_from_the_number_history(api_as, b3):
    # The number left B-3 at the start of 2024: a call in 2023 was B-3's, one in 2025 nobody's.
    fax_number_retire(fax_number=b3.fax_numbers.get(), active_until=local(2024, 1, 1))
    gateway = api_as("gateway")
    gateway.post(URL, report(status="failed", received_at="2023-06-01T10:00:00-04:00"))
    gateway.post(URL, report(status="failed", received_at="2025-06-01T10:00:00-04:00"))

    older, newer = MissedFax.objects.order_by("received_at")
    assert (older.precinct, older.number_match) == (b3, "owned")
    assert (newer.precinct, newer.number_match) == (None, "retired")


def test_a_failed_report_with_a_document_is_refused_naming_the_field(api_as, b3):
    response = api_as("gateway").post(
        URL, report(status="failed", document=SimpleUploadedFile("fax.pdf", pdf_bytes()))
    )

    assert response.status_code == 400
    assert "partial" in response.json()["document"][0]
    assert not MissedFax.objects.exists() and not Delivery.objects.exists()


@pytest.mark.parametrize("status", ["received", "partial"])
def test_a_received_or_partial_report_without_a_document_is_refused(api_as, b3, status):
    response = api_as("gateway").post(URL, report(status=status))

    assert response.status_code == 400
    assert "document" in response.json()
    assert not MissedFax.objects.exists() and not Delivery.objects.exists()


def test_an_unknown_status_is_refused(api_as, b3):
    response = api_as("gateway").post(URL, report(status="lost"))

    assert response.status_code == 400
    assert "status" in response.json()


def test_a_partial_fax_is_a_counted_request_flagged_for_a_resend(api_as, b3):
    response = api_as("gateway").post(
        URL,
        report(
            status="partial",
            error="Page 3 of 4 lost",
            sender_id="ICE BOSTON",
            document=SimpleUploadedFile("fax.pdf", pdf_bytes(pages=2)),
        ),
    )

    assert response.status_code == 201, response.json()
    answer = response.json()
    delivery = Delivery.objects.get()
    assert answer["id"] == DetainerRequest.objects.get().pk
    assert answer["partial"] is True
    assert answer["sender_id"] == "ICE BOSTON"
    assert delivery.partial and delivery.sender_id == "ICE BOSTON"
    assert "Page 3 of 4 lost" in delivery.notes
    assert yearly_stats(counts=CountFilter(year_from=2024, year_to=2024))[0]["total"] == 1


def test_a_received_report_keeps_the_sender_id_and_is_not_partial(api_as, b3):
    response = api_as("gateway").post(
        URL,
        report(sender_id="ICE BOSTON", document=SimpleUploadedFile("fax.pdf", pdf_bytes())),
    )

    assert response.status_code == 201
    delivery = Delivery.objects.get()
    assert (delivery.sender_id, delivery.partial) == ("ICE BOSTON", False)
