"""A supervisor reconciles a small agency CSV without choosing a year: the year is read from the
file's dates. The figures say what matched and what never reached us, and the rows name our
requests by their receipt reference and say "No precinct" for one that has none."""

from accounts.access import Role
from detainers.models import Reconciliation
from detainers.triage.services import request_triage

from ..conftest import local, make_user
from ..factories import fax_received
from .conftest import JOURNEY
from .steps import expect

pytestmark = JOURNEY

AGENCY_CSV = (
    "Detainer Prepare Date,Detention Facility,Event Number\n"
    "03/02/2025,Suffolk County Jail,EVE2025A1\n"
    "06/10/2025,Suffolk County Jail,EVE2025NEVER\n"
)


def test_it_reconciles_a_list_whose_year_is_read_from_the_file(
    page, b3, c11, tmp_path, log_in_with_a_session_cookie, final_screenshot
):
    supervisor = make_user("supervisor", Role.SUPERVISOR)
    matched = fax_received(to_number="+16175550133", received_at=local(2025, 3, 3, 9))
    request_triage(
        request_id=matched.requests.get().pk,
        actor=supervisor,
        changes={"event_number": "EVE2025A1"},
    )
    # On a number no precinct owns: ours only, and in no precinct.
    stray = fax_received(to_number="+16175550199", received_at=local(2025, 4, 4, 9))
    agency_list = tmp_path / "ice-detainers.csv"
    agency_list.write_text(AGENCY_CSV, encoding="utf-8")
    log_in_with_a_session_cookie(page, supervisor)

    page.goto("/reports/")
    page.get_by_role("link", name="Reconcile a year against the agency's list").click()
    sample = page.get_by_role("link", name="Download a sample CSV")
    answer = page.request.get(sample.get_attribute("href"))
    assert answer.status == 200 and answer.text().lstrip("\ufeff").startswith(
        "Detainer Prepare Date,"
    )
    expect(page.get_by_label("Year")).to_have_value("")  # left empty: taken from the file
    page.get_by_label("The agency's list (CSV)").set_input_files(str(agency_list))
    page.get_by_role("button", name="Upload and reconcile").click()

    expect(page.get_by_role("heading", level=1)).to_have_text(
        "2025: the agency's list against our counted requests"
    )
    assert Reconciliation.objects.get().year == 2025
    tiles = page.locator(".dashboard-tiles")
    expect(tiles.locator('[data-figure="matched"]')).to_have_text("1")
    expect(tiles.locator('[data-figure="agency_only"]')).to_have_text("1")
    expect(tiles.locator('[data-figure="ours_only"]')).to_have_text("1")

    tiles.locator('[data-figure="ours_only"]').click()
    rows = page.locator("#rows tbody tr")
    expect(rows).to_have_count(1)
    stray_reference = stray.requests.get().reference
    expect(rows.get_by_role("link", name=stray_reference)).to_be_visible()
    expect(rows).to_contain_text("No precinct")
    expect(rows).not_to_contain_text(f"#{stray.requests.get().pk}")
    expect(page.locator("section.chart-table").first).to_contain_text("No precinct")

    tiles.locator('[data-figure="matched"]').click()
    expect(
        page.locator("#rows tbody tr").get_by_role("link", name=matched.receipt_number)
    ).to_be_visible()
    page.set_viewport_size({"width": 1366, "height": 900})
    final_screenshot(page)
