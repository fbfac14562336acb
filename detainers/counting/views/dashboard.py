"""/dashboard/: the yearly figures a supervisor defends, each linked to the requests behind it;
/dashboard/requests/: that list; /dashboard/lines/: which fax lines went silent.

The figures come from detainers.counting.selectors (the summary table, a few small queries at any size); this
module reads the filters and turns the figures into tables, charts and links.
"""

from urllib.parse import urlencode

from django.core.paginator import Paginator
from django.shortcuts import render
from django.views.decorators.http import require_GET

from accounts.access import Role, role_required
from detainers.counting import selectors as reports
from detainers.counting.figures import (
    FigureLinks,
    dashboard_charts,
    dashboard_headline,
    missed_faxes_link,
)
from detainers.counting.forms import DashboardForm, FigureForm

PAGE_SIZE = 50


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
