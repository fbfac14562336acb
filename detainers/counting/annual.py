"""The annual Trust Act report: its figures for a local year, its de-identified list, and closing a year.

The report follows the structure of the City of Boston's Trust Act annual reports to the City
Council. Every figure is read from the requests themselves, under detainers.counting.rule's rule
(COUNTED) and in local years (detainers.counting.selectors.counted_requests), in a fixed number of grouped
queries however many requests the year holds.

What counts as a "civil detainer request lodged" (`CIVIL_DETAINER_FORMS`): a counted request whose
form is one of the agency's I-247 detainer forms (I-247A, I-247D, I-247N, I-247X), "other", or not
yet recorded. An unrecorded or unusual form stays in the headline figure rather than vanishing from
it: the request already passed the "not a detainer" test, and under-reporting is the failure the
Council asks about. When a reviewer later records another form, the change shows as a difference.
I-247N (a request for notification of release) is a detainer form and counts here; it also appears
under "Notification requests", which overlaps this figure.

Not civil detainer requests, each on its own line: administrative warrants (I-200, I-205), judicial
warrants, and I-203 orders to detain or release (addressed to a detention facility, not a request
to the department). The four kinds add up to every counted request, and the report shows that sum
so it can be checked against /dashboard/ and GET /api/v1/stats/yearly/.
"""

from collections import Counter
from dataclasses import asdict, dataclass, field, fields
from datetime import date

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from django.db.models.functions import ExtractMonth
from django.utils import timezone
from django.utils.dates import MONTHS

from detainers.core.years import local_year_bounds
from detainers.counting.rule import COUNTED
from detainers.counting.selectors import (
    CountFilter,
    counted_requests,
    failed_receptions,
    yearly_stats,
)
from detainers.models import ClosedYear, DetainerRequest, Disposition, FormType, ProbableCause
from precincts.models import Precinct

CIVIL_DETAINER_FORMS = (
    FormType.I247A,
    FormType.I247D,
    FormType.I247N,
    FormType.I247X,
    FormType.OTHER,
    "",
)
ADMINISTRATIVE_WARRANT_FORMS = (FormType.I200, FormType.I205)
NOT_RECORDED = "Not recorded"
NO_PRECINCT = "none"

CIVIL = "Civil detainer requests lodged"
BY_REASON = "Civil detainer requests by reason given (probable-cause basis)"
BY_PRECINCT = "Civil detainer requests by precinct"
BY_MONTH = "Civil detainer requests by month received"
DETAINED = "Persons detained on a civil detainer"
TRANSFERRED = "Persons transferred to immigration custody"
REIMBURSED = "Cost reimbursements received"
ADMINISTRATIVE = "Administrative warrants received"
NOTIFICATION = "Notification requests"
CANCELLED = "Cancellations"
DUPLICATES = "Duplicates received"
EVERY_FORM = "Every counted request, by kind of form"
FAILED = "Failed receptions (not requests)"


@dataclass(frozen=True)
class Figure:
    """One number of the report. `key` is stable from year to year and identifies the figure when
    the reported and the current figures of a closed year are compared."""

    key: str
    section: str
    label: str
    value: int
    note: str = ""
    expect_zero: bool = False  # the Trust Act expects 0: highlighted when it is not


FIGURE_FIELDS = [field.name for field in fields(Figure)]


@dataclass(frozen=True)
class ReportLine:
    figure: Figure
    current: int
    reported: int | None  # None while the year is open

    @property
    def difference(self) -> int | None:
        return None if self.reported is None else self.current - self.reported

    @property
    def changed(self) -> bool:
        return bool(self.difference)

    @property
    def alarming(self) -> bool:
        return self.figure.expect_zero and bool(self.current or self.reported)


