"""Recognising a document by its content, never by its name, and counting its pages.

What a clerk or a fax gateway uploads must also be whole and inert (`document_check`): a PDF must
end with its end-of-file marker, open in pypdf and hold no JavaScript, launch action or embedded
file; every page of a TIFF, and a PNG or JPEG, must decode in Pillow. And it must fit the pixel
budget (budget.py: no page of 30,000 x 30,000 pixels in a file of a few hundred bytes), judged from
its headers before anything is decoded. The mailbox keeps whatever is sent (intake.file_check)
and does not come through here.
"""

import hashlib
import io
import re
import warnings
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat

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
    # What makes a PDF kept from the mailbox unsafe to open in a browser (pdf_active_content);
    # empty for everything else. Intake refuses such a PDF instead.
    active_content: str = ""


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

            reader = PdfReader(io.BytesIO(content))
            # The page tree's own total: walking the tree costs twice as much as opening the file.
            declared = reader.root_object["/Pages"].get("/Count")
            if isinstance(declared, int) and 0 < declared <= MAX_PAGES:
                return int(declared)
            return len(reader.pages)
        from detainers.core import budget  # it builds on this module's types

        with budget.image_header(content=content, content_type=content_type) as image:
            # Counted no further than MAX_PAGES: n_frames walks every frame, minutes for a TIFF
            # of 140,000 empty ones. More than that is a count nobody could check: unknown.
            frames = budget.frames_counted(image, up_to=MAX_PAGES)
            return frames if frames <= MAX_PAGES else None
    except Exception:  # noqa: BLE001 - a file we cannot count is still kept; pages stay unknown
        return None


def size_check(size: int, *, advice: str) -> None:
    """Refuse a file over MAX_DOCUMENT_BYTES (an upload before it is read, or bytes in hand), with
    `advice` on what to do instead. Every upload and every channel checks sizes with this."""
    limit = settings.MAX_DOCUMENT_BYTES
    if size > limit:
        raise ValidationError(
            f"The file is {filesizeformat(size)}; the limit is {filesizeformat(limit)}. {advice}",
            code="too_large",
        )


def document_check(
    *, name: str, content: bytes, allowed: tuple[str, ...] = SCAN_TYPES
) -> CheckedDocument:
    """Refuse what is empty, too large or not one of `allowed`, with a message that says how to fix it."""
    kinds = ", ".join(_NAMES[kind] for kind in allowed)
    if not content:
        raise ValidationError(
            f"The file {name!r} is empty. Scan or export the fax again.", code="empty"
        )
    size_check(len(content), advice="Scan at a lower resolution or split it.")
    content_type = content_type_of(content)
    if content_type not in allowed:
        raise ValidationError(
            f"{name!r} is not a {kinds} file, whatever its name says. Upload the scan as {kinds}.",
            code="wrong_type",
        )
    checked = _pdf_check if content_type == PDF else _image_check
    return CheckedDocument(
        name=name[:255] or "document",
        content=content,
        content_type=content_type,
        sha256=hashlib.sha256(content).hexdigest(),
        pages=checked(name, content, content_type),
    )


# --- Whole and inert ---------------------------------------------------------------------------

MAX_PAGES = 1000  # more pages than any fax; decoding them all would only cost time
# PDF names that run code or carry files: JavaScript (/JS, /JavaScript, also as an /OpenAction or
# an /AA trigger), launching a program (/Launch), files inside the PDF (/EmbeddedFile(s)) and
# Flash or video players (/RichMedia). A scanner or a fax gateway never writes any of them.
ACTIVE_NAMES = frozenset(
    {"JS", "JavaScript", "Launch", "EmbeddedFile", "EmbeddedFiles", "RichMedia"}
)
# Actions that reach outside the document: open a link, send a form's fields, open another file,
# import data, play media. Found by the parsed walk only (as names, never as raw bytes: "/URI" or
# "/Sound" can stand in a compressed stream or an XMP address by chance). A scanned or faxed page
# has none; a plain /GoTo (to a page of the same document) is harmless and stays allowed.
ACTION_NAMES = frozenset(
    {"URI", "SubmitForm", "GoToR", "GoToE", "ImportData", "Rendition", "Movie", "Sound", "XFA"}
)
# The same names in the raw bytes, each character also as a #xx escape (/J#61vaScript is
# /JavaScript). /JS is left out: two letters occur by chance in compressed data; the parsed walk
# below finds it.
_LONG_NAMES = [name for name in sorted(ACTIVE_NAMES) if len(name) > 2]


def _escapable(name: str) -> bytes:
    return b"".join(b"(?:%s|#%x)" % (re.escape(char.encode()), ord(char)) for char in name)


_ACTIVE_BYTES = re.compile(
    rb"/(?:" + b"|".join(_escapable(name) for name in _LONG_NAMES) + rb")(?![^\s/<>\[\]()%{}])",
    re.IGNORECASE,
)


def _refuse_active(name: str) -> ValidationError:
    return ValidationError(
        f"{name!r} is a PDF with active content (JavaScript, an action that opens a link, sends a "
        "form or opens another file, a launch action or an embedded file), which is not accepted. Scan the paper fax again, or print the file to a new PDF, "
        "and upload that.",
        code="active_content",
    )


