"""What a Subject ID or an Event # looks like: broad defaults, and the shapes reviewers confirmed.

Formats differ by office and change over the years, so none is written into the code. A value's
*shape* is its runs of letters and digits: "SEA8207710174" is L3D10, "2019-004512" is D4-D6. What
any identifier must be (the broad default, `identifier_plausible`): 5 to 20 letters and digits,
at least 3 of them digits, runs joined by at most 3 hyphens or slashes. Beyond that, the shapes of
the identifiers in reviewed requests (`ConfirmedShapes`, from selectors.identifier_shapes_confirmed)
say which formats are real:

- a value of a shape confirmed TRUSTED_AFTER times or more is trusted: its confidence is raised,
  and characters OCR confuses (O/0, S/5, I/1, ...) are corrected to what that shape wants (each
  correction costs CORRECTION_FACTOR, so a corrected value is offered, never written by itself);
- a value of a shape never confirmed is held to a higher bar: it fills a request in by itself only
  when OCR was at least UNSEEN_BAR sure of it, and not at all when a letter OCR confuses with a
  digit (or the reverse) stands where letters and digits meet ("S123456789" may be "5123456789"),
  nor when its characters, corrected, fit a trusted shape (bench/extraction, seed 2: a scan's
  "I920518045", of a confirmed L1D9 format, read "1920518045" at 0.99 and filled in as that);
- a value that is no plausible identifier (a word of prose) has its confidence halved;
- agreement (`identifier_agreed`): a value of a trusted shape that at least AGREEING_READINGS of
  its independent readings (the page's, and its cut-outs' read again by rereading.py, two of them
  with only an identifier's characters allowed) spell character for character alike, with no other
  spelling as many, is as sure as AGREED_CONFIDENCE, whatever Tesseract's word confidence was (it
  gave right identifiers on fine faxes anything from 0.2 to 0.97). Agreement alone never trusts a
  shape reviewers did not confirm, nor a value two trusted shapes fit: readings at every scale can
  make the same mistake (on the bench, "ZI7564696062" was read "217564696962" by the page and three
  whitelisted readings, which only the two-shapes rule would have kept from being filled in).

Pure functions: no database (the selector reads it), so fields.py and the bench can use them.
"""

import itertools
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

from detainers.triage.services import APPLY_CONFIDENCE

IDENTIFIER_FIELDS = ("subject_id", "event_number")
MIN_CHARACTERS, MAX_CHARACTERS = 5, 20  # letters and digits, separators not counted
MIN_DIGITS = 3
MAX_SEPARATORS = 3
MAX_CLASS_CHANGES = (
    2  # "2024BOS000123" changes twice between digits and letters; "4O7L23456" 4 times
)
SEPARATORS = "-/"
# Reviewers must have confirmed a shape this often before it is trusted: one odd value typed in
# (or one misread a reviewer let through) does not make a format.
TRUSTED_AFTER = 3
# How much of the distance to 1.0 a trusted shape takes off: a value of a confirmed shape whose
# OCR confidence is 0.86 reaches 0.86 + 0.14 * 0.3 = 0.902. The shape says the letters and digits
# are where they belong, not that each is the right one. Kept under 1/3 so that nothing read from a
# standard-resolution fax (at most ocr.LOW_RESOLUTION_TRUST = 0.85) is lifted over the bar:
# bench/extraction found those misread alike at every scale.
TRUSTED_RAISE = 0.3
# The OCR confidence a value of a never-confirmed shape needs to reach APPLY_CONFIDENCE.
UNSEEN_BAR = 0.97
CORRECTION_FACTOR = 0.85  # as fields.CORRECTION_FACTOR: each character corrected
# Agreement: a value of a trusted shape that this many independent readings spell alike (the
# page's, and its cut-outs' read again by rereading.py) is as sure as AGREED_CONFIDENCE, whatever
# Tesseract's word confidence said; see identifier_agreed.
AGREEING_READINGS = 3
# A Subject ID or an Event # is one word as printed; OCR may split it in two or three.
MAX_IDENTIFIER_WORDS = 3
AGREED_CONFIDENCE = 0.95

