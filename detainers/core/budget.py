"""How many pixels a document becomes when it is read or shown, told from its headers alone.

Anyone can email the central address and a fax gateway posts whatever its line received, so a file
of a few hundred bytes may declare a page of 30,000 x 30,000 pixels: reading it for OCR, or drawing
it as the inbox's PNG, would take gigabytes. Every way a document is decoded first asks here:

- intake's `document_check` refuses what a clerk or a gateway uploads over budget; the mailbox keeps
  everything (it never refuses) and the reading and the page view ask again;
- the reading (detainers.extraction.reading) does not decode or rasterise a page over budget:
  the extraction fails with "Kept, too large to read: ..." and the next document is read;
- the inbox (detainers.inbox.documents) shows "Kept, too large to show: ..." instead of the page.

Nothing is decoded here: Pillow reads an image's header (`image_header`), each TIFF frame is
reached by `seek` (its header only, and no further than asked: Pillow's `n_frames` walks every frame,
2.5 minutes for a 23 MB TIFF of 140,000 empty ones), and a PDF page gives its MediaBox and each
image's /Width and /Height (and the header of a JPEG or JPEG 2000 inside, which is what gets
decoded). The budgets are settings: MAX_PAGE_PIXELS for reading, MAX_SHOWN_PIXELS for showing.
An overrun's reason holds numbers only, never the document's content.
"""

import io
import math
from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum

from django.conf import settings
from PIL import Image, Jpeg2KImagePlugin, JpegImagePlugin, PngImagePlugin, TiffImagePlugin
from pypdf import PdfReader
from pypdf.generic import ArrayObject, DictionaryObject, StreamObject

from detainers.core.documents import JPEG, MAX_PAGES, PDF, PNG, TIFF

READING_DPI = 300  # ocr.py stretches every page image to this resolution (OCR_DPI)
# A fax's pixels are up to 2:1 (204 x 98 dpi) and are stretched to square ones to be shown; a
# ratio beyond this is no fax's, only a trick (dpi 200 x 1 made a 1000 x 1000 page 200,000 tall).
MAX_STRETCH = 4
_IMAGE_OPENERS = {
    TIFF: TiffImagePlugin.TiffImageFile,
    PNG: PngImagePlugin.PngImageFile,
    JPEG: JpegImagePlugin.JpegImageFile,
}
# Images inside a PDF that pypdf hands to Pillow whole, by the PDF filter that holds them.
_EMBEDDED_OPENERS = {
    "/DCTDecode": JpegImagePlugin.JpegImageFile,
    "/DCT": JpegImagePlugin.JpegImageFile,
    "/JPXDecode": Jpeg2KImagePlugin.Jpeg2KImageFile,
}
_LETTER_WIDTH_INCHES = 8.5
_FORM_NESTING = 8  # form XObjects inside form XObjects, as deep as a writer ever goes


class Use(StrEnum):
    READ = "read"  # OCR at READING_DPI (extraction)
    SHOW = "show"  # a page drawn for the inbox (a TIFF page as PNG, a scan in the browser)


EVERY_USE = (Use.READ, Use.SHOW)


@dataclass(frozen=True)
class Overrun:
    """What is too big and why: `reason` holds sizes only, e.g. "page 1 is 100 x 100 inches, ..."."""

    use: Use
    reason: str

    def __str__(self) -> str:
        return f"Kept, too large to {self.use}: {self.reason}."


def page_budget(use: Use) -> int:
    return settings.MAX_PAGE_PIXELS if use == Use.READ else settings.MAX_SHOWN_PIXELS


def document_budget(
    *,
    content: bytes,
    content_type: str,
    uses: tuple[Use, ...] = EVERY_USE,
    pages: int = MAX_PAGES,
    pdf_reader=None,
) -> Overrun | None:
    """The first thing too big in the first `pages` pages, for any of `uses`; None when all fit.

    A PDF is judged for reading only (a browser's own viewer draws it); `pdf_reader` is the PDF
    already opened by the caller (intake's check), so it is not parsed again. A file damaged too
    badly to read its headers is left to the checks that follow (intake's, or the reading's own
    error)."""
    try:
        if content_type == PDF:
            if Use.READ not in uses:
                return None
            return pdf_budget(content=content, pages=pages, reader=pdf_reader)
        if content_type in _IMAGE_OPENERS:
            with image_header(content=content, content_type=content_type) as image:
                return image_budget(image=image, uses=uses, pages=pages)
    except Exception:  # noqa: BLE001 - a file whose headers cannot be read is judged after this
        return None
    return None


# --- Images: TIFF (every frame), PNG and JPEG -----------------------------------------------------


def image_header(*, content: bytes | None = None, stream=None, content_type: str) -> Image.Image:
    """The image with its header read and nothing decoded. Opened with the format's own class,
    not Image.open, whose bomb check would refuse a 30,000 x 30,000 page before its size is known:
    the budget says it instead, and lower."""
    return _IMAGE_OPENERS[content_type](stream if stream is not None else io.BytesIO(content))


