"""Reading the agency's published list of detainers: bytes to rows, and its columns to our facts.

The agency's files are CSV exports of its own database, passed through spreadsheets on the way: so
UTF-8 (with or without a byte-order mark) or Windows-1252, commas or semicolons or tabs, and column
names that vary from one release to the next ("Event #", "Event Number"). A column is recognised by
its name with case, spaces and punctuation ignored, against the table in FIELDS; a person maps
whatever that table does not know.

Everything here refuses a broken file with a ValidationError that says where and how to fix it,
before anything is written.
"""

import functools
import io
import itertools
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import IO

from django.core.exceptions import ValidationError
from django.utils import timezone

from detainers.core.identifiers import a_number_normalise, identifier_normalise
from detainers.reconcile.csv_stream import (
    CHUNK_BYTES,
    DELIMITERS,
    NOT_TEXT,
    Problems,
    csv_table,
    delimiter_sniff,
    file_blank,
    text_decode,
)

PREVIEW_ROWS = 10


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
# The sample list's one row: invented values, in the forms the reader accepts.
SAMPLE_VALUES = {
    "prepare_date": "03/15/2024",
    "facility": "Example County Jail",
    "facility_code": "EXAMPLE",
    "area": "BOS",
    "detainer_type": "I-247A",
    "subject_id": "EXAMPLE123",
    "event_number": "EXAMPLE2024000001",
    "a_number": "A000000000",
    "birth_year": "1990",
    "gender": "Male",
    "citizenship": "Example Country",
    "lift_reason": "",
}
PERSON_FACTS = ("birth_year", "gender", "citizenship")
PLACE_FACTS = ("facility", "facility_code", "area")


def sample_rows() -> list[list[str]]:
    """A sample of the agency's list: every column the reader knows, by the agency's own name for
    it (each fact's first alias), over one invented row."""
    return [
        [spec.aliases[0] for spec in FIELDS.values()],
        [SAMPLE_VALUES.get(fact, "") for fact in FIELDS],
    ]


def column_key(name: str) -> str:
    """'Event #' and 'EVENT_NUMBER' are the same column: lower case, '#' read as 'number', no punctuation."""
    return re.sub(r"[^a-z0-9]", "", name.lower().replace("#", "number"))


_KNOWN = {column_key(alias): fact for fact, spec in FIELDS.items() for alias in spec.aliases}


@dataclass
class AgencyFile:
    """A file read and checked: its columns, how many data rows it has, and the first of them (every
    one when read from bytes in memory), each with its line in the file."""

    encoding: str
    delimiter: str
    columns: list[str]
    rows_total: int
    rows: list[list[str]] = field(repr=False)
    line_numbers: list[int] = field(repr=False)
    # How many rows are dated in each year (empty while the date column is not known).
    years: Counter[int] = field(default_factory=Counter, repr=False)

    @property
    def year(self) -> int | None:
        """The file's year: the one most of its rows are dated in."""
        return self.years.most_common(1)[0][0] if self.years else None

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


# --- Bytes to rows, a chunk at a time (csv_stream): only what is shown is kept ------------------

EMPTY = "The file is empty: upload the agency's list as CSV, with its header row."
NO_HEADER = "The file has no header row: the first line must name the columns."
NO_ROWS = "The file has a header row but no detainers under it."
CORRECT_FILE = "Nothing was saved. Correct the file (or export it again) and upload it."
ONE_COLUMN = (
    "This does not look like a CSV file: its first line names a single column (“{column}”). "
    "A CSV list has column names separated by commas, semicolons or tabs: save the agency's "
    "list as “CSV UTF-8” (File › Save As in a spreadsheet) and upload that."
)
CORRECT_VALUES = "Nothing was saved. Correct those values, or choose other columns."


def agency_file_read(content: bytes) -> AgencyFile:
    """A file in memory, every row kept: for a small list (a script, the tests)."""
    return agency_file_scan(io.BytesIO(content), keep=None)


def agency_file_scan(
    stream: IO[bytes],
    *,
    mapping: dict[str, str] | None = None,
    keep: int | None = PREVIEW_ROWS,
    encoding: str = "",
    delimiter: str = "",
) -> AgencyFile:
    """The file's columns and its rows counted and checked, read from its start to its end a chunk
    at a time, keeping the first `keep` rows (None: all); or ValidationError saying what is wrong
    and where. When `mapping` (by default the columns' names guessed) names what the matching
    needs, every row's date and birth year are read too. A file stored already is read with the
    encoding and delimiter found when it was uploaded; a new one's are decided on its first chunk."""
    attempts = [encoding]
    if not (encoding and delimiter):
        stream.seek(0)
        first = stream.read(CHUNK_BYTES)
        whole = not stream.read(1)
        if whole and not first.strip():
            raise ValidationError(EMPTY)
        text, encoding = text_decode(first, final=whole)
        _one_column_refuse(text)
        delimiter = delimiter_sniff(text)
        attempts = [encoding, "cp1252"] if encoding == "utf-8-sig" else [encoding]
    for attempt in attempts:
        try:
            return _scan(stream, attempt, delimiter, mapping, keep)
        except UnicodeDecodeError:
            continue  # not UTF-8 after all: read again as Windows-1252
    raise ValidationError(NOT_TEXT)


def _one_column_refuse(text: str) -> None:
    """A first line with no delimiter names one column: prose, or a list pasted as text."""
    header = next((line for line in text.splitlines() if line.strip()), "")
    name = header.strip().strip('"')
    if name and not any(mark in header for mark in DELIMITERS) and column_key(name) not in _KNOWN:
        raise ValidationError(ONE_COLUMN.format(column=name[:40]))


