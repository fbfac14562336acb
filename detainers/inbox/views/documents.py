"""Documents, served only here, after the same access check the inbox uses, never from a public
URL; every look is an audit event (the request's page records its embedded viewer's look itself and
gives it a pass: detainers.inbox.documents.document_pass)."""

from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpResponse
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_GET

from accounts.access import Role, role_required
from config.errors import found_or_404
from detainers.core.documents import PDF, PNG
from detainers.inbox.documents import (
    KINDS,
    SERVED_TYPES,
    document_file_name,
    document_page_png,
    document_pass_valid,
    document_purged_label,
    document_too_large_to_show,
    document_viewed,
)
from detainers.triage import selectors as visibility

# A stored document is never trusted as a page of this site: no sniffing, no scripts, no caching.
DOCUMENT_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "private, no-store",
}
SANDBOXED = "sandbox"
PLAIN_TEXT = "text/plain; charset=utf-8"
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


@role_required(Role.SUPERVISOR, Role.CLERK)
@require_GET
@xframe_options_sameorigin
def document(request, pk: int):
    """Who: supervisors; clerks of the document's precinct. Anyone else: 404."""
    stored = found_or_404(visibility.document_for_user(user=request.user, pk=pk), "document")
    if stored.purged_at:
        return _gone(stored)
    _look_record(request, stored)
    # Only the kinds the inbox shows are opened in the browser; anything else (a raw email kept by
    # the mailbox reader), a scan too large to draw, or a PDF with active content is downloaded.
    download = (
        stored.content_type not in KINDS
        or bool(stored.active_content)
        or bool(document_too_large_to_show(stored))
    )
    response = FileResponse(
        stored.file.open("rb"),
        content_type=SERVED_TYPES.get(stored.content_type, stored.content_type),
        filename=document_file_name(stored),
        as_attachment=download,
    )
    return _locked_down(response, pdf=stored.content_type == PDF and not download)


@role_required(Role.SUPERVISOR, Role.CLERK)
@require_GET
@xframe_options_sameorigin
def document_page(request, pk: int, n: int):
    """Who: as `document`. Page n of a TIFF fax as a PNG a browser can show; a page too large to
    draw (or damaged) is 422 with the reason as text, and was not looked at: no audit event."""
    stored = found_or_404(visibility.document_for_user(user=request.user, pk=pk), "document")
    if stored.purged_at:
        return _gone(stored)
    try:
        png = document_page_png(stored, n)
    except ValidationError as refusal:
        reason = " ".join(refusal.messages)
        return _locked_down(HttpResponse(reason, status=422, content_type=PLAIN_TEXT))
    if png is None:
        raise Http404("No such page.")
    _look_record(request, stored, page=n)
    response = HttpResponse(png, content_type=PNG)
    response["Content-Disposition"] = f'inline; filename="{document_file_name(stored, page=n)}"'
    return _locked_down(response)


def _look_record(request, stored, page: int | None = None) -> None:
    """A look, unless the request's page that embeds this viewer has recorded it (its pass)."""
    if not document_pass_valid(request.GET.get("pass", ""), actor=request.user, document=stored):
        document_viewed(actor=request.user, document=stored, page=page)


def _gone(stored) -> HttpResponse:
    """A document whose file was destroyed at the end of its retention period: 410, and why."""
    return _locked_down(
        HttpResponse(document_purged_label(stored), status=410, content_type=PLAIN_TEXT)
    )


def _locked_down(response: HttpResponse, pdf: bool = False) -> HttpResponse:
    for header, value in DOCUMENT_HEADERS.items():
        response[header] = value
    response["Content-Security-Policy"] = PDF_POLICY if pdf else SANDBOXED
    return response
