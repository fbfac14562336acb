"""A clerk logs a fax found on the precinct's machine, with its scan, and gets a receipt number;
at a desk (1366x900) and on a phone (390 px wide, with no sideways scrolling)."""

from pathlib import Path

from django.conf import settings

from accounts.access import Role
from detainers.models import Delivery, Source
from tests.factories import fax_received, pdf_bytes

from ..conftest import make_user
from .conftest import JOURNEY, log_in_through_the_form, screenshot
from .steps import clerk_logs_a_fax, expect, scan_on_disk

pytestmark = JOURNEY

PAGE_WIDTH = "() => document.documentElement.scrollWidth"


def test_it_gives_the_clerk_a_receipt_number_for_the_logged_fax(
    page, b3, tmp_path, final_screenshot
):
    page.set_viewport_size({"width": 1366, "height": 900})
    clerk = make_user("clerk", Role.CLERK, b3)
    log_in_through_the_form(page, clerk)

    receipt = clerk_logs_a_fax(page, scan_on_disk(tmp_path))

    expect(page.get_by_role("status")).to_contain_text(f"Fax logged. Receipt number {receipt}.")
    delivery = Delivery.objects.get(pk=int(receipt.rsplit("-", 1)[1]))
    assert delivery.receipt_number == receipt
    assert (delivery.source, delivery.precinct, delivery.logged_by) == (Source.CLERK, b3, clerk)
    assert delivery.from_address == "+18025550100"
    assert delivery.routed_at is not None, "routed into the inbox when the intake committed"
    document = delivery.documents.get()
    assert document.content_type == "application/pdf"
    stored = Path(document.file.path)
    assert stored.is_relative_to(settings.MEDIA_ROOT), (
        "the live server wrote into the test's folder"
    )
    assert stored.read_bytes().startswith(b"%PDF")
    final_screenshot(page)


def test_a_clerk_logs_a_fax_on_a_phone_without_scrolling_sideways(
    page, b3, tmp_path, log_in_with_a_session_cookie, request
):
    page.set_viewport_size({"width": 390, "height": 844})
    fax_received(content=pdf_bytes(pages=3))  # a row in the recent log (another scan)
    log_in_with_a_session_cookie(page, make_user("clerk", Role.CLERK, b3))
    page.goto("/intake/")
    expect(page.locator(".recent-log tbody tr")).to_have_count(1)
    assert page.evaluate(PAGE_WIDTH) <= 390, "the empty form fits the phone"

    receipt = clerk_logs_a_fax(page, scan_on_disk(tmp_path))

    expect(page.locator(".recent-log tbody tr")).to_have_count(2)
    expect(page.locator(".recent-log")).to_contain_text(receipt)
    assert page.evaluate(PAGE_WIDTH) <= 390, "the receipt and the log fit the phone"
    assert Delivery.objects.filter(logged_by__username="clerk").count() == 1
    screenshot(page, request.node, suffix="-390")
