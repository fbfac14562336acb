"""The annual Trust Act report: its figures on a known scene, every download, the de-identified list,
formula injection, access, closing a year and the differences after it, and the page's query count."""

import csv
import io
import re
import zipfile

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from openpyxl import load_workbook
from pypdf import PdfReader

from detainers.counting import annual
from detainers.counting.exports import cell_safe
from detainers.counting.selectors import CountFilter, counted_requests, yearly_stats
from detainers.models import ClosedYear, DetainerRequest, Disposition, FormType, ProbableCause
from detainers.triage.services import request_triage
from precincts.models import Precinct
from precincts.services import fax_number_assign
from tests.conftest import local
from tests.counting.test_dashboard import email_received
from tests.factories import fax_received

pytestmark = pytest.mark.django_db

B3_LINE = "+16175550133"
C11_LINE = "+16175550151"
UNKNOWN_LINE = "+16175550199"
# Distinctive enough that finding any of them in a download can only mean a leak.
SUBJECT_NAME = "Quixotica Zzyzxbottom"
A_NUMBER = "A987654321"
SUBJECT_ID = "SUBJZQ77X"
EVENT_NUMBER = "EVTQZ99K"
IDENTIFIERS = (SUBJECT_NAME, A_NUMBER, SUBJECT_ID, EVENT_NUMBER, "987654321", "Quixotica")


def received(at, line=B3_LINE, actor=None, **changes):
    """A fax through the intake service, then triaged as a reviewer would."""
    request = fax_received(received_at=at, to_number=line).requests.get()
    if changes:
        request = request_triage(request_id=request.pk, actor=actor, changes=changes)
    return request


@pytest.fixture
def scene(b3, c11, supervisor) -> dict:
    """2024: 11 requests received, 9 counted (7 of them civil detainer requests); 2025: 2 counted."""

    def rq(at, line=B3_LINE, **changes):
        return received(at, line, supervisor, **changes)

    A, D, N = FormType.I247A, FormType.I247D, FormType.I247N
    first = rq(
        local(2024, 1, 15, 9),
        form_type=A,
        probable_cause=ProbableCause.FINAL_ORDER,
        disposition=Disposition.NOT_ACTED_UPON,
        subject_name=SUBJECT_NAME,
        a_number="A 987-654-321",
        subject_id=SUBJECT_ID,
        event_number=EVENT_NUMBER,
    )
    return {
        "first": first,
        "march": rq(local(2024, 3, 10, 14), form_type=A, probable_cause=ProbableCause.BIOMETRIC_MATCH,
                    disposition=Disposition.RELEASED),
        "review": rq(local(2024, 3, 20, 8), C11_LINE, form_type=D, disposition=Disposition.NOT_IN_CUSTODY,
                     probable_cause=ProbableCause.PENDING_PROCEEDINGS, legal_review=True),
        # 04:30 UTC on 1 January 2025, but 2024 in the department's time zone.
        "new_years_eve": rq(local(2024, 12, 31, 23, 30), C11_LINE, form_type=A,
                            probable_cause=ProbableCause.STATEMENTS, disposition=Disposition.NOT_ACTED_UPON),
        "notification": rq(local(2024, 6, 1, 10), form_type=N, disposition=Disposition.NOTIFICATION),
        "i200": rq(local(2024, 7, 4, 10), form_type=FormType.I200, disposition=Disposition.NOT_ACTED_UPON),
        "judicial": rq(local(2024, 8, 8, 10), C11_LINE, form_type=FormType.JUDICIAL,
                       disposition=Disposition.JUDICIAL),
        "cancelled": rq(local(2024, 9, 9, 10), form_type=A, probable_cause=ProbableCause.NONE_MARKED,
                        disposition=Disposition.CANCELLED),
        # The same Event # as `first`: linked automatically as its duplicate.
        "duplicate": rq(local(2024, 1, 16, 9), event_number=EVENT_NUMBER, subject_name=SUBJECT_NAME),
        "not_a_detainer": rq(local(2024, 5, 5, 10), disposition=Disposition.NOT_A_DETAINER),
        "no_precinct": rq(local(2024, 10, 10, 10), UNKNOWN_LINE),
        "next_year": rq(local(2025, 1, 1, 0, 0, 1), form_type=A),
        "i205": rq(local(2025, 2, 2, 10), C11_LINE, form_type=FormType.I205),
    }  # fmt: skip


