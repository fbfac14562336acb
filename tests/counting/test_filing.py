"""The filing to the City Clerk (/reports/annual/<year>/filing.pdf): the letter read page by page,
its figures against the records, the second profile, the setting that chooses a profile, access."""

import io
import os
import re
import subprocess
import sys
from collections import Counter
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone
from pypdf import PdfReader

from detainers.counting import annual
from detainers.counting.filing import COLUMNS, MEASURES, filing_letter
from detainers.counting.filing_profiles import FILING_PROFILES, STATED_REASON, filing_profile
from detainers.models import (
    Channel,
    Delivery,
    DetainerRequest,
    Disposition,
    FormType,
    ProbableCause,
    Source,
)
from detainers.triage.services import request_triage
from tests.conftest import local
from tests.factories import fax_received

pytestmark = pytest.mark.django_db

URL = "/reports/annual/{year}/filing.pdf"
B3_LINE, C11_LINE = "+16175550133", "+16175550151"
ISO_DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")
PAGE_LABEL = re.compile(r"Page (\d+) of (\d+)")
COUNTED = 120  # enough for the list to run over several pages
SUBJECT_NAME = "Quixotica Zzyzxbottom"  # distinctive: finding it anywhere can only be a leak
REASONS = [ProbableCause.FINAL_ORDER, ProbableCause.BIOMETRIC_MATCH, ProbableCause.STATEMENTS]


def received(at, line, actor, **changes):
    """A fax through the intake service, then triaged as a reviewer would."""
    request = fax_received(received_at=at, to_number=line).requests.get()
    return request_triage(request_id=request.pk, actor=actor, changes=changes)


def filing_facts(i: int) -> dict:
    """The i-th counted request's form, reason, disposition and filing fields: varied enough for
    every figure and column to be checked against a known count."""
    return {
        "form_type": FormType.I247A if i % 4 else FormType.I200,
        "probable_cause": REASONS[i % 3] if i % 4 else "",
        "disposition": Disposition.NOT_ACTED_UPON if i % 5 else Disposition.NOT_IN_CUSTODY,
        "held_beyond_release": True if i % 10 == 0 else (False if i % 2 else None),
        "transferred_to_federal_custody": i % 15 == 0,
        "reimbursement_amount": Decimal(f"{i}.25") if i % 20 == 0 else None,
    }


@pytest.fixture
def year_2024(b3, c11, supervisor) -> dict:
    """120 counted requests in 2024, each on a day of its own; then, through the services, one
    duplicate, one item that is no detainer and one request of 2025, on days no counted request has.

    The 120 are written in bulk: through intake and triage they cost seconds per test, and the
    filing reads the requests themselves (not the summary table the services keep)."""
    deliveries = Delivery.objects.bulk_create(
        Delivery(
            channel=Channel.FAX,
            source=Source.GATEWAY,
            received_at=local(2024, 1, 1, 10) + timedelta(days=3 * i),
            precinct=c11 if i % 3 == 0 else b3,
            routed_at=local(2024, 1, 1, 10) + timedelta(days=3 * i),
        )
        for i in range(COUNTED)
    )
    counted = DetainerRequest.objects.bulk_create(
        DetainerRequest(delivery=delivery, reviewed_by=supervisor, **filing_facts(i))
        for i, delivery in enumerate(deliveries)
    )
    DetainerRequest.objects.filter(pk=counted[0].pk).update(
        subject_name=SUBJECT_NAME, event_number="EVTFILING1"
    )
    # The same Event # as the first: linked automatically as its duplicate.
    duplicate = received(
        local(2024, 1, 2, 9),
        B3_LINE,
        supervisor,
        event_number="EVTFILING1",
        held_beyond_release=True,
    )
    not_a_detainer = received(
        local(2024, 1, 5, 9),
        B3_LINE,
        supervisor,
        disposition=Disposition.NOT_A_DETAINER,
        reimbursement_amount=Decimal("999.99"),
    )
    next_year = received(local(2025, 1, 1, 0, 30), B3_LINE, supervisor, held_beyond_release=True)
    assert duplicate.duplicate_of_id == counted[0].pk
    return {
        "counted": DetainerRequest.objects.filter(pk__in=[r.pk for r in counted]).select_related(
            "delivery"
        ),
        "not_counted": [duplicate, not_a_detainer, next_year],
    }


def pages_of(response) -> list[str]:
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"] == "application/pdf"
    assert response["Cache-Control"] == "private, no-store"
    return [page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages]


def letter_pages(page_as, year=2024, **query) -> list[str]:
    return pages_of(page_as("supervisor").get(URL.format(year=year), query))


def listed_dates(pages: list[str]) -> Counter:
    return Counter(date for page in pages for date in ISO_DATE.findall(page))


