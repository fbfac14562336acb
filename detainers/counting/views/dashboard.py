"""/dashboard/: the yearly figures a supervisor defends, each linked to the requests behind it (it
opens on the current local year); /dashboard/requests/: that list, and /dashboard/requests.csv the
same list to download; /dashboard/lines/: which fax lines went silent.

The figures come from detainers.counting.selectors (the summary table, a few small queries at any size); this
module reads the filters and turns the figures into tables, charts and links.
"""

import csv
from collections.abc import Iterator
from urllib.parse import urlencode

from django.core.paginator import Paginator
from django.http import StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.text import slugify
from django.views.decorators.http import require_GET

from accounts.access import Role, role_required
from detainers.counting import selectors as reports
from detainers.counting.exports import cell_safe
from detainers.counting.figures import (
    FigureLinks,
    dashboard_charts,
    dashboard_headline,
    missed_faxes_link,
)
from detainers.counting.forms import DashboardForm, FigureForm

PAGE_SIZE = 50
EVERY_YEAR = "year_from=&year_to="


class CountedPaginator(Paginator):
    """Pages whose number of rows is known already (the dashboard's figure): no COUNT(*)."""

    def __init__(self, object_list, per_page, *, count: int):
        super().__init__(object_list, per_page)
        self.known_count = count

    @property
    def count(self) -> int:
        return self.known_count


@role_required(Role.SUPERVISOR)
@require_GET
def dashboard(request):
    """Who: supervisors. The figures for the filters, the current local year until others are
    chosen (empty years ask for every year); every number links to its list."""
    codes = reports.precinct_codes()
    this_year = timezone.localdate().year
    form = DashboardForm(request.GET or {"year_from": this_year, "year_to": this_year}, codes=codes)
    board = reports.dashboard(counts=form.counts(), focus_year=form.focus_year(), codes=codes)
    links = FigureLinks(board.counts, codes)
    context = {
        "form": form,
        "board": board,
        "headline": dashboard_headline(board, links),
        "charts": dashboard_charts(board, links),
        "months_of": [(entry["year"], entry["year"] == board.focus_year) for entry in board.years],
        # Apart from every request figure: a failed reception made no request.
        "failed": reports.failed_receptions(counts=board.counts),
        "failed_link": missed_faxes_link(board.counts),
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
    total = reports.counted_total(**form.selection())
    page = CountedPaginator(requests, PAGE_SIZE, count=total).get_page(request.GET.get("page"))
    # Empty years ask for every year: without them the dashboard would open on the current one.
    back = urlencode(FigureLinks(form.counts(), codes).params(form.counts())) or EVERY_YEAR
    context = {"form": form, "page": page, "about": form.description(), "back": back}
    return render(request, "detainers/dashboard_requests.html", context)


CSV_HEADER = (
    "Receipt",
    "Received",
    "Channel",
    "Precinct",
    "Form",
    "Probable-cause basis",
    "Disposition",
)


class _Line:
    """csv.writer's file: hands back each line it is given, to stream it."""

    def write(self, line: str) -> str:
        return line


def _csv_lines(requests) -> Iterator[str]:
    writer = csv.writer(_Line())
    yield writer.writerow(CSV_HEADER)
    for item in requests.iterator(chunk_size=2000):
        delivery = item.delivery
        row = (
            item.reference,
            f"{timezone.localtime(delivery.received_at):%Y-%m-%d %H:%M}",
            delivery.get_channel_display(),
            delivery.precinct.code if delivery.precinct else "",
            item.form_type,
            item.get_probable_cause_display() if item.probable_cause else "",
            item.get_disposition_display() if item.disposition else "Unreviewed",
        )
        # Precinct codes and form types are typed by people: none may run as a formula.
        yield writer.writerow([cell_safe(cell) for cell in row])


@role_required(Role.SUPERVISOR)
@require_GET
def dashboard_requests_csv(request):
    """Who: supervisors. The list behind one figure as CSV, every row, streamed; no subject's
    personal fields, the same columns as the page."""
    form = FigureForm(request.GET, codes=reports.precinct_codes())
    if not form.is_valid():
        return render(request, "detainers/dashboard_requests.html", {"form": form}, status=400)
    requests = reports.counted_requests(**form.selection())
    response = StreamingHttpResponse(_csv_lines(requests), content_type="text/csv; charset=utf-8")
    name = slugify(" ".join(["counted requests", *form.description()]))
    response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
    response["Cache-Control"] = "private, no-store"
    return response


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
