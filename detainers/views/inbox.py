"""The central inbox: the list, one request's page with its triage form, and the documents.

Every change goes through detainers.triage; every look at a document is an audit event. Documents
are served only here, after the same access check the inbox uses, never from a public URL.
"""

import io
import logging
from dataclasses import dataclass
from datetime import datetime

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_GET, require_POST
from PIL import Image

from accounts.access import Role, role_required

from .. import selectors, triage
from ..audit import event_record
from ..documents import JPEG, PDF, PNG, TIFF
from ..email_parse import TEXT
from ..extraction.services import extraction_health
from ..mailbox import mailbox_health, mailbox_retry_quarantined
from ..models import (
    DetainerRequest,
    Disposition,
    Document,
    Event,
    Extraction,
    FormType,
    ProbableCause,
)
from ..triage_forms import InboxFilterForm, PrecinctForm, TriageForm

logger = logging.getLogger(__name__)

PAGE_SIZE = 50
RAW_EMAIL = "message/rfc822"
EXTENSIONS = {PDF: "pdf", TIFF: "tif", PNG: "png", JPEG: "jpg", TEXT: "txt", RAW_EMAIL: "eml"}
# What the inbox shows on the page (and the document view serves inline); anything else is a
# download link only.
KINDS = {
    PDF: ("pdf", "PDF"),
    TIFF: ("tiff", "TIFF fax"),
    PNG: ("image", "PNG scan"),
    JPEG: ("image", "JPEG scan"),
    TEXT: ("text", "Text of the email"),
}
DOWNLOAD_LABELS = {RAW_EMAIL: "The email exactly as received (.eml)"}
# The mailbox stores an email's text as UTF-8; a wrong byte in an attachment shows as U+FFFD.
SERVED_TYPES = {TEXT: "text/plain; charset=utf-8"}
TEXT_SHOWN_BYTES = 200 * 1024
# A stored document is never trusted as a page of this site: no sniffing, no scripts, no caching.
DOCUMENT_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "private, no-store",
}
SANDBOXED = "sandbox"
# Chrome has long refused to start its PDF viewer in a sandboxed document (crbug.com/413851; the
# out-of-process viewer of current Chromium, 156 tried, shows it anyway). So a PDF gets, instead of
# `sandbox`, a policy that lets the browser's viewer page do exactly what it needs: embed the PDF
# itself (object-src) and size that embed with inline styles (crbug.com/271452), and nothing else:
# no script, no other fetch, framed only by this site. The bytes are a PDF by their content
# (recognised at intake) and nosniff is set, so no browser reads them as HTML under this policy.
# (`plugin-types` is obsolete: browsers ignore it.)
PDF_POLICY = (
    "default-src 'none'; object-src 'self'; style-src 'unsafe-inline'; "
    "frame-ancestors 'self'; form-action 'none'; base-uri 'none'"
)


@dataclass(frozen=True)
class InboxRow:
    request: DetainerRequest
    age: str
    overdue: bool


@dataclass(frozen=True)
class ShownDocument:
    document: Document
    kind: str  # "pdf", "tiff", "image", "text" or "file" (a link only): how the page shows it
    label: str
    pages: range
    text: str = ""  # kind "text": the first TEXT_SHOWN_BYTES, decoded
    text_cut: bool = False
    extraction: Extraction | None = None  # its reading, if it is one the app reads


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
    }
    return render(request, "detainers/inbox.html", context)


@role_required(Role.SUPERVISOR)
@require_GET
def inbox_item(request, pk: int):
    """Who: supervisors."""
    detainer_request = selectors.request_for_user(user=request.user, pk=pk)
    return _item_page(request, detainer_request)