def day(request) -> str:
    return timezone.localtime(request.delivery.received_at).date().isoformat()


# --- The letter, page by page ---------------------------------------------------------------------


def test_the_first_page_is_the_departments_letter_to_the_clerk(year_2024, page_as, settings):
    settings.DEPARTMENT_NAME = "Springfield Police Department"
    settings.DEPARTMENT_ADDRESS = ["1 Main Street", "Springfield, MA 01101"]
    pages = letter_pages(page_as)

    first = pages[0]
    today = annual.local_today()
    for text in (
        "Springfield Police Department",
        "1 Main Street",
        "Springfield, MA 01101",
        f"{today:%B} {today.day}, {today.year}",
        "Office of the City Clerk",
        "Subject: Civil immigration detainer requests received in 2024",
        "As the Trust Ordinance requires",
        "Figures for 2024",
    ):
        assert text in first, text
    assert "1 Main Street" not in "".join(pages[1:]), "the letterhead is the first page's"


def test_every_page_says_page_x_of_y(year_2024, page_as):
    pages = letter_pages(page_as)

    assert len(pages) >= 3
    for number, text in enumerate(pages, start=1):
        assert PAGE_LABEL.findall(text) == [(str(number), str(len(pages)))]


def test_the_list_header_is_on_every_page_the_list_runs_onto(year_2024, page_as):
    pages = letter_pages(page_as)

    list_pages = [text for text in pages if ISO_DATE.search(text)]
    assert len(list_pages) >= 3
    for text in list_pages:
        header = text.index("District\nDate received\nForm\nDisposition")
        assert header < ISO_DATE.search(text).start(), "the header comes before the page's rows"


def test_every_counted_request_is_listed_once_and_nothing_else(year_2024, page_as):
    pages = letter_pages(page_as)

    assert listed_dates(pages) == Counter(day(request) for request in year_2024["counted"])
    for request in year_2024["not_counted"]:
        assert day(request) not in "".join(pages)


def test_a_row_gives_district_date_form_and_the_profiles_wording(year_2024, page_as):
    text = "\n".join(letter_pages(page_as))

    assert "C-11\n2024-01-01\nI-200\nNot in custody when the request was received" in text
    assert "B-3\n2024-01-04\nI-247A\nNot acted upon per the Trust Ordinance" in text
    assert text.count("Not acted upon per the Trust Ordinance") == COUNTED - COUNTED // 5


def test_no_name_or_identifier_is_in_the_letter(year_2024, page_as):
    text = "\n".join(letter_pages(page_as))

    assert "2024-01-01" in text, "the request that has the name is listed"
    for secret in (
        SUBJECT_NAME,
        "Quixotica",
        "EVTFILING1",
        year_2024["counted"].first().delivery.receipt_number,
    ):
        assert secret not in text


def test_an_open_year_says_draft_on_every_page(year_2024, page_as):
    pages = letter_pages(page_as)

    assert len(pages) >= 3
    assert all("DRAFT" in text for text in pages)


def test_a_closed_year_says_draft_on_no_page(year_2024, page_as, supervisor):
    annual.annual_report_close(year=2024, actor=supervisor)
    pages = letter_pages(page_as)

    assert len(pages) >= 3
    assert listed_dates(pages).total() == COUNTED, "the whole letter is there"
    assert not [number for number, text in enumerate(pages, 1) if "draft" in text.lower()]


def test_the_figures_are_those_of_the_records(year_2024, page_as):
    counted = year_2024["counted"]
    held = sum(request.held_beyond_release is True for request in counted)
    transferred = sum(request.transferred_to_federal_custody is True for request in counted)
    reimbursed = sum(request.reimbursement_amount or 0 for request in counted)
    assert (held, transferred, reimbursed) == (12, 8, Decimal("301.50")), "the scene is as meant"

    letter = filing_letter(year=2024, profile=FILING_PROFILES["trust_act"])
    figures = {line.key: line.value for line in letter.figures}
    assert figures == {
        "held": held,
        "transferred": transferred,
        "reimbursements": reimbursed,
        "total": COUNTED,
    }
    first = letter_pages(page_as)[0]
    assert "People held beyond their release time on a detainer request\n 12" in first
    assert "People transferred to federal immigration custody\n 8" in first
    assert "Federal reimbursements received\n $301.50" in first
    assert "Total detainer requests received\n 120" in first


def test_the_letter_reads_two_queries_however_many_requests(year_2024, django_assert_num_queries):
    with django_assert_num_queries(2):
        letter = filing_letter(year=2024, profile=FILING_PROFILES["trust_act"])
    assert len(letter.rows) == COUNTED


