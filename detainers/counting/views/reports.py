"""The annual Trust Act report: the index of years, a year's report and its downloads, closing a year.

Figures come from detainers.counting.annual; the files are written by detainers.counting.exports.
"""

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from accounts.access import Role, role_required
from config.errors import refusal_flash
from detainers.counting import annual, exports

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
    return render(request, "detainers/annual_report.html", context)


@role_required(Role.SUPERVISOR)
@require_POST
def annual_report_close(request, year: int):
    """Who: supervisors. Freezes the year's figures as reported (annual.annual_report_close)."""
    year = _reportable(year)
    if request.POST.get("confirm") != "yes":
        messages.error(request, f"Tick “I confirm” to close the {year} report.")
        return redirect("annual-report", year=year)
    try:
        annual.annual_report_close(year=year, actor=request.user)
    except ValidationError as error:
        refusal_flash(request, error)
    else:
        messages.success(
            request, f"The {year} report is closed: its figures are frozen as reported."
        )
    return redirect("annual-report", year=year)
