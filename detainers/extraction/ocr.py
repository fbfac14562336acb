"""Tesseract's reading of one page image: the image prepared for it, its words, and checkboxes.

`ocr_lines(image, page=..., dpi=...)` is the entry (reading.py calls it for each page image); it
raises `ReadingError` when Tesseract fails or takes too long, `OcrMissing` when it is not installed.

Preprocessing for OCR (each step measured on synthetic faxes, `bench/extraction/run.py --steps`):
greyscale, fax lines lost in transmission repaired (`lines_repaired`), square pixels (a "normal" 204x98 fax is stretched) at 300 dpi (without it 62 % of fields
instead of 96 %), a median filter against speckles on fine faxes (on "normal" 204x98 faxes lone
specks are removed instead, see `without_specks`), and deskew (on faxes tilted 2.5
degrees: 86 % of fields without it, 95 % with). Pillow only: the deskew measures a small copy, and
the checkbox search looks at a strip per line, both fast enough without numpy (0.35 s and 5 ms a
page).

Checkboxes are found in the pixels (see `checkbox_as_word`) and given to fields.py as the words
"[X]" and "[]", because Tesseract reads letters and often drops a box or misreads it.
Tesseract's thread count (OMP_THREAD_LIMIT) is set in config/settings.py.
"""

from dataclasses import replace

import pytesseract
from PIL import Image, ImageChops, ImageFilter, ImageMath, ImageOps

from detainers.core.budget import READING_DPI
from detainers.extraction.rereading import Placed, values_read_again
from detainers.extraction.text import Line, OcrMissing, ReadingError, Word

# Tesseract reads best at about 300 dpi for body text of 8 to 10 points. The pixel budget
# (detainers.core.budget) judges every page at this resolution before it is stretched to it.
OCR_DPI = READING_DPI
# One uniform block of text: the form's labels and values line by line (bench/extraction --steps
# measures the other page segmentations).
TESSERACT_CONFIG = "--psm 6"
# An identifier's cut-outs read again with only the characters an identifier has (rereading.py):
# Tesseract then cannot read "O" as "()" or a stroke as ",", and a hyphen or a slash stays one.
IDENTIFIER_CONFIG = "--psm 6 -c tessedit_char_whitelist=ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-/"
OCR_TIMEOUT_SECONDS = 60  # per page; a page that takes longer is not a form
DESKEW_MAX_DEGREES = 3.0
DESPECKLE_MIN_DPI = 150  # below, lone specks are removed instead of a median filter
LOW_RESOLUTION_TRUST = (
    0.85  # word confidences from pages below DESPECKLE_MIN_DPI are scaled by this
)
SPECK_MAX_PIXELS = 9  # a fax machine's specks are up to 3x3 pixels


# --- Words and lines ------------------------------------------------------------------------------


def ocr_lines(
    image: Image.Image, *, page: int, dpi: tuple[float, float], **steps: bool
) -> list[Line]:
    """One page image read by Tesseract; `steps` switch preprocessing off (see ocr_prepare), and
    `reread=False` the values' second and third readings (rereading.py)."""
    reread = steps.pop("reread", True) and min(dpi) >= DESPECKLE_MIN_DPI
    prepared = ocr_prepare(image, dpi=dpi, **steps)
    data = _tesseract(prepared, page=page)
    readers = None
    if reread:
        readers = {
            "read": lambda picture: _tesseract(picture, page=page),
            "read_identifiers": lambda picture: _tesseract(
                picture, page=page, config=IDENTIFIER_CONFIG
            ),
        }
    lines = _lines_from_data(data, page=page, image=prepared, read_again=readers)
    if min(dpi) < DESPECKLE_MIN_DPI:
        lines = [_trusted_less(line) for line in lines]
    return lines


