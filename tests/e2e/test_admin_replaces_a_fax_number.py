"""An admin replaces a precinct's fax number in one step from the precinct's page: the old line ends
and the new one begins at the same moment. A fax the gateway reported on the old number before
stays B-3's; one on the old number afterwards belongs to no precinct and is flagged in the inbox;
one on the new number is B-3's."""

import re
from datetime import timedelta

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


def admin_replaces(page, precinct_code: str, new_number: str) -> None:
    """From the admin's first page to the precinct's page, and the number replaced in one form."""
    page.goto("/admin/")
    page.locator("#start-here").get_by_role("link", name="Precincts").click()
    page.get_by_role("link", name=precinct_code, exact=True).click()
    page.get_by_role("link", name="Replace a fax number…").click()
    expect(page.get_by_label("Old number")).to_contain_text("(617) 555-0133")  # the only one
    page.get_by_label("New number").fill(new_number)
    page.get_by_label("Kind").select_option(label="Dedicated detainer line")
    # The moment of change is left as the page offers it: now.
    page.get_by_role("button", name="Replace the number").click()


def gateway_reports_a_fax(playwright, live_server, token, to_number, gateway_id, received_at):
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
            "received_at": received_at.isoformat(),
            "gateway_id": gateway_id,
        },
    )
    assert answer.status == 201, answer.text()
    api.dispose()
    return Delivery.objects.get(external_id=gateway_id)


def test_an_admin_replaces_a_number_in_one_step(
    new_page, playwright, live_server, b3, log_in_with_a_session_cookie, final_screenshot
):
    admin_page, supervisor_page = new_page(), new_page()
    log_in_through_the_form(admin_page, make_user("admin", Role.ADMIN), login_path="/admin/login/")
    log_in_with_a_session_cookie(supervisor_page, make_user("supervisor", Role.SUPERVISOR))
    _, token = api_token_create(user=make_user("fax-gateway", Role.GATEWAY))
    an_hour_ago = timezone.now() - timedelta(hours=1)
    earlier = gateway_reports_a_fax(playwright, live_server, token, OLD, "gw-earlier", an_hour_ago)

    admin_replaces(admin_page, "B-3", "(617) 555-0199")

    expect(admin_page.locator(".messagelist")).to_contain_text(
        "(617) 555-0133 replaced by (617) 555-0199 at"
    )
    history = admin_page.locator(".inline-group").filter(has_text="whole history")
    old_row = history.get_by_role("row", name=re.compile(r"^\(617\) 555-0133"))
    new_row = history.get_by_role("row", name=re.compile(r"^\(617\) 555-0199"))
    expect(old_row).to_contain_text("retired")
    expect(new_row).to_contain_text("active")
    expect(new_row).to_contain_text("Replaced (617) 555-0133.")
    old, new = FaxNumber.objects.get(number=OLD), FaxNumber.objects.get(number=NEW)
    assert old.active_until == new.active_from <= timezone.now()  # no moment between them
    assert (new.precinct, new.kind) == (b3, FaxNumber.Kind.DETAINER)
    final_screenshot(admin_page)

    now = timezone.now()
    stray = gateway_reports_a_fax(playwright, live_server, token, "+1 617 555 0133", "gw-old", now)
    found = gateway_reports_a_fax(playwright, live_server, token, "(617) 555-0199", "gw-new", now)
    assert (stray.precinct, stray.number_match) == (None, NumberMatch.RETIRED)
    assert (found.precinct, found.number_match, found.fax_number) == (b3, NumberMatch.OWNED, new)
    earlier.refresh_from_db()
    assert (earlier.precinct, earlier.fax_number) == (b3, old)  # counted where it arrived
    assert list(old.deliveries.values_list("external_id", flat=True)) == ["gw-earlier"]

    supervisor_page.goto("/inbox/")
    stray_row = supervisor_page.locator("tbody tr").filter(has_text=stray.receipt_number)
    expect(stray_row).to_contain_text("No precinct")
    expect(stray_row).to_contain_text("Retired number")
    found_row = supervisor_page.locator("tbody tr").filter(has_text=found.receipt_number)
    expect(found_row).to_contain_text("B-3")
    expect(found_row).not_to_contain_text("Retired number")
