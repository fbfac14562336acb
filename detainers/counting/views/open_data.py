"""/open-data/: the de-identified yearly tables (detainers.counting.open_data) as CSV, their
Frictionless descriptor (datapackage.json), and an index page that explains them.

Who: supervisors always (the reports page links here); anyone, signed in or not, when
settings.OPEN_DATA_PUBLIC is True. To everyone else the pages do not exist (404), so a site that
has not published its data does not advertise that it could.
"""

import json
from functools import wraps

from django.conf import settings
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from accounts.access import Role, has_role, role_required
from detainers.counting import open_data

# Public answers may be kept by browsers and proxies for as long as the tables are cached.
PUBLIC_CACHE = f"public, max-age={open_data.CACHE_SECONDS}"


def open_data_access(view):
    """Supervisors (through role_required, with its second-factor check); everyone when public.
    Outermost, so that even a wrong method gets 404 from a site that does not publish."""
    supervisors_view = role_required(Role.SUPERVISOR)(view)

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if settings.OPEN_DATA_PUBLIC:
            response = view(request, *args, **kwargs)
            if not request.user.is_authenticated:
                response["Cache-Control"] = PUBLIC_CACHE
            return response
        if not has_role(request.user, Role.SUPERVISOR):
            raise Http404("No such page.")
        return supervisors_view(request, *args, **kwargs)

    wrapped.allowed_roles = (Role.SUPERVISOR,)
    return wrapped


@open_data_access
@require_GET
def open_data_index(request):
    """The years published, their CSV and the descriptor, and how small counts are withheld."""
    context = {
        "years": [
            (year, open_data.open_data_filename(year)) for year in open_data.open_data_years()
        ],
        "min_cell": settings.OPEN_DATA_MIN_CELL,
        "public": settings.OPEN_DATA_PUBLIC,
    }
    return render(request, "detainers/open_data.html", context)


@open_data_access
@require_GET
def open_data_year_csv(request, year: int):
    """One year's table as CSV; only ended years with counted requests are published."""
    if year not in open_data.open_data_years():
        raise Http404("No open data for that year.")
    rows = open_data.open_data_table(year=year, min_cell=settings.OPEN_DATA_MIN_CELL)
    response = HttpResponse(open_data.open_data_csv(rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{open_data.open_data_filename(year)}"'
    return response


@open_data_access
@require_GET
def open_data_package(request):
    """The Frictionless data package descriptor; its resources' paths are relative to it."""
    descriptor = open_data.open_data_package(
        years=open_data.open_data_years(), min_cell=settings.OPEN_DATA_MIN_CELL
    )
    return HttpResponse(json.dumps(descriptor, indent=2), content_type="application/json")