# Characters OCR reads for one another, by what the shape says the character must be.
AS_DIGIT = str.maketrans({"O": "0", "o": "0", "Q": "0", "D": "0", "I": "1", "l": "1", "|": "1",
                          "i": "1", "!": "1", "L": "1", "Z": "2", "z": "2", "S": "5", "s": "5",
                          "B": "8", "G": "6", "b": "6", "T": "7", "g": "9", "q": "9"})  # fmt: skip
AS_LETTER = str.maketrans({"0": "O", "1": "I", "|": "I", "!": "I", "5": "S", "8": "B", "2": "Z",
                           "6": "G", "4": "A", "7": "T"})  # fmt: skip
CONFUSABLE = set("OQDILSBGTZ") | set("0125678")
DASHES = str.maketrans({"–": "-", "—": "-", "~": "-", "_": "-", "=": "-"})


@dataclass(frozen=True)
class ConfirmedShapes:
    """{field: {shape: how many reviewed requests hold a value of that shape}}."""

    counts: Mapping[str, Mapping[str, int]] = field(default_factory=dict)

    def times(self, field_name: str, shape: str) -> int:
        return self.counts.get(field_name, {}).get(shape, 0)

    def trusted(self, field_name: str) -> list[str]:
        shapes = self.counts.get(field_name, {})
        return [shape for shape, times in shapes.items() if times >= TRUSTED_AFTER]


NONE_CONFIRMED = ConfirmedShapes()


def identifier_shape(value: str) -> str:
    """'SEA8207710174' -> 'L3D10', '2019-004512' -> 'D4-D6'; other characters stand for themselves."""
    runs = re.findall(r"[A-Z]+|[0-9]+|[^A-Z0-9]", value.upper())
    return "".join(
        f"L{len(run)}" if run.isalpha() else f"D{len(run)}" if run.isdigit() else run
        for run in runs
    )


def shapes_counted(values_by_field: Mapping[str, list[str]]) -> ConfirmedShapes:
    """The shapes of confirmed values, counted; implausible values (typed notes) are left out."""
    counts: dict[str, dict[str, int]] = {}
    for field_name, values in values_by_field.items():
        shapes = counts.setdefault(field_name, {})
        for value in values:
            if identifier_plausible(value):
                shape = identifier_shape(value)
                shapes[shape] = shapes.get(shape, 0) + 1
    return ConfirmedShapes(counts)


def identifier_plausible(value: str) -> bool:
    """The broad default: could this be an identifier of some office's format at all?"""
    if not re.fullmatch(r"[A-Z0-9]+(?:[-/][A-Z0-9]+)*", value):
        return False
    letters_and_digits = re.sub(r"[^A-Z0-9]", "", value)
    characters = len(letters_and_digits)
    changes = len(re.findall(r"(?<=[A-Z])(?=[0-9])|(?<=[0-9])(?=[A-Z])", letters_and_digits))
    return (
        changes <= MAX_CLASS_CHANGES
        and MIN_CHARACTERS <= characters <= MAX_CHARACTERS
        and sum(character.isdigit() for character in value) >= MIN_DIGITS
        and len(value) - characters <= MAX_SEPARATORS
    )


@dataclass(frozen=True)
class ShapedValue:
    value: str
    corrections: int  # characters changed from what OCR read
    times_confirmed: int  # how often reviewers confirmed its shape
    # An unseen shape with a confusable character where letters meet digits, or a value that two
    # trusted shapes both fit ("217564696062" is D12 as read and L2D10 as "ZI7564696062").
    doubtful: bool = False


