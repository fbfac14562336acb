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
from django.template.defaultfilters import pluralize
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
from detainers.models import (
    Channel,
    ClosedYear,
    DetainerRequest,
    Disposition,
    FormType,
    ProbableCause,
    Reconciliation,
    ReconciliationRow,
)
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
LEGAL_REVIEW = "detained.needs_review"
UNREVIEWED = "unreviewed"  # not a figure, but a list: counted requests nobody reviewed yet


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
    part_of: str = ""  # the key of the figure this one splits ("of which ...")


FIGURE_FIELDS = [field.name for field in fields(Figure)]


@dataclass(frozen=True)
class ReportLine:
    figure: Figure
    current: int
    reported: int | None  # None while the year is open, or a part the closed report lacked

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
    unreviewed: int = 0  # counted requests nobody has reviewed yet
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
    channel: str
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
            "delivery__channel",
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
        Tally(f, p, code or NO_PRECINCT, channel, m, d, r, held, moved, t, paid)
        for f, p, code, channel, m, d, r, held, moved, t, paid in rows
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
    precincts = Counter({code: 0 for code in [*precinct_codes, NO_PRECINCT]})
    for tally in civil:
        precincts[tally.precinct] += tally.total
    for code in sorted(precincts, key=lambda code: (code == NO_PRECINCT, code)):
        label = "No precinct" if code == NO_PRECINCT else code
        figures.append(Figure(f"civil.precinct.{code}", BY_PRECINCT, label, precincts[code]))
    figures += _no_precinct_parts(civil)
    months: Counter = Counter()
    for tally in civil:
        months[tally.month] += tally.total
    figures += [
        Figure(f"civil.month.{m:02d}", BY_MONTH, str(MONTHS[m]), months[m]) for m in range(1, 13)
    ]
    return figures


NO_PRECINCT_PARTS = {
    Channel.EMAIL: "of which by email (an email names no precinct)",
    Channel.FAX: "of which by fax, on a number no precinct owns",
}


def _no_precinct_parts(civil: list[Tally]) -> list[Figure]:
    """ "No precinct" split by why: emails have none by nature; a fax on an unrecognised number
    is a line to look into."""
    whole = f"civil.precinct.{NO_PRECINCT}"
    return [
        Figure(
            f"{whole}.{channel}",
            BY_PRECINCT,
            label,
            _sum(civil, lambda t, c=channel: t.precinct == NO_PRECINCT and t.channel == c),
            part_of=whole,
        )
        for channel, label in NO_PRECINCT_PARTS.items()
    ]


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
    return _figures_of(year, _tallies(year))


def _figures_of(year: int, tallies: list[Tally]) -> list[Figure]:
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
    """Current figures beside the reported ones; a figure only one side has counts 0 on the other,
    except a part ("of which ...") the report did not have when it was closed: not compared."""
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
            reported[key].value if key in reported else None if now[key].part_of else 0,
        )
        for key in order
    ]
    return sorted(lines, key=lambda line: sections.index(line.figure.section))


def local_today() -> date:
    return timezone.localtime(timezone.now(), timezone.get_default_timezone()).date()


# What the report reads of a request (its tallies and the duplicates): a change to one of these
# in a closed year makes the year's figures differ from those reported.
YEAR_FIGURE_FIELDS = (
    "form_type",
    "probable_cause",
    "disposition",
    "duplicate_of",
    "legal_review",
    "held_beyond_release",
    "transferred_to_federal_custody",
    "reimbursement_amount",
)


def annual_report_closed(*, year: int) -> ClosedYear | None:
    """The year's closed report (with who closed it), or None while the year is open."""
    return ClosedYear.objects.select_related("closed_by").filter(year=year).first()


def annual_report(*, year: int) -> AnnualReport:
    """The report for a local year: its figures now and, once the year is closed, as reported."""
    closed = annual_report_closed(year=year)
    tallies = _tallies(year)
    lines = _lines(_figures_of(year, tallies), closed)
    closable = closed is None and year < local_today().year
    unreviewed = _sum(tallies, lambda tally: not tally.disposition)
    return AnnualReport(year, lines, closed, closable=closable, unreviewed=unreviewed)


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


@dataclass(frozen=True)
class YearCloseChecks:
    """What a supervisor reads before closing a year, and confirms with these very numbers."""

    year: int
    unreviewed: int
    legal_review: int
    reconciliation: Reconciliation | None  # the year's latest
    reconciled: dict[str, int] = field(default_factory=dict)  # matched, unmatched, undecided

    @property
    def confirmation(self) -> str:
        """What the confirmation sends: the numbers as shown, so a change since is noticed."""
        run = self.reconciliation
        return f"{self.year}:{self.unreviewed}:{self.legal_review}:{run.pk if run else 0}"

    @property
    def reconciliation_words(self) -> str:
        run = self.reconciliation
        if run is None:
            return "no reconciliation with the agency's list run"
        if not run.is_done:
            return f"the reconciliation uploaded on {run.created_at:%Y-%m-%d} not finished"
        counts = self.reconciled
        return (
            f"the reconciliation of {timezone.localtime(run.finished_at):%Y-%m-%d} showing "
            f"{counts['matched']} matched and {counts['unmatched']} unmatched"
        )

    @property
    def words(self) -> str:
        """The confirmation, in words with the numbers."""
        return (
            f"I confirm closing {self.year} with {self.unreviewed} unreviewed "
            f"request{pluralize(self.unreviewed)}, {self.legal_review} flagged for legal review, "
            f"and {self.reconciliation_words}."
        )


