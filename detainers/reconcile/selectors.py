"""Reads: a reconciliation's figures, the rows behind each, and those rows as CSV.

Every figure is a count of result rows under a RowFilter, and every list is the same rows under the
same filter: a figure and its list cannot disagree.
"""

from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from accounts.access import Role, has_role
from detainers.models import DetainerRequest, Reconciliation, ReconciliationRow
from detainers.reconcile.agency_csv import FIELDS
from precincts.phone import fax_number_display

Result = ReconciliationRow.Result
AGENCY = "agency"  # every agency row: matched, by fallback, agency only, ambiguous
AGENCY_RESULTS = (Result.MATCHED, Result.FALLBACK, Result.AGENCY_ONLY, Result.AMBIGUOUS)
FIGURES = {
    AGENCY: "On the agency's list",
    Result.MATCHED: "Matched",
    Result.FALLBACK: "Matched by fallback, to confirm",
    Result.AGENCY_ONLY: "Agency only (never received)",
    Result.OURS_ONLY: "Ours only",
    Result.AMBIGUOUS: "Ambiguous",
}
NONE = "none"  # no precinct, or no fax line, in a filter


def reconciliation_for_user(*, user, pk: int) -> Reconciliation | None:
    """Supervisors see every reconciliation (department-wide figures); nobody else sees any."""
    if not has_role(user, Role.SUPERVISOR):
        return None
    return Reconciliation.objects.select_related("created_by").filter(pk=pk).first()


def reconciliations_recent(*, limit: int = 20) -> QuerySet[Reconciliation]:
    return Reconciliation.objects.select_related("created_by").order_by("-created_at", "-pk")[
        :limit
    ]


@dataclass(frozen=True)
class RowFilter:
    """Which rows a figure counts: a result (or AGENCY), and optionally a precinct and a fax line."""

    result: str
    precinct: str | None = None  # a code, NONE, or None for every precinct
    line: str | None = None  # E.164, NONE, or None for every line

    @classmethod
    def from_query(cls, query: Mapping[str, str]) -> "RowFilter | None":
        result = query.get("result", "")
        if result not in FIGURES:
            return None
        return cls(result, query.get("precinct") or None, query.get("line") or None)

    def as_query(self) -> dict[str, str]:
        query = {"result": self.result, "precinct": self.precinct, "line": self.line}
        return {key: value for key, value in query.items() if value}

    def q(self) -> Q:
        where = Q(result__in=AGENCY_RESULTS) if self.result == AGENCY else Q(result=self.result)
        if self.precinct == NONE:
            where &= Q(precinct__isnull=True)
        elif self.precinct:
            where &= Q(precinct__code=self.precinct)
        if self.line:
            where &= Q(line="" if self.line == NONE else self.line)
        return where

    @property
    def label(self) -> str:
        parts = [FIGURES[self.result]]
        if self.precinct:
            parts.append("no precinct" if self.precinct == NONE else f"precinct {self.precinct}")
        if self.line:
            parts.append(line_label(self.line))
        return " · ".join(parts)


def line_label(line: str) -> str:
    return "no fax line" if line in ("", NONE) else f"line {fax_number_display(line)}"


@dataclass
class FigureLine:
    """One row of a figures table: a precinct (and a fax line), with a count per figure."""

    precinct: str  # code or NONE
    line: str | None  # None in the per-precinct table
    counts: Counter = field(default_factory=Counter)

    def filter(self, figure: str) -> RowFilter:
        return RowFilter(figure, self.precinct, None if self.line is None else self.line or NONE)

    @property
    def cells(self) -> list[tuple[str, int, str]]:
        """(figure, count, query string of its list), in FIGURES' order, for the page."""
        return [
            (figure, self.counts[figure], urlencode(self.filter(figure).as_query()))
            for figure in FIGURES
        ]

    @property
    def line_label(self) -> str:
        return fax_number_display(self.line) if self.line else "no fax line"


