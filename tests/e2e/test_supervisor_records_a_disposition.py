"""A supervisor finds a precinct's fax in the central inbox, opens its document and records what
was done; the disposition is saved and the look at the document is in the audit trail."""

from accounts.access import Role
from detainers.models import Disposition, Event

from ..conftest import make_user
from ..factories import fax_received
from .conftest import JOURNEY
from .steps import expect

pytestmark = JOURNEY


def test_it_records_the_disposition_of_a_fax_found_in_the_inbox(
    page, b3, c11, log_in_with_a_session_cookie, final_screenshot
):
    supervisor = make_user("supervisor", Role.SUPERVISOR)
    fax_received(to_number="+16175550151")  # C-11's, so the filter has something to leave out
    delivery = fax_received(to_number="+1 617 555 0133")
    receipt = delivery.receipt_number
    log_in_with_a_session_cookie(page, supervisor)

    page.goto("/")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Central inbox").click()
    page.get_by_label("Precinct", exact=True).select_option(label="B-3")
    page.get_by_role("button", name="Show").click()
    rows = page.locator(".inbox-table tbody tr")
    expect(rows).to_have_count(1)
    expect(rows).to_contain_text("Unreviewed")
    rows.get_by_role("link", name=receipt).click()

    expect(page.get_by_role("heading", level=1)).to_contain_text(receipt)
    document_link = page.get_by_role("link", name="Open the file")
    pdf = page.request.get(document_link.get_attribute("href"))  # with the supervisor's cookies
    assert pdf.status == 200
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.body().startswith(b"%PDF")

    page.get_by_label("Disposition").select_option(Disposition.NOT_IN_CUSTODY.value)
    page.get_by_role("button", name="Save", exact=True).click()

    item = delivery.requests.get()
    expect(page.get_by_role("status")).to_have_text(f"{item.reference} saved.")
    expect(page.locator(".inbox-status")).to_contain_text(Disposition.NOT_IN_CUSTODY.label)
    item.refresh_from_db()
    assert item.disposition == Disposition.NOT_IN_CUSTODY
    assert item.reviewed_by == supervisor
    assert Event.objects.filter(request=item, action="triaged", actor=supervisor).exists()
    viewed = Event.objects.filter(delivery=delivery, action="document_viewed", actor=supervisor)
    assert viewed.exists(), "opening the document is recorded with who opened it"
    expect(page.get_by_role("region", name="Who opened the documents")).to_contain_text(
        "supervisor"
    )
    final_screenshot(page)
