from django.http import HttpResponse

from accounts.access import Role, role_required


@role_required(Role.SUPERVISOR)
def inbox(request):
    """Who: supervisors."""
    return HttpResponse("TODO")


@role_required(Role.SUPERVISOR)
def inbox_item(request, pk: int):
    """Who: supervisors."""
    return HttpResponse("TODO")


@role_required(Role.SUPERVISOR)
def document(request, pk: int):
    """Who: supervisors; clerks of the document's precinct."""
    return HttpResponse("TODO")
