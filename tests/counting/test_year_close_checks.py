"""Before a year closes: its unreviewed and legal-review requests and its reconciliation, shown with
links, and a confirmation that names those numbers; a POST without it, or with numbers that have
changed since, closes nothing."""

# The annual report's scene is imported as a fixture, so each test naming it "redefines" it.
# ruff: noqa: F811

import pytest
from django.urls import reverse

from detainers.counting import annual
from detainers.models import ClosedYear, Disposition
from detainers.reconcile import services as reconcile
from detainers.triage.services import request_triage
from tests.counting.test_annual_report import EVENT_NUMBER, close_url, report_url, scene  # noqa: F401

pytestmark = pytest.mark.django_db

# One row matches the scene's first request on its Event #, one names a request we never received.
AGENCY_CSV = (
    f"Detainer Prepare Date,Event Number\n01/14/2024,{EVENT_NUMBER}\n02/02/2024,EVNEVERCAME1\n"
).encode()


def close_section(html: str) -> str:
    return html[html.index('id="annual-close-title"') :]


def test_it_counts_the_unreviewed_and_legal_review_requests_and_no_reconciliation(scene):
    checks = annual.year_close_checks(year=2024)
    # The scene's counted unreviewed request is the fax on an unknown line; "review" is flagged.
    assert (checks.unreviewed, checks.legal_review, checks.reconciliation) == (1, 1, None)
    assert checks.words == (
        "I confirm closing 2024 with 1 unreviewed request, 1 flagged for legal review, and no "
        "reconciliation with the agency's list run."
    )


def test_the_report_page_shows_the_numbers_each_linked_to_its_list(scene, page_as):
    client = page_as("supervisor")
    section = close_section(client.get(report_url(2024)).content.decode())
    unreviewed = reverse("annual-report-requests", args=[2024]) + "?figure=unreviewed"
    legal = reverse("annual-report-requests", args=[2024]) + "?figure=detained.needs_review"
    assert f'href="{unreviewed}"' in section and f'href="{legal}"' in section
    assert "No reconciliation with the agency's list has been run for 2024" in section
    assert "I confirm closing 2024 with 1 unreviewed request, 1 flagged for legal review" in section
    # Each link lists exactly those requests, by their receipt reference.
    listed = client.get(unreviewed)
    assert [r.pk for r in listed.context["page"]] == [scene["no_precinct"].pk]
    assert scene["no_precinct"].reference in listed.content.decode()
    assert [r.pk for r in client.get(legal).context["page"]] == [scene["review"].pk]


def test_a_done_reconciliation_is_shown_with_its_matched_and_unmatched_rows(
    scene, page_as, supervisor
):
    run = reconcile.reconciliation_upload(
        year=2024, file_name="agency.csv", content=AGENCY_CSV, actor=supervisor
    )
    assert run.is_done
    checks = annual.year_close_checks(year=2024)
    # 1 matched; unmatched: the agency's row we never received and our 8 other counted requests.
    assert (checks.reconciled["matched"], checks.reconciled["unmatched"]) == (1, 9)
    section = close_section(page_as("supervisor").get(report_url(2024)).content.decode())
    assert f'href="{reverse("reconcile-detail", args=[run.pk])}"' in section
    assert "1 matched, 9 unmatched" in section
    assert "and the reconciliation of" in section and "showing 1 matched and 9 unmatched" in section


def test_a_post_without_the_confirmation_closes_nothing(scene, page_as):
    response = page_as("supervisor").post(close_url(2024), {}, follow=True)
    assert response.status_code == 200
    assert "Tick “I confirm” under the numbers" in response.content.decode()
    assert not ClosedYear.objects.exists()


def test_numbers_that_changed_since_the_page_was_shown_close_nothing(scene, page_as, supervisor):
    shown = annual.year_close_checks(year=2024).confirmation
    request_triage(
        request_id=scene["no_precinct"].pk,
        actor=supervisor,
        changes={"disposition": Disposition.NOT_ACTED_UPON},
    )
    client = page_as("supervisor")
    response = client.post(close_url(2024), {"confirm": shown}, follow=True)
    html = response.content.decode()
    assert "The numbers changed since the page was shown" in html
    assert "2024 with 0 unreviewed requests" in html
    assert not ClosedYear.objects.exists()
    # "yes" (the old form's value) is no confirmation of any numbers either.
    client.post(close_url(2024), {"confirm": "yes"})
    assert not ClosedYear.objects.exists()

    fresh = annual.year_close_checks(year=2024).confirmation
    client.post(close_url(2024), {"confirm": fresh})
    assert ClosedYear.objects.filter(year=2024, closed_by=supervisor).exists()