def image_budget(
    *, image: Image.Image, uses: tuple[Use, ...] = EVERY_USE, pages: int = MAX_PAGES
) -> Overrun | None:
    """Frames 1 to `pages` of a TIFF (a PNG or JPEG is one page), each within budget; when it is to
    be shown, also no more than `pages` pages (the inbox puts every page on the request's page)."""
    frames = frames_counted(image, up_to=pages)
    if Use.SHOW in uses and frames > pages:
        return Overrun(Use.SHOW, f"it has more than {pages:,} pages")
    try:
        for number in range(1, min(frames, pages) + 1):
            image.seek(number - 1)
            for use in uses:
                overrun = frame_budget(image=image, number=number, use=use)
                if overrun is not None:
                    return overrun
    finally:
        image.seek(0)
    return None


def frame_budget(*, image: Image.Image, number: int, use: Use) -> Overrun | None:
    """The frame `image` is at (page `number`): its pixels as decoded, and as read (stretched to
    READING_DPI) or as shown (stretched to square pixels), within the budget for `use`."""
    limit = page_budget(use)
    if not _within(image.width * image.height, limit):
        return Overrun(use, _reason(f"page {number} is", image.size, use, limit))
    width, height = reading_size(image) if use == Use.READ else shown_size(image)
    if not _within(width * height, limit):
        at = f" at {READING_DPI} dpi" if use == Use.READ else " with square pixels"
        return Overrun(use, _reason(f"page {number} would be", (width, height), use, limit, at))
    return None


def frames_counted(image: Image.Image, *, up_to: int) -> int:
    """The image's frames, counted no further than up_to + 1. A PNG or JPEG is one page (seeking an
    animated PNG decodes every frame before it, and no scanner writes one)."""
    if image.format != "TIFF":
        return 1
    start, count = image.tell(), 1
    try:
        while count <= up_to:
            image.seek(count)
            count += 1
    except EOFError:
        pass
    finally:
        image.seek(start)
    return count


def frame_dpi(image: Image.Image) -> tuple[float, float]:
    """The frame's resolution; without a believable one, guessed from a letter page's width.
    Missing, "72 dpi" written by a program that did not know, or 1 dpi on one axis: whatever makes
    the page wider than 14 inches or coarser than 50 dpi is not believed."""
    x, y = _dpi_of(image)
    if x < 50 or y < 50 or image.width / x > 14:
        x = y = image.width / _LETTER_WIDTH_INCHES
    return x, y


def reading_size(image: Image.Image) -> tuple[int, int]:
    """The frame as ocr.py prepares it: stretched to READING_DPI on each axis (ocr_prepare)."""
    x, y = frame_dpi(image)
    return _rounded(image.width * READING_DPI / x), _rounded(image.height * READING_DPI / y)


def shown_size(image: Image.Image) -> tuple[int, int]:
    """The frame as the inbox draws a TIFF page: its height stretched by x/y dpi to square pixels,
    unless the ratio is beyond MAX_STRETCH (then it is drawn as stored). A PNG or JPEG is shown as
    it is, by the browser."""
    width, height = image.size
    x, y = _dpi_of(image)
    if image.format != "TIFF" or not (x and y) or not 1 / MAX_STRETCH <= x / y <= MAX_STRETCH:
        return width, height
    return width, max(1, round(height * x / y))


def _dpi_of(image: Image.Image) -> tuple[float, float]:
    try:
        x, y = (float(value) for value in image.info.get("dpi") or (0, 0))
    except (TypeError, ValueError, ZeroDivisionError):
        return 0.0, 0.0
    if not (math.isfinite(x) and math.isfinite(y) and x > 0 and y > 0):
        return 0.0, 0.0
    return x, y


# --- PDF: page boxes and the images on them --------------------------------------------------------


def pdf_budget(*, content: bytes, pages: int = MAX_PAGES, reader=None) -> Overrun | None:
    """Pages 1 to `pages`, each as `pdf_page_budget` judges it; `reader`: `content` already
    opened (and decrypted), to spare parsing it again."""
    if reader is None:
        reader = PdfReader(io.BytesIO(content))
        if reader.is_encrypted:
            reader.decrypt("")
    for number, page in enumerate(reader.pages[:pages], start=1):
        overrun = pdf_page_budget(page=page, number=number)
        if overrun is not None:
            return overrun
    return None