def _tesseract(image: Image.Image, *, page: int, config: str = TESSERACT_CONFIG) -> dict:
    try:
        return pytesseract.image_to_data(
            image,
            lang="eng",
            config=config,
            output_type=pytesseract.Output.DICT,
            timeout=OCR_TIMEOUT_SECONDS,
        )
    except pytesseract.TesseractNotFoundError as error:
        raise OcrMissing(
            "OCR is not installed on this server (Tesseract), so faxes and scans cannot be read; "
            "enter the fields by hand."
        ) from error
    except RuntimeError as error:  # pytesseract's timeout
        raise ReadingError(f"Reading page {page} took too long; it was not read.") from error
    except pytesseract.TesseractError as error:
        raise ReadingError(f"OCR could not read page {page}.") from error


def _trusted_less(line: Line) -> Line:
    """A standard-resolution fax (98 lines an inch) loses thin strokes, and Tesseract is sure of
    what it misread there (E read as F, I as T, 8 as 9, a hyphen lost), alike when the value is read
    again at other scales: bench/extraction found wrong names, dates and identifiers among those it
    was 90 % sure of. Trusted less, its values are offered in the triage form, not written
    (shapes.TRUSTED_RAISE stays below what would lift one over APPLY_CONFIDENCE)."""
    words = tuple(
        replace(word, confidence=round(word.confidence * LOW_RESOLUTION_TRUST, 3))
        for word in line.words
    )
    return Line(page=line.page, words=words)


def _lines_from_data(
    data: dict, *, page: int, image: Image.Image | None = None, read_again=None
) -> list[Line]:
    """Tesseract's words grouped into its lines, in reading order, the values read again
    (`read_again`: rereading.py), with checkboxes made words."""
    grouped: dict[tuple[int, int, int], list[Placed]] = {}
    for index, text in enumerate(data["text"]):
        confidence = float(data["conf"][index])
        if confidence < 0 or not text.strip():
            continue
        key = (data["block_num"][index], data["par_num"][index], data["line_num"][index])
        word = Word(text.strip(), round(confidence / 100, 3))
        box = tuple(data[name][index] for name in ("left", "top", "width", "height"))
        grouped.setdefault(key, []).append(Placed(word, box))
    placed_lines = list(grouped.values())
    if image is not None and read_again is not None:
        placed_lines = values_read_again(image, placed_lines, **read_again)
    lines = []
    for placed in placed_lines:
        if image is not None:
            placed = checkbox_as_word(image, placed)
        lines.append(Line(page=page, words=tuple(item.word for item in placed)))
    return lines


# --- Checkboxes -----------------------------------------------------------------------------------