@dataclass
class AnnualReport:
    year: int
    lines: list[ReportLine]
    closed: ClosedYear | None = None
    closable: bool = False  # the local year has ended and the report is still open
    sections: list[tuple[str, list[ReportLine]]] = field(default_factory=list)

    def __post_init__(self) -> None:
        grouped: dict[str, list[ReportLine]] = {}
        for line in self.lines:
            grouped.setdefault(line.figure.section, []).append(line)
        self.sections = list(grouped.items())

    @property
    def changed_lines(self) -> list[ReportLine]:
        return [line for line in self.lines if line.changed]

    @property
    def civil_total(self) -> int:
        return next(line.current for line in self.lines if line.figure.key == "civil.total")


@dataclass(frozen=True)
class Tally:
    """Counted requests of the year grouped by everything the report breaks them down by."""

    form_type: str
    probable_cause: str
    precinct: str
    month: int
    disposition: str
    legal_review: bool
    held: bool | None  # held beyond release (None: not recorded)
    transferred: bool | None  # transferred to federal custody
    total: int
    reimbursed: int  # of `total`, those with a reimbursement received


def _tallies(year: int) -> list[Tally]:
    local = timezone.get_default_timezone()
    rows = (
        counted_requests(counts=CountFilter(year_from=year, year_to=year))
        .annotate(month=ExtractMonth("delivery__received_at", tzinfo=local))
        .values_list(
            "form_type",
            "probable_cause",
            "delivery__precinct__code",
            "month",
            "disposition",
            "legal_review",
            "held_beyond_release",
            "transferred_to_federal_custody",
        )
        .annotate(total=Count("id"), reimbursed=Count("id", filter=Q(reimbursement_amount__gt=0)))
        .order_by()
    )
    return [
        Tally(f, p, code or NO_PRECINCT, m, d, r, held, moved, t, paid)
        for f, p, code, m, d, r, held, moved, t, paid in rows
    ]


def _not_counted(year: int) -> dict[str, int]:
    """Requests received in the year that the counting rule leaves out: duplicates, not detainers."""
    received = DetainerRequest.objects.filter(
        delivery__received_at__gte=local_year_bounds(year)[0],
        delivery__received_at__lt=local_year_bounds(year)[1],
    )
    duplicate = Q(duplicate_of__isnull=False) | Q(disposition=Disposition.DUPLICATE)
    return received.exclude(COUNTED).aggregate(
        duplicates=Count("id", filter=duplicate),
        not_a_detainer=Count("id", filter=~duplicate & Q(disposition=Disposition.NOT_A_DETAINER)),
    )


def _sum(tallies: list[Tally], keep=lambda tally: True) -> int:
    return sum(tally.total for tally in tallies if keep(tally))


def _civil_figures(civil: list[Tally], precinct_codes: list[str]) -> list[Figure]:
    figures = [
        Figure(
            "civil.total",
            CIVIL,
            CIVIL,
            _sum(civil),
            "I-247A, I-247D, I-247N, I-247X, other or not recorded.",
        )
    ]
    reasons: Counter = Counter()
    for tally in civil:
        reasons[tally.probable_cause] += tally.total
    for value, label in [*ProbableCause.choices, ("", NOT_RECORDED)]:
        if value or reasons[value]:
            figures.append(
                Figure(f"civil.reason.{value or 'none'}", BY_REASON, label, reasons[value])
            )
    precincts = Counter({code: 0 for code in precinct_codes})
    for tally in civil:
        precincts[tally.precinct] += tally.total
    for code in sorted(precincts, key=lambda code: (code == NO_PRECINCT, code)):
        label = "No precinct (number not recognised)" if code == NO_PRECINCT else code
        figures.append(Figure(f"civil.precinct.{code}", BY_PRECINCT, label, precincts[code]))
    months: Counter = Counter()
    for tally in civil:
        months[tally.month] += tally.total
    figures += [
        Figure(f"civil.month.{m:02d}", BY_MONTH, str(MONTHS[m]), months[m]) for m in range(1, 13)
    ]
    return figures


