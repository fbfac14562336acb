"""Text out of a document: a PDF's text layer, plain text, or Tesseract's reading of a fax, scan or photo.

`document_text(content=..., content_type=...)` is the one entry. It never touches the database and
raises `ReadingError` (with a reason a supervisor can read, never the document's content) when the
document cannot be read. Only the first MAX_PAGES pages are read: a detainer packet is one to three
pages, and a 60-page fax is somebody's mistake that should not hold a worker for minutes.
DocumentText.pages_skipped says when a document had more than MAX_PAGES.

This module gets the pages: plain text, a PDF's text layer, the images of a PDF page without one,
the frames of a TIFF, PNG or JPEG, and the resolution of each. The images are read by ocr.py. A text
layer is checked first (layers.py): one that reads as garbage or covers only part of its page's
picture is read again by OCR, and a scanner's OCR layer is trusted as OCR, not as typed text.
No page is decoded or stretched for OCR before the pixel budget (detainers.core.budget) has judged
it from its headers: one over it fails the reading with "Kept, too large to read: ...".
"""

import io

from pypdf import PdfReader

from detainers.core.budget import (
    Use,
    frame_dpi,
    frames_counted,
    image_budget,
    image_header,
    page_inches,
    pdf_page_budget,
)
from detainers.core.documents import MAX_PAGES as MAX_COUNTED_PAGES
from detainers.extraction.layers import layer_check
from detainers.extraction.ocr import ocr_lines
from detainers.extraction.text import DocumentText, Line, OcrMissing, ReadingError, Word

MAX_PAGES = 10
TEXT_LAYER_MIN_CHARACTERS = 20  # fewer on a page: a scan with a stray text fragment, OCR it
IMAGE_TYPES = ("image/tiff", "image/png", "image/jpeg")
MIN_PAGE_IMAGE_PIXELS = 300  # smaller images on a PDF page are logos or stamps


def document_text(*, content: bytes, content_type: str) -> DocumentText:
    if content_type == "text/plain":
        return _plain_text(content)
    if content_type == "application/pdf":
        return _pdf_text(content)
    if content_type in IMAGE_TYPES:
        return _image_text(content, content_type)
    raise ReadingError(f"Documents of type {content_type!r} cannot be read automatically.")


# --- Plain text and text layers ---------------------------------------------------------------------


def _plain_text(content: bytes) -> DocumentText:
    # Email bodies are decoded to UTF-8 by the mailbox; a stray byte must not lose the whole form.
    pages = content.decode("utf-8", errors="replace").split("\f")
    lines = tuple(
        line for number, page in enumerate(pages, 1) for line in _text_lines(page, number)
    )
    return DocumentText(method="plain_text", pages=len(pages), lines=lines)


def _text_lines(text: str, page: int, *, confidence: float = 1.0) -> list[Line]:
    lines = []
    for raw in text.splitlines():
        words = tuple(Word(word, confidence) for word in raw.split())
        if words:
            lines.append(Line(page=page, words=words))
    return lines


def _pdf_text(content: bytes) -> DocumentText:
    reader = _pdf_reader(content)
    try:
        total = len(reader.pages)
        lines: list[Line] = []
        method = "text_layer"
        for number, page in enumerate(reader.pages[:MAX_PAGES], start=1):
            layer = page.extract_text(extraction_mode="layout")
            if len(layer.replace(" ", "").strip()) >= TEXT_LAYER_MIN_CHARACTERS:
                page_lines, read_again = _text_layer_read(page, layer, number)
                lines += page_lines
                method = "ocr" if read_again else method
                continue
            method = "ocr"
            lines += _pdf_page_ocr(page, number)
    except ReadingError:
        raise
    except Exception as error:  # pypdf raises many kinds on damaged files, some not its own
        raise ReadingError("The PDF is damaged: its pages could not be read.") from error
    read = min(total, MAX_PAGES)
    return DocumentText(method=method, pages=read, lines=tuple(lines), pages_skipped=total - read)


def _pdf_reader(content: bytes) -> PdfReader:
    if not content.lstrip()[:5].startswith(b"%PDF"):
        raise ReadingError("The file is not a PDF (it does not start like one).")
    try:
        reader = PdfReader(io.BytesIO(content))
        if reader.is_encrypted and not reader.decrypt(""):
            raise ReadingError("The PDF is password-protected; ask the sender for an open copy.")
        if len(reader.pages) == 0:
            raise ReadingError("The PDF has no pages.")
    except ReadingError:
        raise
    except Exception as error:
        raise ReadingError("The PDF is damaged: it could not be opened.") from error
    return reader


def _text_layer_read(page, layer: str, number: int) -> tuple[list[Line], bool]:
    """The layer's lines, each word as sure as the layer is (layers.py); the page read again by
    OCR instead when the layer is garbage or covers only part of its picture. (lines, read again)"""
    # The picture is decoded only within the pixel budget; over it, the layer is judged alone.
    within_budget = pdf_page_budget(page=page, number=number) is None
    picture = _page_picture(page) if within_budget else None
    check = layer_check(page=page, layer=layer, picture=picture)
    if check.garbage or check.partial:
        try:
            lines = _pdf_page_ocr(page, number)
        except OcrMissing:
            if check.garbage:
                raise
            lines = []  # part of the page is better than none: the layer, as little trusted
        if lines:
            return lines, True
    return _text_lines(layer, number, confidence=check.confidence), False


def _page_picture(page):
    """The largest image on the page that could be a picture of it (a scan's or a fax's), or None."""
    pictures = [
        embedded.image
        for embedded in page.images
        if min(embedded.image.size) >= MIN_PAGE_IMAGE_PIXELS
    ]
    return max(pictures, key=lambda image: image.width * image.height, default=None)


def _pdf_page_ocr(page, number: int) -> list[Line]:
    """OCR of the images on a page without a text layer (a scan or a fax: one image a page).

    The resolution is the image's pixels over the page's inches, on each axis: a fax gateway's
    PDF keeps the fax's 204x98 or 204x196 dpi pixels and stretches them over the page."""
    overrun = pdf_page_budget(page=page, number=number)
    if overrun is not None:
        raise ReadingError(str(overrun))
    width, height = page_inches(page)
    lines: list[Line] = []
    for embedded in page.images:
        image = embedded.image
        if min(image.size) < MIN_PAGE_IMAGE_PIXELS:
            continue  # a logo or a signature stamp, no form text
        lines += ocr_lines(image, page=number, dpi=(image.width / width, image.height / height))
    return lines


# --- Images -------------------------------------------------------------------------------------------


def _image_text(content: bytes, content_type: str) -> DocumentText:
    """The first MAX_PAGES frames, each decoded and read in turn once all of them fit the budget."""
    try:
        image = image_header(content=content, content_type=content_type)
        total = frames_counted(image, up_to=MAX_COUNTED_PAGES)
        overrun = image_budget(image=image, uses=(Use.READ,), pages=MAX_PAGES)
    except Exception as error:  # Pillow raises many kinds on a damaged header
        raise ReadingError("The image is damaged or not an image.") from error
    if overrun is not None:
        raise ReadingError(str(overrun))
    read = min(total, MAX_PAGES)
    lines: list[Line] = []
    for number in range(1, read + 1):
        try:
            image.seek(number - 1)
            image.load()  # one frame in memory at a time
        except (OSError, SyntaxError, ValueError, EOFError) as error:
            raise ReadingError("The image is damaged or not an image.") from error
        lines += ocr_lines(image, page=number, dpi=frame_dpi(image))
    return DocumentText(method="ocr", pages=read, lines=tuple(lines), pages_skipped=total - read)
