"""Documents as the inbox shows them: how each kind is shown, a fax page as PNG, and the audit
event every look at one writes."""

import io
import logging
from dataclasses import dataclass

from PIL import Image

from detainers.core.audit import event_record
from detainers.core.documents import JPEG, PDF, PNG, TEXT, TIFF
from detainers.models import Document, Extraction

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


@dataclass(frozen=True)
class ShownDocument:
    document: Document
    kind: str  # "pdf", "tiff", "image", "text" or "file" (a link only): how the page shows it
    label: str
    pages: range
    text: str = ""  # kind "text": the first TEXT_SHOWN_BYTES, decoded
    text_cut: bool = False
    extraction: Extraction | None = None  # its reading, if it is one the app reads


def document_shown(document: Document) -> ShownDocument:
    """How the request's page shows a document (a text one read here, up to TEXT_SHOWN_BYTES)."""
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


def document_page_png(document: Document, n: int) -> bytes | None:
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