def _outcome_figures(tallies: list[Tally], not_counted: dict[str, int]) -> list[Figure]:
    def disposed(value: str) -> int:
        return _sum(tallies, lambda tally: tally.disposition == value)

    def form(*values: str) -> int:
        return _sum(tallies, lambda tally: tally.form_type in values)

    notification = _sum(
        tallies,
        lambda t: t.form_type == FormType.I247N or t.disposition == Disposition.NOTIFICATION,
    )
    return [
        Figure(
            "detained.recorded",
            DETAINED,
            "Detained on a civil detainer",
            _sum(tallies, lambda tally: tally.held is True),
            "Requests whose subject was recorded as held beyond release (triage: held beyond "
            "release); each is also a legal-review case.",
            True,
        ),
        Figure(
            "detained.needs_review",
            DETAINED,
            "Needs review: requests flagged for legal review",
            _sum(tallies, lambda tally: tally.legal_review),
            "Each one must be checked before the report is sent.",
            True,
        ),
        Figure(
            "transferred.recorded",
            TRANSFERRED,
            "Transferred on a civil detainer",
            _sum(tallies, lambda tally: tally.transferred is True),
            "Requests whose subject was recorded as transferred to federal custody (triage).",
            True,
        ),
        Figure(
            "transferred.judicial",
            TRANSFERRED,
            "Judicial criminal warrants referred (shown separately)",
            disposed(Disposition.JUDICIAL),
        ),
        Figure(
            "reimbursements.total",
            REIMBURSED,
            "Reimbursements received, by case",
            sum(tally.reimbursed for tally in tallies),
            "Requests with a federal reimbursement recorded (triage: reimbursement amount); the "
            "amounts are in the letter to the City Clerk.",
        ),
        Figure(
            "administrative.total",
            ADMINISTRATIVE,
            "Administrative warrants received",
            form(*ADMINISTRATIVE_WARRANT_FORMS),
        ),
        Figure(
            "administrative.I-200",
            ADMINISTRATIVE,
            "I-200 Warrant for Arrest of Alien",
            form(FormType.I200),
        ),
        Figure(
            "administrative.I-205",
            ADMINISTRATIVE,
            "I-205 Warrant of Removal/Deportation",
            form(FormType.I205),
        ),
        Figure(
            "notification.total",
            NOTIFICATION,
            "Notification requests",
            notification,
            "I-247N forms and requests answered “notification request, no information given”.",
        ),
        Figure(
            "cancelled.total",
            CANCELLED,
            "Cancelled or superseded by the agency",
            disposed(Disposition.CANCELLED),
        ),
        Figure(
            "duplicates.total",
            DUPLICATES,
            "Duplicates of a request already received",
            not_counted["duplicates"],
            "Not counted in any figure above.",
        ),
    ]


def _every_form_figures(tallies: list[Tally], not_counted: dict[str, int]) -> list[Figure]:
    def form(*values: str) -> int:
        return _sum(tallies, lambda tally: tally.form_type in values)

    return [
        Figure("forms.civil", EVERY_FORM, "Civil detainer requests", form(*CIVIL_DETAINER_FORMS)),
        Figure(
            "forms.administrative",
            EVERY_FORM,
            "Administrative warrants (I-200, I-205)",
            form(*ADMINISTRATIVE_WARRANT_FORMS),
        ),
        Figure("forms.judicial", EVERY_FORM, "Judicial warrants", form(FormType.JUDICIAL)),
        Figure("forms.I-203", EVERY_FORM, "I-203 orders to detain or release", form(FormType.I203)),
        Figure(
            "forms.total",
            EVERY_FORM,
            "Every counted request",
            _sum(tallies),
            "The yearly total of the dashboard and the stats API.",
        ),
        Figure(
            "forms.not_a_detainer",
            EVERY_FORM,
            "Received but not a detainer request (not counted)",
            not_counted["not_a_detainer"],
        ),
    ]


def annual_figures(*, year: int) -> list[Figure]:
    """The report's figures for a local year, as the records stand now. Four queries."""
    tallies = _tallies(year)
    civil = [tally for tally in tallies if tally.form_type in CIVIL_DETAINER_FORMS]
    not_counted = _not_counted(year)
    codes = list(Precinct.objects.filter(active=True).values_list("code", flat=True))
    return [
        *_civil_figures(civil, codes),
        *_outcome_figures(tallies, not_counted),
        *_every_form_figures(tallies, not_counted),
        _failed_figure(year),
    ]


