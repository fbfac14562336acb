"""The records pages: legal holds (list, place, release) and purges (waiting approvals, the
destruction log, the retention rules). Supervisors only; admins edit the rules in the admin.

The work is in detainers.records (services, selectors, purge); these views only wire it to pages.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from accounts.access import Role, role_required
from config.errors import found_or_404, refusal_flash
from detainers.models import LegalHold
from detainers.records import selectors, services
from detainers.records.forms import HoldReleaseForm, LegalHoldForm
from detainers.triage.selectors import requests_visible_to


@role_required(Role.SUPERVISOR)
@require_GET
def holds(request):
    """Who: supervisors. Active holds with their release forms, released ones, hold a year."""
    return _holds_page(request)


def _holds_page(request, failed_release: tuple[int, HoldReleaseForm] | None = None):
    active, released = selectors.legal_holds()
    context = {
        "active": active,
        "released": released,
        "year_form": LegalHoldForm(initial={"scope": LegalHold.Scope.YEAR}),
        "failed_release": failed_release,
    }
    return render(request, "records/holds.html", context, status=400 if failed_release else 200)


@role_required(Role.SUPERVISOR)
@require_POST
def hold_place(request):
    """Who: supervisors. Holds one request (its inbox page), a search's results, or a year."""
    form = LegalHoldForm(request.POST)
    hold = form.submit(actor=request.user) if form.is_valid() else None
    if hold is None:
        ids = [int(pk) for pk in form["request"].value() or [] if str(pk).isdigit()]
        names = _references(request.user, ids)
        context = {"form": form, "requests": [names.get(pk, f"request {pk}") for pk in ids]}
        return render(request, "records/hold_place.html", context, status=400)
    messages.success(request, f"Legal hold #{hold.pk} placed: {hold.scope_description}.")
    if hold.scope == LegalHold.Scope.REQUEST:
        return redirect("inbox-item", pk=form.cleaned_data["request"][0])
    return redirect("records-holds")


@role_required(Role.SUPERVISOR)
@require_POST
def hold_release(request, pk: int):
    """Who: supervisors. Releases an active hold, with the reason."""
    hold = found_or_404(selectors.legal_hold_active(pk=pk), "active legal hold")
    form = HoldReleaseForm(request.POST)
    if not (form.is_valid() and form.submit(hold=hold, actor=request.user)):
        return _holds_page(request, failed_release=(hold.pk, form))
    messages.success(request, f"Legal hold #{hold.pk} released.")
    return redirect("records-holds")


@role_required(Role.SUPERVISOR)
@require_GET
def purges(request):
    """Who: supervisors. Purges waiting for approval, what was destroyed, the retention rules."""
    approvals, destroyed = selectors.purge_approvals_open(), selectors.destructions_recent()
    batches = [batch for approval in approvals for _, batch in approval.planned_kinds]
    names = _references(
        request.user,
        [pk for batch in batches for pk in batch["request_ids"]]
        + [pk for log in destroyed for pk in log.request_ids],
    )
    for batch in batches:
        batch["requests"] = [(pk, names.get(pk, f"request {pk}")) for pk in batch["request_ids"]]
    for log in destroyed:
        log.requests = [names.get(pk, f"request {pk}") for pk in log.request_ids]
    context = {
        "approvals": approvals,
        "destroyed": destroyed,
        "rules": selectors.retention_rules(),
    }
    return render(request, "records/purges.html", context)


def _references(user, request_ids: list[int]) -> dict[int, str]:
    """{request id: its receipt reference}, for the pages that list requests: one query."""
    visible = requests_visible_to(user).filter(pk__in=set(request_ids))
    return {found.pk: found.reference for found in visible}


@role_required(Role.SUPERVISOR)
@require_POST
def purge_approve(request, pk: int):
    """Who: supervisors. Approves a pending purge; the purge runs once this is saved."""
    approval = found_or_404(selectors.purge_approval_pending(pk=pk), "purge waiting for approval")
    try:
        services.purge_approval_approve(approval_id=approval.pk, actor=request.user)
    except ValidationError as error:
        refusal_flash(request, error)
    else:
        messages.success(
            request,
            f"Purge #{approval.pk} approved: {approval.total} records will be destroyed now, "
            "less any placed under a legal hold since.",
        )
    return redirect("records-purges")
