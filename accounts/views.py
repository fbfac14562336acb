from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from accounts.access import roles_of


@login_required
def home(request):
    """Who: any signed-in user. Shows where each of the user's roles works."""
    return render(request, "accounts/home.html", {"roles": sorted(roles_of(request.user))})