def year_close_checks(*, year: int, report: AnnualReport | None = None) -> YearCloseChecks:
    """Unreviewed and legal-review requests (from `report`, or read), and the year's latest
    reconciliation with its matched and unmatched rows. Two queries beside the report."""
    report = report or annual_report(year=year)
    legal = next(line.current for line in report.lines if line.figure.key == LEGAL_REVIEW)
    run = Reconciliation.objects.filter(year=year).order_by("-created_at", "-pk").first()
    reconciled = {}
    if run is not None and run.is_done:
        Result = ReconciliationRow.Result
        reconciled = run.rows.aggregate(
            matched=Count("id", filter=Q(result=Result.MATCHED)),
            unmatched=Count("id", filter=Q(result__in=[Result.AGENCY_ONLY, Result.OURS_ONLY])),
            undecided=Count("id", filter=Q(result__in=[Result.FALLBACK, Result.AMBIGUOUS])),
        )
    return YearCloseChecks(year, report.unreviewed, legal, run, reconciled)


def annual_report_close(*, year: int, actor, confirmation: str | None = None) -> ClosedYear:
    """Freeze the year's figures as reported to the Council. A year is closed once, after it ends.
    With `confirmation` (YearCloseChecks.confirmation as the person saw it), refused when the
    numbers have changed since."""
    today = local_today()
    if year >= today.year:
        raise ValidationError(
            f"{year} has not ended yet ({settings.TIME_ZONE} time): its report can be closed from "
            f"1 January {year + 1}."
        )
    if confirmation is not None:
        checks = year_close_checks(year=year)
        if confirmation != checks.confirmation:
            raise ValidationError(
                f"The numbers changed since the page was shown: {checks.words.removeprefix('I confirm closing ')} "
                "Read them again and confirm."
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


# --- The list behind each figure --------------------------------------------------------------------


def _received(year: int):
    start, end = local_year_bounds(year)
    return DetainerRequest.objects.filter(
        delivery__received_at__gte=start, delivery__received_at__lt=end
    ).select_related("delivery", "delivery__precinct")


_DUPLICATE = Q(duplicate_of__isnull=False) | Q(disposition=Disposition.DUPLICATE)
# Figures about every counted request (not only civil detainer requests), by key.
_COUNTED_WHERE = {
    "detained.recorded": Q(held_beyond_release=True),
    LEGAL_REVIEW: Q(legal_review=True),
    "transferred.recorded": Q(transferred_to_federal_custody=True),
    "transferred.judicial": Q(disposition=Disposition.JUDICIAL),
    "reimbursements.total": Q(reimbursement_amount__gt=0),
    "administrative.total": Q(form_type__in=ADMINISTRATIVE_WARRANT_FORMS),
    "administrative.I-200": Q(form_type=FormType.I200),
    "administrative.I-205": Q(form_type=FormType.I205),
    "notification.total": Q(form_type=FormType.I247N) | Q(disposition=Disposition.NOTIFICATION),
    "cancelled.total": Q(disposition=Disposition.CANCELLED),
    "forms.civil": Q(form_type__in=CIVIL_DETAINER_FORMS),
    "forms.administrative": Q(form_type__in=ADMINISTRATIVE_WARRANT_FORMS),
    "forms.judicial": Q(form_type=FormType.JUDICIAL),
    "forms.I-203": Q(form_type=FormType.I203),
    "forms.total": Q(),
    UNREVIEWED: Q(disposition=""),
}


def _civil_where(part: str) -> Q | None:
    """The civil figures' keys after "civil.": total, reason.<value>, precinct.<code>[.<channel>]."""
    kind, _, rest = part.partition(".")
    if kind == "total":
        return Q()
    if kind == "reason":
        return Q(probable_cause="" if rest == "none" else rest)
    if kind == "precinct":
        code, _, channel = rest.partition(".")
        where = (
            Q(delivery__precinct__isnull=True)
            if code == NO_PRECINCT
            else Q(delivery__precinct__code=code)
        )
        return where & Q(delivery__channel=channel) if channel else where
    return None


def annual_list(*, year: int, key: str):
    """The requests behind one figure of the year's report (its key), or behind UNREVIEWED: the
    same rule as the figure, so a list and its figure agree. None for a key with no such list."""
    counted = counted_requests(counts=CountFilter(year_from=year, year_to=year))
    if key in _COUNTED_WHERE:
        return counted.filter(_COUNTED_WHERE[key])
    if key == "duplicates.total":
        return (
            _received(year)
            .exclude(COUNTED)
            .filter(_DUPLICATE)
            .order_by("delivery__received_at", "pk")
        )
    if key == "forms.not_a_detainer":
        not_a_detainer = ~_DUPLICATE & Q(disposition=Disposition.NOT_A_DETAINER)
        return (
            _received(year)
            .exclude(COUNTED)
            .filter(not_a_detainer)
            .order_by("delivery__received_at", "pk")
        )
    if not key.startswith("civil."):
        return None
    civil = counted.filter(form_type__in=CIVIL_DETAINER_FORMS)
    month = key.removeprefix("civil.month.")
    if month != key:
        if not (month.isdigit() and 1 <= int(month) <= 12):
            return None
        return counted_requests(
            counts=CountFilter(year_from=year, year_to=year), month=int(month)
        ).filter(form_type__in=CIVIL_DETAINER_FORMS)
    where = _civil_where(key.removeprefix("civil."))
    return None if where is None else civil.filter(where)


def annual_list_title(*, year: int, key: str) -> str:
    """What a list is, in words: the figure's section and label."""
    if key == UNREVIEWED:
        return f"Counted requests of {year} not reviewed yet"
    figure = next((f for f in annual_figures(year=year) if f.key == key), None)
    if figure is None:
        return f"Requests of {year}"
    label = figure.label.removeprefix("of which ")
    return figure.label if figure.section == figure.label else f"{figure.section}: {label}"
