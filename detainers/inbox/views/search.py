"""Searching the central inbox: a name, an identifier, a receipt number or words from a document.

The query travels in a POST body only. A person's name in a URL would be written to server and
proxy logs and kept in browser history; here the URL is always /inbox/search/.
"""

from django import forms
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from accounts.access import Role, role_required
from detainers.inbox import search


class SearchForm(forms.Form):
    q = forms.CharField(
        label="Search",
        required=False,  # an empty query gets the search's own message, which says what to type
        strip=False,
        help_text="A name, a receipt number (DD-2026-000123), a Subject ID, an Event #, an "
        "A-number in any format, or words from the documents.",
        widget=forms.TextInput(
            attrs={
                "type": "search",
                # Browsers would otherwise keep the names searched for in their form history.
                "autocomplete": "off",
                "maxlength": search.QUERY_MAX,
                "spellcheck": "false",
            }
        ),
    )

    def clean_q(self) -> str:
        return search.search_query_clean(self.cleaned_data["q"])


@role_required(Role.SUPERVISOR)
@require_http_methods(["GET", "POST"])
@never_cache
def inbox_search(request):
    """Who: supervisors. GET shows the form; the search itself is a POST."""
    form = SearchForm(request.POST) if request.method == "POST" else SearchForm()
    results = None
    if form.is_bound and form.is_valid():
        results = search.requests_search(
            user=request.user,
            query=form.cleaned_data["q"],
            limit=search.RESULTS_MAX,
            excerpts=True,
        )
    status = 400 if form.errors else 200
    context = {"form": form, "results": results, "limit": search.RESULTS_MAX}
    return render(request, "detainers/search.html", context, status=status)
