"""/dashboard/: every number on it equals the length of the list behind it, at a fixed query cost;
/dashboard/requests/: that list; line health: silent lines and retired numbers in use."""

import html
import random
import re
from datetime import timedelta

import pytest
from django.http import QueryDict
from django.utils import timezone

from detainers.counting.forms import FigureForm
from detainers.counting.rule import counts_check, counts_rebuild
from detainers.counting.selectors import (
    SILENT_AFTER,
    USUAL_MINIMUM,
    CountFilter,
    counted_requests,
    counted_total,
    dashboard,
    line_health,
    precinct_codes,
)
from detainers.intake.services import IncomingFile, delivery_receive
from detainers.models import Channel, Delivery, DetainerRequest, Disposition, Source
from detainers.triage import services as triage
from precincts.models import Precinct
from precincts.services import fax_number_assign, fax_number_retire
from tests.conftest import local
from tests.factories import fax_received, foreign_scripts, pdf_bytes

pytestmark = pytest.mark.django_db

URL = "/dashboard/"
LIST_URL = "/dashboard/requests/"
FIGURE_LINK = re.compile(r'<a href="(/dashboard/requests/[^"]*)" data-count="(\d+)"[^>]*>([^<]*)<')
LIST_TOTAL = re.compile(r'data-total="(\d+)"')
UNKNOWN_LINE = "+16175550199"
A1_LINE = "+16175550101"
# The dashboard's queries, whatever the number of requests: the session, its user, the user's
# groups (the role check), the precinct codes, then two on the summary table (years by precinct
# and channel; the month and value breakdowns), and one on the missed faxes (failed receptions,
# a figure apart), and the count of unreviewed requests beside the navigation's inbox link.
DASHBOARD_QUERIES = 8
# The dashboard opens on the current year; empty years ask for every year (the scene's 2023-2025).
EVERY_YEAR = f"{URL}?year_from=&year_to="

_message_ids = iter(range(1, 10_000))


def email_received(received_at):
    """A detainer emailed to the central mailbox (channel email, no precinct)."""
    return delivery_receive(
        channel=Channel.EMAIL,
        source=Source.MAILBOX,
        received_at=received_at,
        files=[IncomingFile("detainer.pdf", pdf_bytes(), form=True)],
        from_address="ero.boston@ice.dhs.gov",
        external_id=f"<{next(_message_ids)}@ice.dhs.gov>",
    ).delivery


def request_of(delivery) -> DetainerRequest:
    return delivery.requests.get()


@pytest.fixture
def a1(db) -> Precinct:
    precinct = Precinct.objects.create(code="A-1", name="Downtown")
    fax_number_assign(precinct=precinct, number=A1_LINE, active_from=local(2020, 1, 1))
    return precinct


@pytest.fixture
def scene(b3, c11, a1, supervisor):
    """2023: 4 counted (3 fax, 1 email); 2024: 6 (4 fax, 2 email); 2025: 3 (2 fax, 1 email)."""

    def triaged(delivery, **changes):
        triage.request_triage(request_id=request_of(delivery).pk, actor=supervisor, changes=changes)

    # 2023
    triaged(
        fax_received(received_at=local(2023, 3, 10, 9)),
        form_type="I-247A",
        probable_cause="final_order",
        disposition=Disposition.NOT_ACTED_UPON,
    )
    fax_received(received_at=local(2023, 11, 5, 14), to_number="+16175550151")  # C-11
    email_received(local(2023, 6, 1, 10))
    fax_received(received_at=local(2023, 12, 31, 23, 30))  # B-3, 04:30 UTC on 1 January 2024
    # 2024
    fax_received(received_at=local(2024, 1, 1, 0, 0, 1), to_number=A1_LINE)
    fax_received(received_at=local(2024, 6, 15, 11), to_number=UNKNOWN_LINE)  # no precinct
    triaged(
        email_received(local(2024, 2, 29, 12)),
        form_type="I-200",
        disposition=Disposition.NOT_IN_CUSTODY,
    )
    email_received(local(2024, 12, 31, 23, 30))
    triaged(fax_received(received_at=local(2024, 7, 4, 8)), event_number="BOS1")
    triaged(fax_received(received_at=local(2024, 7, 5, 8)), event_number="BOS1")  # a duplicate
    triaged(email_received(local(2024, 8, 1, 9)), disposition=Disposition.NOT_A_DETAINER)
    triaged(
        fax_received(received_at=local(2024, 3, 3, 9), to_number="+16175550151"),
        probable_cause="biometric_match",
    )
    # 2025
    fax_received(received_at=local(2025, 1, 1, 0, 30))
    original = email_received(local(2025, 5, 5, 10))
    triaged(email_received(local(2025, 5, 6, 10)), duplicate_of=request_of(original).pk)
    triaged(
        fax_received(received_at=local(2025, 9, 9, 9), to_number="+16175550151"),
        form_type="I-247A",
        disposition=Disposition.RELEASED,
    )
    assert counts_check() == {}


