"""Selectors for counts: yearly totals and the dashboard's breakdowns, read from the summary table.

Every figure here comes from `CountCell` (detainers.counting keeps it equal to a recount), so a
dashboard costs a handful of small queries however many requests there are. `counted_requests` is the
list behind any figure, under the same rule, for drill-downs.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Q, QuerySet, Sum
from django.utils import timezone

from precincts.models import Precinct

from .counting import COUNTED
from .models import Channel, CountCell, DetainerRequest

NO_PRECINCT = 0


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


def _sum_by(cells: QuerySet[CountCell], *columns: str) -> list[tuple]:
    rows = cells.values_list(*columns).annotate(sum=Sum("total")).filter(sum__gt=0).order_by(*columns)
    return list(rows)


def precinct_codes() -> dict[int, str]:
    codes = dict(Precinct.objects.values_list("pk", "code"))
    codes[NO_PRECINCT] = "none"
    return codes


def yearly_stats(*, counts: CountFilter = CountFilter()) -> list[dict]:
    """CONTRACT.md's /api/v1/stats/yearly/: [{"year", "total", "by_channel", "by_precinct"}], oldest first."""
    months = counts.cells().filter(breakdown="month")
    codes = precinct_codes()
    years: dict[int, dict] = {}
    for year, channel, total in _sum_by(months, "year", "channel"):
        entry = years.setdefault(year, _empty_year(year))
        entry["by_channel"][channel] = total
        entry["total"] += total
    for year, precinct_id, total in _sum_by(months, "year", "precinct_id"):
        years[year]["by_precinct"][codes.get(precinct_id, str(precinct_id))] = total
    return [years[year] for year in sorted(years)]


def _empty_year(year: int) -> dict:
    return {"year": year, "total": 0, "by_channel": {channel: 0 for channel in Channel.values}, "by_precinct": {}}


@dataclass
class Dashboard:
    years: list[dict]
    focus_year: int | None
    by_precinct: list[tuple[int, str, int]] = field(default_factory=list)  # (precinct_id, code, total)
    by_month: list[tuple[int, int]] = field(default_factory=list)  # (month, total) for focus_year
    by_form_type: list[tuple[str, int]] = field(default_factory=list)
    by_probable_cause: list[tuple[str, int]] = field(default_factory=list)
    by_disposition: list[tuple[str, int]] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(year["total"] for year in self.years)

    @property
    def central_share(self) -> float | None:
        """The share that came through the central channel (email to the central address)."""
        total = self.total
        email = sum(year["by_channel"].get(Channel.EMAIL, 0) for year in self.years)
        return email / total if total else None


def dashboard(*, counts: CountFilter = CountFilter(), focus_year: int | None = None) -> Dashboard:
    """Everything /dashboard/ shows, for the filter; the month breakdown for `focus_year`
    (default: the latest year with any request)."""
    years = yearly_stats(counts=counts)
    focus = focus_year if focus_year is not None else (years[-1]["year"] if years else None)
    cells = counts.cells()
    codes = precinct_codes()
    board = Dashboard(years=years, focus_year=focus)
    board.by_precinct = [
        (precinct_id, codes.get(precinct_id, str(precinct_id)), total)
        for precinct_id, total in _sum_by(cells.filter(breakdown="month"), "precinct_id")
    ]
    if focus is not None:
        months = defaultdict(int, _sum_by(cells.filter(breakdown="month", year=focus), "value"))
        board.by_month = [(month, months[str(month)]) for month in range(1, 13)]
    for breakdown in ("form_type", "probable_cause", "disposition"):
        setattr(board, f"by_{breakdown}", _sum_by(cells.filter(breakdown=breakdown), "value"))
    return board


def _local_year_start(year: int) -> datetime:
    return timezone.make_aware(datetime(year, 1, 1), timezone.get_default_timezone())


def _local_month_start(year: int, month: int) -> datetime:
    return timezone.make_aware(datetime(year, month, 1), timezone.get_default_timezone())


def counted_requests(
    *, counts: CountFilter = CountFilter(), month: int | None = None, breakdown: str = "", value: str | None = None
) -> QuerySet[DetainerRequest]:
    """The requests behind a figure: the same rule, the same local years and months."""
    requests = DetainerRequest.objects.filter(COUNTED).select_related("delivery", "delivery__precinct")
    received = "delivery__received_at"
    if counts.year_from is not None:
        requests = requests.filter(**{f"{received}__gte": _local_year_start(counts.year_from)})
    if counts.year_to is not None:
        requests = requests.filter(**{f"{received}__lt": _local_year_start(counts.year_to + 1)})
    if month is not None and counts.year_from is not None and counts.year_from == counts.year_to:
        start = _local_month_start(counts.year_from, month)
        end = _local_month_start(counts.year_from + month // 12, month % 12 + 1)
        requests = requests.filter(**{f"{received}__gte": start, f"{received}__lt": end})
    if counts.precinct_id == NO_PRECINCT:
        requests = requests.filter(delivery__precinct__isnull=True)
    elif counts.precinct_id is not None:
        requests = requests.filter(delivery__precinct_id=counts.precinct_id)
    if counts.channel:
        requests = requests.filter(delivery__channel=counts.channel)
    if breakdown in ("form_type", "probable_cause", "disposition") and value is not None:
        requests = requests.filter(Q(**{breakdown: value}))
    return requests.order_by("delivery__received_at", "pk")
