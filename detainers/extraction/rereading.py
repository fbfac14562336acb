"""The values on a page read twice more, so that a number's confidence says whether readings agree.

Tesseract's own word confidence says little about the identifiers on a scan or a fax: on the
bench's fine faxes it gave right ones anything from 0.2 to 0.97. Readings of the same value from
differently scaled pictures err differently, so their agreement is a better witness.

`values_read_again(image, lines, read=...)` finds the values on the page (the words after a label,
as fields.py finds them: "Subject ID: 669125961"), cuts each out of the prepared page, stacks the
cut-outs into one small picture and has it read at READING_SCALES: one Tesseract call per scale
for the whole page, not one per value. Letters and digits compared (punctuation and spaces not):

- all three readings agree: the confidence of the value's words holding a digit is raised
  (ALL_AGREE_DOUBT of the doubt left);
- the page's reading and one other agree: raised less (MOST_AGREE_DOUBT);
- the page's reading agrees with neither: its words' confidence is lowered (NONE_AGREE_TRUST).

The page's words stay what they were, even when the other two readings agree with each other (a
cut-out's edge, a label's colon, can make both err alike): only their confidence changes. Words of
letters only are not raised: letters misread on a fax (I as T) are misread alike at every scale.
Standard-resolution faxes are not read again (ocr.py): nothing read there is trusted enough to
be written, so agreement could change nothing.
"""

from collections.abc import Callable
from dataclasses import dataclass

from PIL import Image

from detainers.extraction.fields import value_spans
from detainers.extraction.text import Word

READING_SCALES = (0.8, 1.25)  # besides the page's own reading at 1.0
ALL_AGREE_DOUBT = 0.2
MOST_AGREE_DOUBT = 0.6
NONE_AGREE_TRUST = 0.8
MARGIN = 10  # pixels around a value's words
GAP = 40  # white pixels between the stacked cut-outs
MAX_VALUES = 24  # a form has about a dozen
# A value is a few words ("GARCIA LOPEZ, MARIA ELENA"); more after a label is a sentence.
MAX_VALUE_WORDS = 6
MAX_VALUE_CHARACTERS = 40


@dataclass(frozen=True)
class Placed:
    """A word where Tesseract found it in the prepared page image."""

    word: Word
    box: tuple[int, int, int, int]  # left, top, width, height


@dataclass(frozen=True)
class _Span:
    line: int
    start: int
    end: int  # the words line[start:end]
    box: tuple[int, int, int, int]  # left, top, right, bottom


def values_read_again(
    image: Image.Image, lines: list[list[Placed]], *, read: Callable[[Image.Image], dict]
) -> list[list[Placed]]:
    """The lines with each value's words as sure as the readings' agreement says. `read` is
    Tesseract's image_to_data on a picture (ocr.py's, with its errors)."""
    spans = _value_spans(lines)[:MAX_VALUES]
    if not spans:
        return lines
    stack, tops = _stacked(image, spans)
    readings = [_span_words(read(_scaled(stack, scale)), tops, scale) for scale in READING_SCALES]
    changed = [list(line) for line in lines]
    for number, span in enumerate(spans):
        words = _verdict(lines[span.line][span.start : span.end], [r[number] for r in readings])
        changed[span.line][span.start : span.end] = words
    return changed


def _value_spans(lines: list[list[Placed]]) -> list[_Span]:
    spans = []
    for number, line in enumerate(lines):
        for start, end in value_spans(tuple(placed.word for placed in line)):
            words = [placed.word.text for placed in line[start:end]]
            if len(words) <= MAX_VALUE_WORDS and len("".join(words)) <= MAX_VALUE_CHARACTERS:
                spans.append(_Span(number, start, end, _bounds(line[start:end])))
    return spans


def _bounds(words: list[Placed]) -> tuple[int, int, int, int]:
    return (
        min(placed.box[0] for placed in words) - MARGIN,
        min(placed.box[1] for placed in words) - MARGIN,
        max(placed.box[0] + placed.box[2] for placed in words) + MARGIN,
        max(placed.box[1] + placed.box[3] for placed in words) + MARGIN,
    )


def _stacked(image: Image.Image, spans: list[_Span]) -> tuple[Image.Image, list[int]]:
    """The values cut out and stacked one under the other; the top of each in the stack."""
    cuts = [image.crop(span.box) for span in spans]
    width = max(cut.width for cut in cuts) + 2 * GAP
    height = sum(cut.height for cut in cuts) + GAP * (len(cuts) + 1)
    stack = Image.new("L", (width, height), 255)
    tops, y = [], GAP
    for cut in cuts:
        stack.paste(cut, (GAP, y))
        tops.append(y)
        y += cut.height + GAP
    return stack, tops


def _scaled(image: Image.Image, scale: float) -> Image.Image:
    size = (round(image.width * scale), round(image.height * scale))
    return image.resize(size, Image.Resampling.BICUBIC)


def _span_words(data: dict, tops: list[int], scale: float) -> list[list[Word]]:
    """Tesseract's words on the stack, given to the cut-out their middle falls in."""
    words: list[list[tuple[int, Word]]] = [[] for _ in tops]
    for index, text in enumerate(data["text"]):
        confidence = float(data["conf"][index])
        if confidence < 0 or not text.strip():
            continue
        middle = (data["top"][index] + data["height"][index] / 2) / scale
        number = max((n for n, top in enumerate(tops) if top - GAP / 2 <= middle), default=0)
        words[number].append((data["left"][index], Word(text.strip(), round(confidence / 100, 3))))
    return [[word for _, word in sorted(found, key=lambda item: item[0])] for found in words]


def _letters_and_digits(words) -> str:
    return "".join(character for word in words for character in word.text if character.isalnum())


def _verdict(placed: list[Placed], readings: list[list[Word]]) -> list[Placed]:
    keys = [_letters_and_digits(item.word for item in placed)]
    keys += [_letters_and_digits(reading) for reading in readings]
    agreeing = sum(key == keys[0] for key in keys)
    if not keys[0] or agreeing == 1:
        return [_with(item, item.word.confidence * NONE_AGREE_TRUST) for item in placed]
    doubt = ALL_AGREE_DOUBT if agreeing == len(keys) else MOST_AGREE_DOUBT
    return [
        _with(item, 1 - (1 - item.word.confidence) * doubt)
        if any(character.isdigit() for character in item.word.text)
        else item
        for item in placed
    ]


def _with(placed: Placed, confidence: float) -> Placed:
    return Placed(Word(placed.word.text, round(confidence, 3)), placed.box)