def _failed_figure(year: int) -> Figure:
    failed = failed_receptions(counts=CountFilter(year_from=year, year_to=year))
    return Figure(
        "failed.total",
        FAILED,
        "Fax calls a fax server reported as failed (missed faxes)",
        failed["total"],
        "Nothing usable arrived, so no request was made and none is counted above; each is a "
        "to-do until the sender sends the fax again. A request may stand behind any of them.",
    )


def _figure(stored: dict) -> Figure:
    return Figure(**{name: stored[name] for name in FIGURE_FIELDS if name in stored})


def _lines(current: list[Figure], closed: ClosedYear | None) -> list[ReportLine]:
    """Current figures beside the reported ones; a figure only one side has counts 0 on the other."""
    if closed is None:
        return [ReportLine(figure, figure.value, None) for figure in current]
    reported = {item["key"]: _figure(item) for item in closed.figures}
    now = {figure.key: figure for figure in current}
    order = list(now) + [key for key in reported if key not in now]
    sections = list(
        dict.fromkeys(now[key].section if key in now else reported[key].section for key in order)
    )
    lines = [
        ReportLine(
            now.get(key) or reported[key],
            now[key].value if key in now else 0,
            reported[key].value if key in reported else 0,
        )
        for key in order
    ]
    return sorted(lines, key=lambda line: sections.index(line.figure.section))


def local_today() -> date:
    return timezone.localtime(timezone.now(), timezone.get_default_timezone()).date()


def annual_report(*, year: int) -> AnnualReport:
    """The report for a local year: its figures now and, once the year is closed, as reported."""
    closed = ClosedYear.objects.select_related("closed_by").filter(year=year).first()
    lines = _lines(annual_figures(year=year), closed)
    return AnnualReport(year, lines, closed, closable=closed is None and year < local_today().year)


def annual_request_list(*, year: int) -> list[tuple[str, date, str, str]]:
    """The de-identified list behind the report: (precinct, local date received, form type,
    disposition) for every counted request of the year. No name or identifier is even read."""
    local = timezone.get_default_timezone()
    rows = counted_requests(counts=CountFilter(year_from=year, year_to=year)).values_list(
        "delivery__precinct__code", "delivery__received_at", "form_type", "disposition"
    )
    return [
        (
            code or NO_PRECINCT,
            timezone.localtime(received_at, local).date(),
            form_type or NOT_RECORDED,
            Disposition(disposition).label if disposition else "Not yet reviewed",
        )
        for code, received_at, form_type, disposition in rows
    ]


def report_years() -> list[dict]:
    """The years with counted requests or a closed report, newest first: {year, total, closed}."""
    totals = {entry["year"]: entry["total"] for entry in yearly_stats(counts=CountFilter())}
    closed = {row.year: row for row in ClosedYear.objects.select_related("closed_by")}
    years = sorted(set(totals) | set(closed), reverse=True)
    return [
        {"year": year, "total": totals.get(year, 0), "closed": closed.get(year)} for year in years
    ]


def annual_report_close(*, year: int, actor) -> ClosedYear:
    """Freeze the year's figures as reported to the Council. A year is closed once, after it ends."""
    today = local_today()
    if year >= today.year:
        raise ValidationError(
            f"{year} has not ended yet ({settings.TIME_ZONE} time): its report can be closed from "
            f"1 January {year + 1}."
        )
    try:
        with transaction.atomic():
            figures = [asdict(figure) for figure in annual_figures(year=year)]
            return ClosedYear.objects.create(year=year, figures=figures, closed_by=actor)
    except IntegrityError:
        closed = ClosedYear.objects.select_related("closed_by").get(year=year)
        raise ValidationError(
            f"The {year} report was already closed on {timezone.localtime(closed.closed_at):%Y-%m-%d} "
            f"by {closed.closed_by.get_username()}; its figures stay as reported."
        ) from None
