"""Pixel bombs, made here rather than stored: each function returns the bytes of one small file that
declares a page far larger than any page (or a resolution that stretches one past all reason).

Files are written by hand (PDF objects, TIFF tags, PNG chunks) so that no page is ever held in
memory here: a 30,000 x 30,000 bilevel TIFF is 3.9 KB on disk and 900 MB once Pillow decodes it.
`HOSTILE` names each with the sizes the budget must report (detainers/core/budget.py).
"""

import io
import struct
import zlib
from dataclasses import dataclass
from functools import cache

from PIL import Image

PDF, TIFF, PNG, JPEG = "application/pdf", "image/tiff", "image/png", "image/jpeg"


def _deflated(row: bytes, rows: int) -> bytes:
    """`rows` copies of `row`, deflated a megabyte at a time (never all of it in memory)."""
    packer = zlib.compressobj(9)
    block = row * max(1, (1 << 20) // len(row))
    per_block, parts = len(block) // len(row), []
    while rows > 0:
        take = min(rows, per_block)
        parts.append(packer.compress(block[: take * len(row)]))
        rows -= take
    return b"".join(parts) + packer.flush()


def _pdf(objects: list[bytes]) -> bytes:
    """A PDF of these objects (1 is the catalog), with a correct cross-reference table."""
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    out.write(b"".join(b"%010d 00000 n \n" % offset for offset in offsets))
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\n" % (len(objects) + 1))
    out.write(b"startxref\n%d\n%%%%EOF\n" % xref)
    return out.getvalue()


def _stream(dictionary: str, data: bytes) -> bytes:
    return f"<< {dictionary} /Length {len(data)} >>\nstream\n".encode() + data + b"\nendstream"


def pdf_page_image(
    *, page=(612, 792), image=(500, 500), jpeg_header: tuple[int, int] | None = None
) -> bytes:
    """One page of `page` points with one image drawn over it: bilevel and deflated twice (pypdf
    decodes a 74-megapixel one), or a JPEG whose own header says `jpeg_header` pixels."""
    width, height = image
    if jpeg_header:
        data, kind = jpeg_bytes(*jpeg_header), "/ColorSpace /DeviceGray /BitsPerComponent 8"
        kind += " /Filter /DCTDecode"
    else:
        data = zlib.compress(_deflated(b"\xff" * ((width + 7) // 8), height), 9)
        kind = "/ColorSpace /DeviceGray /BitsPerComponent 1 /Filter [/FlateDecode /FlateDecode]"
    draw = f"q {page[0]} 0 0 {page[1]} 0 0 cm /Im0 Do Q".encode()
    return _pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {page[0]} {page[1]}] "
            "/Resources << /XObject << /Im0 5 0 R >> >> /Contents 4 0 R >>".encode(),
            _stream("", draw),
            _stream(f"/Type /XObject /Subtype /Image /Width {width} /Height {height} {kind}", data),
        ]
    )


def pdf_inline_image(width: int, height: int) -> bytes:
    """A letter page whose content draws an inline image (BI ... ID ... EI) of width x height:
    pypdf decodes inline images as soon as a page's images are listed."""
    data = _deflated(b"\xff" * ((width + 7) // 8), height)
    inline = f"q 612 0 0 792 0 0 cm BI /W {width} /H {height} /BPC 1 /CS /G /F /Fl ID ".encode()
    content = zlib.compress(inline + data + b" EI Q", 9)
    return _pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << >> "
            b"/Contents 4 0 R >>",
            _stream("/Filter /FlateDecode", content),
        ]
    )


def _g4_white_rows(rows: int) -> bytes:
    """CCITT Group 4 data for `rows` white rows: each is one vertical-mode code, a single 1 bit."""
    bits = "1" * rows + "000000000001" * 2  # the rows, then end-of-facsimile-block
    bits += "0" * (-len(bits) % 8)
    return int(bits, 2).to_bytes(len(bits) // 8, "big")


def tiff_bytes(frames: list[tuple[int, int, tuple[float, float]]]) -> bytes:
    """A white bilevel Group 4 TIFF, one frame per (width, height, (x dpi, y dpi))."""
    out = bytearray(b"II*\x00\x00\x00\x00\x00")
    strips: dict[int, tuple[int, int]] = {}
    for _, height, _ in frames:
        if height not in strips:
            data = _g4_white_rows(height)
            strips[height] = (len(out), len(data))
            out += data
    pointer = 4  # where the offset of the next frame's tags is written
    for width, height, (x_dpi, y_dpi) in frames:
        out += b"\x00" * (len(out) % 2)
        struct.pack_into("<I", out, pointer, len(out))
        offset, length = strips[height]
        short, long = [(258, 1), (259, 4), (262, 0), (277, 1), (296, 2)], [
            (256, width), (257, height), (273, offset), (278, height), (279, length)
        ]  # fmt: skip
        entries = len(short) + len(long) + 2
        rationals = len(out) + 2 + 12 * entries + 4
        tags = [struct.pack("<HHIHH", tag, 3, 1, value, 0) for tag, value in short]
        tags += [struct.pack("<HHII", tag, 4, 1, value) for tag, value in long]
        tags += [struct.pack("<HHII", 282 + axis, 5, 1, rationals + 8 * axis) for axis in (0, 1)]
        tags.sort(key=lambda tag: struct.unpack_from("<H", tag)[0])
        out += struct.pack("<H", entries) + b"".join(tags)
        pointer = len(out)
        out += b"\x00\x00\x00\x00"
        out += struct.pack("<IIII", round(x_dpi * 100), 100, round(y_dpi * 100), 100)
    return bytes(out)


def png_bytes(width: int, height: int) -> bytes:
    """A white bilevel PNG of width x height, deflated row by row."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    rows = _deflated(b"\x00" + b"\xff" * ((width + 7) // 8), height)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", rows) + chunk(b"IEND", b"")
    )


def jpeg_bytes(width: int, height: int) -> bytes:
    """A 16 x 16 JPEG whose frame header is made to say width x height: Pillow makes room for the
    page it says before it finds the data short."""
    out = io.BytesIO()
    Image.new("L", (16, 16), 255).save(out, format="JPEG")
    data = bytearray(out.getvalue())
    struct.pack_into(">HH", data, data.index(b"\xff\xc0") + 5, height, width)
    return bytes(data)


@dataclass(frozen=True)
class Hostile:
    name: str  # the file name it is sent under
    content_type: str
    make: object  # () -> bytes
    says: str  # what the budget reports (sizes only)
    shown_by_us: bool  # the inbox draws its pages (TIFF, PNG, JPEG), not a browser's PDF viewer

    @property
    def content(self) -> bytes:
        return _made(self.make)


@cache
def _made(make) -> bytes:
    return make()


HOSTILE = {
    "pdf-page-100-inches-square": Hostile(
        "fax.pdf",
        PDF,
        lambda: pdf_page_image(page=(7200, 7200)),
        "page 1 is 100 x 100 inches, 30,000 x 30,000 pixels at 300 dpi",
        False,
    ),
    "pdf-image-xobject-74-megapixels": Hostile(
        "fax.pdf",
        PDF,
        lambda: pdf_page_image(image=(8600, 8600)),
        "an image on page 1 is 8,600 x 8,600 pixels",
        False,
    ),
    "pdf-inline-image-81-megapixels": Hostile(
        "fax.pdf",
        PDF,
        lambda: pdf_inline_image(9000, 9000),
        "an image on page 1 is 9,000 x 9,000 pixels",
        False,
    ),
    "pdf-jpeg-larger-than-its-dictionary": Hostile(
        "fax.pdf",
        PDF,
        lambda: pdf_page_image(image=(500, 500), jpeg_header=(12000, 12000)),
        "an image on page 1 is 12,000 x 12,000 pixels",
        False,
    ),
    "tiff-30000-square": Hostile(
        "fax.tif",
        TIFF,
        lambda: tiff_bytes([(30000, 30000, (200, 200))]),
        "page 1 is 30,000 x 30,000 pixels",
        True,
    ),
    "tiff-bomb-on-page-2": Hostile(
        "fax.tif",
        TIFF,
        lambda: tiff_bytes([(1728, 2200, (204, 196)), (30000, 30000, (200, 200))]),
        "page 2 is 30,000 x 30,000 pixels",
        True,
    ),
    "tiff-dpi-400-by-100-stretched": Hostile(
        "fax.tif",
        TIFF,
        lambda: tiff_bytes([(5000, 7000, (400, 100))]),
        "page 1 would be 3,750 x 21,000 pixels at 300 dpi",
        True,
    ),
    "png-12000-square": Hostile(
        "scan.png", PNG, lambda: png_bytes(12000, 12000), "page 1 is 12,000 x 12,000 pixels", True
    ),
    "jpeg-20000-square": Hostile(
        "scan.jpg", JPEG, lambda: jpeg_bytes(20000, 20000), "page 1 is 20,000 x 20,000 pixels", True
    ),
}
FAX_TYPES = [name for name, hostile in HOSTILE.items() if hostile.content_type in (PDF, TIFF)]
SHOWN = [name for name, hostile in HOSTILE.items() if hostile.shown_by_us]