def identifier_readings(raw: str, *, field_name: str, shapes: ConfirmedShapes) -> list[ShapedValue]:
    """What the characters OCR read can be: as read; fitted to each trusted shape of the same
    length (confusable characters corrected); and with a lone confusable character between two of
    the other kind made that kind ("12O45" -> "12045"), which needs no confirmed shape."""
    read = raw.translate(DASHES)
    read = re.sub(r"^[^A-Za-z0-9|!]+|[^A-Za-z0-9|!]+$", "", read)
    read = re.sub(r"[^A-Za-z0-9|!\-/]", "", read)
    if not read:
        return []
    readings = []
    as_read, corrections = _capitals(read)
    if re.fullmatch(r"[A-Z0-9\-/]+", as_read):
        readings.append(_shaped(as_read, corrections, field_name, shapes))
    for shape in shapes.trusted(field_name):
        fitted = _fitted(read, shape)
        if fitted is not None:
            readings.append(ShapedValue(fitted[0], fitted[1], shapes.times(field_name, shape)))
    smoothed = _lone_confusables_fixed(read)
    if smoothed is not None:
        readings.append(_shaped(*smoothed, field_name, shapes))
    readings = [reading for reading in readings if identifier_plausible(reading.value)]
    trusted = {reading.value for reading in readings if reading.times_confirmed >= TRUSTED_AFTER}
    if len(trusted) > 1:  # the characters fit two confirmed formats: which one, a person says
        readings = [replace(reading, doubtful=reading.value in trusted) for reading in readings]
    if trusted:  # a confirmed format fits them too: "1920518045" may be "I920518045"
        readings = [
            replace(reading, doubtful=True) if reading.times_confirmed < TRUSTED_AFTER else reading
            for reading in readings
        ]
    return readings


def identifier_as_read(raw: str) -> str:
    """The characters OCR read, as an identifier is printed: capitals, digits, "-" and "/", the
    punctuation around them and any spaces dropped ("ZZB-5331-812342," -> "ZZB-5331-812342")."""
    read = raw.translate(DASHES)
    read = re.sub(r"^[^A-Za-z0-9|!]+|[^A-Za-z0-9|!]+$", "", read)
    return _capitals(re.sub(r"[^A-Za-z0-9|!\-/]", "", read))[0]


def identifier_agreed(
    readings: Sequence[str], *, field_name: str, shapes: ConfirmedShapes
) -> ShapedValue | None:
    """The value that independent readings of it agree on, character for character, when that
    agreement may stand for OCR's confidence: at least AGREEING_READINGS of the `readings` (the
    page's and its cut-outs', each the words read after the label, spaces between) spell it alike,
    no other spelling has as many, and its shape is trusted (confirmed TRUSTED_AFTER times) with
    no doubt (not a value two trusted shapes fit). None otherwise: a never-confirmed shape is never
    trusted by agreement alone (bench/extraction: readings at every scale can err alike).
    Only plausible identifiers are counted. A reading spells the value with its first one to
    MAX_IDENTIFIER_WORDS words, so that a speck read after it ("86012904047 ne .") by one reading
    does not make it disagree."""
    votes: Counter[str] = Counter()
    for reading in readings:
        words = reading.split()
        votes.update(
            {
                identifier_as_read("".join(words[:count]))
                for count in range(1, MAX_IDENTIFIER_WORDS + 1)
            }
        )
    # A value and its first part (a reading split "86012 904047"), or the value and a speck after
    # it that every reading saw ("86012904047 a"), have the same votes: which of them is the value,
    # the one trusted shape among them says. Any other spelling with as many votes: disagreement.
    plausible = [spelling for spelling in votes if identifier_plausible(spelling)]
    most = max((votes[spelling] for spelling in plausible), default=0)
    if most < AGREEING_READINGS:
        return None
    tied = sorted((s for s in plausible if votes[s] == most), key=len)
    if any(not longer.startswith(shorter) for shorter, longer in itertools.pairwise(tied)):
        return None
    trusted = {
        reading.value: reading
        for spelling in tied
        for reading in identifier_readings(spelling, field_name=field_name, shapes=shapes)
        if reading.value == spelling and not reading.corrections
        if reading.times_confirmed >= TRUSTED_AFTER and not reading.doubtful
    }
    return next(iter(trusted.values())) if len(trusted) == 1 else None