def figures(year: int) -> dict[str, int]:
    return {line.figure.key: line.current for line in annual.annual_report(year=year).lines}


def report_url(year: int, fmt: str = "") -> str:
    return reverse("annual-report", args=[year]) + (f"?format={fmt}" if fmt else "")


def close_url(year: int) -> str:
    return reverse("annual-report-close", args=[year])


# --- The figures ---------------------------------------------------------------------------------


def test_it_counts_the_scene_in_the_trust_act_structure(scene):
    assert scene["duplicate"].duplicate_of_id == scene["first"].pk
    got = figures(2024)
    expected = {
        "civil.total": 7,
        "civil.reason.final_order": 1,
        "civil.reason.pending_proceedings": 1,
        "civil.reason.biometric_match": 1,
        "civil.reason.statements": 1,
        "civil.reason.none_marked": 1,
        "civil.reason.none": 2,  # the I-247N and the unreviewed request
        "civil.precinct.B-3": 4,
        "civil.precinct.C-11": 2,
        "civil.precinct.none": 1,
        "civil.precinct.none.fax": 1,  # a fax on a number no precinct owns
        "civil.precinct.none.email": 0,
        "civil.month.01": 1,
        "civil.month.03": 2,
        "civil.month.06": 1,
        "civil.month.09": 1,
        "civil.month.10": 1,
        "civil.month.12": 1,  # the fax at 23:30 on 31 December
        "detained.recorded": 0,
        "detained.needs_review": 1,
        "transferred.recorded": 0,
        "transferred.judicial": 1,
        "reimbursements.total": 0,
        "administrative.total": 1,
        "administrative.I-200": 1,
        "administrative.I-205": 0,
        "notification.total": 1,
        "cancelled.total": 1,
        "duplicates.total": 1,
        "forms.civil": 7,
        "forms.administrative": 1,
        "forms.judicial": 1,
        "forms.I-203": 0,
        "forms.total": 9,
        "forms.not_a_detainer": 1,
    }
    assert {key: got.get(key) for key in expected} == expected
    months = [got[f"civil.month.{m:02d}"] for m in range(1, 13)]
    assert sum(months) == got["civil.total"] == 7


def test_the_next_year_starts_at_local_midnight(scene):
    got = figures(2025)
    assert got["civil.total"] == 1
    assert got["civil.month.01"] == 1
    assert got["administrative.I-205"] == 1
    assert got["forms.total"] == 2
    assert got["duplicates.total"] == 0


def test_every_counted_request_equals_the_yearly_totals(scene):
    totals = {entry["year"]: entry["total"] for entry in yearly_stats()}
    assert totals == {2024: figures(2024)["forms.total"], 2025: figures(2025)["forms.total"]}


def test_the_page_shows_the_figures_and_highlights_what_should_be_zero(scene, page_as):
    response = page_as("supervisor").get(report_url(2024))
    assert response.status_code == 200
    report = response.context["report"]
    assert report.civil_total == 7
    alarming = [line.figure.key for line in report.lines if line.alarming]
    assert alarming == ["detained.needs_review"]
    html = response.content.decode()
    assert re.search(r'<tr class="[^"]*\balarm\b[^"]*" data-key="detained.needs_review"', html)
    assert "Expected 0" in html
    assert "the amounts are in the letter to the City Clerk" in html
    assert "Close the 2024 report" in html
    assert SUBJECT_NAME not in html


def test_held_transferred_and_reimbursed_come_from_what_triage_recorded(scene):
    counted = list(counted_requests(counts=CountFilter(year_from=2024, year_to=2024))[:3])
    DetainerRequest.objects.filter(pk=counted[0].pk).update(
        held_beyond_release=True, transferred_to_federal_custody=True, reimbursement_amount=250
    )
    DetainerRequest.objects.filter(pk=counted[1].pk).update(
        held_beyond_release=False, reimbursement_amount=0
    )

    figures = {figure.key: figure.value for figure in annual.annual_figures(year=2024)}

    assert figures["detained.recorded"] == 1
    assert figures["transferred.recorded"] == 1
    assert figures["reimbursements.total"] == 1


