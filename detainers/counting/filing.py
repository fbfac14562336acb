"""The yearly filing to the City Clerk: the letter's figures and its list of requests, for a profile.

Which requests: those the counting rule counts in the local year (`counted_requests`, the same
list as the annual report's), read in one query. Only what a letter may show is read: district,
moment received, form, stated reason, disposition and the three filing fields; never a name or an
identifier. The profile (detainers.counting.filing_profiles) chooses the wording, the figures from
MEASURES and the columns from COLUMNS. detainers.counting.filing_pdf writes the letter.
"""

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.conf import settings
from django.utils import timezone

from detainers.counting.annual import local_today
from detainers.counting.filing_profiles import FilingColumn, FilingProfile
from detainers.counting.selectors import CountFilter, counted_requests
from detainers.models import ClosedYear, FormType, ProbableCause

NOT_RECORDED = "Not recorded"


@dataclass(frozen=True)
class FilingRow:
    """One counted request, as much of it as a letter may show."""

    precinct: str  # the code, "" for none
    received_on: date  # local
    form_type: str
    probable_cause: str
    disposition: str
    held_beyond_release: bool | None
    transferred_to_federal_custody: bool | None
    reimbursement_amount: Decimal | None


@dataclass(frozen=True)
class FilingFigureLine:
    key: str
    label: str
    value: int | Decimal  # a Decimal is an amount in dollars
    detail: bool = False  # one line of a breakdown, under its figure

    @property
    def shown(self) -> str:
        return _dollars(self.value) if isinstance(self.value, Decimal) else f"{self.value:,}"


@dataclass(frozen=True)
class FilingLetter:
    profile: FilingProfile
    year: int
    department: str
    address: tuple[str, ...]
    dated: date
    draft: bool  # the year is not closed: its figures may still change
    total: int
    figures: list[FilingFigureLine]
    rows: list[tuple[str, ...]]  # cells as printed, one per profile column

    def words(self, text: str) -> str:
        """A profile text with its placeholders filled in."""
        return text.format(
            department=self.department,
            year=self.year,
            total=f"{self.total:,}",
            time_zone=settings.TIME_ZONE,
        )

    @property
    def columns(self) -> tuple[FilingColumn, ...]:
        return self.profile.columns


def _dollars(amount: Decimal) -> str:
    return f"${amount:,.2f}"


def _yes_no(value: bool | None) -> str:
    return NOT_RECORDED if value is None else ("Yes" if value else "No")


def _form_shown(form_type: str) -> str:
    # The agency's form numbers read as printed on the form; the other kinds in words.
    if not form_type:
        return NOT_RECORDED
    return form_type if form_type.startswith("I-") else FormType(form_type).label


def _reason_shown(probable_cause: str) -> str:
    return ProbableCause(probable_cause).label if probable_cause else NOT_RECORDED


# --- What a profile may ask for -------------------------------------------------------------------

# A measure gives (sub-label, value) pairs: one pair with an empty sub-label for a single figure,
# one pair per group for a breakdown (the figure's line then shows their sum).
Measure = Callable[[list[FilingRow], FilingProfile], list[tuple[str, int | Decimal]]]


def _breakdown(values: list[str], choices, shown: Callable[[str], str]) -> list[tuple[str, int]]:
    """Every choice in its order, even at 0 (a figure that vanishes cannot be compared from year to
    year); "not recorded" only when some request has none."""
    counts = Counter(values)
    pairs = [(shown(value), counts[value]) for value in choices]
    return pairs + ([(NOT_RECORDED, counts[""])] if counts[""] else [])


MEASURES: dict[str, Measure] = {
    "requests_total": lambda rows, profile: [("", len(rows))],
    "held_beyond_release": lambda rows, profile: [
        ("", sum(row.held_beyond_release is True for row in rows))
    ],
    "transferred_to_federal_custody": lambda rows, profile: [
        ("", sum(row.transferred_to_federal_custody is True for row in rows))
    ],
    "reimbursements_received": lambda rows, profile: [
        ("", sum((row.reimbursement_amount or Decimal("0.00") for row in rows), Decimal("0.00")))
    ],
    "by_probable_cause": lambda rows, profile: _breakdown(
        [row.probable_cause for row in rows], ProbableCause.values, _reason_shown
    ),
    "by_form_type": lambda rows, profile: _breakdown(
        [row.form_type for row in rows], FormType.values, _form_shown
    ),
}

COLUMNS: dict[str, Callable[[FilingRow, FilingProfile], str]] = {
    "precinct": lambda row, profile: row.precinct or "No district",
    "received_on": lambda row, profile: row.received_on.isoformat(),
    "form_type": lambda row, profile: _form_shown(row.form_type),
    "probable_cause": lambda row, profile: _reason_shown(row.probable_cause),
    "disposition": lambda row, profile: profile.disposition_words(row.disposition),
    "held_beyond_release": lambda row, profile: _yes_no(row.held_beyond_release),
    "transferred_to_federal_custody": lambda row, profile: _yes_no(
        row.transferred_to_federal_custody
    ),
    "reimbursement_amount": lambda row, profile: (
        _dollars(row.reimbursement_amount) if row.reimbursement_amount is not None else ""
    ),
}


# --- The letter -----------------------------------------------------------------------------------


def filing_rows(*, year: int) -> list[FilingRow]:
    """Every request counted in the local year, in the order received. One query."""
    local = timezone.get_default_timezone()
    requests = (
        counted_requests(counts=CountFilter(year_from=year, year_to=year))
        .order_by("delivery__received_at", "pk")
        .values_list(
            "delivery__precinct__code",
            "delivery__received_at",
            "form_type",
            "probable_cause",
            "disposition",
            "held_beyond_release",
            "transferred_to_federal_custody",
            "reimbursement_amount",
        )
    )
    return [
        FilingRow(code or "", timezone.localtime(received_at, local).date(), *rest)
        for code, received_at, *rest in requests
    ]


def _figure_lines(rows: list[FilingRow], profile: FilingProfile) -> list[FilingFigureLine]:
    lines = []
    for figure in profile.figures:
        pairs = MEASURES[figure.measure](rows, profile)
        if len(pairs) == 1 and not pairs[0][0]:
            lines.append(FilingFigureLine(figure.key, figure.label, pairs[0][1]))
            continue
        lines.append(FilingFigureLine(figure.key, figure.label, sum(value for _, value in pairs)))
        lines += [
            FilingFigureLine(f"{figure.key}.{label}", label, value, detail=True)
            for label, value in pairs
        ]
    return lines


def filing_letter(*, year: int, profile: FilingProfile) -> FilingLetter:
    """The letter for a local year under `profile`, as the records stand today. Two queries."""
    rows = filing_rows(year=year)
    return FilingLetter(
        profile=profile,
        year=year,
        department=settings.DEPARTMENT_NAME,
        address=tuple(settings.DEPARTMENT_ADDRESS),
        dated=local_today(),
        draft=not ClosedYear.objects.filter(year=year).exists(),
        total=len(rows),
        figures=_figure_lines(rows, profile),
        rows=[
            tuple(COLUMNS[column.field](row, profile) for column in profile.columns) for row in rows
        ],
    )
