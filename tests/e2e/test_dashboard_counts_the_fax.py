"""The dashboard's count for the year and the precinct goes up by one when its clerk logs a fax."""

from django.utils import timezone

from accounts.access import Role

from ..conftest import make_user
from ..factories import fax_received
from .conftest import JOURNEY, log_in_through_the_form
from .steps import clerk_logs_a_fax, expect, scan_on_disk

pytestmark = JOURNEY


def dashboard_for(page, year: int, precinct_code: str) -> None:
    """The supervisor's way to the figure: Yearly totals, filtered to one year and one precinct."""
    page.goto("/")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Yearly totals").click()
    page.get_by_label("From year", exact=True).fill(str(year))
    page.get_by_label("To year", exact=True).fill(str(year))
    page.get_by_label("Precinct", exact=True).select_option(label=precinct_code)
    page.get_by_role("button", name="Show").click()


def counted_requests(page) -> int:
    """The headline figure; its data-count carries the number without thousands separators."""
    tile = page.locator(".dashboard-tiles > div").filter(has_text="Counted requests")
    figure = tile.locator("a[data-count]")
    expect(figure).to_have_count(1)
    return int(figure.get_attribute("data-count"))


def test_the_precincts_count_for_the_year_goes_up_by_one(
    new_page, b3, c11, tmp_path, log_in_with_a_session_cookie, final_screenshot
):
    year = timezone.localtime().year
    fax_received(to_number="+16175550133")  # counted already, so the figure is not just 0 -> 1
    fax_received(to_number="+16175550151")  # another precinct's, which the filter leaves out
    supervisor_page, clerk_page = new_page(), new_page()
    log_in_with_a_session_cookie(supervisor_page, make_user("supervisor", Role.SUPERVISOR))
    log_in_through_the_form(clerk_page, make_user("clerk", Role.CLERK, b3))
    dashboard_for(supervisor_page, year, "B-3")
    before = counted_requests(supervisor_page)

    # Two pages: not the scan of the fax above (the same scan again would be asked about first).
    clerk_logs_a_fax(clerk_page, scan_on_disk(tmp_path, pages=2))

    supervisor_page.reload()
    assert (before, counted_requests(supervisor_page)) == (1, 2)
    final_screenshot(supervisor_page)