@role_required(Role.SUPERVISOR)
@require_POST
def inbox_item_triage(request, pk: int):
    """Who: supervisors. Saves the triage form through triage.request_triage."""
    detainer_request = selectors.request_for_user(user=request.user, pk=pk)
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
    detainer_request = selectors.request_for_user(user=request.user, pk=pk)
    try:
        triage.request_duplicate_undo(request_id=detainer_request.pk, actor=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
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
    detainer_request = selectors.request_for_user(user=request.user, pk=pk)
    try:
        mailbox_retry_quarantined(delivery_id=detainer_request.delivery_id, actor=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
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
    """Who: supervisors. Assigns or corrects the delivery's precinct (detainers.assignment)."""
    detainer_request = selectors.request_for_user(user=request.user, pk=pk)
    form = PrecinctForm.for_delivery(detainer_request.delivery, data=request.POST)
    if form.is_valid() and form.submit(actor=request.user):
        code = form.cleaned_data["precinct"].code
        messages.success(
            request, f"{detainer_request.delivery.receipt_number} now belongs to {code}."
        )
        return redirect("inbox-item", pk=pk)
    return _item_page(request, detainer_request, precinct_form=form, status=400)


@role_required(Role.SUPERVISOR, Role.CLERK)
@require_GET
@xframe_options_sameorigin
def document(request, pk: int):
    """Who: supervisors; clerks of the document's precinct. Anyone else: 404."""
    stored = selectors.document_for_user(user=request.user, pk=pk)
    _document_viewed(request, stored)
    response = FileResponse(
        stored.file.open("rb"),
        content_type=SERVED_TYPES.get(stored.content_type, stored.content_type),
        filename=_file_name(stored),
        # Only the kinds the inbox shows are opened in the browser; anything else (a raw email
        # kept by the mailbox reader) is downloaded.
        as_attachment=stored.content_type not in KINDS,
    )
    return _locked_down(response, pdf=stored.content_type == PDF)


@role_required(Role.SUPERVISOR, Role.CLERK)
@require_GET
@xframe_options_sameorigin
def document_page(request, pk: int, n: int):
    """Who: as `document`. Page n of a TIFF fax as a PNG a browser can show."""
    stored = selectors.document_for_user(user=request.user, pk=pk)
    png = _tiff_page_png(stored, n)
    if png is None:
        raise Http404("No such page.")
    _document_viewed(request, stored, page=n)
    response = HttpResponse(png, content_type=PNG)
    response["Content-Disposition"] = f'inline; filename="{_file_name(stored, page=n)}"'
    return _locked_down(response)


def _item_page(
    request,
    detainer_request: DetainerRequest,
    form: TriageForm | None = None,
    precinct_form: PrecinctForm | None = None,
    status: int = 200,
):
    delivery = detainer_request.delivery
    documents = [_shown(document) for document in delivery.documents.select_related("extraction")]
    for shown in documents:
        if shown.kind == "text":  # shown right here, not through the document view
            _document_viewed(request, shown.document)
    events = Event.objects.filter(Q(delivery=delivery) | Q(request=detainer_request))
    context = {
        "item": detainer_request,
        "delivery": delivery,
        "form": form or TriageForm.for_request(detainer_request),
        "precinct_form": precinct_form or PrecinctForm.for_delivery(delivery),
        "documents": documents,
        "siblings": delivery.requests.exclude(pk=detainer_request.pk),
        "duplicates": detainer_request.duplicates.all(),
        "history": _history(events.exclude(action="document_viewed")),
        "views": events.filter(action="document_viewed").select_related("actor").reverse()[:20],
    }
    return render(request, "detainers/inbox_item.html", context, status=status)


LABELS = {
    "disposition": dict(Disposition.choices),
    "form_type": dict(FormType.choices),
    "probable_cause": dict(ProbableCause.choices),
}


def _history(events) -> list[tuple[Event, list[tuple]]]:
    """Each event with its changes as (field, old, new) rows, in words a reviewer reads."""
    return [
        (event, [(field, *_old_new(field, values)) for field, values in event.changes.items()])
        for event in events.select_related("actor")
    ]


def _old_new(field: str, values) -> tuple:
    # Events store [old, new]; anything else (an old or hand-written event) shows as the new value.
    if isinstance(values, list) and len(values) == 2:
        return _readable(field, values[0]), _readable(field, values[1])
    return None, _readable(field, values)


def _readable(field: str, value):
    """None for nothing (a dash), labels for choices, local times to the minute, lists joined."""
    if value in (None, "", []):
        return None
    if isinstance(value, list):
        return ", ".join(str(part) for part in value)
    if field in LABELS:
        return LABELS[field].get(value, value)
    if field.endswith("_at") and isinstance(value, str):
        moment = parse_datetime(value)
        if moment is not None:
            return f"{timezone.localtime(moment):%Y-%m-%d %H:%M %Z}"
    return value


def _shown(document: Document) -> ShownDocument:
    label = DOWNLOAD_LABELS.get(document.content_type, document.content_type)
    kind, label = KINDS.get(document.content_type, ("file", label))
    pages = range(1, (document.pages or 0) + 1)
    extraction = getattr(document, "extraction", None)
    if kind != "text":
        return ShownDocument(document, kind, label, pages, extraction=extraction)
    try:
        with document.file.open("rb") as stored:
            text = stored.read(TEXT_SHOWN_BYTES).decode("utf-8", errors="replace")
    except OSError:
        logger.exception("document %s could not be read to show its text", document.pk)
        return ShownDocument(
            document, "file", f"{label} (could not be read here)", pages, extraction=extraction
        )
    return ShownDocument(
        document, kind, label, pages, text, document.size > TEXT_SHOWN_BYTES, extraction
    )


def _file_name(document: Document, page: int | None = None) -> str:
    """Receipt number and position, never the sender's file name, which may carry personal data."""
    position = document.delivery.documents.filter(pk__lt=document.pk).count() + 1
    if page is not None:
        return f"{document.delivery.receipt_number}-{position}-page-{page}.png"
    extension = EXTENSIONS.get(document.content_type, "bin")
    return f"{document.delivery.receipt_number}-{position}.{extension}"


def _locked_down(response: HttpResponse, pdf: bool = False) -> HttpResponse:
    for header, value in DOCUMENT_HEADERS.items():
        response[header] = value
    response["Content-Security-Policy"] = PDF_POLICY if pdf else SANDBOXED
    return response


def _document_viewed(request, document: Document, page: int | None = None) -> None:
    changes = {"document": (None, document.pk)}
    if page is not None:
        changes["page"] = (None, page)
    event_record(
        action="document_viewed", actor=request.user, delivery=document.delivery, changes=changes
    )


def _tiff_page_png(document: Document, n: int) -> bytes | None:
    """Page n (from 1) of a TIFF as PNG, stretched to square pixels (fax lines are often 2:1)."""
    if document.content_type != TIFF or n < 1:
        return None
    with document.file.open("rb") as stored, Image.open(stored) as image:
        if n > getattr(image, "n_frames", 1):
            return None
        image.seek(n - 1)
        page = image.convert("L")
        x_dpi, y_dpi = image.info.get("dpi", (0, 0))
        if x_dpi and y_dpi and x_dpi != y_dpi:
            page = page.resize((page.width, round(page.height * x_dpi / y_dpi)))
        out = io.BytesIO()
        page.save(out, format="PNG", optimize=True)
    return out.getvalue()