def _pdf_check(name: str, content: bytes, content_type: str = PDF) -> int:
    """The number of pages of a whole PDF without active content; refuses anything else."""
    if b"%%EOF" not in content[-1024:]:
        raise ValidationError(
            f"{name!r} is not a whole PDF: it stops before the end-of-file marker, so the scan or "
            "the transfer was cut short. Scan or send it again.",
            code="truncated",
        )
    if _ACTIVE_BYTES.search(content):
        raise _refuse_active(name)
    from pypdf import PdfReader

    unreadable = ValidationError(
        f"{name!r} is a damaged PDF that cannot be opened. Scan or export it again.",
        code="unreadable",
    )
    try:
        reader = PdfReader(io.BytesIO(content))
        if reader.is_encrypted and not reader.decrypt(""):
            raise ValidationError(
                f"{name!r} is protected by a password. Save or scan it again without one.",
                code="encrypted",
            )
        pages = len(reader.pages)
        active = _pdf_has_active_content(reader)
    except ValidationError:
        raise
    except Exception:  # noqa: BLE001 - whatever pypdf cannot read, a supervisor could not either
        raise unreadable from None
    if active:
        raise _refuse_active(name)
    if not 0 < pages <= MAX_PAGES:
        raise unreadable
    _budget_check(name, content, PDF, pdf_reader=reader)  # the same reader: parsed once
    return pages


def _budget_check(name: str, content: bytes, content_type: str, pdf_reader=None) -> None:
    """Refuse a document too large in pixels to read or show (budget.py), from its headers."""
    from detainers.core.budget import document_budget  # it builds on this module's types

    overrun = document_budget(content=content, content_type=content_type, pdf_reader=pdf_reader)
    if overrun is not None:
        raise ValidationError(
            f"{name!r} is too large to {overrun.use}: {overrun.reason}. Scan or export it again "
            "as pages of a usual size (letter or legal) at 300 dpi.",
            code="too_many_pixels",
        )


def pdf_active_content(content: bytes) -> str:
    """Why a PDF kept from the mailbox must not be opened in a browser ("" if nothing was found):
    the checks intake refuses with, as a description. A PDF that cannot be parsed is reported as
    such (it is kept, and offered as a download only)."""
    if _ACTIVE_BYTES.search(content):
        return "active content (JavaScript, a launch action, media or an embedded file)"
    from pypdf import PdfReader

    try:
        reader = PdfReader(io.BytesIO(content))
        if reader.is_encrypted and not reader.decrypt(""):
            return "protected by a password, so it could not be checked"
        active = _pdf_has_active_content(reader)
    except Exception:  # noqa: BLE001 - what pypdf cannot read is not opened in a browser either
        return "damaged, so it could not be checked"
    if active:
        return "active content (a script, or an action that opens a link, a form or a file)"
    return ""


def _pdf_has_active_content(reader) -> bool:
    """Every object the cross-reference lists, those inside compressed object streams included,
    checked for an active name as a key or a value; the decoded object streams are also searched
    as bytes, for objects the cross-reference does not list but a lenient viewer might find."""
    from pypdf.generic import IndirectObject

    numbers = {
        (number, generation)
        for generation, entries in reader.xref.items()
        for number in entries
        if number
    }
    numbers |= {(number, 0) for number in reader.xref_objStm}
    for number, generation in sorted(numbers):
        found = reader.get_object(IndirectObject(number, generation, reader))
        if _is_active(found):
            return True
    return False


def _is_active(found, depth: int = 0) -> bool:
    from pypdf.generic import ArrayObject, DictionaryObject, NameObject, StreamObject

    if depth > 64:
        return True  # nesting no writer produces: refused rather than walked
    if isinstance(found, NameObject):
        return found[1:] in ACTIVE_NAMES or found[1:] in ACTION_NAMES
    if isinstance(found, DictionaryObject):
        if any(key[1:] in ACTIVE_NAMES or key[1:] in ACTION_NAMES for key in found):
            return True
        if isinstance(found, StreamObject) and found.get("/Type") == "/ObjStm":
            if _ACTIVE_BYTES.search(found.get_data()):
                return True
        values = found.values()
    elif isinstance(found, ArrayObject):
        values = found
    else:
        return False
    return any(_is_active(value, depth + 1) for value in values)


def _image_check(name: str, content: bytes, content_type: str) -> int:
    """The number of pages, once each decodes: a TIFF cut short would lose its last pages
    unnoticed. Counted, then judged by the pixel budget, from the headers, before any decodes."""
    from PIL import Image

    from detainers.core import budget  # it builds on this module's types

    kind = _NAMES[content_type]
    unreadable = ValidationError(
        f"{name!r} is a {kind} file that cannot be read to the end (it is cut short or "
        "damaged). Scan or export it again.",
        code="unreadable",
    )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # "corrupt EXIF": the pages decide
            with budget.image_header(content=content, content_type=content_type) as image:
                frames = budget.frames_counted(image, up_to=MAX_PAGES)
    except Exception:  # noqa: BLE001 - not even its header can be read
        raise unreadable from None
    if frames > MAX_PAGES:
        raise ValidationError(
            f"{name!r} has more than {MAX_PAGES} pages; at most {MAX_PAGES} are accepted. Split it.",
            code="too_many_pages",
        )
    _budget_check(name, content, content_type)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            warnings.simplefilter("ignore", UserWarning)
            with Image.open(io.BytesIO(content)) as image:
                for frame in range(frames):
                    image.seek(frame)
                    image.load()
    except Exception:  # noqa: BLE001 - cut short or damaged: Pillow cannot show it
        raise unreadable from None
    return frames


TEXT = "text/plain"