@pytest.fixture
def large_scene(scene, b3, c11, a1):
    """A few thousand more requests over ten years, written in bulk, with the summary rebuilt."""
    chance = random.Random(5)
    precincts = [b3.pk, c11.pk, a1.pk, None]
    deliveries = Delivery.objects.bulk_create(
        Delivery(
            channel=Channel.EMAIL if (email := chance.random() < 0.3) else Channel.FAX,
            source=Source.MAILBOX if email else Source.GATEWAY,
            received_at=local(2016, 1, 1) + timedelta(minutes=chance.randrange(10 * 365 * 24 * 60)),
            precinct_id=None if email else chance.choice(precincts),
        )
        for _ in range(3000)
    )
    DetainerRequest.objects.bulk_create(
        DetainerRequest(
            delivery=delivery,
            form_type=chance.choice(["", "I-247A", "I-200", "I-205", "other"]),
            probable_cause=chance.choice(["", "final_order", "statements"]),
            disposition=chance.choice(
                ["", "not_acted_upon", "not_a_detainer", "cancelled_by_agency"]
            ),
        )
        for delivery in deliveries
    )
    counts_rebuild()


def figure_links(page: str) -> dict[str, int]:
    """Every number on the page that links to a list: {list url: the number shown}."""
    figures: dict[str, int] = {}
    for href, count, text in FIGURE_LINK.findall(page):
        url = html.unescape(href)
        assert figures.setdefault(url, int(count)) == int(count), url
        if text.strip():  # a table cell or a chart's number (a bar links without text)
            assert text.strip() == f"{int(count):,}"
    return figures


def list_total(client, url: str) -> int:
    """The total a list shows (the summary's figure), checked against a recount of its rows."""
    response = client.get(url)
    assert response.status_code == 200, url
    shown = int(LIST_TOTAL.search(response.content.decode()).group(1))
    form = FigureForm(QueryDict(url.partition("?")[2]), codes=precinct_codes())
    assert form.is_valid(), url
    assert counted_requests(**form.selection()).count() == shown, url
    return shown


# --- Access -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("url", [URL, LIST_URL, "/dashboard/lines/"])
@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("anonymous", 302),
        ("clerk", 403),
        ("gateway", 403),
        ("nobody", 403),
        ("admin", 403),
        ("supervisor", 200),
    ],
)
def test_it_is_for_supervisors(page_as, url, who, expected):
    assert page_as(who).get(url).status_code == expected


# --- Every number equals its list -------------------------------------------------------------------


@pytest.mark.parametrize(
    "query",
    [
        "year_from=&year_to=",
        "channel=email",
        "channel=fax&precinct=B-3",
        "precinct=none",
        "year_from=2024&year_to=2024",
        "year_from=2023&year_to=2024&year=2023",
        "year_from=2025&year=2023",  # a month year outside the range: the latest in range is shown
        "year_from=2025&year_to=2023",  # refused: the figures are for everything, and say so
    ],
)
def test_every_number_on_the_dashboard_equals_the_count_of_its_list(page_as, scene, query):
    client = page_as("supervisor")
    page = client.get(f"{URL}?{query}").content.decode()
    figures = figure_links(page)
    assert len(figures) > 15  # headline, years, precincts, months, form types, bases, dispositions
    for url, count in figures.items():
        assert list_total(client, url) == count, url
    # Every number cell of every table is such a link.
    cells = re.findall(r'<td class="num[^"]*">(.*?)</td>', page, flags=re.S)
    assert cells and all("data-count=" in cell for cell in cells)


