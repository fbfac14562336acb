"""Steps more than one journey takes, written as a person does them in the browser."""

import re
from pathlib import Path
from typing import TYPE_CHECKING

from ..factories import pdf_bytes

if TYPE_CHECKING:
    from playwright.sync_api import Page

RECEIPT = re.compile(r"^DD-\d{4}-\d{6}$")


def expect(actual, message: str | None = None):
    """Playwright's expect, imported when first used: without the package, the tests are collected
    and the `playwright` fixture says what is missing (a skip, or a failure with CI=true)."""
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(actual, message)


def scan_on_disk(folder: Path, pages: int = 1) -> Path:
    """A PDF scan where a browser's file chooser can pick it up."""
    path = folder / "scan.pdf"
    path.write_bytes(pdf_bytes(pages))
    return path


def clerk_logs_a_fax(page: "Page", scan: Path, *, sender: str = "(802) 555-0100") -> str:
    """The clerk's form with the line, the sender and the scan; the receipt number it gives back.

    The time received is left at the form's default, now."""
    page.goto("/intake/")
    page.get_by_label("Line it arrived on").select_option(index=1)
    page.get_by_label(re.compile(r"^Sender's fax number")).fill(sender)
    page.get_by_label("Scan of the fax").set_input_files(scan)
    page.get_by_role("button", name="Log this fax").click()
    receipt = page.locator(".receipt")
    expect(receipt).to_have_text(RECEIPT)
    return receipt.inner_text()
