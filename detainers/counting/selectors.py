"""Selectors for counts: yearly totals and the dashboard's breakdowns, read from the summary table.

Every figure here comes from `CountCell` (detainers.counting.rule keeps it equal to a recount), so a
dashboard costs a handful of small queries however many requests there are. `counted_requests` is the
list behind any figure, under the same rule, for drill-downs. `line_health` says which fax lines went
silent and which retired numbers still receive (it reads deliveries, not the summary).
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import (
    Count,
    Max,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
)
from django.utils import timezone

from detainers.core.years import local_month_start, local_year_bounds
from detainers.counting.line_traffic import line_traffic_count
from detainers.counting.rule import COUNTED
from detainers.models import (
    Channel,
    CountCell,
    Delivery,
    DetainerRequest,
    MissedFax,
    NumberMatch,
)
from precincts.models import FaxNumber, Precinct
from precincts.phone import fax_number_display

NO_PRECINCT = 0
VALUE_BREAKDOWNS = ("form_type", "probable_cause", "disposition")


@dataclass(frozen=True)
class CountFilter:
    """What a figure is about. precinct_id 0 means "no precinct"; None means every precinct."""

    year_from: int | None = None
    year_to: int | None = None
    precinct_id: int | None = None
    channel: str = ""

    def cells(self) -> QuerySet[CountCell]:
        cells = CountCell.objects.all()
        if self.year_from is not None:
            cells = cells.filter(year__gte=self.year_from)
        if self.year_to is not None:
            cells = cells.filter(year__lte=self.year_to)
        if self.precinct_id is not None:
            cells = cells.filter(precinct_id=self.precinct_id)
        if self.channel:
            cells = cells.filter(channel=self.channel)
        return cells


def failed_receptions(*, counts: CountFilter) -> dict[str, int]:
    """Failed receptions (missed faxes) for the filter's years and precinct: a figure apart, never
    part of any request count. {"total", "open"} (open: not yet received again). One query over
    the missed faxes, which are few."""
    if counts.channel and counts.channel != Channel.FAX:
        return {"total": 0, "open": 0}
    missed = MissedFax.objects.all()
    if counts.year_from is not None:
        missed = missed.filter(received_at__gte=local_year_bounds(counts.year_from)[0])
    if counts.year_to is not None:
        missed = missed.filter(received_at__lt=local_year_bounds(counts.year_to)[1])
    if counts.precinct_id == NO_PRECINCT:
        missed = missed.filter(precinct__isnull=True)
    elif counts.precinct_id is not None:
        missed = missed.filter(precinct_id=counts.precinct_id)
    return missed.aggregate(total=Count("id"), open=Count("id", filter=Q(resolved_by__isnull=True)))


def _sum_by(cells: QuerySet[CountCell], *columns: str) -> list[tuple]:
    rows = (
        cells.values_list(*columns).annotate(sum=Sum("total")).filter(sum__gt=0).order_by(*columns)
    )
    return list(rows)


def precinct_codes() -> dict[int, str]:
    codes = dict(Precinct.objects.values_list("pk", "code"))
    codes[NO_PRECINCT] = "none"
    return codes


def yearly_stats(
    *, counts: CountFilter = CountFilter(), codes: dict[int, str] | None = None
) -> list[dict]:
    """CONTRACT.md's /api/v1/stats/yearly/: [{"year", "total", "by_channel", "by_precinct"}], oldest first."""
    return _years(_year_rows(counts), precinct_codes() if codes is None else codes)


def _year_rows(counts: CountFilter) -> list[tuple[int, int, str, int]]:
    """(year, precinct_id, channel, total): one query gives years, channels and precincts."""
    return _sum_by(counts.cells().filter(breakdown="month"), "year", "precinct_id", "channel")


def _years(rows: list[tuple[int, int, str, int]], codes: dict[int, str]) -> list[dict]:
    years: dict[int, dict] = {}
    for year, precinct_id, channel, total in rows:
        entry = years.setdefault(year, _empty_year(year))
        entry["by_channel"][channel] += total
        entry["total"] += total
        code = codes.get(precinct_id, str(precinct_id))
        entry["by_precinct"][code] = entry["by_precinct"].get(code, 0) + total
    return [years[year] for year in sorted(years)]


def _empty_year(year: int) -> dict:
    return {
        "year": year,
        "total": 0,
        "by_channel": {channel: 0 for channel in Channel.values},
        "by_precinct": {},
    }


@dataclass
class Dashboard:
    years: list[dict]
    focus_year: int | None
    by_precinct: list[tuple[int, str, int]] = field(
        default_factory=list
    )  # (precinct_id, code, total)
    by_month: list[tuple[int, int]] = field(default_factory=list)  # (month, total) for focus_year
    by_form_type: list[tuple[str, int]] = field(default_factory=list)
    by_probable_cause: list[tuple[str, int]] = field(default_factory=list)
    by_disposition: list[tuple[str, int]] = field(default_factory=list)
    # {precinct_id: {channel: total}}: the channel split of each by_precinct row.
    precinct_channels: dict[int, dict[str, int]] = field(default_factory=dict)
    counts: CountFilter = CountFilter()

    @property
    def total(self) -> int:
        return sum(year["total"] for year in self.years)

    def channel_total(self, channel: str) -> int:
        return sum(year["by_channel"].get(channel, 0) for year in self.years)

    @property
    def central_share(self) -> float | None:
        """The share that came through the central channel (email to the central address)."""
        total = self.total
        return self.channel_total(Channel.EMAIL) / total if total else None