def test_the_figures_follow_the_counting_rule(page_as, scene):
    board = dashboard()
    assert [(y["year"], y["total"], y["by_channel"]) for y in board.years] == [
        (2023, 4, {"fax": 3, "email": 1}),
        (2024, 6, {"fax": 4, "email": 2}),
        (2025, 3, {"fax": 2, "email": 1}),
    ]
    assert board.total == 13
    assert board.central_share == pytest.approx(4 / 13)
    assert board.focus_year == 2025
    page = page_as("supervisor").get(EVERY_YEAR).content.decode()
    figures = figure_links(page)
    assert figures[LIST_URL] == 13
    assert figures[f"{LIST_URL}?channel=email"] == 4
    assert figures[f"{LIST_URL}?year_from=2023&year_to=2023"] == 4
    assert figures[f"{LIST_URL}?precinct=none"] == 5  # the unknown line and the four emails
    assert figures[f"{LIST_URL}?breakdown=disposition&value=not_acted_upon"] == 1
    assert "31%" in page  # the share through the central channel


def test_a_fax_at_2330_on_new_years_eve_is_in_december_of_that_year(page_as, scene):
    client = page_as("supervisor")
    figures = figure_links(client.get(URL, {"year": 2023, "precinct": "B-3"}).content.decode())
    assert figures[f"{LIST_URL}?year_from=2023&year_to=2023&precinct=B-3&month=12"] == 1
    listed = client.get(
        LIST_URL, {"year_from": 2023, "year_to": 2023, "precinct": "B-3", "month": 12}
    )
    assert "2023-12-31 23:30" in listed.content.decode()


def test_the_months_are_of_the_chosen_year(scene):
    assert dict(dashboard(focus_year=2024).by_month)[2] == 1  # the email of 29 February
    assert dashboard(counts=CountFilter(year_to=2024), focus_year=2025).focus_year == 2024


def test_the_charts_are_drawn_on_the_server_with_text_for_everyone(page_as, scene):
    page = page_as("supervisor").get(EVERY_YEAR).content.decode()
    assert page.count('<svg class="chart"') == 6
    assert page.count('role="group" aria-labelledby="') == 6
    assert '<title id="years-svg-title">Per year, by channel. 2023: 4 (Fax 3, Email 1);' in page
    assert "<title>2024, email: 2</title>" in page  # each bar says what it is
    assert foreign_scripts(page) == [] and 'src="http' not in page and "cdn" not in page.lower()


def test_a_refused_filter_says_so_and_shows_everything(page_as, scene):
    page = page_as("supervisor").get(URL, {"year_from": 2025, "year_to": 2023}).content.decode()
    assert "is after “To year”" in page and "for every year, precinct and channel" in page
    assert figure_links(page)[LIST_URL] == 13


# --- The cost is fixed ---------------------------------------------------------------------------------


@pytest.mark.parametrize("size", ["small", "large"])
def test_the_dashboard_costs_the_same_queries_at_any_size(
    request, page_as, size, django_assert_num_queries
):
    request.getfixturevalue("scene" if size == "small" else "large_scene")
    client = page_as("supervisor")
    for query in ({}, {"precinct": "B-3", "channel": "fax", "year_from": 2020, "year": 2024}):
        with django_assert_num_queries(DASHBOARD_QUERIES):
            assert client.get(URL, query).status_code == 200


# --- The list behind a figure ----------------------------------------------------------------------------


def test_the_list_shows_its_count_and_links_each_request(page_as, scene):
    response = page_as("supervisor").get(
        LIST_URL, {"year_from": 2024, "year_to": 2024, "channel": "email"}
    )
    page = response.content.decode()
    assert 'data-total="2"' in page
    assert "Counted requests: 2024 · by email" in page
    linked = re.findall(r'href="/inbox/(\d+)/"', page)
    assert len(linked) == 2
    assert DetainerRequest.objects.filter(pk__in=linked, delivery__channel="email").count() == 2


def test_a_month_of_one_breakdown_value_is_counted_from_its_rows(scene):
    # The summary has months and values, not both at once: that list is counted itself.
    counts = CountFilter(year_from=2024, year_to=2024)
    for month in range(1, 13):
        for value in ("", "not_acted_upon"):
            args = {"month": month, "breakdown": "disposition", "value": value}
            expected = counted_requests(counts=counts, **args).count()
            assert counted_total(counts=counts, **args) == expected


def test_the_list_is_paginated_by_fifty(page_as, large_scene):
    client = page_as("supervisor")
    first = client.get(LIST_URL, {"year_from": 2016}).content.decode()
    total = int(LIST_TOTAL.search(first).group(1))
    assert total == dashboard(counts=CountFilter(year_from=2016)).total > 50
    assert len(re.findall(r'href="/inbox/\d+/"', first)) == 50
    last = client.get(LIST_URL, {"year_from": 2016, "page": 999}).content.decode()
    assert len(re.findall(r'href="/inbox/\d+/"', last)) == (total % 50 or 50)


