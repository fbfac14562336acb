"""The fields of a detainer form written after a label, read from a document's text (reading.py).

`form_fields(text)` returns {field: FieldReading(value, confidence)} for what it found; a field it did
not find is absent. It never raises on odd text: OCR output is full of speckle "words", misread
characters and labels missing a letter, so every step is tolerant:

- labels are matched fuzzily, word by word (difflib), with the usual OCR confusions folded together;
- a value is what follows its label on the same line, up to the next label;
- digits and letters are corrected where the field's shape says which one it must be (O->0 in an
  A-number, 0->O in a name), and each correction lowers the confidence;
- a Subject ID or an Event # has no fixed format: shapes.py says what any identifier may be and
  which shapes reviewers confirmed (`shapes`, from selectors.identifier_shapes_confirmed).

The kind of form, its ticked boxes and the probable cause are read by boxes.py; form_fields adds
them to the labelled values.

Confidence: the mean of the value's word confidences (1.0 for a text layer or plain text), times
0.85 for each corrected character, halved when the value has not the shape it should have; for an
identifier, raised when reviewers confirmed its shape and held to a higher bar when they never did
(shapes.identifier_confidence), or AGREED_CONFIDENCE when independent readings of it agree on a
value of a confirmed shape (shapes.identifier_agreed; the readings ride on its words).
"""

import re
from dataclasses import dataclass, replace
from datetime import date
from difflib import SequenceMatcher, get_close_matches
from functools import partial

from django.core.exceptions import ValidationError

from detainers.core.identifiers import a_number_normalise
from detainers.extraction.boxes import boxes_read, form_type_find
from detainers.extraction.shapes import (
    AGREED_CONFIDENCE,
    AS_DIGIT,
    AS_LETTER,
    IDENTIFIER_FIELDS,
    MAX_IDENTIFIER_WORDS,
    NONE_CONFIRMED,
    ConfirmedShapes,
    identifier_agreed,
    identifier_confidence,
    identifier_readings,
)
from detainers.extraction.text import DocumentText, FieldReading, Line, Word, fold, has_alnum
from detainers.triage.services import APPLY_CONFIDENCE

CORRECTION_FACTOR = 0.85
LABEL_SIMILARITY = 0.8

LABELS = {
    "date_of_birth": ("Date of Birth:", "DOB:"),
    "subject_name": ("Name of Alien:", "Name of Subject:"),
    "citizenship": ("Citizenship:", "Suspected Citizenship:", "Country of Citizenship:"),
    "subject_id": ("Subject ID:",),
    "event_number": ("Event #:", "Event No:"),
    "a_number": ("File No:", "A-Number:"),
    "form_date": ("Date:",),
    "sex": ("Sex:",),
}

# Where detainer subjects come from, most often first. A misread country close to one of these is
# corrected; one not listed is kept as printed, with a lower confidence.
COUNTRIES = (
    "MEXICO", "GUATEMALA", "HONDURAS", "EL SALVADOR", "DOMINICAN REPUBLIC", "HAITI", "BRAZIL",
    "CAPE VERDE", "CABO VERDE", "COLOMBIA", "ECUADOR", "VENEZUELA", "PERU", "NICARAGUA", "CUBA",
    "JAMAICA", "TRINIDAD AND TOBAGO", "GUYANA", "BOLIVIA", "CHILE", "ARGENTINA", "PANAMA",
    "COSTA RICA", "BELIZE", "CHINA", "INDIA", "VIETNAM", "PHILIPPINES", "KOREA", "SOUTH KOREA",
    "PAKISTAN", "BANGLADESH", "NEPAL", "AFGHANISTAN", "IRAN", "IRAQ", "SYRIA", "LEBANON",
    "JORDAN", "EGYPT", "MOROCCO", "ALGERIA", "NIGERIA", "GHANA", "KENYA", "SOMALIA", "ETHIOPIA",
    "ERITREA", "SUDAN", "SENEGAL", "SIERRA LEONE", "LIBERIA", "CAMEROON", "CONGO", "ANGOLA",
    "UGANDA", "UKRAINE", "RUSSIA", "POLAND", "ROMANIA", "ALBANIA", "PORTUGAL", "IRELAND",
    "UNITED KINGDOM", "ITALY", "SPAIN", "FRANCE", "GERMANY", "TURKEY", "CANADA", "INDONESIA",
    "CAMBODIA", "LAOS", "THAILAND", "MONGOLIA", "UZBEKISTAN", "GEORGIA", "ARMENIA",
)  # fmt: skip


