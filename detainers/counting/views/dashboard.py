"""/dashboard/: the yearly figures a supervisor defends, each linked to the requests behind it;
/dashboard/requests/: that list; /dashboard/lines/: which fax lines went silent.

The figures come from detainers.counting.selectors (the summary table, a few small queries at any size); this
module reads the filters and turns the figures into tables, charts and links.
"""

import calendar
from dataclasses import replace
from urllib.parse import urlencode

from django import forms
from django.core.paginator import Paginator
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET

from accounts.access import Role, role_required
from detainers.counting import selectors as reports
from detainers.counting.charts import TOTAL, Chart, Figure, Row, Series, Table, chart
from detainers.counting.selectors import NO_PRECINCT, VALUE_BREAKDOWNS, CountFilter, Dashboard
from detainers.models import Channel, Disposition, FormType, ProbableCause

PAGE_SIZE = 50
CHANNEL_SERIES = {Channel.FAX: Series("fax", "Fax"), Channel.EMAIL: Series("email", "Email")}
# Each breakdown: its heading, its choices, and what an empty value means.
BREAKDOWNS = {
    "form_type": ("By form type", FormType, "Form type not recorded yet"),
    "probable_cause": ("By probable-cause basis", ProbableCause, "Basis not recorded yet"),
    "disposition": ("By disposition", Disposition, "Not reviewed yet"),
}


class DashboardFilterForm(forms.Form):
    """The filters every figure and its list share: years, precinct (code or "none"), channel."""

    year_from = forms.IntegerField(
        label="From year", required=False, min_value=1990, max_value=2200
    )
    year_to = forms.IntegerField(label="To year", required=False, min_value=1990, max_value=2200)
    precinct = forms.ChoiceField(required=False)
    channel = forms.ChoiceField(required=False, choices=[("", "Fax and email"), *Channel.choices])

    def __init__(self, data=None, *, codes: dict[int, str]):
        super().__init__(data)
        self.ids = {code: pk for pk, code in codes.items()}
        named = sorted(code for pk, code in codes.items() if pk != NO_PRECINCT)
        choices = [
            ("", "Every precinct"),
            *((code, code) for code in named),
            ("none", "No precinct"),
        ]
        self.fields["precinct"].choices = choices

    def clean(self):
        data = super().clean()
        first, last = data.get("year_from"), data.get("year_to")
        if first is not None and last is not None and first > last:
            raise forms.ValidationError(
                f"“From year” ({first}) is after “To year” ({last}): swap them."
            )
        return data

    def counts(self) -> CountFilter:
        """The filter as given; every year, precinct and channel when the form is not valid."""
        if not self.is_valid():
            return CountFilter()
        data = self.cleaned_data
        precinct = self.ids[data["precinct"]] if data["precinct"] else None
        return CountFilter(data["year_from"], data["year_to"], precinct, data["channel"])


class DashboardForm(DashboardFilterForm):
    year = forms.IntegerField(
        required=False, min_value=1990, max_value=2200, widget=forms.HiddenInput
    )

    def focus_year(self) -> int | None:
        return self.cleaned_data["year"] if self.is_valid() else None


class FigureForm(DashboardFilterForm):
    """A figure's list: the filters, and the month or breakdown value it is about."""

    month = forms.IntegerField(required=False, min_value=1, max_value=12)
    breakdown = forms.ChoiceField(
        required=False, choices=[("", "None"), *((b, b) for b in VALUE_BREAKDOWNS)]
    )
    value = forms.CharField(required=False, max_length=40)

    def clean(self):
        data = super().clean()
        one_year = data.get("year_from") is not None and data.get("year_from") == data.get(
            "year_to"
        )
        if data.get("month") is not None and not one_year:
            raise forms.ValidationError(
                "A month belongs to one year: give the same “From year” and “To year”."
            )
        return data

    def selection(self) -> dict:
        """Keyword arguments for reports.counted_requests."""
        data = self.cleaned_data
        value = data["value"] if data["breakdown"] else None
        return {
            "counts": self.counts(),
            "month": data["month"],
            "breakdown": data["breakdown"],
            "value": value,
        }

    def description(self) -> list[str]:
        """What the figure counts, in words: ["2024", "precinct B-3", "by fax", "March", ...]."""
        counts, data = self.counts(), self.cleaned_data
        words = [_years_in_words(counts)]
        if data["precinct"]:
            words.append(
                "no precinct" if data["precinct"] == "none" else f"precinct {data['precinct']}"
            )
        if counts.channel:
            words.append(f"by {counts.channel}")
        if data["month"]:
            words.append(calendar.month_name[data["month"]])
        if data["breakdown"]:
            words.append(_value_label(data["breakdown"], data["value"]))
        return words


def _years_in_words(counts: CountFilter) -> str:
    first, last = counts.year_from, counts.year_to
    if first is not None and first == last:
        return str(first)
    if first is not None and last is not None:
        return f"{first}–{last}"
    if first is not None or last is not None:
        return f"from {first}" if first is not None else f"up to {last}"
    return "every year"


def _value_label(breakdown: str, value: str) -> str:
    _, choices, empty = BREAKDOWNS[breakdown]
    if not value:
        return empty
    return choices(value).label if value in choices.values else value


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
        rows.append(Row(_value_label(breakdown, value), (figure,), figure))
    title, _, _ = BREAKDOWNS[breakdown]
    return Table(title, (TOTAL,), tuple(rows), title.removeprefix("By ").capitalize())


def dashboard_charts(board: Dashboard, links: FigureLinks) -> list[Chart]:
    charts = [
        chart("years", _year_table(board, links)),
        chart("precincts", _precinct_table(board, links)),
    ]
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


@role_required(Role.SUPERVISOR)
@require_GET
def dashboard(request):
    """Who: supervisors. The figures for the filters; every number links to its list."""
    codes = reports.precinct_codes()
    form = DashboardForm(request.GET or None, codes=codes)
    board = reports.dashboard(counts=form.counts(), focus_year=form.focus_year(), codes=codes)
    links = FigureLinks(board.counts, codes)
    context = {
        "form": form,
        "board": board,
        "headline": dashboard_headline(board, links),
        "charts": dashboard_charts(board, links),
        "months_of": [(entry["year"], entry["year"] == board.focus_year) for entry in board.years],
    }
    return render(request, "detainers/dashboard.html", context)


@role_required(Role.SUPERVISOR)
@require_GET
def dashboard_requests(request):
    """Who: supervisors. The counted requests behind one figure, 50 a page, with their count."""
    codes = reports.precinct_codes()
    form = FigureForm(request.GET, codes=codes)
    if not form.is_valid():
        return render(request, "detainers/dashboard_requests.html", {"form": form}, status=400)
    requests = reports.counted_requests(**form.selection())
    page = Paginator(requests, PAGE_SIZE).get_page(request.GET.get("page"))
    back = urlencode(FigureLinks(form.counts(), codes).params(form.counts()))
    context = {"form": form, "page": page, "about": form.description(), "back": back}
    return render(request, "detainers/dashboard_requests.html", context)


@role_required(Role.SUPERVISOR)
@require_GET
def dashboard_lines(request):
    """Who: supervisors. Every fax line's last delivery; silent lines and retired numbers in use."""
    health = reports.line_health()
    context = {
        "health": health,
        "silent_after": reports.SILENT_AFTER.days,
        "usual_window": reports.USUAL_WINDOW.days,
        "usual_minimum": reports.USUAL_MINIMUM,
        "retired_window": reports.RETIRED_WINDOW.days,
    }
    return render(request, "detainers/dashboard_lines.html", context)
