"""Missed faxes: failed receptions a fax line reported, each a to-do until the sender sends it
again; and the undo of a partial fax's link to the fax taken as its resend.

Every change goes through detainers.intake.resends, which writes its audit event.
"""

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from accounts.access import Role, role_required
from config.errors import found_or_404
from detainers.inbox import selectors
from detainers.inbox.forms import MissedFaxFilterForm
from detainers.intake.resends import (
    missed_fax_resend_asked,
    missed_fax_resend_unlink,
    partial_fax_resend_unlink,
)
from detainers.models import MissedFax
from detainers.triage import selectors as visibility

PAGE_SIZE = 50


@role_required(Role.SUPERVISOR)
@require_GET
def missed_faxes(request):
    """Who: supervisors."""
    filters = MissedFaxFilterForm(request.GET or None)
    page = Paginator(selectors.missed_fax_list(**filters.selection()), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(request, "detainers/missed_faxes.html", {"filters": filters, "page": page})


@role_required(Role.SUPERVISOR)
@require_POST
def missed_fax_asked(request, pk: int):
    """Who: supervisors. Records that the sender was asked to send the fax again."""
    get_object_or_404(MissedFax, pk=pk)
    missed_fax_resend_asked(missed_fax_id=pk, actor=request.user)
    messages.success(request, f"Missed fax {pk}: noted that the sender was asked to send it again.")
    return redirect("missed-faxes")


@role_required(Role.SUPERVISOR)
@require_POST
def missed_fax_unlink(request, pk: int):
    """Who: supervisors. Undoes the link to the fax taken as its resend; the to-do opens again."""
    get_object_or_404(MissedFax, pk=pk)
    missed_fax_resend_unlink(missed_fax_id=pk, actor=request.user)
    messages.success(request, f"Missed fax {pk} is open again: it was not sent again after all.")
    return redirect("missed-faxes")


@role_required(Role.SUPERVISOR)
@require_POST
def inbox_item_resend_unlink(request, pk: int):
    """Who: supervisors. A partial fax: undoes the link to the fax taken as its resend."""
    detainer_request = found_or_404(
        visibility.request_for_user(user=request.user, pk=pk), "request"
    )
    partial_fax_resend_unlink(delivery_id=detainer_request.delivery_id, actor=request.user)
    messages.success(request, "The partial fax's to-do is open again: ask the sender to resend.")
    return redirect("inbox-item", pk=pk)
