"""The dashboard's figures as tables and charts, each figure linked to the list of requests behind it."""

import calendar
from dataclasses import replace
from urllib.parse import urlencode

from django.urls import reverse

from detainers.counting.charts import TOTAL, Chart, Figure, Row, Series, Table, chart
from detainers.counting.forms import BREAKDOWNS, value_label
from detainers.counting.selectors import NO_PRECINCT, VALUE_BREAKDOWNS, CountFilter, Dashboard
from detainers.models import Channel

CHANNEL_SERIES = {Channel.FAX: Series("fax", "Fax"), Channel.EMAIL: Series("email", "Email")}


class FigureLinks:
    """Turns a count and what it is about into a Figure linking to its list."""

    def __init__(self, counts: CountFilter, codes: dict[int, str]):
        self.counts, self.codes = counts, codes
        self.list_url = reverse("dashboard-requests")

    def params(self, counts: CountFilter) -> dict:
        params = {
            "year_from": counts.year_from,
            "year_to": counts.year_to,
            "channel": counts.channel or None,
        }
        if counts.precinct_id is not None:
            params["precinct"] = self.codes.get(counts.precinct_id, "none")
        return {name: value for name, value in params.items() if value is not None}

    def figure(self, count: int, counts: CountFilter | None = None, **about) -> Figure:
        params = self.params(counts or self.counts) | {
            k: v for k, v in about.items() if v is not None
        }
        query = urlencode(params)
        return Figure(count, self.list_url + (f"?{query}" if query else ""))


def _channels(counts: CountFilter) -> list[str]:
    return [counts.channel] if counts.channel else list(Channel.values)


def _split_row(
    label: str, split: dict[str, int], links: FigureLinks, counts: CountFilter, note: str = ""
) -> Row:
    channels = _channels(links.counts)
    parts = tuple(links.figure(split.get(c, 0), replace(counts, channel=c)) for c in channels)
    return Row(
        label, parts, links.figure(sum(split.get(c, 0) for c in channels), counts), note=note
    )


def _year_table(board: Dashboard, links: FigureLinks) -> Table:
    rows = []
    for entry in board.years:
        counts = replace(board.counts, year_from=entry["year"], year_to=entry["year"])
        share = (
            f"{entry['by_channel'][Channel.EMAIL] / entry['total']:.0%}" if entry["total"] else "—"
        )
        rows.append(_split_row(str(entry["year"]), entry["by_channel"], links, counts, note=share))
    series = tuple(CHANNEL_SERIES[c] for c in _channels(board.counts))
    # The share of the central channel means something only when both channels are shown.
    share_heading = "" if board.counts.channel else "Share by email (central channel)"
    return Table("Per year, by channel", series, tuple(rows), "Year", note_heading=share_heading)


def _precinct_table(board: Dashboard, links: FigureLinks) -> Table:
    rows = []
    for precinct_id, code, _ in board.by_precinct:
        label = "No precinct (an unknown line, or email)" if precinct_id == NO_PRECINCT else code
        counts = replace(board.counts, precinct_id=precinct_id)
        rows.append(_split_row(label, board.precinct_channels[precinct_id], links, counts))
    series = tuple(CHANNEL_SERIES[c] for c in _channels(board.counts))
    return Table("By precinct", series, tuple(rows), "Precinct")


def _month_table(board: Dashboard, links: FigureLinks) -> Table:
    counts = replace(board.counts, year_from=board.focus_year, year_to=board.focus_year)
    rows = []
    for month, total in board.by_month:
        figure = links.figure(total, counts, month=month)
        rows.append(
            Row(calendar.month_name[month], (figure,), figure, short=calendar.month_abbr[month])
        )
    return Table(f"By month, {board.focus_year}", (TOTAL,), tuple(rows), "Month")


def _value_table(board: Dashboard, links: FigureLinks, breakdown: str) -> Table:
    rows = []
    for value, total in getattr(board, f"by_{breakdown}"):
        figure = links.figure(total, breakdown=breakdown, value=value)
        rows.append(Row(value_label(breakdown, value), (figure,), figure))
    title, _, _ = BREAKDOWNS[breakdown]
    return Table(title, (TOTAL,), tuple(rows), title.removeprefix("By ").capitalize())


def dashboard_charts(board: Dashboard, links: FigureLinks) -> list[Chart]:
    """The charts for the board; "Per year" only over more than one year (for one, the headline
    above the charts already shows its figures)."""
    charts = [chart("years", _year_table(board, links))] if len(board.years) > 1 else []
    charts.append(chart("precincts", _precinct_table(board, links)))
    if board.focus_year is not None:
        charts.append(chart("months", _month_table(board, links), kind="columns"))
    charts += [chart(name, _value_table(board, links, name)) for name in VALUE_BREAKDOWNS]
    return charts


def dashboard_headline(board: Dashboard, links: FigureLinks) -> dict:
    channels = {
        c: links.figure(board.channel_total(c), replace(board.counts, channel=c))
        for c in _channels(board.counts)
    }
    share = board.central_share
    return {
        "total": links.figure(board.total),
        "channels": [(CHANNEL_SERIES[c], figure) for c, figure in channels.items()],
        "central_share": "—" if share is None else f"{share:.0%}",
    }


def missed_faxes_link(counts: CountFilter) -> str:
    """The missed faxes behind the failed-receptions figure: its year when it is about one year."""
    one_year = counts.year_from is not None and counts.year_from == counts.year_to
    return reverse("missed-faxes") + (f"?year={counts.year_from}" if one_year else "")
