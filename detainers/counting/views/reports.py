"""The annual Trust Act report: the index of years, a year's report and its downloads, the requests
behind each of its figures, closing a year.

Figures come from detainers.counting.annual; the files are written by detainers.counting.exports.
"""

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from accounts.access import Role, role_required
from config.errors import refusal_flash
from detainers.counting import annual, exports

PAGE_SIZE = 50
FORMATS = ", ".join([*exports.FIGURE_FORMATS, *exports.LIST_FORMATS])


def _reportable(year: int) -> int:
    # Years outside this range have no local year boundaries a datetime can hold.
    if not 1900 <= year <= 9000:
        raise Http404("No report for that year.")
    return year


@role_required(Role.SUPERVISOR)
@require_GET
def reports(request):
    """Who: supervisors. The years with counted requests, each year's report and whether it is closed."""
    return render(request, "detainers/reports.html", {"years": annual.report_years()})


@role_required(Role.SUPERVISOR)
@require_GET
def annual_report(request, year: int):
    """Who: supervisors. The printable page, or with ?format= a download (FORMATS)."""
    year = _reportable(year)
    chosen = request.GET.get("format", "")
    if chosen in exports.LIST_FORMATS:
        return exports.LIST_FORMATS[chosen](year, annual.annual_request_list(year=year))
    if chosen and chosen not in exports.FIGURE_FORMATS:
        message = f"Unknown format: choose one of {FORMATS}."
        return HttpResponseBadRequest(message, content_type="text/plain; charset=utf-8")
    report = annual.annual_report(year=year)
    if chosen:
        return exports.FIGURE_FORMATS[chosen](report)
    context = {"report": report, "year": year, "time_zone": settings.TIME_ZONE}
    if report.closable:
        context["checks"] = annual.year_close_checks(year=year, report=report)
    return render(request, "detainers/annual_report.html", context)


@role_required(Role.SUPERVISOR)
@require_POST
def annual_report_close(request, year: int):
    """Who: supervisors. Freezes the year's figures as reported (annual.annual_report_close), once
    the person confirmed the unreviewed, legal-review and reconciliation numbers they were shown."""
    year = _reportable(year)
    confirmation = request.POST.get("confirm", "")
    if not confirmation:
        messages.error(request, f"Tick “I confirm” under the numbers to close the {year} report.")
        return redirect(reverse("annual-report", args=[year]) + "#annual-close-title")
    try:
        annual.annual_report_close(year=year, actor=request.user, confirmation=confirmation)
    except ValidationError as error:
        refusal_flash(request, error)
        return redirect(reverse("annual-report", args=[year]) + "#annual-close-title")
    messages.success(request, f"The {year} report is closed: its figures are frozen as reported.")
    return redirect("annual-report", year=year)


@role_required(Role.SUPERVISOR)
@require_GET
def annual_report_requests(request, year: int):
    """Who: supervisors. The requests behind one figure of the report (?figure=<its key>)."""
    year = _reportable(year)
    key = request.GET.get("figure", "")
    requests = annual.annual_list(year=year, key=key)
    if requests is None:
        raise Http404("No such figure.")
    page = Paginator(requests, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "year": year,
        "key": key,
        "title": annual.annual_list_title(year=year, key=key),
        "page": page,
    }
    return render(request, "detainers/annual_report_requests.html", context)
