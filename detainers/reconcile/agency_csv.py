"""Reading the agency's published list of detainers: bytes to rows, and its columns to our facts.

The agency's files are CSV exports of its own database, passed through spreadsheets on the way: so
UTF-8 (with or without a byte-order mark) or Windows-1252, commas or semicolons or tabs, and column
names that vary from one release to the next ("Event #", "Event Number"). A column is recognised by
its name with case, spaces and punctuation ignored, against the table in FIELDS; a person maps
whatever that table does not know.

Everything here refuses a broken file with a ValidationError that says where and how to fix it,
before anything is written.
"""

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cache

from django.core.exceptions import ValidationError
from django.utils import timezone

from detainers.core.identifiers import a_number_normalise, identifier_normalise

DELIMITERS = (",", ";", "\t", "|")
PREVIEW_ROWS = 10
MAX_PROBLEMS_SHOWN = 5


@dataclass(frozen=True)
class Fact:
    label: str
    aliases: tuple[str, ...]
    help: str = ""


# The facts the matching reads, and the column names the agency has used for each (any case, any
# spacing or punctuation). The first alias is the name in the agency's published detainer data.
FIELDS: dict[str, Fact] = {
    "prepare_date": Fact(
        "Date the detainer was prepared",
        (
            "Detainer Prepare Date",
            "Detainer Prepare Datetime",
            "Prepare Date",
            "Prepared Date",
            "Detainer Date",
            "Detainer Lodged Date",
            "Lodged Date",
            "Date Lodged",
            "Detainer Issued Date",
            "Issue Date",
            "Date",
        ),
        "Required: compared with the date we received it.",
    ),
    "facility": Fact(
        "Detention facility",
        ("Detention Facility", "Detention Facility Name", "Facility", "Facility Name"),
        "Where the subject was held: tells the precinct.",
    ),
    "facility_code": Fact(
        "Facility code", ("Detention Facility Code", "Facility Code", "DETLOC", "Facility ID")
    ),
    "area": Fact(
        "Area of responsibility",
        ("Area of Responsibility", "AOR", "Responsible AOR", "Detainer AOR", "Apprehension AOR"),
    ),
    "detainer_type": Fact(
        "Detainer type", ("Detainer Type", "Detainer Form Type", "Form Type", "Detainer Form")
    ),
    "subject_id": Fact(
        "Subject ID", ("EID Subject ID", "Subject ID", "Subject Identifier", "Unique Identifier")
    ),
    "event_number": Fact(
        "Event #",
        (
            "Event Number",
            "Event #",
            "Event No",
            "EID Event ID",
            "Event ID",
            "Detainer Event Number",
        ),
    ),
    "a_number": Fact(
        "A-number",
        (
            "Alien File Number",
            "A-Number",
            "A Number",
            "A File Number",
            "Alien Number",
            "File Number",
        ),
    ),
    "birth_year": Fact(
        "Birth year", ("Birth Year", "Year of Birth", "Birth Date", "Date of Birth", "DOB")
    ),
    "gender": Fact("Gender", ("Gender", "Sex")),
    "citizenship": Fact(
        "Citizenship",
        ("Citizenship Country", "Country of Citizenship", "Citizenship", "Nationality"),
    ),
    "lift_reason": Fact("Lift reason", ("Detainer Lift Reason", "Lift Reason")),
}
IDENTIFIERS = ("subject_id", "event_number", "a_number")
PERSON_FACTS = ("birth_year", "gender", "citizenship")
PLACE_FACTS = ("facility", "facility_code", "area")


def column_key(name: str) -> str:
    """'Event #' and 'EVENT_NUMBER' are the same column: lower case, '#' read as 'number', no punctuation."""
    return re.sub(r"[^a-z0-9]", "", name.lower().replace("#", "number"))


_KNOWN = {column_key(alias): fact for fact, spec in FIELDS.items() for alias in spec.aliases}


@dataclass
class AgencyFile:
    """A file read and checked: its columns and its data rows, each with its line in the file."""

    encoding: str
    delimiter: str
    columns: list[str]
    rows: list[list[str]] = field(repr=False)
    line_numbers: list[int] = field(repr=False)

    def preview(self) -> list[list[str]]:
        return self.rows[:PREVIEW_ROWS]


@dataclass(slots=True)
class AgencyRow:
    """One of the agency's detainers, its facts read and normalised for matching."""

    line_number: int
    values: dict[str, str]
    prepare_date: date | None
    subject_id: str = ""
    event_number: str = ""
    a_number: str = ""
    birth_year: int | None = None
    gender: str = ""
    citizenship: str = ""
    place: str = ""  # facility, facility code and area, for the precinct guess

    @property
    def identifiers(self) -> tuple[str, str, str]:
        return self.subject_id, self.event_number, self.a_number


