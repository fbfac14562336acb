"""Reading documents, from the inbox: try a failed reading again (detainers.extraction.services)."""

from django.contrib import messages
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from accounts.access import Role, role_required
from config.errors import found_or_404
from detainers.extraction.services import extraction_retry, extractions_retry_failed
from detainers.triage import selectors as visibility


@role_required(Role.SUPERVISOR)
@require_POST
def document_read_again(request, pk: int):
    """Who: supervisors. Reads a document whose reading failed once more."""
    document = found_or_404(visibility.document_for_user(user=request.user, pk=pk), "document")
    extraction = getattr(document, "extraction", None)
    if extraction is not None and extraction_retry(extraction_id=extraction.pk, actor=request.user):
        messages.success(request, "The document will be read again in a moment.")
    else:
        messages.info(request, "This document's reading had not failed: nothing to retry.")
    first = document.delivery.requests.order_by("pk").first()
    return redirect("inbox-item", pk=first.pk) if first else redirect("inbox")


@role_required(Role.SUPERVISOR)
@require_POST
def extraction_retry_failed(request):
    """Who: supervisors. Reads every document whose reading failed once more."""
    retried = extractions_retry_failed(actor=request.user)
    messages.success(
        request, f"{retried} document{'s' if retried != 1 else ''} will be read again."
    )
    return redirect("inbox")
