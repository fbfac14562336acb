"""A supervisor opens last year's Trust Act report from the menu, sees that one request is still
unreviewed and one is flagged for legal review, opens that list, and closes the year through the
confirmation that names those numbers; the figures are frozen as reported."""

from accounts.access import Role
from detainers.models import ClosedYear, Disposition, FormType
from detainers.triage.services import request_triage

from ..conftest import local, make_user
from ..factories import fax_received
from .conftest import JOURNEY
from .steps import expect

pytestmark = JOURNEY


def test_it_closes_a_year_after_reading_what_is_still_open(
    page, b3, c11, log_in_with_a_session_cookie, final_screenshot
):
    supervisor = make_user("supervisor", Role.SUPERVISOR)
    reviewed = fax_received(to_number="+16175550133", received_at=local(2025, 3, 3, 9))
    request_triage(
        request_id=reviewed.requests.get().pk,
        actor=supervisor,
        changes={"form_type": FormType.I247A, "disposition": Disposition.RELEASED},
    )
    flagged = fax_received(to_number="+16175550151", received_at=local(2025, 5, 5, 9))
    request_triage(
        request_id=flagged.requests.get().pk,
        actor=supervisor,
        changes={
            "form_type": FormType.I247D,
            "disposition": Disposition.NOT_IN_CUSTODY,
            "legal_review": True,
        },
    )
    unreviewed = fax_received(to_number="+16175550133", received_at=local(2025, 9, 9, 9))
    log_in_with_a_session_cookie(page, supervisor)
    page.set_viewport_size({"width": 1366, "height": 900})

    page.goto("/")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Reports").click()
    page.get_by_role("link", name="Trust Act report 2025").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Trust Act annual report 2025")
    expect(page.locator(".annual-unreviewed")).to_contain_text(
        "1 counted request of 2025 has not been reviewed yet"
    )
    # Every figure opens its list: the three counted requests behind "Civil detainer requests".
    page.locator('tr[data-key="civil.total"] a').click()
    expect(page.locator(".inbox-table tbody tr")).to_have_count(3)
    page.go_back()

    checks = page.locator(".annual-checks")
    expect(checks.locator('[data-check="unreviewed"]')).to_contain_text("1 counted request")
    expect(checks.locator('[data-check="legal-review"]')).to_contain_text("1 request flagged")
    expect(checks.locator('[data-check="reconciliation"]')).to_contain_text(
        "No reconciliation with the agency's list has been run for 2025"
    )
    checks.get_by_role("link", name="request flagged for legal review").click()
    rows = page.locator(".inbox-table tbody tr")
    expect(rows).to_have_count(1)
    expect(rows).to_contain_text(flagged.receipt_number)
    page.go_back()
    checks.get_by_role("link", name="counted request not reviewed yet").click()
    expect(page.locator(".inbox-table tbody tr")).to_contain_text(unreviewed.receipt_number)
    page.go_back()

    confirm = page.get_by_label(
        "I confirm closing 2025 with 1 unreviewed request, 1 flagged for legal review, and no "
        "reconciliation with the agency's list run."
    )
    confirm.check()
    page.get_by_role("button", name="Close the 2025 report").click()

    expect(page.get_by_role("status").first).to_contain_text("The 2025 report is closed")
    closed = ClosedYear.objects.get(year=2025)
    assert closed.closed_by == supervisor
    reported = {figure["key"]: figure["value"] for figure in closed.figures}
    assert reported["civil.total"] == 3 and reported["detained.needs_review"] == 1
    expect(page.locator(".annual-status")).to_contain_text("Closed")
    expect(page.get_by_role("button", name="Close the 2025 report")).to_have_count(0)
    final_screenshot(page)
