"""The yearly filing to the City Clerk: a PDF letter (detainers.counting.filing, filing_pdf)."""

from django.http import HttpResponse, HttpResponseBadRequest
from django.views.decorators.http import require_GET

from accounts.access import Role, role_required
from detainers.counting.filing import filing_letter
from detainers.counting.filing_pdf import filing_pdf
from detainers.counting.filing_profiles import FILING_PROFILES, filing_profile
from detainers.counting.views.reports import _reportable


@role_required(Role.SUPERVISOR)
@require_GET
def annual_filing(request, year: int):
    """Who: supervisors. The letter under settings.FILING_PROFILE; ?profile= previews another."""
    year = _reportable(year)
    chosen = request.GET.get("profile")
    profile = filing_profile() if chosen is None else FILING_PROFILES.get(chosen)
    if profile is None:
        message = f"Unknown profile: choose one of {', '.join(FILING_PROFILES)}."
        return HttpResponseBadRequest(message, content_type="text/plain; charset=utf-8")
    letter = filing_letter(year=year, profile=profile)
    response = HttpResponse(filing_pdf(letter), content_type="application/pdf")
    # Shown in the browser to be read before it is printed; named for when it is saved.
    response["Content-Disposition"] = f'inline; filename="{profile.name}-filing-{year}.pdf"'
    response["Cache-Control"] = "private, no-store"
    return response
