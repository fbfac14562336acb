"""A clerk finds a fax in My log by the receipt number written on the paper, typed as people type
it, and opens its scan from there."""

from accounts.access import Role
from detainers.models import Delivery

from ..conftest import make_user
from .conftest import JOURNEY
from .steps import clerk_logs_a_fax, expect, scan_on_disk

pytestmark = JOURNEY


def test_the_clerk_finds_a_fax_in_my_log_by_its_receipt_number(
    page, b3, tmp_path, log_in_with_a_session_cookie, final_screenshot
):
    log_in_with_a_session_cookie(page, make_user("clerk", Role.CLERK, b3))
    wanted = clerk_logs_a_fax(page, scan_on_disk(tmp_path))
    other = clerk_logs_a_fax(page, scan_on_disk(tmp_path, pages=2), sender="(802) 555-0111")

    page.goto("/")
    page.locator("#main").get_by_role("link", name="My log").click()  # the home page leads to it
    rows = page.locator("table tbody tr")
    expect(rows).to_have_count(2)

    _, year, number = wanted.split("-")
    page.get_by_label("Receipt number").fill(f"dd {year} {int(number)}")
    page.get_by_role("button", name="Find").click()

    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(wanted)
    expect(page.locator("table")).not_to_contain_text(other)
    scan = Delivery.objects.get(pk=int(number)).documents.get()
    expect(rows.first.get_by_role("link", name=f"Open the scan of {wanted}")).to_have_attribute(
        "href", f"/documents/{scan.pk}/"
    )
    final_screenshot(page)
