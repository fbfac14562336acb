"""The central inbox's list: the queue supervisors work from, its order and their saved filters."""

from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from accounts.access import Role, role_required
from config.errors import form_error_add
from detainers.extraction.services import extraction_health
from detainers.inbox import saved_filters, selectors
from detainers.inbox.forms import InboxFilterForm, SavedFilterForm
from detainers.inbox.views.search import SearchForm
from detainers.mailbox import mailbox_health
from detainers.models import DetainerRequest

PAGE_SIZE = 50


@dataclass(frozen=True)
class InboxRow:
    request: DetainerRequest
    age: str  # "3 h", or "Over 24 h target: 2 days" for an unreviewed request past the target
    overdue: bool


def age_label(since: datetime, now: datetime) -> str:
    minutes = max(int((now - since).total_seconds() // 60), 0)
    if minutes < 60:
        return f"{minutes} min"
    if minutes < 48 * 60:
        return f"{minutes // 60} h"
    return f"{minutes // (24 * 60)} days"


def inbox_row(item: DetainerRequest, now: datetime) -> InboxRow:
    age = age_label(item.delivery.received_at, now)
    if not selectors.is_overdue(item, now):
        return InboxRow(item, age, False)
    return InboxRow(item, f"Over {settings.INBOX_SLA_HOURS} h target: {age}", True)


def _inbox_page(request, filters: InboxFilterForm, save_form: SavedFilterForm, status=200):
    page = Paginator(selectors.inbox_requests(**filters.selection()), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    now = timezone.now()
    context = {
        "filters": filters,
        "sort_links": filters.sort_links(),
        "order_words": filters.order_words(),
        "filter_query": filters.query(),
        "save_form": save_form,
        "saved_filters": saved_filters.saved_filters_of(user=request.user),
        "search_form": SearchForm(),
        "page": page,
        "rows": [inbox_row(item, now) for item in page],
        "sla_hours": settings.INBOX_SLA_HOURS,
        "mailbox_health": mailbox_health(),
        "extraction_health": extraction_health(),
        "missed_open": selectors.missed_faxes_open_count(),
    }
    return render(request, "detainers/inbox.html", context, status=status)


@role_required(Role.SUPERVISOR)
@require_GET
def inbox(request):
    """Who: supervisors."""
    return _inbox_page(request, InboxFilterForm(request.GET or None), SavedFilterForm())


@role_required(Role.SUPERVISOR)
@require_POST
def inbox_filter_save(request):
    """Who: supervisors, for themselves. Saves the filters shown under a name, then shows them."""
    filters, form = InboxFilterForm(request.POST), SavedFilterForm(request.POST)
    if form.is_valid():
        try:
            saved = saved_filters.saved_filter_save(
                user=request.user, name=form.cleaned_data["name"], query=filters.query()
            )
        except ValidationError as error:
            form_error_add(form, error)
        else:
            messages.success(request, f"Filter “{saved.name}” saved.")
            return redirect(reverse("inbox") + (f"?{saved.query}" if saved.query else ""))
    return _inbox_page(request, filters, form, status=400)


@role_required(Role.SUPERVISOR)
@require_POST
def inbox_filter_delete(request, pk: int):
    """Who: supervisors, their own saved filters only (another's is a 404)."""
    if not saved_filters.saved_filter_delete(user=request.user, pk=pk):
        raise Http404("No such saved filter.")
    messages.success(request, "Saved filter deleted.")
    return redirect("inbox")