@dataclass(frozen=True)
class _Value:
    """The words after a label on one line, up to the next label."""

    words: tuple[Word, ...]
    label_similarity: float

    @property
    def text(self) -> str:
        return " ".join(word.text for word in self.words)

    def confidence(self, *, corrections: int = 0, shape_ok: bool = True) -> float:
        if not self.words:
            return 0.0
        mean = sum(word.confidence for word in self.words) / len(self.words)
        confidence = mean * self.label_similarity * CORRECTION_FACTOR**corrections
        return round(confidence if shape_ok else confidence / 2, 3)


def form_fields(
    text: DocumentText, *, shapes: ConfirmedShapes = NONE_CONFIRMED
) -> dict[str, FieldReading]:
    lines = [_split_at_colons(line) for line in text.lines if line.words]
    fields: dict[str, FieldReading] = {}
    form_type = form_type_find(lines)
    if form_type:
        fields["form_type"] = form_type
    values = _labelled_values(lines)
    for field, parse in PARSERS.items():
        if field in IDENTIFIER_FIELDS:
            parse = partial(_identifier, field_name=field, shapes=shapes)
        readings = [reading for value in values.get(field, []) if (reading := parse(value))]
        if readings:  # the best reading, the first one among equals (page 1 before the warrant)
            fields[field] = max(readings, key=lambda reading: reading.confidence)
    fields |= boxes_read(lines, form_type)
    return fields


# --- Labels and their values ------------------------------------------------------------------------


def value_spans(words: tuple[Word, ...]) -> list[tuple[int, int, str]]:
    """Where the labelled values are among a line's words, as (first, end, field) indices: what
    rereading.py reads again. A word holding a label and its value ("ID:0575668") is in its span."""
    split, origin = [], []
    for index, word in enumerate(words):
        parts = _split_at_colons(Line(page=1, words=(word,))).words
        split += parts
        origin += [index] * len(parts)
    found = _labels_in(tuple(split))
    spans = []
    for number, (field, _start, end, _similarity) in enumerate(found):
        stop = found[number + 1][1] if number + 1 < len(found) else len(split)
        if end < stop:
            spans.append((origin[end], origin[stop - 1] + 1, field))
    return spans


def _split_at_colons(line: Line) -> Line:
    """OCR glues a label to its value ("#:°SEA8207710174", "No:.A"): split after the colon."""
    words = []
    for word in line.words:
        label, colon, value = word.text.partition(":")
        if colon and label and has_alnum(value):
            words += [Word(label + colon, word.confidence), replace(word, text=value)]
        else:
            words.append(word)
    return Line(page=line.page, words=tuple(words))


_LABEL_FORMS = sorted(
    ((field, label, fold(label), len(label.split())) for field, labels in LABELS.items() for label in labels),
    key=lambda form: -len(form[2]),
)  # fmt: skip


def _labelled_values(lines: list[Line]) -> dict[str, list[_Value]]:
    values: dict[str, list[_Value]] = {}
    for line in lines:
        found = _labels_in(line.words)
        for index, (field, _start, end, similarity) in enumerate(found):
            stop = found[index + 1][1] if index + 1 < len(found) else len(line.words)
            words = tuple(word for word in line.words[end:stop] if has_alnum(word.text))
            values.setdefault(field, []).append(_Value(words, similarity))
    return values


def _labels_in(words: tuple[Word, ...]) -> list[tuple[str, int, int, float]]:
    """(field, first word, word after the label, similarity) for each label on the line."""
    found = []
    folded = [fold(word.text) for word in words]  # once per word, not once per label tried
    position = 0
    while position < len(words):
        match = _label_at(words, folded, position)
        if match:
            found.append(match)
            position = match[2]
        else:
            position += 1
    return found


def _label_at(
    words: tuple[Word, ...], folded_words: list[str], position: int
) -> tuple[str, int, int, float] | None:
    """The label starting at this word, if any: the longest label, in its best-matching window."""
    for field, _label, folded, size in _LABEL_FORMS:
        best = None
        for count in sorted({max(1, size - 1), size, size + 1}):
            window = words[position : position + count]
            if len(window) < count or not folded_words[position]:
                continue
            candidate = "".join(folded_words[position : position + count])
            # The ratio cannot reach the bar when the lengths differ too much: most words are
            # dismissed here, before the (slow) matching.
            lengths = len(candidate) + len(folded)
            if 2 * min(len(candidate), len(folded)) < LABEL_SIMILARITY * lengths:
                continue
            matcher = SequenceMatcher(None, candidate, folded)
            if matcher.quick_ratio() < LABEL_SIMILARITY:
                continue
            similarity = matcher.ratio()
            joined = "".join(word.text for word in window)
            if similarity >= LABEL_SIMILARITY and _label_ends(joined, folded):
                if best is None or similarity > best[1]:
                    best = (count, similarity)
        if best:
            count, similarity = best
            return field, position, position + count, round(min(1.0, 0.5 + similarity / 2), 3)
    return None


