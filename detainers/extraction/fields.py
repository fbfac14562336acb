"""The fields of a detainer form, read from a document's text (detainers/extraction/reading.py).

`form_fields(text)` returns {field: FieldReading(value, confidence)} for what it found; a field it did
not find is absent. It never raises on odd text: OCR output is full of speckle "words", misread
characters and labels missing a letter, so every step is tolerant:

- labels are matched fuzzily, word by word (difflib), with the usual OCR confusions folded together;
- a value is what follows its label on the same line, up to the next label;
- digits and letters are corrected where the field's shape says which one it must be (O->0 in an
  A-number, 0->O in a name), and each correction lowers the confidence;
- a box is ticked when the mark in front of its sentence holds an X ("[X]", "|X|", "X]", "(X)"),
  empty for "[ ]", "[]", "O", "|_|" or nothing at all.

Confidence: the mean of the value's word confidences (1.0 for a text layer or plain text), times
0.85 for each corrected character, halved when the value has not the shape it should have.
"""

import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from difflib import SequenceMatcher, get_close_matches

from django.core.exceptions import ValidationError

from detainers.core.identifiers import a_number_normalise, identifier_normalise
from detainers.extraction.reading import DocumentText, Line, Word

CORRECTION_FACTOR = 0.85
LABEL_SIMILARITY = 0.8
SENTENCE_SIMILARITY = 0.75
TITLE_SIMILARITY = 0.8

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
TITLES = {
    "IMMIGRATION DETAINER - NOTICE OF ACTION": "I-247A",
    "IMMIGRATION DETAINER - REQUEST FOR VOLUNTARY ACTION": "I-247D",
    "REQUEST FOR VOLUNTARY NOTIFICATION OF RELEASE OF SUSPECTED PRIORITY ALIEN": "I-247N",
    "REQUEST FOR VOLUNTARY TRANSFER": "I-247X",
    "ORDER TO DETAIN OR RELEASE ALIEN": "I-203",
    "WARRANT FOR ARREST OF ALIEN": "I-200",
    "WARRANT OF REMOVAL/DEPORTATION": "I-205",
}
DETAINERS = ("I-247A", "I-247D", "I-247N", "I-247X")
WARRANTS = ("I-200", "I-205")
# "DHS Form I-247A (3/17)", "Form I-200 (Rev. 09/16)"; OCR reads the I as 1, l or |, the A as 4.
# The revision date in brackets tells the footer from a sentence naming a form ("Form I-200 (Warrant").
FOOTER = re.compile(
    r"FORM\s*[I1L|!]\s*-?\s*(247\s*[ADNX4]|20[035])\s*\(\s*(?:REV[.,]?\s*)?[\dOIL]{1,2}\s*/",
    re.IGNORECASE,
)

# The first words of each box's sentence on the I-247A: enough to tell them apart.
PROBABLE_CAUSE_BOXES = {
    "final_order": "a final order of removal against the alien",
    "pending_proceedings": "the pendency of ongoing removal proceedings",
    "biometric_match": "biometric confirmation of the alien's identity",
    "statements": "statements made by the alien to an immigration officer",
}
REQUEST_BOXES = {
    "notify_before_release": "Notify DHS as early as practicable",
    "hold_up_to_48_hours": "Maintain custody of the alien for a period",
    "warrant_attached": "This detainer is accompanied by a signed Form I-200",
}
PROBABLE_CAUSE_HEADING = "PROBABLE CAUSE EXISTS THAT THE SUBJECT IS A REMOVABLE ALIEN"

# Characters OCR confuses, by what the field says the character must be.
AS_DIGIT = str.maketrans({"O": "0", "o": "0", "Q": "0", "D": "0", "I": "1", "l": "1", "|": "1",
                          "i": "1", "!": "1", "L": "1", "Z": "2", "z": "2", "S": "5", "s": "5",
                          "B": "8", "G": "6", "b": "6", "T": "7", "g": "9", "q": "9"})  # fmt: skip
AS_LETTER = str.maketrans({"0": "O", "1": "I", "|": "I", "5": "S", "8": "B", "2": "Z", "6": "G",
                           "4": "A", "7": "T"})  # fmt: skip

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
class FieldReading:
    value: object
    confidence: float  # 0..1


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


def form_fields(text: DocumentText) -> dict[str, FieldReading]:
    lines = [_split_at_colons(line) for line in text.lines if line.words]
    fields: dict[str, FieldReading] = {}
    form_type = _form_type(lines)
    if form_type:
        fields["form_type"] = form_type
    values = _labelled_values(lines)
    for field, parse in PARSERS.items():
        readings = [reading for value in values.get(field, []) if (reading := parse(value))]
        if readings:  # the best reading, the first one among equals (page 1 before the warrant)
            fields[field] = max(readings, key=lambda reading: reading.confidence)
    fields |= _boxes(lines, form_type)
    return fields


