"""A request's page in the central inbox, with its triage and precinct forms (the list: queue.py).

Every change goes through detainers.triage; documents are served by views/documents.py.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from accounts.access import Role, role_required
from config.errors import found_or_404, refusal_flash
from detainers.inbox import selectors
from detainers.inbox.documents import document_shown, document_viewed
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
    """Who: supervisors. Saves the triage form through triage.request_triage."""
    detainer_request = found_or_404(
        visibility.request_for_user(user=request.user, pk=pk), "request"
    )
    form = TriageForm.for_request(detainer_request, data=request.POST)
    if form.is_valid() and form.submit(actor=request.user):
        if form.has_changed():
            messages.success(request, f"Request #{pk} saved.")
        else:
            messages.info(request, "Nothing to save: no field was changed.")
        return redirect("inbox-item", pk=pk)
    return _item_page(request, detainer_request, form=form, status=400)


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
            f"Request #{pk} is no longer marked as a duplicate and will not be linked "
            "automatically again. Record its disposition below.",
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
    documents = [
        document_shown(document) for document in delivery.documents.select_related("extraction")
    ]
    for shown in documents:
        if shown.kind == "text":  # shown right here, not through the document view
            document_viewed(actor=request.user, document=shown.document)
    history, views = selectors.item_history(detainer_request)
    context = {
        "item": detainer_request,
        "delivery": delivery,
        "form": form or TriageForm.for_request(detainer_request),
        "precinct_form": precinct_form or PrecinctForm.for_delivery(delivery),
        "documents": documents,
        "siblings": delivery.requests.exclude(pk=detainer_request.pk),
        "duplicates": detainer_request.duplicates.all(),
        "history": history,
        "views": views,
    }
    return render(request, "detainers/inbox_item.html", context, status=status)