def _refuse(problems: list[str], advice: str = "") -> ValidationError:
    shown = problems[:MAX_PROBLEMS_SHOWN]
    if len(problems) > MAX_PROBLEMS_SHOWN:
        shown.append(f"… and {len(problems) - MAX_PROBLEMS_SHOWN} more.")
    if advice:
        shown.append(advice)
    return ValidationError(shown)


# --- Bytes to text to rows ----------------------------------------------------------------------

WORKBOOK = "This is an Excel workbook, not a CSV file: open it in Excel, choose File › Save As › “CSV UTF-8”, and upload that."


def text_decode(content: bytes) -> tuple[str, str]:
    """(text, encoding): UTF-8 with or without a byte-order mark, UTF-16 with one, else Windows-1252."""
    if content.startswith((b"PK\x03\x04", b"\xd0\xcf\x11\xe0")):
        raise ValidationError(WORKBOOK)
    attempts = ["utf-8-sig", "cp1252"]
    if content.startswith((b"\xff\xfe", b"\xfe\xff")):
        attempts = ["utf-16"]
    for encoding in attempts:
        try:
            text = content.decode(encoding)
        except UnicodeDecodeError:
            continue
        if "\x00" in text:
            break
        return text, encoding
    raise ValidationError(
        "This is not a text file the agency's CSV could be: save the list as CSV (UTF-8) and upload that."
    )


def delimiter_sniff(text: str) -> str:
    """The delimiter the header line uses most: comma, semicolon, tab or bar."""
    header = next((line for line in text.splitlines() if line.strip()), "")
    counts = {delimiter: header.count(delimiter) for delimiter in DELIMITERS}
    best = max(DELIMITERS, key=lambda delimiter: counts[delimiter])
    return best if counts[best] else ","


def _column_names(header: list[str]) -> list[str]:
    names: list[str] = []
    for position, raw in enumerate(header, start=1):
        name = raw.strip() or f"Column {position}"
        while name in names:
            name = f"{name} ({position})"
        names.append(name)
    return names


