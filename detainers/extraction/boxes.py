"""What a detainer form says by its layout, not by labelled values: which form it is (by its title
or its footer), which of its boxes are ticked, and the probable cause those boxes give.

`form_type_find(lines)` and `boxes_read(lines, form_type)` are called by fields.form_fields with
the document's lines. A box is ticked when the mark in front of its sentence holds an X ("[X]",
"|X|", "X]", "(X)"), empty for "[ ]", "[]", "O", "|_|" or nothing at all. A warrant's title in a
detainer's document says that the warrant is attached even when its box is not ticked.
"""

import re
from dataclasses import dataclass
from difflib import SequenceMatcher

from detainers.extraction.text import FieldReading, Line, Word, fold, has_alnum

SENTENCE_SIMILARITY = 0.75
TITLE_SIMILARITY = 0.8

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


# --- The kind of form ---------------------------------------------------------------------------------


def form_type_find(lines: list[Line]) -> FieldReading | None:
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
    words = [word for word in line.words if has_alnum(word.text)]
    text = " ".join(word.text for word in words).upper()
    if not 10 <= len(text) <= 90:
        return None
    folded = fold(text)
    for title, kind in TITLES.items():
        similarity = SequenceMatcher(None, folded, fold(title)).ratio()
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


def boxes_read(lines: list[Line], form_type: FieldReading | None) -> dict[str, FieldReading]:
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
    folded, wanted = fold(text), fold(phrase)
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
    wanted = fold(sentence)
    best = None
    for skip in range(0, 4):
        rest = fold(" ".join(word.text for word in words[skip:]))[: len(wanted)]
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
