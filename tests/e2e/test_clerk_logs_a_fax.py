"""A clerk logs a fax found on the precinct's machine, with its scan, and gets a receipt number."""

from pathlib import Path

from django.conf import settings

from accounts.access import Role
from detainers.models import Delivery, Source

from ..conftest import make_user
from .conftest import JOURNEY, log_in_through_the_form
from .steps import clerk_logs_a_fax, expect, scan_on_disk

pytestmark = JOURNEY


def test_it_gives_the_clerk_a_receipt_number_for_the_logged_fax(
    page, b3, tmp_path, final_screenshot
):
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