def checkbox_as_word(image: Image.Image, placed: list[Placed]) -> list[Placed]:
    """A checkbox at the start of the line becomes the word "[X]" or "[]".

    Tesseract often drops a box, or reads it as "LC]", "IX)" or "C]": it reads letters, and a box
    is none. Looked for in the pixels instead: a square about the line's height, just left of or
    under the first words; ticked when its inside holds ink.
    """
    heights = sorted(item.box[3] for item in placed if any(c.isalpha() for c in item.word.text))
    if not heights:
        return placed
    size = heights[len(heights) // 2]
    # The box stands just before the sentence's first real word (what OCR read from the box, or
    # from speckles around it, is none); look in the few box widths left of that word.
    first_word = next((item for item in placed if _is_word(item.word.text)), placed[-1])
    top = min(item.box[1] for item in placed[:4])
    right = first_word.box[0] - size // 4
    region = (max(0, right - 4 * size), max(0, top - size // 2), right, top + 2 * size)
    if region[2] - region[0] < size // 2:
        return placed
    found = _checkbox_in(image.crop(region), size)
    if found is None:
        return placed
    right, ticked, confidence = found
    box_right = region[0] + right
    rest = [item for item in placed if item.box[0] + item.box[2] / 2 > box_right]
    mark = Word("[X]" if ticked else "[]", confidence)
    return [Placed(mark, (box_right - size, top, size, size)), *rest]


def _is_word(text: str) -> bool:
    """A word of the sentence, not what OCR made of a box ("LC]", "ab", "-()", "[X)_")."""
    return sum(character.isalnum() for character in text) >= 3


def _checkbox_in(crop: Image.Image, size: int) -> tuple[int, bool, float] | None:
    """(right edge, ticked, confidence) of the first square outline in the crop, or None."""
    ink = crop.point(lambda value: 255 if value < 190 else 0)
    width, height = ink.size
    columns = list(ink.resize((width, 1), Image.Resampling.BOX).get_flattened_data())
    pixels = ink.load()
    sides = {}
    for x in range(width):
        if columns[x] * height / 255 >= 0.6 * size:
            run = _longest_run(pixels, x, height)
            if 0.6 * size <= run[1] - run[0] <= 1.8 * size:
                sides[x] = run
    for first in sorted(sides):
        for second in sorted(sides):
            side = second - first
            if not 0.6 * size <= side <= 1.8 * size:
                continue
            (top, bottom), (other_top, other_bottom) = sides[first], sides[second]
            if max(abs(top - other_top), abs(bottom - other_bottom)) > 0.15 * side:
                continue  # the sides of a box start and end together; letters' stems do not
            if abs((bottom - top) - side) > 0.3 * side:
                continue
            if _row_ink(pixels, first, second, top) and _row_ink(pixels, first, second, bottom - 1):
                if _square_corners(pixels, first, second, top, bottom - 1):
                    return second, *_tick(pixels, first, second, top, bottom)
    return None


def _longest_run(pixels, x: int, height: int) -> tuple[int, int]:
    best, start = (0, 0), None
    for y in range(height + 1):
        if y < height and pixels[x, y]:
            start = y if start is None else start
        elif start is not None:
            best = max(best, (start, y), key=lambda run: run[1] - run[0])
            start = None
    return best


def _row_ink(pixels, first: int, second: int, y: int) -> bool:
    """Is there a horizontal edge from `first` to `second` at y (give or take two rows)?"""
    for row in range(max(0, y - 2), y + 3):
        try:
            dark = sum(1 for x in range(first, second + 1) if pixels[x, row])
        except IndexError:
            continue
        if dark >= 0.8 * (second - first + 1):
            return True
    return False


def _square_corners(pixels, first: int, second: int, top: int, bottom: int) -> bool:
    """Ink at all four corners: a box has square corners, a "D" or an "O" round ones."""
    for x, y in ((first, top), (second, top), (first, bottom), (second, bottom)):
        near = [(x + dx, y + dy) for dx in (-2, -1, 0, 1, 2) for dy in (-2, -1, 0, 1, 2)]
        if not any(_ink_at(pixels, *point) for point in near):
            return False
    return True


def _ink_at(pixels, x: int, y: int) -> bool:
    try:
        return bool(pixels[x, y])
    except IndexError:
        return False


def _tick(pixels, first: int, second: int, top: int, bottom: int) -> tuple[bool, float]:
    margin = max(2, (second - first) // 5)
    inside = [
        pixels[x, y]
        for x in range(first + margin, second - margin)
        for y in range(top + margin, bottom - margin)
    ]
    share = sum(1 for value in inside if value) / max(1, len(inside))
    confidence = 0.95 if share >= 0.12 or share <= 0.03 else 0.6
    return share >= 0.07, confidence


# --- Preparing the page image ---------------------------------------------------------------------


def ocr_prepare(
    image: Image.Image,
    *,
    dpi: tuple[float, float],
    rescale: bool = True,
    despeckle: bool = True,
    deskew: bool = True,
    repair: bool = True,
) -> Image.Image:
    """Greyscale, lost fax lines repaired, square pixels at OCR_DPI, despeckled, deskewed: what
    Tesseract reads best. The switches exist for bench/extraction, which measures each step."""
    image = ImageOps.exif_transpose(image).convert("L")
    if repair:
        image = lines_repaired(image)
    # On a "normal" 98-line fax a speck is as thick as a letter's stroke, so it is taken out
    # before the stretch, where it is still a small lone blot (see without_specks).
    if despeckle and min(dpi) < DESPECKLE_MIN_DPI:
        image = without_specks(image)
    scale = OCR_DPI / dpi[0] if rescale else 1.0
    size = (round(image.width * scale), round(image.height * scale * dpi[0] / dpi[1]))
    if size != image.size:
        image = image.resize(size, Image.Resampling.BILINEAR)
    # A median filter removes fax speckles, but on a "normal" 98-line fax the strokes are so thin
    # that it removes letters too (fields right on normal faxes: 64 % with it, 72 % without).
    if despeckle and min(dpi) >= DESPECKLE_MIN_DPI:
        image = image.filter(ImageFilter.MedianFilter(3))
    angle = skew_angle(image) if deskew else 0.0
    if angle:
        image = image.rotate(angle, resample=Image.Resampling.BICUBIC, fillcolor=255)
    return image


def lines_repaired(image: Image.Image) -> Image.Image:
    """The page with fax lines lost in transmission put back where letters cross them.

    A line the receiving machine could not decode comes out white across the page; through a line
    of text it cuts every letter (at 98 lines an inch, an eighth of its height). Where a row is
    white from edge to edge but the rows above and below both have ink, the ink both share is
    drawn in it: the strokes that cross the lost line come back, nothing else does."""
    ink_by_row = ImageOps.invert(image).resize((1, image.height), Image.Resampling.BOX)
    rows = list(ink_by_row.get_flattened_data())
    repaired = image
    for y in range(1, image.height - 1):
        if rows[y] or not (rows[y - 1] and rows[y + 1]):
            continue  # ink in it (a mean that rounds to 0 is checked next), or no stroke to cross
        if image.crop((0, y, image.width, y + 1)).getextrema()[0] < 255:
            continue
        above = image.crop((0, y - 1, image.width, y))
        below = image.crop((0, y + 1, image.width, y + 2))
        if repaired is image:
            repaired = image.copy()
        repaired.paste(ImageChops.lighter(above, below), (0, y))  # dark where both are
    return repaired


def without_specks(image: Image.Image) -> Image.Image:
    """The page with lone specks of up to 3x3 pixels made white; punctuation is kept.

    A speck fits in the 5x5 square around each of its pixels, with no ink in the ring around that
    square (7x7); a comma or a colon has letters beside it, so ink in a strip 25 pixels wide
    keeps it. On normal faxes (bench, 20 forms) 65 % of fields were right without, 76 % with.
    Fine faxes keep their median filter; this was not measured in its place there.
    """
    ink = ImageOps.invert(image)
    # BoxBlur(r) is the mean over a (2r+1)-square: times its area / 255, the ink pixels in it.
    near, around, beside = (ink.filter(ImageFilter.BoxBlur(r)) for r in (2, 3, (12, 2)))
    half_pixel = 128  # in "mean x area" units, where one ink pixel is 255

    def is_speck(a):
        in_square = a["near"] * 25
        return (
            (a["ink"] > 127)
            & (in_square <= SPECK_MAX_PIXELS * 255 + half_pixel)
            & (a["around"] * 49 - in_square < half_pixel)
            & (a["beside"] * 125 - in_square < half_pixel)
        ) * 255

    specks = ImageMath.lambda_eval(is_speck, ink=ink, near=near, around=around, beside=beside)
    return ImageChops.lighter(image, specks.convert("L"))


def skew_angle(image: Image.Image) -> float:
    """The rotation (degrees, counter-clockwise) that makes the text lines horizontal.

    Projection profile: rotated to the right angle, the rows of a text page alternate between
    dark (a line of text) and white, so the row darkness varies most. Tried on a copy about 600
    pixels wide, coarse steps first, then finer ones around the best.
    """
    small = image.copy()
    small.thumbnail((700, 900))
    small = ImageOps.invert(small)  # ink is bright: rotation fills the corners with black = no ink
    best = 0.0
    for step, span in ((0.5, DESKEW_MAX_DEGREES), (0.1, 0.5)):
        candidates = [best + step * n for n in range(-round(span / step), round(span / step) + 1)]
        best = max(candidates, key=lambda angle: _row_variance(small, angle))
    return round(best, 2) if abs(best) >= 0.1 else 0.0


def _row_variance(image: Image.Image, angle: float) -> float:
    rotated = image.rotate(angle, resample=Image.Resampling.BILINEAR) if angle else image
    rows = list(rotated.resize((1, rotated.height), Image.Resampling.BOX).get_flattened_data())
    mean = sum(rows) / len(rows)
    return sum((value - mean) ** 2 for value in rows) / len(rows)