def _in_range(counts: CountFilter, year: int) -> bool:
    return (counts.year_from is None or counts.year_from <= year) and (
        counts.year_to is None or year <= counts.year_to
    )


def dashboard(
    *,
    counts: CountFilter = CountFilter(),
    focus_year: int | None = None,
    codes: dict[int, str] | None = None,
) -> Dashboard:
    """Everything /dashboard/ shows, for the filter, in two queries on the summary (plus the precinct
    codes unless given). The month breakdown is for `focus_year` when it lies in the filter's years,
    otherwise for the latest year with any request."""
    codes = precinct_codes() if codes is None else codes
    rows = _year_rows(counts)
    years = _years(rows, codes)
    focus = focus_year if focus_year is not None and _in_range(counts, focus_year) else None
    if focus is None and years:
        focus = years[-1]["year"]
    board = Dashboard(years=years, focus_year=focus, counts=counts)
    for _, precinct_id, channel, total in rows:
        board.precinct_channels.setdefault(precinct_id, dict.fromkeys(Channel.values, 0))[
            channel
        ] += total
    board.by_precinct = sorted(
        (
            (pid, codes.get(pid, str(pid)), sum(split.values()))
            for pid, split in board.precinct_channels.items()
        ),
        key=lambda row: (row[0] == NO_PRECINCT, row[1]),
    )
    wanted = Q(breakdown__in=VALUE_BREAKDOWNS) | Q(breakdown="month", year=focus)
    values: dict[str, dict[str, int]] = defaultdict(dict)
    for breakdown, value, total in _sum_by(counts.cells().filter(wanted), "breakdown", "value"):
        values[breakdown][value] = total
    if focus is not None:
        board.by_month = [(month, values["month"].get(str(month), 0)) for month in range(1, 13)]
    for breakdown in VALUE_BREAKDOWNS:
        setattr(board, f"by_{breakdown}", sorted(values[breakdown].items()))
    return board


