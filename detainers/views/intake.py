from django.http import HttpResponse

from accounts.access import Role, role_required


@role_required(Role.CLERK)
def intake(request):
    """Who: clerks (for their own precinct)."""
    return HttpResponse("TODO")
