"""Failed receptions are a figure of their own: they never change a request count, and the
dashboard, the annual report, line health and the missed-faxes list show them apart."""

import pytest

from detainers.counting.annual import annual_figures
from detainers.counting.selectors import CountFilter, yearly_stats
from detainers.intake.receptions import fax_reception_record
from detainers.intake.services import IncomingFile
from detainers.models import CountCell, Source
from tests.conftest import local
from tests.factories import pdf_bytes

pytestmark = pytest.mark.django_db


def reception(status, when, to="+1 617 555 0133", caller="+1 202 555 0100"):
    return fax_reception_record(
        source=Source.GATEWAY,
        status=status,
        received_at=when,
        to_number=to,
        from_number=caller,
        document=None if status == "failed" else IncomingFile("fax.pdf", pdf_bytes()),
    )


@pytest.fixture
def year_2024(b3, c11):
    reception("received", local(2024, 2, 1, 9))
    reception("partial", local(2024, 3, 1, 9))
    reception("failed", local(2024, 4, 1, 9))  # closed by the fax after it
    reception("received", local(2024, 4, 1, 10))
    reception("failed", local(2024, 5, 1, 9), to="+1 617 555 0151")
    reception("failed", local(2024, 6, 1, 9), to="+1 617 555 0999")  # nobody's number
    reception("failed", local(2023, 6, 1, 9))


def test_failed_receptions_change_no_request_count(year_2024):
    stats = yearly_stats(counts=CountFilter(year_from=2024, year_to=2024))

    assert stats[0]["total"] == 3  # received, partial, received again
    assert (
        sum(CountCell.objects.filter(year=2024, breakdown="month").values_list("total", flat=True))
        == 3
    )
    civil = next(figure for figure in annual_figures(year=2024) if figure.key == "civil.total")
    assert civil.value == 3


def test_the_annual_report_shows_them_as_a_figure_apart(year_2024, page_as):
    failed = next(figure for figure in annual_figures(year=2024) if figure.key == "failed.total")

    assert failed.value == 3
    page = page_as("supervisor").get("/reports/annual/2024/").content.decode()
    assert "Failed receptions (not requests)" in page
    assert 'data-key="failed.total"' in page


def test_the_dashboard_shows_them_apart_with_the_open_ones(year_2024, page_as):
    response = page_as("supervisor").get("/dashboard/?year_from=2024&year_to=2024")

    assert response.context["failed"] == {"total": 3, "open": 2}
    assert response.context["failed_link"] == "/inbox/missed/?year=2024"
    assert response.context["headline"]["total"].count == 3


def test_the_dashboard_filters_them_by_precinct(year_2024, page_as, c11):
    response = page_as("supervisor").get("/dashboard/?year_from=2024&year_to=2024&precinct=C-11")

    assert response.context["failed"] == {"total": 1, "open": 1}


def test_line_health_shows_recent_failures_per_line_and_on_unowned_numbers(b3, page_as):
    from django.utils import timezone

    now = timezone.now()
    reception("failed", now)
    reception("failed", now, to="+1 617 555 0999")

    response = page_as("supervisor").get("/dashboard/lines/")

    health = response.context["health"]
    b3_line = next(line for line in health.lines if line.fax_number.precinct == b3)
    assert b3_line.failed_recent == 1
    assert health.failed_unowned == 1
    assert "on numbers no precinct owns" in response.content.decode()


def test_the_missed_faxes_list_in_the_api_filters_by_year_and_state(year_2024, api_as):
    supervisor = api_as("supervisor")

    every = supervisor.get("/api/v1/missed-faxes/").json()
    in_2024_open = supervisor.get("/api/v1/missed-faxes/?year=2024&state=open").json()
    closed = supervisor.get("/api/v1/missed-faxes/?state=closed").json()

    assert every["count"] == 4
    assert in_2024_open["count"] == 2
    assert {row["precinct"] for row in in_2024_open["results"]} == {"C-11", None}
    (resolved,) = closed["results"]
    assert resolved["resolved_by"] is not None
    assert resolved["from_number"] == "+1 202 555 0100"
    assert set(resolved) >= {
        "id",
        "precinct",
        "to_number",
        "from_number",
        "sender_id",
        "received_at",
        "error",
        "resolved_by",
    }
    assert supervisor.get("/api/v1/missed-faxes/?state=lost").status_code == 400


def test_the_missed_faxes_page_lists_them_newest_first(year_2024, page_as):
    response = page_as("supervisor").get("/inbox/missed/?year=2024")

    listed = [missed.received_at for missed in response.context["page"]]
    assert len(listed) == 3
    assert listed == sorted(listed, reverse=True)
    assert "Ask the sender to send it again" in response.content.decode()