# --- Labels and their values ------------------------------------------------------------------------


def _split_at_colons(line: Line) -> Line:
    """OCR glues a label to its value ("#:°SEA8207710174", "No:.A"): split after the colon."""
    words = []
    for word in line.words:
        label, colon, value = word.text.partition(":")
        if colon and label and _has_alnum(value):
            words += [Word(label + colon, word.confidence), Word(value, word.confidence)]
        else:
            words.append(word)
    return Line(page=line.page, words=tuple(words))


def _fold(text: str) -> str:
    """A label or word as compared: no accents, no punctuation but '#', and I/l/1, O/0 as one."""
    text = unicodedata.normalize("NFKD", text).lower()
    text = text.translate(str.maketrans({"1": "l", "i": "l", "|": "l", "!": "l", "0": "o"}))
    return "".join(character for character in text if character.isalnum() or character == "#")


_LABEL_FORMS = sorted(
    ((field, label, _fold(label), len(label.split())) for field, labels in LABELS.items() for label in labels),
    key=lambda form: -len(form[2]),
)  # fmt: skip


def _labelled_values(lines: list[Line]) -> dict[str, list[_Value]]:
    values: dict[str, list[_Value]] = {}
    for line in lines:
        found = _labels_in(line.words)
        for index, (field, _start, end, similarity) in enumerate(found):
            stop = found[index + 1][1] if index + 1 < len(found) else len(line.words)
            words = tuple(word for word in line.words[end:stop] if _has_alnum(word.text))
            values.setdefault(field, []).append(_Value(words, similarity))
    return values


def _labels_in(words: tuple[Word, ...]) -> list[tuple[str, int, int, float]]:
    """(field, first word, word after the label, similarity) for each label on the line."""
    found = []
    folded = [_fold(word.text) for word in words]  # once per word, not once per label tried
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
    return joined[-1:] in ":;.,#" or _fold(joined) == folded


def _has_alnum(text: str) -> bool:
    return any(character.isalnum() for character in text)


# --- Values ---------------------------------------------------------------------------------------------


def _digits(text: str) -> tuple[str, int]:
    """The text as digits (misread letters corrected), and how many characters were corrected."""
    fixed = text.translate(AS_DIGIT)
    return fixed, sum(1 for old, new in zip(text, fixed, strict=True) if old != new)


def _subject_id(value: _Value) -> FieldReading | None:
    raw = _leading_run(value, lambda token: sum(c.isdigit() for c in token) >= len(token) / 2)
    if not raw:
        return None
    digits, corrections = _digits(raw)
    shape_ok = digits.isdigit() and len(digits) == 9
    return _reading(identifier_normalise(digits), value, corrections, shape_ok)


def _event_number(value: _Value) -> FieldReading | None:
    raw = "".join(word.text for word in value.words[:3])
    raw = re.sub(r"[^A-Za-z0-9|!]", "", raw)[:13]
    if len(raw) < 4:
        return None
    office = raw[:3].translate(AS_LETTER).upper()
    number, corrections = _digits(raw[3:])
    corrections += sum(1 for old, new in zip(raw[:3], office, strict=True) if old != new)
    shape_ok = office.isalpha() and number.isdigit() and len(number) == 10
    return _reading(identifier_normalise(office + number), value, corrections, shape_ok)


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
    "subject_id": _subject_id,
    "event_number": _event_number,
    "a_number": _a_number,
    "form_date": _date,
    "date_of_birth": _date,
    "subject_name": _subject_name,
    "citizenship": _citizenship,
    "sex": _sex,
}


# --- The kind of form ---------------------------------------------------------------------------------


def _form_type(lines: list[Line]) -> FieldReading | None:
    """The first detainer form named by a title or footer; a warrant only when there is none."""
    found = [named for line in lines for named in _form_types_on(line)]
    if not found:
        return None
    detainers = [kind for kind, _ in found if kind in DETAINERS]
    kind = detainers[0] if detainers else found[0][0]
    confidences = [confidence for other, confidence in found if other == kind]
    confidence = max(confidences) if len(confidences) > 1 else max(confidences) * 0.8
    return FieldReading(kind, round(confidence, 3))


def _form_types_on(line: Line) -> list[tuple[str, float]]:
    found = []
    title = _title(line)
    if title:
        found.append(title)
    for match in FOOTER.finditer(line.text):
        number = re.sub(r"\s", "", match.group(1))
        if number.startswith("247"):
            number = "247" + number[3:].replace("4", "A")  # "I-2474": the A read as a 4
        confidence = _mean_confidence(line.words)
        found.append((f"I-{number}", confidence))
    return found