def _label_ends(joined: str, folded: str) -> bool:
    """Printed labels end in a colon; without one (OCR drops it) the label must be whole.

    "SUBJECT IS A REMOVABLE ALIEN" in the form's prose must not read as "Subject ID"."""
    return joined[-1:] in ":;.,#!" or fold(joined) == folded  # "!": a colon misread


# --- Values ---------------------------------------------------------------------------------------------


def _digits(text: str) -> tuple[str, int]:
    """The text as digits (misread letters corrected), and how many characters were corrected."""
    fixed = text.translate(AS_DIGIT)
    return fixed, sum(1 for old, new in zip(text, fixed, strict=True) if old != new)


# The confidence of a sure reading that readings agreeing on another value contradict: offered.
AGREEMENT_CONFLICT = 0.5


def _identifier(value: _Value, *, field_name: str, shapes: ConfirmedShapes) -> FieldReading | None:
    """The most confident reading of the value's first words as an identifier (shapes.py); the
    first word, halved, when none is a plausible identifier (offered, never written)."""
    best = None
    for count in range(1, min(len(value.words), MAX_IDENTIFIER_WORDS) + 1):
        words = _Value(value.words[:count], value.label_similarity)
        raw = "".join(word.text for word in words.words)
        for reading in identifier_readings(raw, field_name=field_name, shapes=shapes):
            confidence = identifier_confidence(reading, ocr_confidence=words.confidence())
            if best is None or confidence > best.confidence:
                best = FieldReading(reading.value, confidence)
    agreed = _identifier_agreed(value, field_name=field_name, shapes=shapes)
    if agreed is not None:
        if best is not None and best.value != agreed.value and best.confidence >= APPLY_CONFIDENCE:
            return FieldReading(best.value, AGREEMENT_CONFLICT)  # two sure witnesses differ
        if best is None or best.value != agreed.value or best.confidence < agreed.confidence:
            return agreed
    if best is None and value.words:
        first = re.sub(r"[^A-Za-z0-9\-/]", "", value.words[0].text).upper()
        if any(character.isdigit() for character in first):
            return _reading(first, _Value(value.words[:1], value.label_similarity), 0, False)
    return best


def _identifier_agreed(
    value: _Value, *, field_name: str, shapes: ConfirmedShapes
) -> FieldReading | None:
    """The value the page's reading and its cut-outs' readings agree on (shapes.identifier_agreed),
    as sure as AGREED_CONFIDENCE times the label's similarity; None when they do not agree."""
    readings = next((word.readings for word in value.words if word.readings), ())
    if not readings:
        return None
    page = " ".join(word.text for word in value.words)
    agreed = identifier_agreed([page, *readings], field_name=field_name, shapes=shapes)
    if agreed is None:
        return None
    return FieldReading(agreed.value, round(AGREED_CONFIDENCE * value.label_similarity, 3))


def _a_number(value: _Value) -> FieldReading | None:
    raw = _leading_run(value, lambda token: bool(re.fullmatch(r"[A#]?[-\dOoIlSBZ|]*", token)))
    raw = re.sub(r"^[Aa#]+|[-\s]", "", raw)
    if not raw:
        return None
    digits, corrections = _digits(raw)
    if len(digits) == 10 and digits[0] == "4":  # the leading A read as a 4
        digits, corrections = digits[1:], corrections + 1
    try:
        normalised = a_number_normalise(digits)
    except ValidationError:
        return None
    shape_ok = digits.isdigit() and len(digits) == 9
    return _reading(normalised, value, corrections, shape_ok)


def _leading_run(value: _Value, belongs, *, digits: int = 9) -> str:
    """The value's first words that look like part of an identifier, joined without spaces,
    until they hold the identifier's number of digits (speckles after it are no part of it)."""
    parts: list[str] = []
    for word in value.words:
        token = re.sub(r"^[\W_]+|[\W_]+$", "", word.text)
        if not token or not belongs(token) or _digit_like("".join(parts)) >= digits:
            break
        parts.append(token)
    return "".join(parts)


def _digit_like(text: str) -> int:
    return sum(
        1 for character in text.lstrip("Aa#") if character.isdigit() or character in "OoIlSBZ|"
    )