@dataclass
class Figures:
    totals: dict[str, int]
    by_precinct: list[FigureLine]
    by_line: list[FigureLine]

    @property
    def cells(self) -> list[tuple[str, str, int, str]]:
        """(figure, label, count, query string of its list) of the totals."""
        return [
            (figure, label, self.totals[figure], urlencode({"result": figure}))
            for figure, label in FIGURES.items()
        ]


def reconciliation_figures(*, reconciliation: Reconciliation) -> Figures:
    """The figures, in total, per precinct and per fax line: one query."""
    groups = (
        ReconciliationRow.objects.filter(reconciliation=reconciliation)
        .values_list("result", "precinct__code", "line")
        .annotate(rows=Count("id"))
        .order_by()
    )
    totals: dict[str, int] = dict.fromkeys(FIGURES, 0)
    precincts: dict[str, FigureLine] = {}
    lines: dict[tuple[str, str], FigureLine] = {}
    for result, code, line, rows in groups:
        code = code or NONE
        where = (
            totals,
            precincts.setdefault(code, FigureLine(code, None)).counts,
            lines.setdefault((code, line), FigureLine(code, line)).counts,
        )
        for counts in where:
            counts[result] += rows
            if result in AGENCY_RESULTS:
                counts[AGENCY] += rows
    order = sorted(precincts, key=lambda code: (code == NONE, code))
    return Figures(
        totals,
        [precincts[code] for code in order],
        [lines[key] for key in sorted(lines, key=lambda key: (key[0] == NONE, key))],
    )


def reconciliation_rows(
    *, reconciliation: Reconciliation, rows: RowFilter
) -> QuerySet[ReconciliationRow]:
    return (
        ReconciliationRow.objects.filter(rows.q(), reconciliation=reconciliation)
        .select_related("precinct", "request__delivery", "decided_by")
        .order_by("line_number", "request_id", "pk")
    )


def agency_facts(reconciliation: Reconciliation, row: ReconciliationRow) -> dict[str, str]:
    """{fact: value} of an agency row, through the reconciliation's column mapping."""
    return {fact: row.agency_row.get(column, "") for fact, column in reconciliation.mapping.items()}


def candidate_requests(rows: list[ReconciliationRow]) -> dict[int, DetainerRequest]:
    """The requests ambiguous (or rejected) rows name, in one query."""
    ids = {c["request"] for row in rows for c in row.candidates}
    requests = DetainerRequest.objects.filter(pk__in=ids).select_related("delivery__precinct")
    return {request.pk: request for request in requests}


# --- CSV ----------------------------------------------------------------------------------------------

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(value) -> str:
    """A cell a spreadsheet shows as text, never runs as a formula (OWASP: CSV injection)."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


EXPORT_FACTS = list(FIELDS)


def reconciliation_export(
    *, reconciliation: Reconciliation, rows: RowFilter
) -> Iterator[list[str]]:
    """The header, then one list of cells per row, every cell made safe for a spreadsheet."""
    yield [
        "result", "rule", "confidence", "precinct", "fax line", "agency file line",
        *(f"agency: {FIELDS[fact].label}" for fact in EXPORT_FACTS),
        "our request", "receipt number", "received (local)", "our Subject ID", "our Event #",
        "our A-number", "candidates", "decision",
    ]  # fmt: skip
    for row in reconciliation_rows(reconciliation=reconciliation, rows=rows).iterator(2000):
        facts = agency_facts(reconciliation, row)
        request = row.request
        delivery = request.delivery if request else None
        cells = [
            row.result, row.rule, "" if row.confidence is None else f"{row.confidence:.2f}",
            row.precinct.code if row.precinct else "", row.line, row.line_number or "",
            *(facts.get(fact, "") for fact in EXPORT_FACTS),
            request.reference if request else "", delivery.receipt_number if delivery else "",
            timezone.localtime(delivery.received_at).isoformat() if delivery else "",
            request.subject_id if request else "", request.event_number if request else "",
            request.a_number if request else "",
            " ".join(str(c["request"]) for c in row.candidates), row.decision,
        ]  # fmt: skip
        yield [csv_safe(cell) for cell in cells]
