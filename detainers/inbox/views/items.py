"""A request's page in the central inbox, a workspace: the document on one side, its triage form
on the other, with its precinct form, history and the looks at its documents (the list: queue.py).

Every change goes through detainers.triage; documents are served by views/documents.py.
"""

from dataclasses import replace

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from accounts.access import Role, role_required
from config.errors import found_or_404, refusal_flash
from detainers.inbox import selectors
from detainers.inbox.documents import document_opened, document_shown
from detainers.inbox.forms import PrecinctForm, TriageForm
from detainers.mailbox import mailbox_retry_quarantined
from detainers.models import DetainerRequest
from detainers.triage import selectors as visibility
from detainers.triage import services as triage


@role_required(Role.SUPERVISOR)
@require_GET
def inbox_item(request, pk: int):
    """Who: supervisors."""
    detainer_request = found_or_404(
        visibility.request_for_user(user=request.user, pk=pk), "request"
    )
    return _item_page(request, detainer_request)


@role_required(Role.SUPERVISOR)
@require_POST
def inbox_item_triage(request, pk: int):
    """Who: supervisors. Saves the triage form through triage.request_triage; "Save and next"
    (then=next) goes on to the oldest other unreviewed request, or back to the inbox."""
    detainer_request = found_or_404(
        visibility.request_for_user(user=request.user, pk=pk), "request"
    )
    form = TriageForm.for_request(detainer_request, user=request.user, data=request.POST)
    if not (form.is_valid() and form.submit(actor=request.user)):
        return _item_page(request, detainer_request, form=form, status=400)
    reference = detainer_request.reference
    if form.has_changed():
        messages.success(request, f"{reference} saved.")
    else:
        messages.info(request, f"Nothing to save in {reference}: no field was changed.")
    if request.POST.get("then") != "next":
        return redirect("inbox-item", pk=pk)
    following = selectors.request_next_unreviewed(user=request.user, after=detainer_request)
    if following is None:
        messages.info(request, "No unreviewed request is left in the inbox.")
        return redirect("inbox")
    # A fragment of its own, so the browser does not carry the failed save's "#triage-errors" over.
    return redirect(reverse("inbox-item", args=[following.pk]) + "#workspace")


@role_required(Role.SUPERVISOR)
@require_POST
def inbox_item_duplicate_undo(request, pk: int):
    """Who: supervisors. "Not a duplicate": unlinks it through triage.request_duplicate_undo."""
    detainer_request = found_or_404(
        visibility.request_for_user(user=request.user, pk=pk), "request"
    )
    try:
        triage.request_duplicate_undo(request_id=detainer_request.pk, actor=request.user)
    except ValidationError as error:
        refusal_flash(request, error)
    else:
        messages.success(
            request,
            f"{detainer_request.reference} is no longer marked as a duplicate and will not be "
            "linked automatically again. Record its disposition below.",
        )
    return redirect("inbox-item", pk=pk)


@role_required(Role.SUPERVISOR)
@require_POST
def inbox_item_mail_retry(request, pk: int):
    """Who: supervisors. Reads a quarantined email again through mailbox_retry_quarantined."""
    detainer_request = found_or_404(
        visibility.request_for_user(user=request.user, pk=pk), "request"
    )
    try:
        mailbox_retry_quarantined(delivery_id=detainer_request.delivery_id, actor=request.user)
    except ValidationError as error:
        refusal_flash(request, error)
    else:
        messages.success(
            request,
            f"The message of {detainer_request.delivery.receipt_number} was read again. "
            "Check its documents and requests below.",
        )
    return redirect("inbox-item", pk=pk)


@role_required(Role.SUPERVISOR)
@require_POST
def inbox_item_precinct(request, pk: int):
    """Who: supervisors. Assigns or corrects the delivery's precinct (detainers.triage.assignment)."""
    detainer_request = found_or_404(
        visibility.request_for_user(user=request.user, pk=pk), "request"
    )
    form = PrecinctForm.for_delivery(detainer_request.delivery, data=request.POST)
    if form.is_valid() and form.submit(actor=request.user):
        code = form.cleaned_data["precinct"].code
        messages.success(
            request, f"{detainer_request.delivery.receipt_number} now belongs to {code}."
        )
        return redirect("inbox-item", pk=pk)
    return _item_page(request, detainer_request, precinct_form=form, status=400)


def _item_page(
    request,
    detainer_request: DetainerRequest,
    form: TriageForm | None = None,
    precinct_form: PrecinctForm | None = None,
    status: int = 200,
):
    delivery = detainer_request.delivery
    documents = _documents_opened(request, delivery)
    history, views = selectors.item_history(detainer_request)
    context = {
        "item": detainer_request,
        "delivery": delivery,
        "form": form or TriageForm.for_request(detainer_request, user=request.user),
        "precinct_form": precinct_form or PrecinctForm.for_delivery(delivery),
        "documents": documents,
        "siblings": delivery.requests.exclude(pk=detainer_request.pk).select_related("delivery"),
        "duplicates": detainer_request.duplicates.select_related("delivery"),
        "history": history,
        "views": views,
    }
    return render(request, "detainers/inbox_item.html", context, status=status)


def _documents_opened(request, delivery) -> list:
    """The delivery's documents as the page shows them. Opening the page is one look at each one it
    draws (document_opened); its viewer's PDF and fax pages carry a pass so they add no more."""
    documents = []
    for document in delivery.documents.select_related("extraction", "delivery"):
        shown = document_shown(document)
        if shown.shown_here:
            token = document_opened(actor=request.user, document=document)
            shown = replace(shown, pass_token=token)
        documents.append(shown)
    return documents
