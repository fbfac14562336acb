"""Is a PDF page's text layer the page's text? Checked before it is believed (reading.py).

A PDF typed on a computer carries its text; a scanner's PDF carries a picture of the page and,
often, an invisible OCR layer its own software wrote over it, of whatever quality; a fax gateway
may stamp a line of text on a fax's picture. `layer_check(page=..., layer=...)` says:

- `garbage`: too little of the layer reads as words, numbers or identifiers (a wrong font
  encoding, or OCR of a bad scan: "~~ ;i ,I|l.");
- `partial`: the page is a picture and the layer covers few of its lines of ink (a stamped header,
  or OCR that gave up half way down);
- `confidence`: what each of the layer's words is worth. Typed text, with no picture under it:
  1.0. An OCR layer (invisible text, or text over the page's picture) is another program's reading,
  never better than OCR_LAYER_TRUST, and less the less of it reads as words.

reading.py OCRs a garbage or partial layer's page again. No database; pypdf and Pillow only, the
picture judged from a small copy (a few milliseconds a page).
"""

import re
from dataclasses import dataclass

from PIL import Image

MIN_WORD_SHARE = 0.7  # of the layer's characters in word-like tokens
MIN_VOWEL_SHARE = 0.25  # of its letters: English has about 38 %, letters at random 23 %
VOWEL_SAMPLE = 200  # letters needed before the vowel share is judged
MIN_COVERAGE = 0.7  # of the picture's lines of ink with text of the layer beside them
OCR_LAYER_TRUST = 0.95
BANDS = 60  # the page's height in bands of about 13 points (a line of text)
PAGE_PICTURE_SHARE = 0.8  # a picture this close to the page's proportions is the page
INVISIBLE = (3, 7)  # text render modes that draw nothing


@dataclass(frozen=True)
class LayerCheck:
    word_share: float
    vowel_share: float | None  # None: too few letters to judge
    ocr_layer: bool  # drawn invisibly, or over a picture of the page
    coverage: float | None  # None: no picture of the page under the layer

    @property
    def garbage(self) -> bool:
        return self.word_share < MIN_WORD_SHARE or (
            self.vowel_share is not None and self.vowel_share < MIN_VOWEL_SHARE
        )

    @property
    def partial(self) -> bool:
        return self.coverage is not None and self.coverage < MIN_COVERAGE

    @property
    def confidence(self) -> float:
        if self.garbage:  # kept for search when it cannot be read again, never written
            return round(self.word_share / 2, 3)
        if not self.ocr_layer:
            return 1.0
        return round(min(OCR_LAYER_TRUST, self.word_share), 3)


def layer_check(*, page, layer: str, picture: Image.Image | None) -> LayerCheck:
    """The layer (its text as extracted) of a pypdf page; `picture` is the page's largest image."""
    drawn = _drawn_text(page)
    covers_page = picture is not None and _covers_page(picture, page)
    coverage = None
    if covers_page:
        coverage = _coverage(ink=_ink_bands(picture), text=drawn.bands)
    return LayerCheck(
        word_share=word_share(layer),
        vowel_share=_vowel_share(layer),
        ocr_layer=drawn.invisible > drawn.visible or covers_page,
        coverage=coverage,
    )


WORD = re.compile(r"[A-Za-z]+(?:['’][a-z]+)?")
NUMBER = re.compile(r"[\d.,/:#()$%\-]*\d[\d.,/:#()$%\-]*")
CODE = re.compile(r"[A-Z0-9#]+(?:[-/][A-Z0-9]+)*")  # "I-247A", "A012345678", "BOS2405000123"
EDGES = "\"'`.,;:!?()[]{}<>*“”‘’"


def word_share(text: str) -> float:
    """The share of the text's characters in tokens that read as words, numbers or codes."""
    good = total = 0
    for token in text.split():
        core = token.strip(EDGES)
        if not core:
            continue  # a dash or a bullet
        total += len(core)
        if _word_like(core):
            good += len(core)
    return good / total if total else 0.0


def _word_like(core: str) -> bool:
    if WORD.fullmatch(core):
        letters = core.replace("'", "").replace("’", "")
        cased = letters.islower() or letters.isupper() or letters.istitle()
        return cased and (len(letters) <= 3 or bool(re.search(r"[aeiouyAEIOUY]", letters)))
    return bool(NUMBER.fullmatch(core) or CODE.fullmatch(core) and re.search(r"\d", core))


def _vowel_share(text: str) -> float | None:
    """Shifted letters (a font whose encoding was lost) still make words; they have few vowels."""
    letters = [character for character in text.lower() if "a" <= character <= "z"]
    if len(letters) < VOWEL_SAMPLE:
        return None
    return sum(character in "aeiouy" for character in letters) / len(letters)


@dataclass
class _Drawn:
    visible: int = 0
    invisible: int = 0
    bands: frozenset[int] = frozenset()


def _drawn_text(page) -> _Drawn:
    """How much text the page draws visibly and invisibly, and at which heights (bands from the
    top). Read with pypdf's visitors, which only its plain extraction mode calls."""
    drawn = _Drawn()
    modes = [0]  # the text render mode, saved and restored with the graphics state (q, Q)
    bands: set[int] = set()
    bottom, height = float(page.mediabox.bottom), float(page.mediabox.height) or 1.0

    def operator(op: bytes, operands, cm, tm) -> None:
        if op == b"q":
            modes.append(modes[-1])
        elif op == b"Q" and len(modes) > 1:
            modes.pop()
        elif op == b"Tr" and operands:
            modes[-1] = int(operands[0])
        elif op in (b"Tj", b"TJ", b"'", b'"') and operands:
            shown = sum(len(part) for part in operands[-1] if isinstance(part, str | bytes))
            if op != b"TJ":
                shown = len(operands[-1])
            if modes[-1] in INVISIBLE:
                drawn.invisible += shown
            else:
                drawn.visible += shown

    def text(content: str, cm, tm, font, size) -> None:
        if content.strip():
            y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
            bands.add(min(BANDS - 1, max(0, int((1 - (y - bottom) / height) * BANDS))))

    page.extract_text(visitor_operand_before=operator, visitor_text=text)
    drawn.bands = frozenset(bands)
    return drawn


def _covers_page(picture: Image.Image, page) -> bool:
    """A picture with the page's proportions is taken as drawn over the whole page (a scan, a
    fax); a logo or a stamp has other proportions, or is too small to be one."""
    width, height = float(page.mediabox.width), float(page.mediabox.height)
    if not width or not height or not picture.width or not picture.height:
        return False
    ratio = (picture.width / picture.height) / (width / height)
    return min(ratio, 1 / ratio) >= PAGE_PICTURE_SHARE


def _ink_bands(picture: Image.Image) -> set[int]:
    """The bands (from the top) where the picture has ink: a small grey copy, each band's darkest
    share of pixels."""
    small = picture.convert("L").resize((200, BANDS * 4), Image.Resampling.BOX)
    pixels = small.load()
    bands = set()
    for band in range(BANDS):
        dark = sum(
            1 for y in range(band * 4, band * 4 + 4) for x in range(200) if pixels[x, y] < 160
        )
        if dark >= 8:  # about one percent of the band: a line of text, not a few specks
            bands.add(band)
    return bands


def _coverage(*, ink: set[int], text: frozenset[int]) -> float:
    if not ink:
        return 1.0
    near_text = {band + shift for band in text for shift in (-1, 0, 1)}
    return len(ink & near_text) / len(ink)
