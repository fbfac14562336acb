"""A mistake in an optional field does not cost the clerk the chosen scan: the form comes back
saying the scan is kept, and sending it again, fixed, logs the fax with that scan. Meanwhile "Why
it is logged late" shows only while the time entered is late."""

import re
from datetime import timedelta

from django.utils import timezone

from accounts.access import Role
from detainers.models import Delivery

from ..conftest import make_user
from .conftest import JOURNEY
from .steps import RECEIPT, expect, scan_on_disk

pytestmark = JOURNEY


def test_an_error_in_an_optional_field_keeps_the_scan_and_the_second_send_logs_it(
    page, b3, tmp_path, log_in_with_a_session_cookie, final_screenshot
):
    log_in_with_a_session_cookie(page, make_user("clerk", Role.CLERK, b3))
    page.goto("/intake/")
    page.get_by_label(re.compile(r"^Sender's fax number")).fill("617-555")  # digits missing
    page.get_by_label("Scan of the fax").set_input_files(scan_on_disk(tmp_path, pages=2))
    page.get_by_role("button", name="Log this fax").click()

    expect(page.locator(".error-summary")).to_contain_text("has the wrong number of digits")
    expect(page.locator("#kept-scan")).to_have_text(
        "Scan kept: scan.pdf (2 pages) — choose another to replace it."
    )
    assert page.input_value("#id_scan") == "", "the browser's file input is empty again"
    assert Delivery.objects.count() == 0

    page.get_by_label(re.compile(r"^Sender's fax number")).fill("(617) 555-0188")
    page.get_by_role("button", name="Log this fax").click()

    expect(page.locator(".receipt")).to_have_text(RECEIPT)
    delivery = Delivery.objects.get()
    assert delivery.receipt_number == page.locator(".receipt").inner_text()
    assert delivery.from_address == "+16175550188"
    document = delivery.documents.get()
    assert (document.name, document.pages) == ("scan.pdf", 2)
    final_screenshot(page)


def test_the_late_reason_shows_only_for_a_late_time(page, b3, log_in_with_a_session_cookie):
    log_in_with_a_session_cookie(page, make_user("clerk", Role.CLERK, b3))
    page.goto("/intake/")
    reason = page.get_by_label("Why it is logged late")
    expect(reason).to_be_hidden()

    ten_days_ago = timezone.localtime() - timedelta(days=10)
    page.locator("#id_received_at").fill(f"{ten_days_ago:%Y-%m-%dT%H:%M}")
    expect(reason).to_be_visible()

    page.locator("#id_received_at").fill(f"{timezone.localtime():%Y-%m-%dT%H:%M}")
    expect(reason).to_be_hidden()
