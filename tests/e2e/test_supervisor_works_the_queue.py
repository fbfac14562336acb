"""A supervisor works the central inbox as a queue: sees how many wait from the navigation, sorts by
arrival, saves a filter and comes back to it, then opens the year's figures and downloads the
requests behind one of them."""

import csv
import io
import re
from datetime import timedelta

from django.utils import timezone

from accounts.access import Role
from detainers.intake.routing import delivery_route
from detainers.models import DetainerRequest

from ..conftest import make_user
from ..factories import fax_received
from .conftest import JOURNEY, screenshot
from .steps import expect

pytestmark = JOURNEY

B3_LINE = "+16175550133"
C11_LINE = "+16175550151"


def routed_fax(to_number: str, hours_ago: float, **fields) -> str:
    """A fax in the central inbox, its request described by `fields`; its receipt number."""
    delivery = fax_received(
        to_number=to_number, received_at=timezone.now() - timedelta(hours=hours_ago)
    )
    delivery_route(delivery_id=delivery.pk)
    DetainerRequest.objects.filter(delivery=delivery).update(**fields)
    return delivery.receipt_number


def test_a_supervisor_sorts_saves_a_filter_and_opens_the_year(
    page, b3, c11, log_in_with_a_session_cookie, final_screenshot, request
):
    supervisor = make_user("supervisor", Role.SUPERVISOR)
    late_b3 = routed_fax(B3_LINE, hours_ago=30)  # past the 24-hour review target
    c11_fax = routed_fax(C11_LINE, hours_ago=5, subject_name="Zelda Quixote-Marchetti")
    new_b3 = routed_fax(B3_LINE, hours_ago=0.2)
    log_in_with_a_session_cookie(page, supervisor)
    page.set_viewport_size({"width": 1366, "height": 900})

    page.goto("/")
    nav = page.get_by_role("navigation", name="Main")
    nav.get_by_role("link", name="Central inbox, 3 unreviewed").click()

    receipts = page.locator(".inbox-table tbody tr td:first-child")
    expect(receipts).to_have_text([new_b3, c11_fax, late_b3])  # newest first
    late_row = page.locator(".inbox-table tbody tr").filter(has_text=late_b3)
    expect(late_row.locator("td.age")).to_have_text("Over 24 h target: 30 h")
    expect(page.locator("td.over-target")).to_have_count(1)

    page.get_by_role("link", name="Received").click()
    expect(receipts).to_have_text([late_b3, c11_fax, new_b3])
    expect(page.get_by_role("columnheader", name="Received")).to_have_attribute(
        "aria-sort", "ascending"
    )

    page.get_by_label("Precinct", exact=True).select_option(label="B-3")
    page.get_by_label("Status", exact=True).select_option(
        label="In the central inbox, awaiting review"
    )
    page.get_by_role("button", name="Show").click()
    expect(receipts).to_have_text([late_b3, new_b3])  # the order chosen is kept

    page.get_by_label("Name this filter").fill("B-3 waiting")
    page.get_by_role("button", name="Save these filters").click()
    expect(page.get_by_role("status")).to_contain_text("Filter “B-3 waiting” saved.")
    saved = page.get_by_role("region", name="Your saved filters")
    expect(saved.get_by_role("link", name="B-3 waiting")).to_have_attribute("aria-current", "true")

    page.get_by_role("link", name="Clear filters").click()
    expect(receipts).to_have_count(3)
    page.get_by_role("region", name="Your saved filters").get_by_role(
        "link", name="B-3 waiting"
    ).click()
    expect(receipts).to_have_text([late_b3, new_b3])
    expect(page.get_by_label("Precinct", exact=True)).to_have_value(str(b3.pk))
    expect(page.get_by_label("Order")).to_have_value("received")
    final_screenshot(page)

    page.get_by_role("search").get_by_label("Search").fill("marchetti")
    page.get_by_role("search").get_by_role("button", name="Search").click()
    found = page.locator(".search-results tbody tr")
    expect(found).to_have_count(1)
    expect(found.locator("td").nth(0)).to_have_text(c11_fax)
    expect(found.locator("td").nth(1)).to_have_text("Zelda Quixote-Marchetti")

    nav.get_by_role("link", name="Yearly totals").click()
    year = str(timezone.localdate().year)
    expect(page.get_by_label("From year", exact=True)).to_have_value(year)
    expect(page.get_by_label("To year", exact=True)).to_have_value(year)
    total = page.locator(".dashboard-tiles > div").filter(has_text="Counted requests")
    expect(total.locator("a[data-count]")).to_have_text("3")
    expect(page.get_by_text("Per year, by channel")).to_have_count(0)  # one year: the headline
    screenshot(page, request.node, suffix="-dashboard")

    total.locator("a[data-count]").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(f"Counted requests: {year}")
    with page.expect_download() as download_info:
        page.get_by_role("link", name=re.compile(r"^Download this list")).click()
    download = download_info.value
    assert download.suggested_filename == f"counted-requests-{year}.csv"
    with open(download.path(), encoding="utf-8") as file:
        rows = list(csv.reader(io.StringIO(file.read())))
    assert rows[0][:2] == ["Receipt", "Received"]
    assert sorted(row[0] for row in rows[1:]) == sorted([late_b3, c11_fax, new_b3])