def agency_file_read(content: bytes) -> AgencyFile:
    """The file's columns and rows, or ValidationError saying what is wrong and where."""
    if not content.strip():
        raise ValidationError(
            "The file is empty: upload the agency's list as CSV, with its header row."
        )
    text, encoding = text_decode(content)
    delimiter = delimiter_sniff(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    header: list[str] | None = None
    rows: list[list[str]] = []
    lines: list[int] = []
    problems: list[str] = []
    try:
        for record in reader:
            if not any(cell.strip() for cell in record):
                continue
            if header is None:
                header = record
                continue
            record = _fit(record, len(header), reader.line_num, problems)
            rows.append(record)
            lines.append(reader.line_num)
    except csv.Error as error:
        problems.append(f"Line {reader.line_num}: {error} (a quote opened and not closed?).")
    if header is None:
        raise ValidationError("The file has no header row: the first line must name the columns.")
    if problems:
        raise _refuse(
            problems, "Nothing was saved. Correct the file (or export it again) and upload it."
        )
    if not rows:
        raise ValidationError("The file has a header row but no detainers under it.")
    return AgencyFile(encoding, delimiter, _column_names(header), rows, lines)


def _fit(record: list[str], width: int, line: int, problems: list[str]) -> list[str]:
    """A row as wide as the header: blank cells after the last column are dropped; anything else
    that does not fit is a problem (usually a line break or delimiter inside an unquoted value)."""
    while len(record) > width and not record[-1].strip():
        record = record[:-1]
    if len(record) != width:
        problems.append(f"Line {line} has {len(record)} values; the header names {width} columns.")
    return record


# --- Columns to facts -----------------------------------------------------------------------------


def columns_guess(columns: list[str]) -> dict[str, str]:
    """{fact: column} for every column whose name is in FIELDS' table; the first such column wins."""
    mapping: dict[str, str] = {}
    for column in columns:
        fact = _KNOWN.get(column_key(column))
        if fact is not None and fact not in mapping:
            mapping[fact] = column
    return mapping


def mapping_missing(mapping: dict[str, str]) -> list[str]:
    """What the matching cannot do without, in words; empty when the mapping is enough."""
    missing = []
    if not mapping.get("prepare_date"):
        missing.append(
            "the date the detainer was prepared (a column such as “Detainer Prepare Date”)"
        )
    if not any(mapping.get(fact) for fact in (*IDENTIFIERS, *PERSON_FACTS)):
        missing.append(
            "an identifier (“EID Subject ID”, “Event Number” or “Alien File Number”) or a fact "
            "about the person (“Birth Year”, “Gender” or “Citizenship Country”)"
        )
    return missing


# --- Values -----------------------------------------------------------------------------------------

DATE_FORMATS = (
    "%m/%d/%Y",
    "%m/%d/%Y %H:%M",
    "%m/%d/%Y %H:%M:%S",
    "%m/%d/%Y %I:%M %p",
    "%m/%d/%Y %I:%M:%S %p",
    "%m/%d/%y",
    "%m/%d/%y %H:%M",
    "%d-%b-%Y",
    "%d-%b-%y",
    "%d %b %Y",
    "%b %d, %Y",
    "%B %d, %Y",
    "%Y/%m/%d",
    "%Y%m%d",
)


def date_read(raw: str) -> date | None:
    """A date as the agency or a spreadsheet writes it (ISO, US month/day/year, 15-Mar-2024...).
    Only the date as written counts: a time or an offset after it is ignored."""
    text = raw.strip()
    if not text:
        return None
    try:
        return datetime.fromisoformat(text).date()
    except ValueError:
        pass
    for pattern in DATE_FORMATS:
        try:
            return datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    raise ValueError(f"“{text}” is not a date (write it as 2024-03-15 or 03/15/2024)")


def birth_year_read(raw: str) -> int | None:
    text = raw.strip()
    if not text:
        return None
    # A spreadsheet may have turned 1987 into 1987.0.
    whole = re.fullmatch(r"(\d{4})(\.0+)?", text)
    year = int(whole.group(1)) if whole else date_read(text).year
    if not 1900 <= year <= timezone.localdate().year:
        raise ValueError(f"“{text}” is not a birth year")
    return year


@cache  # a few distinct values, over and over
def gender_normalise(raw: str) -> str:
    """'Male', 'M', 'm' -> 'M'; 'Female', 'F' -> 'F'; unknown -> ''. Anything else is kept as text."""
    text = re.sub(r"[^a-z]", "", (raw or "").lower())
    if text in ("m", "male", "man"):
        return "M"
    if text in ("f", "female", "woman"):
        return "F"
    return "" if text in ("", "u", "unknown", "unk", "x") else text


@cache
def country_normalise(raw: str) -> str:
    return " ".join(re.sub(r"[^A-Z0-9]+", " ", (raw or "").upper()).split())


def a_number_read(raw: str) -> str:
    """The agency's A-number as we store ours; one we cannot read (masked, too short) is no A-number."""
    if not raw:
        return ""
    try:
        return a_number_normalise(raw)
    except ValidationError:
        return ""


def agency_rows(agency_file: AgencyFile, mapping: dict[str, str]) -> list[AgencyRow]:
    """Every row read through the mapping; a date or birth year that cannot be read refuses the file."""
    position = {
        fact: agency_file.columns.index(column) for fact, column in mapping.items() if column
    }
    dates: dict[str, date | None] = {}  # a year's list repeats a few hundred dates
    problems: list[str] = []
    read = []
    for record, line in zip(agency_file.rows, agency_file.line_numbers, strict=True):
        try:
            read.append(_row(record, line, agency_file.columns, position, dates))
        except ValueError as error:
            problems.append(f"Line {line}: {error}.")
    if problems:
        raise _refuse(problems, "Nothing was saved. Correct those values, or choose other columns.")
    return read


def _row(record, line, columns, position, dates) -> AgencyRow:
    def value(fact: str) -> str:
        index = position.get(fact)
        return record[index].strip() if index is not None else ""

    raw_date = value("prepare_date")
    if raw_date not in dates:
        try:
            dates[raw_date] = date_read(raw_date)
        except ValueError as error:
            raise ValueError(f"{columns[position['prepare_date']]}: {error}") from None
    try:
        birth_year = birth_year_read(value("birth_year"))
    except ValueError as error:
        raise ValueError(f"{columns[position['birth_year']]}: {error}") from None
    return AgencyRow(
        line_number=line,
        values=dict(zip(columns, record, strict=True)),
        prepare_date=dates[raw_date],
        subject_id=identifier_normalise(value("subject_id")),
        event_number=identifier_normalise(value("event_number")),
        a_number=a_number_read(value("a_number")),
        birth_year=birth_year,
        gender=gender_normalise(value("gender")),
        citizenship=country_normalise(value("citizenship")),
        place=" ".join(value(fact) for fact in PLACE_FACTS if value(fact)),
    )
