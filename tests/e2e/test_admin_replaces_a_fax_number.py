"""An admin retires a precinct's fax number and gives it a new one in the Django admin; a fax the
gateway reports on the old number afterwards belongs to no precinct and is flagged in the inbox."""

from django.utils import timezone

from accounts.access import Role
from accounts.tokens import api_token_create
from detainers.models import Delivery, NumberMatch
from precincts.models import FaxNumber

from ..conftest import make_user
from ..factories import pdf_bytes
from .conftest import JOURNEY, log_in_through_the_form
from .steps import expect

pytestmark = JOURNEY

OLD, NEW = "+16175550133", "+16175550199"


def admin_retires(page, display_number: str) -> None:
    page.goto("/admin/")
    page.get_by_role("link", name="Fax numbers", exact=True).click()
    page.get_by_role("link", name=display_number).click()
    page.get_by_role("link", name="Retire…").click()
    page.get_by_role("button", name="Retire").click()  # at the moment the page offers: now
    expect(page.locator(".messagelist")).to_contain_text(f"{display_number} (B-3) retired at")


def admin_gives_a_number(page, precinct_code: str, number: str) -> None:
    page.goto("/admin/")
    page.get_by_role("link", name="Precincts", exact=True).click()
    page.get_by_role("link", name=precinct_code, exact=True).click()
    new_rows = page.locator(".inline-group").filter(has_text="Give this precinct a fax number")
    new_rows.locator("input[name$='-0-number']").fill(number)
    new_rows.locator("select[name$='-0-kind']").select_option(label="Dedicated detainer line")
    new_rows.locator("input[name$='-0-active_from_0']").fill(f"{timezone.localdate():%Y-%m-%d}")
    page.locator("input[name='_save']").click()
    expect(page.locator(".messagelist")).to_contain_text("was changed successfully")


def gateway_reports_a_fax(playwright, live_server, token: str, to_number: str, gateway_id: str):
    """POST /api/v1/faxes/ as the fax gateway would: its token, multipart, no browser session."""
    api = playwright.request.new_context(
        base_url=live_server.url, extra_http_headers={"Authorization": f"Token {token}"}
    )
    answer = api.post(
        "/api/v1/faxes/",
        multipart={
            "document": {"name": "fax.pdf", "mimeType": "application/pdf", "buffer": pdf_bytes()},
            "to_number": to_number,
            "from_number": "+12025550100",
            "received_at": timezone.now().isoformat(),
            "gateway_id": gateway_id,
        },
    )
    assert answer.status == 201, answer.text()
    api.dispose()
    return Delivery.objects.get(external_id=gateway_id)


def test_a_fax_to_the_retired_number_is_flagged_in_the_inbox(
    new_page, playwright, live_server, b3, log_in_with_a_session_cookie, final_screenshot
):
    admin_page, supervisor_page = new_page(), new_page()
    log_in_through_the_form(admin_page, make_user("admin", Role.ADMIN), login_path="/admin/login/")
    log_in_with_a_session_cookie(supervisor_page, make_user("supervisor", Role.SUPERVISOR))
    _, token = api_token_create(user=make_user("fax-gateway", Role.GATEWAY))

    admin_retires(admin_page, "(617) 555-0133")
    admin_gives_a_number(admin_page, "B-3", "(617) 555-0199")

    old = FaxNumber.objects.get(number=OLD)
    assert old.active_until is not None and old.active_until <= timezone.now()
    assert FaxNumber.objects.get(number=NEW).is_active_at(timezone.now())
    stray = gateway_reports_a_fax(playwright, live_server, token, "+1 617 555 0133", "gw-old")
    found = gateway_reports_a_fax(playwright, live_server, token, "(617) 555-0199", "gw-new")
    assert (stray.precinct, stray.number_match) == (None, NumberMatch.RETIRED)
    assert (found.precinct, found.number_match) == (b3, NumberMatch.OWNED)

    supervisor_page.goto("/inbox/")
    stray_row = supervisor_page.locator("tbody tr").filter(has_text=stray.receipt_number)
    expect(stray_row).to_contain_text("No precinct")
    expect(stray_row).to_contain_text("Retired number")
    found_row = supervisor_page.locator("tbody tr").filter(has_text=found.receipt_number)
    expect(found_row).to_contain_text("B-3")
    expect(found_row).not_to_contain_text("Retired number")
    final_screenshot(supervisor_page)