def test_every_figure_links_to_a_list_of_as_many_requests(scene, page_as, supervisor):
    request_triage(
        request_id=scene["march"].pk,
        actor=supervisor,
        changes={"held_beyond_release": True, "reimbursement_amount": 100},
    )
    client = page_as("supervisor")
    html = client.get(report_url(2024)).content.decode()
    lists = reverse("annual-report-requests", args=[2024])
    for key, value in figures(2024).items():
        if key == "failed.total":
            assert f'href="{reverse("missed-faxes")}?year=2024">{value}</a>' in html
            continue
        link = f"{lists}?figure={key}"
        assert f'href="{link}">{value}</a>' in html, key
        assert client.get(link).context["page"].paginator.count == value, key


def test_a_figures_list_names_requests_by_reference_and_no_person(scene, page_as):
    client = page_as("supervisor")
    url = reverse("annual-report-requests", args=[2024]) + "?figure=duplicates.total"
    response = client.get(url)
    assert [r.pk for r in response.context["page"]] == [scene["duplicate"].pk]
    html = response.content.decode()
    assert "Duplicates received: Duplicates of a request already received" in html
    assert f">{scene['duplicate'].reference}</a>" in html
    assert SUBJECT_NAME not in html and EVENT_NUMBER not in html
    lists = reverse("annual-report-requests", args=[2024])
    for figure in ("", "nothing", "civil.month.13", "civil.colour.red", "failed.total"):
        assert client.get(f"{lists}?figure={figure}").status_code == 404, figure


def test_no_precinct_is_split_into_emails_and_faxes_on_unknown_numbers(b3, supervisor):
    received(local(2024, 2, 2, 9), UNKNOWN_LINE)
    email_received(received_at=local(2024, 2, 3, 9))
    email_received(received_at=local(2024, 2, 4, 9))
    got = figures(2024)
    assert got["civil.precinct.none"] == 3
    assert (got["civil.precinct.none.email"], got["civil.precinct.none.fax"]) == (2, 1)


def test_a_year_with_unreviewed_requests_says_so(scene, page_as, supervisor):
    client = page_as("supervisor")
    html = client.get(report_url(2024)).content.decode()
    assert "1 counted request of 2024 has not been reviewed yet" in html
    request_triage(
        request_id=scene["no_precinct"].pk,
        actor=supervisor,
        changes={"disposition": Disposition.NOT_ACTED_UPON},
    )
    html = client.get(report_url(2024)).content.decode()
    assert "<h1>Trust Act annual report 2024</h1>" in html
    assert "not been reviewed yet" not in html


# --- Downloads -----------------------------------------------------------------------------------


def download(page_as, year: int, fmt: str):
    response = page_as("supervisor").get(report_url(year, fmt))
    assert response.status_code == 200
    return response


