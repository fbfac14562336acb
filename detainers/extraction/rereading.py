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

Identifiers (Subject ID, Event #) are read twice more (`read_identifiers`, ocr.IDENTIFIER_CONFIG):
their cut-outs alone, stacked, with only capitals, digits, "-" and "/" allowed, at
IDENTIFIER_SCALES. On the bench's fine faxes these readings were right where the page's was not
(DT read 57, F read 7, a B read 8), as the whitelist leaves Tesseract no punctuation or small
letter to choose. Their texts, and the two readings above, ride on the identifier's words
(`Word.readings`); fields.py counts how many agree with the page's reading and shapes.py decides
what that agreement is worth (`identifier_agreed`). Two more Tesseract calls a page, on a picture
of two to four small cut-outs.

Standard-resolution faxes are not read again (ocr.py): there every reading, whitelisted or not,
made the same mistakes (bench/extraction: a hyphen lost at every scale, "UPC5162-046610"), so
agreement would witness for wrong values.
"""

from collections.abc import Callable
from dataclasses import dataclass, replace

from PIL import Image

from detainers.extraction.fields import value_spans
from detainers.extraction.shapes import IDENTIFIER_FIELDS
from detainers.extraction.text import Word

READING_SCALES = (0.8, 1.25)  # besides the page's own reading at 1.0
# The identifiers' cut-outs read once more, by `read_identifiers` (only capitals, digits, "-" and
# "/" allowed): at these scales.
IDENTIFIER_SCALES = (1.0, 1.5)
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
    field: str


Read = Callable[[Image.Image], dict]


def values_read_again(
    image: Image.Image,
    lines: list[list[Placed]],
    *,
    read: Read | None,
    read_identifiers: Read | None = None,
) -> list[list[Placed]]:
    """The lines with each value's words as sure as the readings' agreement says, and each
    identifier's words carrying the texts its other readings found (Word.readings). `read` is
    Tesseract's image_to_data on a picture (ocr.py's, with its errors); `read_identifiers` the
    same with only an identifier's characters allowed. Either may be None (not read)."""
    spans = _value_spans(lines)[:MAX_VALUES]
    if not spans:
        return lines
    changed = [list(line) for line in lines]
    texts: dict[int, list[str]] = {}
    if read is not None:
        stack, tops = _stacked(image, spans)
        readings = [_span_words(read(_scaled(stack, s)), tops, s) for s in READING_SCALES]
        for number, span in enumerate(spans):
            found = [reading[number] for reading in readings]
            words = _verdict(lines[span.line][span.start : span.end], found)
            changed[span.line][span.start : span.end] = words
            texts[number] = [" ".join(word.text for word in reading) for reading in found]
    identifiers = [n for n, span in enumerate(spans) if span.field in IDENTIFIER_FIELDS]
    if read_identifiers is not None and identifiers:
        stack, tops = _stacked(image, [spans[n] for n in identifiers])
        for scale in IDENTIFIER_SCALES:
            found = _span_words(read_identifiers(_scaled(stack, scale)), tops, scale)
            for number, words in zip(identifiers, found, strict=True):
                texts.setdefault(number, []).append(" ".join(word.text for word in words))
    for number in identifiers:
        span = spans[number]
        changed[span.line][span.start : span.end] = [
            Placed(replace(item.word, readings=tuple(texts.get(number, ()))), item.box)
            for item in changed[span.line][span.start : span.end]
        ]
    return changed


def _value_spans(lines: list[list[Placed]]) -> list[_Span]:
    spans = []
    for number, line in enumerate(lines):
        for start, end, field in value_spans(tuple(placed.word for placed in line)):
            words = [placed.word.text for placed in line[start:end]]
            if len(words) <= MAX_VALUE_WORDS and len("".join(words)) <= MAX_VALUE_CHARACTERS:
                spans.append(_Span(number, start, end, _bounds(line[start:end]), field))
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
    return Placed(replace(placed.word, confidence=round(confidence, 3)), placed.box)
