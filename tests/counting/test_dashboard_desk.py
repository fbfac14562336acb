"""The dashboard as people open it: the current year first, each figure once, and every list behind a
figure downloadable as CSV."""

import csv
import io
import re

import pytest
from django.utils import timezone

from detainers.counting.views.dashboard import CSV_HEADER
from detainers.models import Channel, DetainerRequest
from precincts.models import Precinct
from precincts.services import fax_number_assign
from tests.conftest import local
from tests.factories import fax_received

pytestmark = pytest.mark.django_db

URL = "/dashboard/"
CSV_URL = "/dashboard/requests.csv"
THIS_YEAR = timezone.localdate().year


@pytest.fixture
def years(b3):
    """Two counted faxes this year, one last year."""
    return {
        "this": [
            fax_received(received_at=local(THIS_YEAR, 1, 2, 10)).requests.get(),
            fax_received(received_at=local(THIS_YEAR, 1, 3, 10)).requests.get(),
        ],
        "last": [fax_received(received_at=local(THIS_YEAR - 1, 6, 1, 10)).requests.get()],
    }


def headline_total(page: str) -> int:
    tile = re.search(r"<dt>Counted requests</dt><dd><a [^>]*data-count=\"(\d+)\"", page)
    return int(tile.group(1))


def test_it_opens_on_the_current_year(years, page_as):
    response = page_as("supervisor").get(URL)
    page = response.content.decode()
    assert response.status_code == 200
    assert headline_total(page) == 2
    assert f'name="year_from" value="{THIS_YEAR}"' in page
    assert f'name="year_to" value="{THIS_YEAR}"' in page
    assert f"In all ({THIS_YEAR})" in page


def test_empty_years_show_every_year(years, page_as):
    page = page_as("supervisor").get(URL, {"year_from": "", "year_to": ""}).content.decode()
    assert headline_total(page) == 3
    assert '<a href="/dashboard/?year_from=&amp;year_to=">Every year</a>' in page


def test_each_figure_is_drawn_once_and_its_table_folded_under_it(years, page_as):
    client = page_as("supervisor")
    one_year = client.get(URL).content.decode()
    # One year: its total is the headline's, so no "Per year" chart repeats it.
    assert "Per year, by channel" not in one_year
    assert one_year.count('<svg class="chart"') == 5  # precincts, months, three breakdowns
    assert one_year.count('<details class="chart-details">') == 5
    tables = re.findall(r'<details class="chart-details">.*?</details>', one_year, re.S)
    assert all("<table" in table and "data-count=" in table for table in tables)

    every_year = client.get(URL, {"year_from": "", "year_to": ""}).content.decode()
    assert '<h2 id="years-heading">Per year, by channel</h2>' in every_year


# --- The list as CSV ------------------------------------------------------------------------------


def rows_of(response) -> list[list[str]]:
    body = b"".join(response.streaming_content).decode()
    return list(csv.reader(io.StringIO(body)))


def test_the_list_downloads_as_csv_with_the_same_rows(years, page_as):
    client = page_as("supervisor")
    query = {"year_from": THIS_YEAR, "year_to": THIS_YEAR}
    listed = client.get("/dashboard/requests/", query).content.decode()
    assert "/dashboard/requests.csv?year_from=" in listed

    response = client.get(CSV_URL, query)

    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == (
        f'attachment; filename="counted-requests-{THIS_YEAR}.csv"'
    )
    assert response["Cache-Control"] == "private, no-store"
    rows = rows_of(response)
    assert rows[0] == list(CSV_HEADER)
    first = DetainerRequest.objects.select_related("delivery").get(pk=years["this"][0].pk)
    assert rows[1] == [
        first.reference,
        f"{THIS_YEAR}-01-02 10:00",
        "Fax",
        "B-3",
        "",
        "",
        "Unreviewed",
    ]
    assert [row[0] for row in rows[1:]] == [
        item.reference
        for item in DetainerRequest.objects.select_related("delivery").filter(
            pk__in=[r.pk for r in years["this"]]
        )
    ]


def test_a_cell_a_spreadsheet_would_run_is_written_as_text(page_as):
    # A precinct code is typed by a person: "=1+1" must not become a formula in a spreadsheet.
    precinct = Precinct.objects.create(code="=1+1", name="Formula")
    fax_number_assign(precinct=precinct, number="+1 617 555 0177", active_from=local(2020, 1, 1))
    fax_received(received_at=local(THIS_YEAR, 2, 1, 9), to_number="+16175550177")

    response = page_as("supervisor").get(CSV_URL, {"channel": Channel.FAX})

    rows = rows_of(response)
    assert len(rows) == 2
    assert rows[1][3] == "'=1+1"


def test_a_refused_filter_downloads_nothing(page_as):
    response = page_as("supervisor").get(CSV_URL, {"year_from": 2025, "year_to": 2023})
    assert response.status_code == 400
    assert "This list cannot be shown" in response.content.decode()


def test_the_way_back_from_a_list_of_every_year_keeps_every_year(years, page_as):
    client = page_as("supervisor")
    every_year = client.get("/dashboard/requests/").content.decode()
    assert (
        '<a href="/dashboard/?year_from=&amp;year_to=">Back to the yearly totals</a>' in every_year
    )
    one_year = client.get("/dashboard/requests/", {"year_from": 2024, "year_to": 2024})
    assert (
        '<a href="/dashboard/?year_from=2024&amp;year_to=2024">Back to the yearly totals</a>'
        in one_year.content.decode()
    )
