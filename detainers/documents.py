"""Recognising a document by its content, never by its name, and counting its pages."""

import hashlib
import io
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError

PDF = "application/pdf"
TIFF = "image/tiff"
PNG = "image/png"
JPEG = "image/jpeg"
SCAN_TYPES = (PDF, TIFF, PNG, JPEG)  # what a clerk's scanner produces
FAX_TYPES = (PDF, TIFF)  # what a fax gateway sends

_SIGNATURES = [
    (b"%PDF-", PDF),
    (b"II*\x00", TIFF),
    (b"MM\x00*", TIFF),
    (b"\x89PNG\r\n\x1a\n", PNG),
    (b"\xff\xd8\xff", JPEG),
]
_NAMES = {PDF: "PDF", TIFF: "TIFF", PNG: "PNG", JPEG: "JPEG"}


@dataclass(frozen=True)
class CheckedDocument:
    name: str
    content: bytes
    content_type: str
    sha256: str
    pages: int | None


def content_type_of(content: bytes) -> str | None:
    head = content[:16]
    for signature, content_type in _SIGNATURES:
        if head.startswith(signature):
            return content_type
    return None


def page_count(content: bytes, content_type: str) -> int | None:
    """Pages of a PDF or TIFF (1 for a picture); None when the file cannot be read that far."""
    if content_type in (PNG, JPEG):
        return 1
    try:
        if content_type == PDF:
            from pypdf import PdfReader

            return len(PdfReader(io.BytesIO(content)).pages)
        from PIL import Image

        with Image.open(io.BytesIO(content)) as image:
            return getattr(image, "n_frames", 1)
    except Exception:  # noqa: BLE001 - a file we cannot count is still kept; pages stay unknown
        return None


def document_check(*, name: str, content: bytes, allowed: tuple[str, ...] = SCAN_TYPES) -> CheckedDocument:
    """Refuse what is empty, too large or not one of `allowed`, with a message that says how to fix it."""
    kinds = ", ".join(_NAMES[kind] for kind in allowed)
    if not content:
        raise ValidationError(f"The file {name!r} is empty. Scan or export the fax again.", code="empty")
    limit = settings.MAX_DOCUMENT_BYTES
    if len(content) > limit:
        raise ValidationError(
            f"The file is {len(content) / 1_048_576:.1f} MB; the limit is {limit / 1_048_576:.0f} MB. "
            "Scan at a lower resolution or split it.",
            code="too_large",
        )
    content_type = content_type_of(content)
    if content_type not in allowed:
        raise ValidationError(
            f"{name!r} is not a {kinds} file, whatever its name says. Upload the scan as {kinds}.",
            code="wrong_type",
        )
    return CheckedDocument(
        name=name[:255] or "document",
        content=content,
        content_type=content_type,
        sha256=hashlib.sha256(content).hexdigest(),
        pages=page_count(content, content_type),
    )