def counted_requests(
    *,
    counts: CountFilter = CountFilter(),
    month: int | None = None,
    breakdown: str = "",
    value: str | None = None,
) -> QuerySet[DetainerRequest]:
    """The requests behind a figure: the same rule, the same local years and months."""
    requests = DetainerRequest.objects.filter(COUNTED).select_related(
        "delivery", "delivery__precinct"
    )
    received = "delivery__received_at"
    if counts.year_from is not None:
        requests = requests.filter(**{f"{received}__gte": local_year_bounds(counts.year_from)[0]})
    if counts.year_to is not None:
        requests = requests.filter(**{f"{received}__lt": local_year_bounds(counts.year_to)[1]})
    if month is not None:
        if counts.year_from is None or counts.year_from != counts.year_to:
            raise ValueError("A month is a month of one year: give year_from == year_to.")
        start = local_month_start(counts.year_from, month)
        end = local_month_start(counts.year_from + month // 12, month % 12 + 1)
        requests = requests.filter(**{f"{received}__gte": start, f"{received}__lt": end})
    if counts.precinct_id == NO_PRECINCT:
        requests = requests.filter(delivery__precinct__isnull=True)
    elif counts.precinct_id is not None:
        requests = requests.filter(delivery__precinct_id=counts.precinct_id)
    if counts.channel:
        requests = requests.filter(delivery__channel=counts.channel)
    if breakdown in VALUE_BREAKDOWNS and value is not None:
        requests = requests.filter(Q(**{breakdown: value}))
    return requests.order_by("delivery__received_at", "pk")


def counted_total(
    *,
    counts: CountFilter = CountFilter(),
    month: int | None = None,
    breakdown: str = "",
    value: str | None = None,
) -> int:
    """How many requests counted_requests() lists for the same arguments, read from the summary:
    the figure the dashboard shows, in one small query at any size (counting the list itself is
    seconds at millions of requests). The summary has no month of a breakdown value: that one
    list, a month's worth at most, is counted."""
    if month is not None and breakdown in VALUE_BREAKDOWNS and value is not None:
        return counted_requests(
            counts=counts, month=month, breakdown=breakdown, value=value
        ).count()
    if breakdown in VALUE_BREAKDOWNS and value is not None:
        cells = counts.cells().filter(breakdown=breakdown, value=value)
    elif month is not None:
        cells = counts.cells().filter(breakdown="month", value=str(month))
    else:  # every counted request is in one month cell
        cells = counts.cells().filter(breakdown="month")
    return cells.aggregate(total=Sum("total"))["total"] or 0


# --- Line health: is every fax line still receiving? ------------------------------------------------

# A line "usually receives" when at least USUAL_MINIMUM deliveries reached it in the USUAL_WINDOW
# before the last SILENT_AFTER; it has "gone silent" when, on top of that, nothing reached it in the
# last SILENT_AFTER. Deliveries to a retired number are shown for RETIRED_WINDOW.
SILENT_AFTER = timedelta(days=30)
USUAL_WINDOW = timedelta(days=90)
USUAL_MINIMUM = 3
RETIRED_WINDOW = timedelta(days=90)


@dataclass(frozen=True)
class LineStatus:
    """One fax number's period (FaxNumber row) and what reached it."""

    fax_number: FaxNumber
    last_received_at: datetime | None
    recent: int  # deliveries in the last SILENT_AFTER
    usual: int  # deliveries in the USUAL_WINDOW before that
    active: bool  # in service now
    failed_recent: int = 0  # failed receptions (missed faxes) in the last SILENT_AFTER

    @property
    def silent(self) -> bool:
        return self.active and self.usual >= USUAL_MINIMUM and self.recent == 0


@dataclass(frozen=True)
class RetiredNumberUse:
    """Deliveries dialled to a number that nobody owned at the time (number_match "retired")."""

    number: str
    deliveries: int
    first_received_at: datetime
    last_received_at: datetime
    latest_request_id: int | None  # the request of the latest such delivery
    last_owner: FaxNumber | None  # the period that owned the number last

    @property
    def display_number(self) -> str:
        return fax_number_display(self.number)


@dataclass(frozen=True)
class LineHealth:
    now: datetime
    lines: list[LineStatus]
    retired: list[RetiredNumberUse]
    # Failed receptions of the last SILENT_AFTER on numbers no precinct owned at the time.
    failed_unowned: int = 0

    @property
    def silent(self) -> list[LineStatus]:
        return [line for line in self.lines if line.silent]


def line_health(*, now: datetime | None = None) -> LineHealth:
    """Every fax number period with its last delivery and its recent traffic; retired numbers in use.

    At most five queries, none of which reads more than two days of deliveries per line, so the
    page costs the same at 10 thousand and at 10 million (bench/dashboard): each line's last
    delivery comes from the index on Delivery (fax_number, received_at), its two counts from its
    traffic by day (counting.line_traffic: whole days summed, the part-days at the ends counted
    in that index), in the lines' own query; the deliveries to retired numbers of the last
    RETIRED_WINDOW come from a partial index of their own (migration 0013), then the request of
    the latest of those.
    """
    now = now or timezone.now()
    quiet_from, usual_from = now - SILENT_AFTER, now - SILENT_AFTER - USUAL_WINDOW
    to_line = Delivery.objects.filter(fax_number=OuterRef("pk")).order_by()
    numbers = (
        FaxNumber.objects.select_related("precinct")
        .annotate(
            last=Subquery(to_line.order_by("-received_at").values("received_at")[:1]),
            # Up to now, and beyond: a fax logged with a time a little ahead still counts.
            recent=line_traffic_count(quiet_from, now + SILENT_AFTER),
            usual=line_traffic_count(usual_from, quiet_from),
        )
        .order_by("precinct__code", "number", "active_from")
    )
    failed = dict(
        MissedFax.objects.filter(received_at__gte=quiet_from)
        .values_list("fax_number_id")
        .annotate(count=Count("id"))
        .order_by()
    )
    lines = [
        LineStatus(
            number,
            number.last,
            number.recent,
            number.usual,
            number.is_active_at(now),
            failed.get(number.pk, 0),
        )
        for number in numbers
    ]
    retired = _retired_number_use(now - RETIRED_WINDOW)
    return LineHealth(now, lines, retired, failed_unowned=failed.get(None, 0))


def _retired_number_use(since: datetime) -> list[RetiredNumberUse]:
    rows = list(
        Delivery.objects.filter(number_match=NumberMatch.RETIRED, received_at__gte=since)
        .values("to_number")
        .annotate(deliveries=Count("id"), first=Min("received_at"), last=Max("received_at"))
        .order_by("-last")
    )
    numbers = [row["to_number"] for row in rows]
    owners: dict[str, FaxNumber] = {}
    for period in FaxNumber.objects.filter(number__in=numbers).select_related("precinct"):
        if period.number not in owners or period.active_from > owners[period.number].active_from:
            owners[period.number] = period
    latest = _latest_requests(rows)
    return [
        RetiredNumberUse(
            row["to_number"],
            row["deliveries"],
            row["first"],
            row["last"],
            latest.get((row["to_number"], row["last"])),
            owners.get(row["to_number"]),
        )
        for row in rows
    ]


def _latest_requests(rows: list[dict]) -> dict[tuple[str, datetime], int]:
    """{(dialled number, moment): request id} for the latest delivery to each number."""
    if not rows:
        return {}
    latest = Q()
    for row in rows:
        latest |= Q(delivery__to_number=row["to_number"], delivery__received_at=row["last"])
    requests = DetainerRequest.objects.filter(latest, delivery__number_match=NumberMatch.RETIRED)
    found: dict[tuple[str, datetime], int] = {}
    for pk, number, moment in requests.order_by("pk").values_list(
        "pk", "delivery__to_number", "delivery__received_at"
    ):
        found[(number, moment)] = pk  # the last request of the latest delivery
    return found