def pdf_page_budget(*, page, number: int) -> Overrun | None:
    """A page read by OCR: each image on it is stretched over the page at READING_DPI (reading.py),
    so the page box at that resolution, and each image as decoded, must fit MAX_PAGE_PIXELS."""
    limit = page_budget(Use.READ)
    width, height = page_inches(page)
    pixels = (width * READING_DPI) * (height * READING_DPI)
    if not _within(pixels, limit):
        size = (width * READING_DPI, height * READING_DPI)
        inches = f"page {number} is {width:,.0f} x {height:,.0f} inches,"
        return Overrun(Use.READ, _reason(inches, size, Use.READ, limit, f" at {READING_DPI} dpi"))
    for size in _pdf_image_sizes(page):
        if not _within(size[0] * size[1], limit):
            return Overrun(
                Use.READ, _reason(f"an image on page {number} is", size, Use.READ, limit)
            )
    return None


def page_inches(page) -> tuple[float, float]:
    """The page's width and height in inches (a page without a size is taken as a letter page)."""
    width = abs(float(page.mediabox.width)) / 72 or _LETTER_WIDTH_INCHES
    height = abs(float(page.mediabox.height)) / 72 or 11.0
    return width, height


def _pdf_image_sizes(page) -> Iterator[tuple[float, float]]:
    """Every size an image on the page declares: image XObjects, in forms too, with their masks,
    and inline images in the page's content (what pypdf's page.images decodes)."""
    yield from _xobject_image_sizes(page, depth=0, seen=set())
    contents = page.get_contents()
    if contents is None or b"BI" not in contents.get_data():
        return  # no inline image: the content is not parsed for one
    for operands, operator in contents.operations:
        if operator == b"INLINE IMAGE":
            yield from _image_sizes(operands["settings"], operands["data"])


def _xobject_image_sizes(owner, *, depth: int, seen: set) -> Iterator[tuple[float, float]]:
    resources = owner.get("/Resources")
    resources = resources.get_object() if resources is not None else None
    if not isinstance(resources, DictionaryObject):
        return
    xobjects = resources.get("/XObject")
    xobjects = xobjects.get_object() if xobjects is not None else None
    if not isinstance(xobjects, DictionaryObject):
        return
    for name in xobjects:
        entry = xobjects[name]
        if not isinstance(entry, StreamObject) or id(entry) in seen:
            continue
        seen.add(id(entry))
        if entry.get("/Subtype") == "/Image":
            yield from _image_sizes(entry, None)
            for mask in ("/SMask", "/Mask"):
                masked = entry.get(mask)
                masked = masked.get_object() if masked is not None else None
                if isinstance(masked, StreamObject):
                    yield from _image_sizes(masked, None)
        elif depth < _FORM_NESTING:
            yield from _xobject_image_sizes(entry, depth=depth + 1, seen=seen)


def _image_sizes(image: DictionaryObject, data: bytes | None) -> Iterator[tuple[float, float]]:
    """The sizes an image declares: /Width x /Height (/W x /H inline), a CCITT fax's /Columns x
    /Rows, and for a JPEG or JPEG 2000 inside, its own header, which is what pypdf decodes."""
    width = _number(image, "/Width", "/W")
    height = _number(image, "/Height", "/H")
    yield width, height
    filters = image.get("/Filter") or image.get("/F")
    filters = filters.get_object() if filters is not None else []
    filters = list(filters) if isinstance(filters, ArrayObject) else [filters]
    parameters = image.get("/DecodeParms") or image.get("/DP")
    parameters = parameters.get_object() if parameters is not None else None
    if isinstance(parameters, ArrayObject):
        parameters = parameters[-1].get_object() if parameters else None
    if filters and filters[-1] in ("/CCITTFaxDecode", "/CCF"):
        known = parameters if isinstance(parameters, DictionaryObject) else {}
        yield _number(known, "/Columns") or 1728, _number(known, "/Rows") or height
    if filters and filters[-1] in _EMBEDDED_OPENERS:
        try:
            encoded = data if data is not None else image.get_data()
            with _EMBEDDED_OPENERS[filters[-1]](io.BytesIO(encoded)) as embedded:  # its header
                size = embedded.size
        except Exception:  # noqa: BLE001 - a header Pillow cannot read, it cannot decode either
            return
        yield size


def _number(found, *keys: str) -> float:
    for key in keys:
        value = found.get(key)
        value = value.get_object() if hasattr(value, "get_object") else value
        if isinstance(value, int | float):
            return abs(float(value))
    return 0.0


# --- Reasons ----------------------------------------------------------------------------------------


def _within(pixels: float, limit: int) -> bool:
    return pixels <= limit  # False for NaN, and for infinity from an absurd page box


def _rounded(value: float) -> int:
    return round(value) if math.isfinite(value) else 2**63


def _reason(what: str, size: tuple[float, float], use: Use, limit: int, at: str = "") -> str:
    width, height = size
    verb = "read" if use == Use.READ else "shown"
    return (
        f"{what} {width:,.0f} x {height:,.0f} pixels{at} ({_millions(width * height)}), "
        f"far larger than a page: at most {_millions(limit)} are {verb}"
    )


def _millions(pixels: float) -> str:
    if not math.isfinite(pixels):
        return "more pixels than can be counted"
    return f"{pixels / 1_000_000:,.0f} million pixels"
