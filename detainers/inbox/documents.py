"""Documents as the inbox shows them: how each kind is shown, a fax page as PNG, and the audit
event every look at one writes.

A look is a person opening a document: the document view, a page of it, or the request's page that
shows it. The request's page records one look per document and sitting (`document_opened`: shown
again within LOOK_SITTING, after a save, it is the same look) and gives the viewer it embeds a
signed pass (`document_pass`), so the PDF and the fax pages it draws are not each recorded again.

A page is drawn (here as PNG, or by the browser for a scan) only within the pixel budget
(detainers.core.budget, MAX_SHOWN_PIXELS), judged from the file's headers: a page over it is never
decoded, the request's page says "Kept, too large to show: ..." and the file can still be downloaded.
"""

import io
import logging
from dataclasses import dataclass
from datetime import timedelta

from django.core import signing
from django.core.exceptions import ValidationError
from django.utils import timezone

from detainers.core.audit import event_record
from detainers.core.budget import Use, frame_budget, image_budget, image_header, shown_size
from detainers.core.documents import JPEG, MAX_PAGES, PDF, PNG, TEXT, TIFF
from detainers.models import Document, Event, Extraction

logger = logging.getLogger(__name__)

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
SHOWN = ("pdf", "tiff", "image", "text")  # the kinds the request's page shows in its viewer
PASS_SALT = "detainers.inbox.document_pass"
PASS_MAX_AGE = 12 * 60 * 60  # a session's longest life (accounts.session_limits)
LOOK_SITTING = timedelta(minutes=30)  # the idle time that ends a session (SESSION_IDLE_MINUTES)


@dataclass(frozen=True)
class ShownDocument:
    document: Document
    kind: str  # "pdf", "tiff", "image", "text", "file" (a link only) or "purged": how it shows
    label: str
    pages: range
    text: str = ""  # kind "text": the first TEXT_SHOWN_BYTES, decoded
    text_cut: bool = False
    extraction: Extraction | None = None  # its reading, if it is one the app reads
    too_large: str = ""  # "Kept, too large to show: ...": said instead of drawing its pages
    pass_token: str = ""  # document_pass: the embedded viewer's look was recorded by the page

    @property
    def shown_here(self) -> bool:
        """Drawn on the request's page (so opening the page is a look at it)."""
        return self.kind in SHOWN and not self.too_large


def document_shown(document: Document) -> ShownDocument:
    """How the request's page shows a document (a text one read here, up to TEXT_SHOWN_BYTES)."""
    if document.purged_at:  # its file was destroyed at the end of its retention (detainers.records)
        return ShownDocument(document, "purged", document_purged_label(document), range(0))
    label = DOWNLOAD_LABELS.get(document.content_type, document.content_type)
    kind, label = KINDS.get(document.content_type, ("file", label))
    pages = range(1, (document.pages or 0) + 1)
    extraction = getattr(document, "extraction", None)
    if kind in ("tiff", "image"):
        too_large = document_too_large_to_show(document)
        return ShownDocument(
            document, kind, label, pages, extraction=extraction, too_large=too_large
        )
    if document.active_content:  # a PDF kept from the mailbox: never opened in the browser
        label = f"{label}: {document.active_content}; download only, open it with care"
        return ShownDocument(document, "file", label, pages, extraction=extraction)
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


def document_purged_label(document: Document) -> str:
    destroyed = timezone.localdate(document.purged_at)
    return (
        f"Destroyed on {destroyed:%Y-%m-%d} at the end of its retention period "
        f"(its size and SHA-256 {document.sha256[:12]}… are kept)"
    )


def document_file_name(document: Document, page: int | None = None) -> str:
    """Receipt number and position, never the sender's file name, which may carry personal data."""
    position = document.delivery.documents.filter(pk__lt=document.pk).count() + 1
    if page is not None:
        return f"{document.delivery.receipt_number}-{position}-page-{page}.png"
    extension = EXTENSIONS.get(document.content_type, "bin")
    return f"{document.delivery.receipt_number}-{position}.{extension}"


