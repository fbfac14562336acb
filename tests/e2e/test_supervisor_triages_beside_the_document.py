"""A supervisor triages a faxed form beside its document at 1366x900: the document and Save are both
in view, the fax's pages turn by keyboard, a duplicate is named by its receipt number, a failed save
shows its error where the eye is, and Ctrl+Shift+Enter saves and opens the next unreviewed request."""

import random
from dataclasses import replace
from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.access import Role
from detainers.demo.filled_forms import filled_form_random
from detainers.demo.pages import form_fax_tiff, form_pdf_text_layer
from detainers.models import DetainerRequest, Disposition, Event
from detainers.triage.services import request_triage

from ..conftest import make_user
from ..factories import fax_received
from .conftest import JOURNEY
from .steps import expect

pytestmark = JOURNEY

WIDTH, HEIGHT = 1366, 900


def routed_request(**kwargs) -> DetainerRequest:
    request = fax_received(**kwargs).requests.select_related("delivery").get()
    assert request.delivery.routed_at, "routed into the inbox when the fax was committed"
    return request


def in_view(locator) -> bool:
    box = locator.bounding_box()
    return (
        box is not None
        and box["x"] >= 0
        and box["y"] >= 0
        and box["x"] + box["width"] <= WIDTH
        and box["y"] + box["height"] <= HEIGHT
    )


def test_it_triages_beside_the_document_and_goes_on_to_the_next(
    page, b3, log_in_with_a_session_cookie, final_screenshot
):
    supervisor = make_user("supervisor", Role.SUPERVISOR)
    now = timezone.now()
    original = routed_request(received_at=now - timedelta(hours=6))
    request_triage(
        request_id=original.pk,
        actor=supervisor,
        changes={"disposition": Disposition.NOT_ACTED_UPON},
    )
    form = replace(filled_form_random(random.Random(3)), form_type="I-247A", warrant_page="I-200")
    faxed = routed_request(
        received_at=now - timedelta(hours=3),
        content=form_fax_tiff(form, rng=random.Random(3)),
    )
    following = routed_request(
        received_at=now - timedelta(hours=1),
        content=form_pdf_text_layer(filled_form_random(random.Random(8))),
    )
    page.set_viewport_size({"width": WIDTH, "height": HEIGHT})
    log_in_with_a_session_cookie(page, supervisor)

    page.goto("/inbox/")
    page.get_by_role("link", name=faxed.reference, exact=True).click()

    expect(page.get_by_role("heading", level=1)).to_have_text(faxed.reference)
    document = page.get_by_role("region", name="Document", exact=True)
    fax_page = document.get_by_role("img", name="Page 1 of the fax")
    save = page.get_by_role("button", name="Save", exact=True)
    expect(fax_page).to_be_visible()
    assert in_view(fax_page) and in_view(save), "the document and Save, side by side, unscrolled"
    assert in_view(page.get_by_label("Disposition")), "the disposition near the top of the form"

    # The fax has two pages: the keyboard turns them without leaving the form.
    page.get_by_label("Duplicate of (receipt number)").click()
    expect(document.get_by_text("Page 1 of 2")).to_be_visible()
    page.keyboard.press("Alt+PageDown")
    expect(document.get_by_text("Page 2 of 2")).to_be_visible()
    expect(document.get_by_role("img", name="Page 2 of the fax")).to_be_visible()
    expect(fax_page).to_be_hidden()
    second_page = document.get_by_role("img", name="Page 2 of the fax")
    fitted = second_page.bounding_box()["width"]
    document.get_by_role("button", name="Zoom in").click()
    assert second_page.bounding_box()["width"] == pytest.approx(fitted * 1.25, abs=2)
    document.get_by_role("button", name="Fit width").click()
    assert second_page.bounding_box()["width"] == pytest.approx(fitted, abs=2)

    # A receipt number that names no request: nothing saved, the error at the top of the form.
    unknown = f"{original.reference[:8]}999999"
    page.get_by_label("Duplicate of (receipt number)").fill(unknown)
    page.get_by_role("button", name="Save", exact=True).click()
    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("Nothing was saved")
    expect(summary).to_contain_text(f"No request has the receipt number “{unknown}”")
    expect(summary).to_be_focused()
    assert page.url.endswith("#triage-errors")
    assert in_view(summary), "the error is where the eye is, not 1,400 px down"
    # On a phone the document and the form stack, and nothing runs off the side.
    page.set_viewport_size({"width": 390, "height": 844})
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert document.bounding_box()["y"] < summary.bounding_box()["y"]
    page.set_viewport_size({"width": WIDTH, "height": HEIGHT})
    faxed.refresh_from_db()
    assert faxed.duplicate_of_id is None

    # Fixed, then saved and on to the next unreviewed request by keyboard.
    page.get_by_label("Duplicate of (receipt number)").fill(original.reference.lower())
    page.get_by_label("Duplicate of (receipt number)").press("Control+Shift+Enter")

    expect(page.get_by_role("heading", level=1)).to_have_text(following.reference)
    expect(page.get_by_role("status")).to_have_text(f"{faxed.reference} saved.")
    faxed.refresh_from_db()
    assert (faxed.duplicate_of_id, faxed.disposition) == (original.pk, Disposition.DUPLICATE)
    assert faxed.reviewed_by == supervisor
    looks = Event.objects.filter(delivery=faxed.delivery, action="document_viewed")
    # Opened, then shown again with its error: one look, and none for each page drawn.
    assert looks.count() == 1
    assert in_view(page.get_by_role("button", name="Save", exact=True))

    # Back on the fax: it says what was done and by whom, beside the document.
    page.goto(f"/inbox/{faxed.pk}/")
    status = page.locator(".inbox-status")
    expect(status).to_contain_text(f"{Disposition.DUPLICATE.label} · reviewed")
    expect(status).to_contain_text("by supervisor")
    marked = page.get_by_role("heading", name=f"Marked as a duplicate of {original.reference}")
    expect(marked).to_be_visible()
    first_page = page.get_by_role("img", name="Page 1 of the fax")
    expect(first_page).to_have_js_property("complete", True)
    assert first_page.evaluate("img => img.naturalWidth") == 1728, "the page was drawn"
    final_screenshot(page)
