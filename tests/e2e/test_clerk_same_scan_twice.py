"""The same scan twice: the page warns before logging a scan already logged at the precinct, with
the first fax's receipt, and "Log it anyway" logs it (some faxes really are sent twice)."""

import re

from accounts.access import Role
from detainers.models import Delivery

from ..conftest import make_user
from .conftest import JOURNEY
from .steps import RECEIPT, clerk_logs_a_fax, expect, scan_on_disk

pytestmark = JOURNEY


def test_the_same_scan_twice_is_warned_about_and_logged_anyway(
    page, b3, tmp_path, log_in_with_a_session_cookie, final_screenshot
):
    log_in_with_a_session_cookie(page, make_user("clerk", Role.CLERK, b3))
    scan = scan_on_disk(tmp_path)
    first = clerk_logs_a_fax(page, scan)

    page.goto("/intake/")
    page.get_by_label("Scan of the fax").set_input_files(scan)
    page.get_by_role("button", name="Log this fax").click()

    warning = page.get_by_role("alert").filter(has_text="This scan was already logged as")
    expect(warning).to_contain_text(f"This scan was already logged as {first}")
    first_scan = Delivery.objects.get().documents.get()
    expect(warning.get_by_role("link", name=first)).to_have_attribute(
        "href", f"/documents/{first_scan.pk}/"
    )
    assert Delivery.objects.count() == 1, "not logged before the clerk says so"

    # Enter in a field sends the form's own button, which warns again: only the button confirms.
    with page.expect_navigation():
        page.get_by_label(re.compile(r"^Sender's fax number")).press("Enter")
    expect(warning).to_contain_text(f"This scan was already logged as {first}")
    assert Delivery.objects.count() == 1
    page.get_by_role("button", name="Log it anyway").click()

    receipt = page.locator(".receipt")
    expect(receipt).to_have_text(RECEIPT)
    assert receipt.inner_text() != first
    assert Delivery.objects.count() == 2
    second = Delivery.objects.get(pk=int(receipt.inner_text().rsplit("-", 1)[1]))
    assert second.documents.get().sha256 == first_scan.sha256
    expect(page.get_by_role("alert").filter(has_text=re.compile("already logged"))).to_have_count(0)
    final_screenshot(page)