def document_viewed(*, actor, document: Document, page: int | None = None) -> None:
    """Every look at a document is an audit event, with who looked."""
    changes = {"document": (None, document.pk)}
    if page is not None:
        changes["page"] = (None, page)
    event_record(action="document_viewed", actor=actor, delivery=document.delivery, changes=changes)


def document_opened(*, actor, document: Document) -> str:
    """The request's page shows `document` to `actor`: one look per sitting (none recorded when
    their last look at the whole document from that page was within LOOK_SITTING), and the pass
    for the viewer the page embeds."""
    since = timezone.now() - LOOK_SITTING
    recent = Event.objects.filter(
        action="document_viewed", actor=actor, delivery_id=document.delivery_id, at__gte=since
    ).values_list("changes", flat=True)
    if not any(changes == {"document": [None, document.pk]} for changes in recent):
        document_viewed(actor=actor, document=document)
    return document_pass(actor=actor, document=document)


def document_pass(*, actor, document: Document) -> str:
    """A signed pass for the viewer embedded in the request's page, once that page has recorded
    `actor`'s look at `document`: the document view serves the embedded copy without a second event."""
    return signing.dumps({"document": document.pk, "actor": actor.pk}, salt=PASS_SALT)


def document_pass_valid(token: str, *, actor, document: Document) -> bool:
    """Whether `token` is a pass for this actor and document, given in the last PASS_MAX_AGE."""
    if not token:
        return False
    try:
        held = signing.loads(token, salt=PASS_SALT, max_age=PASS_MAX_AGE)
    except signing.BadSignature:  # tampered with, another's, or expired
        return False
    return held == {"document": document.pk, "actor": actor.pk}


def document_too_large_to_show(document: Document) -> str:
    """Why the document's pages are not drawn (budget.py), or "" when they all fit; headers only.
    A file that cannot be opened says so where it is shown (its pages are unknown). A PDF is drawn
    by the browser's own viewer, a text is not drawn: "" for those."""
    if document.content_type not in (TIFF, PNG, JPEG):
        return ""
    try:
        with document.file.open("rb") as stored:
            with image_header(stream=stored, content_type=document.content_type) as image:
                overrun = image_budget(image=image, uses=(Use.SHOW,), pages=MAX_PAGES)
    except Exception:  # noqa: BLE001 - unreadable headers: the page says the pages could not be read
        logger.warning("document %s: its pages' sizes could not be read", document.pk)
        return ""
    return str(overrun) if overrun is not None else ""


def document_page_png(document: Document, n: int) -> bytes | None:
    """Page n (from 1) of a TIFF as PNG, stretched to square pixels (fax lines are often 2:1, and a
    stretch beyond budget.MAX_STRETCH is no fax's: not followed). None when there is no such page;
    ValidationError, before anything is decoded, when the page is over the budget for showing."""
    if document.content_type != TIFF or not 1 <= n <= MAX_PAGES:
        return None
    with (
        document.file.open("rb") as stored,
        image_header(stream=stored, content_type=TIFF) as image,
    ):
        try:
            image.seek(n - 1)
        except EOFError:
            return None
        overrun = frame_budget(image=image, number=n, use=Use.SHOW)
        if overrun is not None:
            raise ValidationError(str(overrun), code="too_large_to_show")
        size = shown_size(image)
        try:
            page = image.convert("L")
        except (OSError, SyntaxError, ValueError) as error:  # the mailbox keeps damaged files too
            raise ValidationError(
                f"Page {n} could not be drawn: the file is damaged. Download it to open it.",
                code="unreadable",
            ) from error
        if page.size != size:
            page = page.resize(size)
        out = io.BytesIO()
        page.save(out, format="PNG", optimize=True)
    return out.getvalue()