@pytest.mark.parametrize(
    "fmt, content_type, filename",
    [
        ("csv", "text/csv; charset=utf-8", "trust-act-2024.csv"),
        ("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "trust-act-2024.xlsx"),
        ("pdf", "application/pdf", "trust-act-2024.pdf"),
        ("list-csv", "text/csv; charset=utf-8", "trust-act-2024-requests.csv"),
        ("list-xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
         "trust-act-2024-requests.xlsx"),
    ],
)  # fmt: skip
def test_every_format_is_an_attachment_of_its_type(scene, page_as, fmt, content_type, filename):
    response = download(page_as, 2024, fmt)
    assert response["Content-Type"] == content_type
    assert response["Content-Disposition"] == f'attachment; filename="{filename}"'


def test_the_figures_csv(scene, page_as):
    rows = list(csv.DictReader(io.StringIO(download(page_as, 2024, "csv").content.decode())))
    by_figure = {(row["section"], row["figure"]): int(row["count"]) for row in rows}
    assert by_figure[("Civil detainer requests lodged", "Civil detainer requests lodged")] == 7
    assert by_figure[("Civil detainer requests by precinct", "C-11")] == 2
    assert by_figure[("Civil detainer requests by month received", "December")] == 1
    assert by_figure[("Duplicates received", "Duplicates of a request already received")] == 1
    assert len(rows) == len(annual.annual_report(year=2024).lines)


def test_the_figures_xlsx(scene, page_as):
    sheet = load_workbook(io.BytesIO(download(page_as, 2024, "xlsx").content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == ("section", "figure", "count", "note")
    by_figure = {row[1]: row[2] for row in rows[1:]}
    assert by_figure["Civil detainer requests lodged"] == 7
    assert by_figure["Needs review: requests flagged for legal review"] == 1
    assert by_figure["I-200 Warrant for Arrest of Alien"] == 1


def test_the_pdf(scene, page_as):
    content = download(page_as, 2024, "pdf").content
    assert content.startswith(b"%PDF")
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)
    assert "Trust Act annual report 2024" in text
    # Each cell is a line of text: the headline figure, its note, then its count.
    assert (
        "Civil detainer requests lodged\nI-247A, I-247D, I-247N, I-247X, other or not recorded.\n7\n"
        in text
    )
    assert (
        "Every counted request\nThe yearly total of the dashboard and the stats API.\n9\n" in text
    )


def test_the_de_identified_list_csv_and_xlsx(scene, page_as):
    rows = list(csv.reader(io.StringIO(download(page_as, 2024, "list-csv").content.decode())))
    assert rows[0] == ["precinct", "date received", "form type", "disposition"]
    assert len(rows) == 1 + 9
    assert ["C-11", "2024-12-31", "I-247A", "Not acted upon (civil detainer)"] in rows
    assert ["none", "2024-10-10", "Not recorded", "Not yet reviewed"] in rows
    sheet = load_workbook(io.BytesIO(download(page_as, 2024, "list-xlsx").content)).active
    xlsx_rows = list(sheet.iter_rows(values_only=True))
    assert len(xlsx_rows) == 1 + 9
    assert xlsx_rows[-1][:3] == ("C-11", local(2024, 12, 31).replace(tzinfo=None), "I-247A")
    next_year = list(csv.reader(io.StringIO(download(page_as, 2025, "list-csv").content.decode())))
    assert [row[1] for row in next_year[1:]] == ["2025-01-01", "2025-02-02"]


def _readable_bytes(fmt: str, content: bytes) -> bytes:
    """The bytes as stored, plus what a reader would decompress: XLSX parts, PDF text."""
    if fmt.endswith("xlsx"):
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            return content + b"".join(archive.read(name) for name in archive.namelist())
    if fmt == "pdf":
        text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)
        return content + text.encode()
    return content


@pytest.mark.parametrize("fmt", ["list-csv", "list-xlsx", "csv", "xlsx", "pdf"])
def test_no_download_holds_a_name_or_an_identifier(scene, page_as, fmt):
    content = _readable_bytes(fmt, download(page_as, 2024, fmt).content)
    # Read, not blank: the lists hold the scene's requests, C-11's among them; the figures name
    # each precinct and form.
    assert b"C-11" in content and b"I-247A" in content
    for value in IDENTIFIERS:
        assert value.encode() not in content, value


# --- Formula injection ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value, expected",
    [
        ("=1+2", "'=1+2"),
        ("+SUM(A1)", "'+SUM(A1)"),
        ("-2+3", "'-2+3"),
        ("@cmd", "'@cmd"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("B-3", "B-3"),
        ("", ""),
        (7, 7),
        (-1, -1),
        (None, None),
    ],
)
def test_cell_safe_neutralises_what_starts_a_formula(value, expected):
    assert cell_safe(value) == expected


@pytest.fixture
def formula_precinct(db) -> Precinct:
    precinct = Precinct.objects.create(code="=1+2", name="=HYPERLINK(1)")
    fax_number_assign(precinct=precinct, number="+1 617 555 0177", active_from=local(2020, 1, 1))
    return precinct


def test_a_precinct_code_that_looks_like_a_formula_is_text_in_every_export(
    b3, formula_precinct, page_as, supervisor
):
    received(local(2024, 4, 4, 10), "+16175550177")
    list_rows = list(csv.reader(io.StringIO(download(page_as, 2024, "list-csv").content.decode())))
    assert list_rows[1][0] == "'=1+2"
    figure_rows = list(csv.DictReader(io.StringIO(download(page_as, 2024, "csv").content.decode())))
    assert {row["figure"] for row in figure_rows} >= {"'=1+2", "B-3"}
    for fmt, column in (("list-xlsx", "A"), ("xlsx", "B")):
        sheet = load_workbook(io.BytesIO(download(page_as, 2024, fmt).content)).active
        cells = [cell for cell in sheet[column] if cell.value == "'=1+2"]
        assert cells and all(cell.data_type == "s" for cell in cells), fmt


# --- Access --------------------------------------------------------------------------------------

PEOPLE = ["anonymous", "clerk", "other_precinct_clerk", "admin", "gateway", "nobody", "supervisor"]
FORMATS = ["", "pdf", "csv", "xlsx", "list-csv", "list-xlsx"]


@pytest.mark.parametrize("person", PEOPLE)
def test_only_supervisors_see_the_reports(scene, page_as, person):
    urls = [reverse("reports")] + [report_url(2024, fmt) for fmt in FORMATS]
    client = page_as(person)
    for url in urls:
        response = client.get(url)
        if person == "anonymous":
            assert response.status_code == 302, url
            assert response["Location"].startswith(reverse("login")), url
        else:
            assert response.status_code == (200 if person == "supervisor" else 403), url


@pytest.mark.parametrize("person", [p for p in PEOPLE if p != "supervisor"])
def test_only_supervisors_close_a_year(scene, page_as, person):
    response = page_as(person).post(close_url(2024), {"confirm": "yes"})
    assert response.status_code == (302 if person == "anonymous" else 403)
    assert not ClosedYear.objects.exists()


def test_the_index_lists_the_years_and_whether_each_is_closed(scene, page_as, supervisor):
    annual.annual_report_close(year=2024, actor=supervisor)
    response = page_as("supervisor").get(reverse("reports"))
    assert [(e["year"], e["total"], bool(e["closed"])) for e in response.context["years"]] == [
        (2025, 2, False),
        (2024, 9, True),
    ]
    html = response.content.decode()
    assert report_url(2024) in html and report_url(2025) in html
    assert 'href="/reports/reconcile/"' in html


def test_a_bad_format_or_year_is_refused(scene, page_as):
    client = page_as("supervisor")
    refused = client.get(report_url(2024, "<script>x</script>"))
    assert refused.status_code == 400
    assert refused["Content-Type"].startswith("text/plain") and b"<script>" not in refused.content
    assert client.get(report_url(2019)).status_code == 200  # a year with nothing: all zeros
    assert client.get(reverse("annual-report", args=[99999])).status_code == 404
    assert client.get(close_url(2024)).status_code == 405


# --- Closing a year ------------------------------------------------------------------------------


def test_a_supervisor_closes_a_year_once(scene, page_as, supervisor):
    client = page_as("supervisor")
    confirm = {"confirm": annual.year_close_checks(year=2024).confirmation}
    response = client.post(close_url(2024), confirm, follow=True)
    assert response.redirect_chain[-1][0] == report_url(2024)
    closed = ClosedYear.objects.get(year=2024)
    assert closed.closed_by == supervisor
    reported = {item["key"]: item["value"] for item in closed.figures}
    assert reported["civil.total"] == 7 and reported["forms.total"] == 9
    assert "The 2024 report is closed" in response.content.decode()

    again = client.post(close_url(2024), confirm, follow=True)
    assert "already closed" in again.content.decode()
    assert ClosedYear.objects.count() == 1
    assert ClosedYear.objects.get(year=2024).closed_at == closed.closed_at


def test_closing_needs_the_confirmation(scene, page_as):
    response = page_as("supervisor").post(close_url(2024), follow=True)
    assert "Tick “I confirm”" in response.content.decode()
    assert not ClosedYear.objects.exists()


def test_a_year_that_has_not_ended_cannot_be_closed(scene, page_as, supervisor):
    this_year = annual.local_today().year
    with pytest.raises(ValidationError, match="has not ended yet"):
        annual.annual_report_close(year=this_year, actor=supervisor)
    response = page_as("supervisor").post(close_url(this_year + 1), {"confirm": "yes"}, follow=True)
    assert f"{this_year + 1} has not ended yet" in response.content.decode()
    page = page_as("supervisor").get(report_url(this_year))
    assert page.status_code == 200
    assert f"<h1>Trust Act annual report {this_year}</h1>" in page.content.decode()
    assert "Close the" not in page.content.decode()
    assert not ClosedYear.objects.exists()


def test_a_later_correction_shows_as_differences_against_the_reported_figures(
    scene, page_as, supervisor
):
    annual.annual_report_close(year=2024, actor=supervisor)
    request_triage(
        request_id=scene["march"].pk,
        actor=supervisor,
        changes={"disposition": Disposition.NOT_A_DETAINER},
    )
    response = page_as("supervisor").get(report_url(2024))
    report = response.context["report"]
    changed = {line.figure.key: (line.reported, line.current) for line in report.changed_lines}
    assert changed == {
        "civil.total": (7, 6),
        "civil.reason.biometric_match": (1, 0),
        "civil.precinct.B-3": (4, 3),
        "civil.month.03": (2, 1),
        "forms.civil": (7, 6),
        "forms.total": (9, 8),
        "forms.not_a_detainer": (1, 2),
    }
    html = response.content.decode()
    assert "7 figures changed since the report was closed" in html
    assert re.search(r'<tr class="[^"]*\bchanged\b[^"]*" data-key="civil.total"', html)
    assert "Close the 2024 report" not in html
    rows = list(csv.DictReader(io.StringIO(download(page_as, 2024, "csv").content.decode())))
    headline = next(row for row in rows if row["figure"] == "Civil detainer requests lodged")
    assert (headline["reported"], headline["current"], headline["difference"]) == ("7", "6", "-1")
    sheet = load_workbook(io.BytesIO(download(page_as, 2024, "xlsx").content)).active
    assert next(sheet.values)[:5] == ("section", "figure", "reported", "current", "difference")
    pdf = PdfReader(io.BytesIO(download(page_as, 2024, "pdf").content))
    text = "\n".join(page.extract_text() for page in pdf.pages)
    assert "7 figure(s) changed since" in text
    assert (
        "Civil detainer requests lodged\nI-247A, I-247D, I-247N, I-247X, other or not recorded.\n7\n6\n"
        in text
    )


def test_a_figure_that_appears_after_closing_is_compared_with_zero(b3, supervisor):
    annual.annual_report_close(year=2024, actor=supervisor)
    received(local(2024, 2, 2, 9), UNKNOWN_LINE)  # logged late, with no precinct
    lines = {line.figure.key: line for line in annual.annual_report(year=2024).lines}
    assert (lines["civil.precinct.none"].reported, lines["civil.precinct.none"].current) == (0, 1)


def test_a_split_the_closed_report_did_not_have_is_not_compared(b3, supervisor, page_as):
    received(local(2024, 2, 2, 9), UNKNOWN_LINE)
    closed = annual.annual_report_close(year=2024, actor=supervisor)
    # As a report closed before "No precinct" was split into email and fax was stored.
    closed.figures = [f for f in closed.figures if not f["key"].startswith("civil.precinct.none.")]
    closed.save()
    lines = {line.figure.key: line for line in annual.annual_report(year=2024).lines}
    assert (
        lines["civil.precinct.none.fax"].reported,
        lines["civil.precinct.none.fax"].current,
    ) == (
        None,
        1,
    )
    assert not annual.annual_report(year=2024).changed_lines
    assert "No figure has changed" in page_as("supervisor").get(report_url(2024)).content.decode()


# --- Query count ---------------------------------------------------------------------------------


def test_the_report_page_costs_the_same_few_queries_however_many_requests(
    b3, c11, page_as, django_assert_num_queries
):
    client = page_as("supervisor")
    received(local(2024, 2, 2, 9))
    client.get(report_url(2024))  # the session and the user, warmed as in any other request
    # ... one of them counts the failed receptions (missed faxes), a figure apart; one finds the
    # year's reconciliation for the close checks; one is the menu's count of unreviewed requests.
    with django_assert_num_queries(10):
        client.get(report_url(2024))
    for day in range(1, 21):
        received(local(2024, 3, day, 9), C11_LINE if day % 2 else B3_LINE)
    with django_assert_num_queries(10):
        assert client.get(report_url(2024)).status_code == 200


def test_the_index_costs_the_same_few_queries_however_many_years(
    b3, page_as, supervisor, django_assert_num_queries
):
    client = page_as("supervisor")
    received(local(2024, 2, 2, 9))
    client.get(reverse("reports"))
    with django_assert_num_queries(7):  # one is the menu's count of unreviewed requests
        client.get(reverse("reports"))
    for year in (2020, 2021, 2022):
        received(local(year, 2, 2, 9))
        annual.annual_report_close(year=year, actor=supervisor)
    with django_assert_num_queries(7):
        assert len(client.get(reverse("reports")).context["years"]) == 4