@pytest.mark.parametrize(
    "query",
    [
        {"month": 3},  # a month of no particular year
        {"year_from": 2023, "year_to": 2024, "month": 3},
        {"precinct": "Z-9"},
        {"breakdown": "subject_name", "value": "x"},
        {"year_from": "soon"},
    ],
)
def test_a_list_that_cannot_be_meant_is_refused(page_as, scene, query):
    response = page_as("supervisor").get(LIST_URL, query)
    assert response.status_code == 400
    assert "This list cannot be shown" in response.content.decode()


# --- Line health -----------------------------------------------------------------------------------------


@pytest.fixture
def lines(b3, c11, a1):
    """B-3 usually receives and went silent; C-11 still receives; A-1 receives too rarely to judge.
    C-11's old number was retired 200 days ago, and the agency still sends to it."""
    now = timezone.now()
    for days in (40, 60, 100):
        fax_received(received_at=now - timedelta(days=days), to_number="+16175550133")
    for days in (5, 40, 50, 60):
        fax_received(received_at=now - timedelta(days=days), to_number="+16175550151")
    for days in (40, 50):
        fax_received(received_at=now - timedelta(days=days), to_number=A1_LINE)
    old = fax_number_assign(precinct=c11, number="+16175550152", active_from=local(2020, 1, 1))
    fax_number_retire(fax_number=old, active_until=now - timedelta(days=200))
    for days in (10, 20, 100):  # the last one is too old to warn about
        fax_received(received_at=now - timedelta(days=days), to_number="+16175550152")
    return now


def test_a_line_that_usually_receives_and_went_silent_is_flagged(lines):
    health = line_health(now=lines)
    by_number = {line.fax_number.number: line for line in health.lines}
    assert [line.fax_number.number for line in health.silent] == ["+16175550133"]
    b3_line = by_number["+16175550133"]
    assert (b3_line.recent, b3_line.usual) == (0, 3)
    assert b3_line.last_received_at == lines - timedelta(days=40)
    assert by_number[A1_LINE].usual == 2 < USUAL_MINIMUM  # too few to say it usually receives
    assert not by_number["+16175550151"].silent  # received five days ago
    assert not by_number["+16175550152"].active


def test_silence_is_judged_against_the_thresholds(lines):
    # One day after the last B-3 fax, the line is not yet silent.
    assert (
        line_health(now=lines - timedelta(days=40) + SILENT_AFTER - timedelta(days=1)).silent == []
    )


def test_deliveries_to_a_retired_number_are_grouped_by_the_number_dialled(lines):
    (use,) = line_health(now=lines).retired
    assert (use.number, use.deliveries) == ("+16175550152", 2)
    assert use.last_received_at == lines - timedelta(days=10)
    assert use.last_owner.precinct.code == "C-11"
    delivery = Delivery.objects.get(received_at=use.last_received_at)
    assert use.latest_request_id == request_of(delivery).pk


def test_the_lines_page_warns_the_supervisor(page_as, lines):
    page = page_as("supervisor").get("/dashboard/lines/").content.decode()
    assert "B-3 (617) 555-0133 has gone silent" in page
    assert "(617) 555-0152" in page and "C-11, until" in page
    assert page.count("Gone silent") == 1


def test_all_quiet_says_so(page_as, b3):
    page = page_as("supervisor").get("/dashboard/lines/").content.decode()
    assert "No warning" in page


# --- The charts ------------------------------------------------------------------------------------------


def test_a_chart_scales_its_longest_bar_to_the_width_and_escapes_its_text():
    from detainers.counting.charts import TOTAL, VALUE_ROOM, WIDTH, Figure, Row, Table, chart

    rows = tuple(
        Row(label, (Figure(count, "/x/?a=1&b=2"),), Figure(count, "/x/?a=1&b=2"))
        for label, count in [("<b>B-3</b>", 10), ("C-11", 5), ("none", 0)]
    )
    drawn = chart("t", Table("A & B", (TOTAL,), rows, "Precinct"))
    assert [rect.width for rect in drawn.drawing.rects] == [
        str(WIDTH - VALUE_ROOM),
        str((WIDTH - VALUE_ROOM) // 2),
    ]
    svg = str(drawn.svg)
    assert "<b>" not in svg and "&lt;b&gt;B-3&lt;/b&gt;" in svg
    assert 'href="/x/?a=1&amp;b=2"' in svg
    assert (
        '<title id="t-svg-title">A &amp; B. &lt;b&gt;B-3&lt;/b&gt;: 10; C-11: 5; none: 0</title>'
        in svg
    )