def _title(line: Line) -> tuple[str, float] | None:
    words = [word for word in line.words if _has_alnum(word.text)]
    text = " ".join(word.text for word in words).upper()
    if not 10 <= len(text) <= 90:
        return None
    folded = _fold(text)
    for title, kind in TITLES.items():
        similarity = SequenceMatcher(None, folded, _fold(title)).ratio()
        if similarity >= TITLE_SIMILARITY:
            return kind, _mean_confidence(words) * similarity
    return None


def _mean_confidence(words) -> float:
    return sum(word.confidence for word in words) / len(words) if words else 0.0


# --- Ticked boxes -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Box:
    ticked: bool
    confidence: float


def _boxes(lines: list[Line], form_type: FieldReading | None) -> dict[str, FieldReading]:
    fields: dict[str, FieldReading] = {}
    found = {key: box for key, box in _box_sentences(lines).items()}
    cause = _probable_cause(lines, found)
    if cause:
        fields["probable_cause"] = cause
    for key in ("notify_before_release", "hold_up_to_48_hours", "warrant_attached"):
        if key in found:
            fields[key] = FieldReading(found[key].ticked, found[key].confidence)
    warrant_page = _warrant_page(lines)
    if form_type and form_type.value in DETAINERS and warrant_page is not None:
        if not fields.get("warrant_attached", FieldReading(False, 0)).value:
            fields["warrant_attached"] = FieldReading(True, warrant_page)
    return fields


def _warrant_page(lines: list[Line]) -> float | None:
    """The confidence of a warrant's title line in the document, None without one."""
    for line in lines:
        title = _title(line)
        if title and title[0] in WARRANTS:
            return round(title[1], 3)
    return None


def _probable_cause(lines: list[Line], found: dict[str, _Box]) -> FieldReading | None:
    ticked = [
        (key, box) for key, box in found.items() if key in PROBABLE_CAUSE_BOXES and box.ticked
    ]
    if ticked:
        key, box = ticked[0]
        return FieldReading(key, box.confidence if len(ticked) == 1 else box.confidence / 2)
    shown = [box for key, box in found.items() if key in PROBABLE_CAUSE_BOXES]
    if shown:  # the boxes are there, none ticked
        return FieldReading("none_marked", round(min(box.confidence for box in shown), 3))
    if any(_contains(line.text, PROBABLE_CAUSE_HEADING) for line in lines):
        return FieldReading("none_marked", 0.3)  # the section is there, its boxes unreadable
    return None


def _contains(text: str, phrase: str) -> bool:
    folded, wanted = _fold(text), _fold(phrase)
    matcher = SequenceMatcher(None, folded, wanted)
    return sum(block.size for block in matcher.get_matching_blocks()) >= 0.85 * len(wanted)


def _box_sentences(lines: list[Line]) -> dict[str, _Box]:
    """For each box's sentence found at the start of a line: is the mark in front of it a tick."""
    sentences = PROBABLE_CAUSE_BOXES | REQUEST_BOXES
    found: dict[str, _Box] = {}
    for line in lines:
        for key, sentence in sentences.items():
            if key in found:
                continue
            marker = _marker_before(line.words, sentence)
            if marker is not None:
                found[key] = _box(marker, line.words)
                break
    return found


def _marker_before(words: tuple[Word, ...], sentence: str) -> tuple[Word, ...] | None:
    """The words in front of the sentence when the line starts with it after 0 to 3 words."""
    wanted = _fold(sentence)
    best = None
    for skip in range(0, 4):
        rest = _fold(" ".join(word.text for word in words[skip:]))[: len(wanted)]
        if len(rest) < len(wanted) * 0.8:
            break
        similarity = SequenceMatcher(None, rest, wanted).ratio()
        marker_letters = sum(c.isalpha() for word in words[:skip] for c in word.text)
        if marker_letters > 3:  # words of prose, not a box: "Relay this detainer" is no box
            break
        if similarity >= SENTENCE_SIMILARITY and (best is None or similarity >= best[1]):
            best = (skip, similarity)
    return None if best is None else words[: best[0]]


TICK = re.compile(r"[xX×✓✔✗✘]")
# Marks OCR makes of an empty box; a mark matching neither is read as a tick, less surely.
EMPTY = re.compile(r"^[\[\](){}|_.,;:'\"`~\-—–=+*°©®oO0DULCIJjlc1!<>«»‘’“”/\\ ]*$")


def _box(marker: tuple[Word, ...], line_words: tuple[Word, ...]) -> _Box:
    text = "".join(word.text for word in marker)
    sure = _mean_confidence(marker) if marker else _mean_confidence(line_words[:4])
    if TICK.search(text):
        return _Box(True, round(sure, 3))
    if EMPTY.match(text):
        return _Box(False, round(sure, 3))
    if re.search(r"[&%KkM¥#]", text):  # an X in a box read as a neighbouring shape
        return _Box(True, round(sure * 0.6, 3))
    return _Box(False, round(sure * 0.5, 3))