def identifier_confidence(reading: ShapedValue, *, ocr_confidence: float) -> float:
    """The value's confidence from OCR's (words, label, corrections) and what its shape is worth."""
    confidence = ocr_confidence * CORRECTION_FACTOR**reading.corrections
    if reading.doubtful and ocr_confidence < 1.0:  # typed characters are not confused
        confidence *= CORRECTION_FACTOR
    if reading.times_confirmed >= TRUSTED_AFTER:
        confidence += (1 - confidence) * TRUSTED_RAISE
    elif reading.times_confirmed == 0:
        # Stretched so that UNSEEN_BAR becomes APPLY_CONFIDENCE and 1.0 stays 1.0 (a text layer).
        stretch = (1 - APPLY_CONFIDENCE) / (1 - UNSEEN_BAR)
        confidence = max(0.0, 1 - (1 - confidence) * stretch)
    return round(confidence, 3)


def _shaped(value: str, corrections: int, field_name: str, shapes: ConfirmedShapes) -> ShapedValue:
    times = shapes.times(field_name, identifier_shape(value))
    return ShapedValue(value, corrections, times, doubtful=not times and _doubtful(value))


def _capitals(text: str) -> tuple[str, int]:
    """Identifiers are printed in capitals: a small letter is a misread (l for 1, o for 0)."""
    fixed = text.replace("|", "I").replace("!", "I").upper()
    return fixed, sum(1 for old, new in zip(text, fixed, strict=True) if old != new)


def _fitted(text: str, shape: str) -> tuple[str, int] | None:
    """The text made into that shape, and how many characters that changed; None if it cannot be."""
    wanted = re.findall(r"([LD])(\d+)|([^LD\d])", shape)
    pattern = "".join(
        separator if separator else kind * int(size) for kind, size, separator in wanted
    )
    if len(pattern) != len(text):
        return None
    fitted = []
    for character, kind in zip(text, pattern, strict=True):
        if kind == "D":
            character = character.translate(AS_DIGIT)
            if not character.isdigit():
                return None
        elif kind == "L":
            character = character.translate(AS_LETTER).upper()
            if not ("A" <= character <= "Z"):
                return None
        elif character != kind:
            return None
        fitted.append(character)
    value = "".join(fitted)
    return value, sum(1 for old, new in zip(text, value, strict=True) if old != new)


def _lone_confusables_fixed(text: str) -> tuple[str, int] | None:
    """A character OCR confuses across classes, alone between two of the other class, made that
    class ("12O45" -> "12045", "B0S" -> "BOS"); None when there is none (as read covers it)."""
    characters = list(text)
    for index in range(1, len(characters) - 1):
        before, character, after = characters[index - 1], characters[index], characters[index + 1]
        as_digit, as_letter = character.translate(AS_DIGIT), character.translate(AS_LETTER)
        if before.isdigit() and after.isdigit() and not character.isdigit() and as_digit.isdigit():
            characters[index] = as_digit
        elif before.isalpha() and after.isalpha() and character.isdigit() and as_letter.isalpha():
            characters[index] = as_letter
    changed = sum(1 for old, new in zip(text, characters, strict=True) if old != new)
    fixed, corrections = _capitals("".join(characters))
    if not changed or not re.fullmatch(r"[A-Z0-9\-/]+", fixed):
        return None
    return fixed, corrections + changed


def _doubtful(value: str) -> bool:
    """A character OCR confuses across classes where a run of letters meets a run of digits."""
    for index in range(len(value) - 1):
        left, right = value[index], value[index + 1]
        if left.isalpha() != right.isalpha() and left.isalnum() and right.isalnum():
            if left in CONFUSABLE or right in CONFUSABLE:
                return True
    return False
