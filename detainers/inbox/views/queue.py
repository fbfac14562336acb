"""The central inbox's list: the queue supervisors work from."""

from dataclasses import dataclass
from datetime import datetime

from django.core.paginator import Paginator
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from accounts.access import Role, role_required
from detainers.extraction.services import extraction_health
from detainers.inbox import selectors
from detainers.inbox.forms import InboxFilterForm
from detainers.mailbox import mailbox_health
from detainers.models import DetainerRequest

PAGE_SIZE = 50


@dataclass(frozen=True)
class InboxRow:
    request: DetainerRequest
    age: str
    overdue: bool


def age_label(since: datetime, now: datetime) -> str:
    minutes = max(int((now - since).total_seconds() // 60), 0)
    if minutes < 60:
        return f"{minutes} min"
    if minutes < 48 * 60:
        return f"{minutes // 60} h"
    return f"{minutes // (24 * 60)} days"


@role_required(Role.SUPERVISOR)
@require_GET
def inbox(request):
    """Who: supervisors."""
    filters = InboxFilterForm(request.GET or None)
    page = Paginator(selectors.inbox_requests(**filters.selection()), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    now = timezone.now()
    rows = [
        InboxRow(item, age_label(item.delivery.received_at, now), selectors.is_overdue(item))
        for item in page
    ]
    context = {
        "filters": filters,
        "page": page,
        "rows": rows,
        "mailbox_health": mailbox_health(),
        "extraction_health": extraction_health(),
        "missed_open": selectors.missed_faxes_open_count(),
    }
    return render(request, "detainers/inbox.html", context)