DATE = re.compile(r"(\d{1,2})[/\-.](\d{1,2})[/\-.](\d{4})")


def _date(value: _Value) -> FieldReading | None:
    raw = "".join(word.text for word in value.words[:3])
    digits, corrections = _digits(re.sub(r"[^0-9A-Za-z/\-.|!]", "", raw))
    for candidate, separators in _date_spellings(digits):
        match = DATE.match(candidate)
        if match is None:
            continue
        month, day, year = (int(part) for part in match.groups())
        try:
            found = date(year, month, day)
        except ValueError:
            continue
        return _reading(found, value, corrections + separators, 1900 <= year <= 2100)
    return None


def _date_spellings(text: str):
    """The date as read, then with a separator read as 1 or 7 put back, then bare MMDDYYYY."""
    yield text, 0
    if len(text) >= 10 and text[2] in "17/-." and text[5] in "17/-.":
        fixed = f"{text[:2]}/{text[3:5]}/{text[6:]}"
        yield fixed, sum(1 for position in (2, 5) if text[position] in "17")
    digits = re.sub(r"\D", "", text)
    if len(digits) == 8:
        yield f"{digits[:2]}/{digits[2:4]}/{digits[4:]}", 1


def _subject_name(value: _Value) -> FieldReading | None:
    words = _name_words(value)
    if not words:
        return None
    raw = " ".join(word.text for word in words)
    name = raw.translate(AS_LETTER)
    corrections = sum(1 for old, new in zip(raw, name, strict=True) if old != new)
    letters = [character for character in name if character.isalpha()]
    if sum(character.isupper() for character in letters) >= 0.8 * len(letters):
        corrections += sum(character.islower() for character in letters)
        name = name.upper()  # a printed capital read as a small letter (I as l)
    name = re.sub(r"\s*,\s*", ", ", name).strip(" ,")
    shape_ok = bool(NAME.fullmatch(name))
    return _reading(name, _Value(words, value.label_similarity), corrections, shape_ok)


NAME = re.compile(r"[^\W\d_]+(?:[ '\-][^\W\d_]+)*, [^\W\d_]+(?:[ '\-][^\W\d_]+)*")


def _name_words(value: _Value) -> tuple[Word, ...]:
    """The name's words without the speckles OCR reads after it ("SILVA, ROSE OO", "PEREZ, ANA a")."""
    words = [
        Word(word.text.strip("'\"`‘’_;:.»«"), word.confidence)
        for word in value.words
        if any(character.isalpha() for character in word.text)
    ]
    if words and words[0].text.isupper():  # a name printed in capitals: lowercase words are noise
        words = [word for word in words if not word.text.islower()]
    while len(words) > 1 and len(words[-1].text) <= 2 and words[-1].confidence < 0.6:
        words.pop()
    return tuple(word for word in words if word.text)


def _citizenship(value: _Value) -> FieldReading | None:
    tokens = [word.text.strip(".,;:'\"`‘’_") for word in value.words[:3]]
    raw = " ".join(token for token in tokens if token.isalpha())
    if not raw:
        return None
    country = raw.upper()
    for size in (3, 2, 1):  # "EL SALVADOR" before "EL"; noise words after the country dropped
        candidate = " ".join(country.split()[:size])
        match = get_close_matches(candidate, COUNTRIES, n=1, cutoff=0.8)
        if match:
            corrections = sum(1 for a, b in zip(candidate, match[0], strict=False) if a != b)
            corrections += abs(len(candidate) - len(match[0]))
            return _reading(match[0], value, corrections, True)
    return _reading(country.split()[0], value, 0, False)


def _sex(value: _Value) -> FieldReading | None:
    if not value.words:
        return None
    token = value.words[0].text.strip(".,;:'\"`‘’_").upper()
    for printed, sex in (("M", "M"), ("F", "F"), ("MALE", "M"), ("FEMALE", "F")):
        if token == printed:
            return _reading(sex, value, 0, True)
    match = get_close_matches(token, ["MALE", "FEMALE"], n=1, cutoff=0.75)
    if match:
        return _reading(match[0][0], value, 1, True)
    return None


def _reading(found: object, value: _Value, corrections: int, shape_ok: bool) -> FieldReading:
    return FieldReading(found, value.confidence(corrections=corrections, shape_ok=shape_ok))


PARSERS = {
    "subject_id": _identifier,
    "event_number": _identifier,
    "a_number": _a_number,
    "form_date": _date,
    "date_of_birth": _date,
    "subject_name": _subject_name,
    "citizenship": _citizenship,
    "sex": _sex,
}