def _scan(
    stream: IO[bytes],
    encoding: str,
    delimiter: str,
    mapping: dict[str, str] | None,
    keep: int | None,
) -> AgencyFile:
    structure, values = Problems(), Problems()
    columns, rows = csv_table(stream, encoding=encoding, delimiter=delimiter, problems=structure)
    if columns is None:
        raise ValidationError(EMPTY if file_blank(stream) else NO_HEADER)
    chosen = columns_guess(columns) if mapping is None else mapping
    facts = None if mapping_missing(chosen) else _Facts(columns, chosen)
    # The year of each row, when the date column is known (even if other columns are not yet).
    dated = facts or (_Facts(columns, chosen) if chosen.get("prepare_date") else None)
    years: Counter[int] = Counter()
    kept: list[list[str]] = []
    lines: list[int] = []
    total = 0
    for line, record in rows:
        total += 1
        if keep is None or total <= keep:
            kept.append(record)
            lines.append(line)
        if facts is not None and not structure.count:  # a file that does not fit is refused anyway
            facts.check(record, line, values)
        if dated is not None and not structure.count:
            years.update(_year_of(dated, record))
    if structure.count:
        raise structure.refusal(CORRECT_FILE)
    if not total:
        raise ValidationError(NO_ROWS)
    if values.count:
        raise values.refusal(CORRECT_VALUES)
    return AgencyFile(encoding, delimiter, columns, total, kept, lines, years)


def _year_of(facts: "_Facts", record: list[str]) -> list[int]:
    try:
        prepared = facts.prepare_date(record)
    except (ValueError, IndexError):  # refused by the check, or read once columns are chosen
        return []
    return [prepared.year] if prepared else []


def agency_file_preview(stream: IO[bytes], *, encoding: str, delimiter: str) -> list[list[str]]:
    """The first rows of a stored file, as the columns page shows them; the rest is not read."""
    _, rows = csv_table(stream, encoding=encoding, delimiter=delimiter, problems=Problems())
    preview = [record for _, record in itertools.islice(rows, PREVIEW_ROWS)]
    rows.close()  # and the text wrapper lets go of the file
    return preview


def agency_rows_read(
    stream: IO[bytes], *, encoding: str, delimiter: str, mapping: dict[str, str]
) -> Iterator[AgencyRow]:
    """The rows of a stored file (checked when it was uploaded), read through `mapping` a chunk at a
    time. A row that no longer reads (the file changed on disk?) refuses the file, with its line."""
    problems, advice = Problems(), CORRECT_FILE
    try:
        columns, rows = csv_table(stream, encoding=encoding, delimiter=delimiter, problems=problems)
        if columns is None:
            raise ValidationError(NO_HEADER)
        facts = _Facts(columns, mapping)
        for line, record in rows:
            if problems.count:  # this row does not fit the header
                break
            try:
                row = facts.row(record, line)
            except ValueError as error:
                problems.add(f"Line {line}: {error}.")
                advice = CORRECT_VALUES
                break
            yield row
        rows.close()
    except UnicodeDecodeError:
        raise ValidationError(NOT_TEXT) from None
    if problems.count:
        raise problems.refusal(advice)


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


@functools.cache  # a few distinct values, over and over
def gender_normalise(raw: str) -> str:
    """'Male', 'M', 'm' -> 'M'; 'Female', 'F' -> 'F'; unknown -> ''. Anything else is kept as text."""
    text = re.sub(r"[^a-z]", "", (raw or "").lower())
    if text in ("m", "male", "man"):
        return "M"
    if text in ("f", "female", "woman"):
        return "F"
    return "" if text in ("", "u", "unknown", "unk", "x") else text


@functools.cache
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


class _Facts:
    """A record's facts through a mapping {fact: column}; the dates read are remembered (a year's
    list repeats a few hundred)."""

    def __init__(self, columns: list[str], mapping: dict[str, str]):
        self.columns = columns
        self.position = {fact: columns.index(column) for fact, column in mapping.items() if column}
        self.dates: dict[str, date | None] = {}

    def value(self, record: list[str], fact: str) -> str:
        index = self.position.get(fact)
        return record[index].strip() if index is not None else ""

    def prepare_date(self, record: list[str]) -> date | None:
        raw = self.value(record, "prepare_date")
        if raw not in self.dates:
            try:
                self.dates[raw] = date_read(raw)
            except ValueError as error:
                column = self.columns[self.position["prepare_date"]]
                raise ValueError(f"{column}: {error}") from None
        return self.dates[raw]

    def birth_year(self, record: list[str]) -> int | None:
        try:
            return birth_year_read(self.value(record, "birth_year"))
        except ValueError as error:
            raise ValueError(f"{self.columns[self.position['birth_year']]}: {error}") from None

    def check(self, record: list[str], line: int, problems: Problems) -> None:
        """A date or birth year that cannot be read is a problem."""
        try:
            self.prepare_date(record)
            self.birth_year(record)
        except ValueError as error:
            problems.add(f"Line {line}: {error}.")

    def row(self, record: list[str], line: int) -> AgencyRow:
        value = functools.partial(self.value, record)
        subject_id, event_number = value("subject_id"), value("event_number")
        return AgencyRow(
            line_number=line,
            values=dict(zip(self.columns, record, strict=True)),
            prepare_date=self.prepare_date(record),
            subject_id=identifier_normalise(subject_id) if subject_id else "",
            event_number=identifier_normalise(event_number) if event_number else "",
            a_number=a_number_read(value("a_number")),
            birth_year=self.birth_year(record),
            gender=gender_normalise(value("gender")),
            citizenship=country_normalise(value("citizenship")),
            # Each place fact read once (a 600,000-row list reads millions of them).
            place=" ".join(filter(None, map(value, PLACE_FACTS))),
        )