def test_a_year_without_requests_is_a_one_page_letter_saying_so(b3, page_as):
    pages = letter_pages(page_as, year=2023)

    assert len(pages) == 1
    assert "No request was counted in 2023." in pages[0]
    assert "Total detainer requests received\n 0" in pages[0]
    assert "Federal reimbursements received\n $0.00" in pages[0]
    assert "Page 1 of 1" in pages[0]


# --- Profiles ---------------------------------------------------------------------------------------


def test_the_second_profile_gives_its_own_figures_and_columns(year_2024, page_as):
    pages = letter_pages(page_as, profile="stated_reason")
    text = "\n".join(pages)

    letter = filing_letter(year=2024, profile=STATED_REASON)
    figures = {line.key: line.value for line in letter.figures}
    civil = COUNTED - COUNTED // 4  # every fourth is an I-200, with no reason recorded
    assert figures["total"] == COUNTED
    assert figures["by_reason"] == COUNTED
    assert figures[f"by_reason.{ProbableCause.FINAL_ORDER.label}"] == civil // 3
    assert figures[f"by_reason.{ProbableCause.NONE_MARKED.label}"] == 0, "shown at 0"
    assert figures["by_reason.Not recorded"] == COUNTED // 4
    assert figures["by_form.I-200"] == COUNTED // 4
    assert figures["by_form.I-247A"] == civil
    assert figures["transferred"] == 8
    assert "reimbursements" not in figures
    assert "Subject: Immigration detainer requests received in 2024, by stated reason" in pages[0]
    assert f"By stated reason (probable-cause basis)\n {COUNTED}" in pages[0]
    assert "Federal reimbursements" not in text
    assert "District\nDate received\nForm\nStated reason\nDisposition" in text
    assert listed_dates(pages) == Counter(day(request) for request in year_2024["counted"])


def test_the_setting_chooses_the_profile(year_2024, page_as, settings):
    settings.FILING_PROFILE = "stated_reason"
    first = letter_pages(page_as)[0]

    assert "by stated reason" in first
    assert "Trust Ordinance" not in first


def test_an_unknown_profile_to_preview_is_a_400_naming_the_choices(b3, page_as):
    response = page_as("supervisor").get(URL.format(year=2024), {"profile": "springfield"})

    assert response.status_code == 400
    assert "trust_act, stated_reason" in response.content.decode()


def test_an_unknown_configured_profile_fails_closed(settings):
    settings.FILING_PROFILE = "springfield"
    with pytest.raises(ImproperlyConfigured, match="FILING_PROFILE"):
        filing_profile()


def test_the_app_refuses_to_start_with_an_unknown_profile():
    repo = Path(__file__).resolve().parents[2]
    env = {**os.environ, "DJANGO_DEBUG": "True", "FILING_PROFILE": "springfield"}
    env["DJANGO_SETTINGS_MODULE"] = "config.settings"
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode != 0
    last_line = result.stderr.strip().splitlines()[-1]
    assert last_line.startswith("django.core.exceptions.ImproperlyConfigured: FILING_PROFILE")


@pytest.mark.parametrize("profile", FILING_PROFILES.values(), ids=FILING_PROFILES)
def test_a_profile_asks_only_for_what_the_filing_has(profile):
    assert {figure.measure for figure in profile.figures} <= MEASURES.keys()
    assert {column.field for column in profile.columns} <= COLUMNS.keys()
    assert sum(column.width for column in profile.columns) <= 6.5, "fits between the margins"
    # Duplicates and items that are no detainer are never counted, so never worded.
    assert set(profile.disposition_wording) <= set(Disposition.values) - {
        Disposition.DUPLICATE,
        Disposition.NOT_A_DETAINER,
    }


def test_no_column_or_measure_reads_a_name_or_identifier():
    personal = {"subject_name", "a_number", "subject_id", "event_number", "date_of_birth"}
    assert not personal & (COLUMNS.keys() | MEASURES.keys())


# --- Who may open it --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("person", "expected"),
    [
        ("anonymous", 302),
        ("clerk", 403),
        ("other_precinct_clerk", 403),
        ("supervisor", 200),
        ("admin", 403),
        ("gateway", 403),
        ("nobody", 403),
    ],
)
def test_only_supervisors_open_the_letter(people, page_as, person, expected):
    response = page_as(person).get(URL.format(year=2024))

    assert response.status_code == expected
    if expected == 302:
        assert response["Location"].startswith("/accounts/login/")
    if expected != 200:
        assert response.get("Content-Type") != "application/pdf"


def test_the_annual_report_page_links_to_the_letter(b3, page_as):
    response = page_as("supervisor").get("/reports/annual/2024/")

    assert response.status_code == 200
    assert 'href="/reports/annual/2024/filing.pdf"' in response.content.decode()
