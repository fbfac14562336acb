"""A supervisor finds a faxed detainer by its Event # and checks what was read from the form: the
fields are filled in and marked as read from the document; one is corrected, the rest confirmed."""

import random

from accounts.access import Role
from detainers.demo.filled_forms import filled_form_random
from detainers.demo.pages import form_pdf_text_layer
from detainers.extraction.services import document_extract
from detainers.intake import routing
from detainers.models import Disposition, Event, Extraction

from ..conftest import make_user
from ..factories import fax_received
from .conftest import JOURNEY
from .steps import expect

pytestmark = JOURNEY


def test_it_confirms_the_fields_read_from_a_faxed_form(
    page, b3, log_in_with_a_session_cookie, final_screenshot
):
    supervisor = make_user("supervisor", Role.SUPERVISOR)
    drawn = filled_form_random(random.Random(5))
    form = drawn.__class__(**{**drawn.__dict__, "form_type": "I-247A"})
    delivery = fax_received(content=form_pdf_text_layer(form))
    routing.delivery_route(delivery_id=delivery.pk)
    document_extract(extraction_id=Extraction.objects.get(document__delivery=delivery).pk)
    item = delivery.requests.get()
    log_in_with_a_session_cookie(page, supervisor)

    page.goto("/inbox/")
    page.get_by_label("Search").fill(form.event_number.lower())
    page.get_by_role("button", name="Search").click()
    results = page.locator("table tbody tr")
    expect(results).to_have_count(1)
    expect(results).to_contain_text(delivery.receipt_number)
    results.get_by_role("link", name=item.reference, exact=True).click()

    expect(page.get_by_role("heading", level=1)).to_contain_text(delivery.receipt_number)
    a_number = page.get_by_label("A-number")
    expect(a_number).to_have_value(form.a_number)
    expect(page.locator("#id_a_number_reading")).to_contain_text("From the document")
    expect(page.locator(".document-reading")).to_contain_text("fields found")

    page.get_by_label("Citizenship").fill("UNKNOWN")
    page.get_by_label("Disposition").select_option(Disposition.NOT_ACTED_UPON.value)
    page.get_by_role("button", name="Save", exact=True).click()

    expect(page.get_by_role("status")).to_have_text(f"{item.reference} saved.")
    expect(page.locator("#id_citizenship_reading")).to_contain_text(
        f"The document reads “{form.citizenship}”"
    )
    item.refresh_from_db()
    assert (item.citizenship, item.a_number) == ("UNKNOWN", form.a_number)
    assert item.reviewed_by == supervisor
    triaged = Event.objects.get(request=item, action="triaged")
    assert set(triaged.changes) == {"citizenship", "disposition", "reviewed_by", "reviewed_at"}
    final_screenshot(page)
