"""Agreement as a witness (shapes.identifier_agreed, rereading.py's identifier readings): a value of
a confirmed shape that independent readings spell alike is filled in whatever Tesseract's word
confidence said; readings that disagree, or a shape reviewers never confirmed, earn nothing."""

import pytest
from PIL import Image

from detainers.extraction.fields import form_fields
from detainers.extraction.rereading import (
    IDENTIFIER_SCALES,
    READING_SCALES,
    Placed,
    values_read_again,
)
from detainers.extraction.shapes import (
    AGREED_CONFIDENCE,
    NONE_CONFIRMED,
    TRUSTED_AFTER,
    ConfirmedShapes,
)
from detainers.extraction.text import DocumentText, Line, Word
from detainers.triage.services import APPLY_CONFIDENCE

CONFIRMED = ConfirmedShapes(
    {"subject_id": {"L2D8": TRUSTED_AFTER}, "event_number": {"D12": 20, "L2D10": 20}}
)


def subject_id(text: str, *, confidence: float, readings: tuple[str, ...], shapes):
    words = [Word("Subject", 0.95), Word("ID:", 0.95)]
    words += [Word(word, confidence, readings) for word in text.split()]
    document = DocumentText(method="ocr", pages=1, lines=(Line(page=1, words=tuple(words)),))
    return form_fields(document, shapes=shapes).get("subject_id")


def test_it_fills_in_a_confirmed_shape_the_readings_agree_on_despite_a_low_word_confidence():
    found = subject_id("RS91394411", confidence=0.4, readings=("RS91394411", "RS 91394411."),
                       shapes=CONFIRMED)  # fmt: skip
    assert (found.value, found.confidence) == ("RS91394411", AGREED_CONFIDENCE)
    assert found.confidence >= APPLY_CONFIDENCE


def test_a_speck_read_after_the_value_does_not_break_the_agreement():
    # A fax's specks after the value are words of their own: each reading is taken up to them.
    found = subject_id("RS91394411 ne", confidence=0.4, readings=("RS91394411 ae ;", "RS91394411"),
                       shapes=CONFIRMED)  # fmt: skip
    assert (found.value, found.confidence) == ("RS91394411", AGREED_CONFIDENCE)


def test_a_value_split_in_two_words_alike_by_every_reading_is_the_whole_value():
    # "RS913" is a plausible identifier too, with as many votes: the confirmed shape says which.
    found = subject_id("RS913 94411", confidence=0.4, readings=("RS913 94411", "RS913 94411"),
                       shapes=CONFIRMED)  # fmt: skip
    assert (found.value, found.confidence) == ("RS91394411", AGREED_CONFIDENCE)


def test_a_speck_every_reading_saw_after_the_value_is_left_out_by_the_confirmed_shape():
    found = subject_id("RS91394411 a", confidence=0.4, readings=("RS91394411 a", "RS91394411 a"),
                       shapes=CONFIRMED)  # fmt: skip
    assert (found.value, found.confidence) == ("RS91394411", AGREED_CONFIDENCE)


def test_it_only_offers_a_value_the_readings_disagree_on():
    found = subject_id("RS91394411", confidence=0.4, readings=("RS91394417", "RS9139441"),
                       shapes=CONFIRMED)  # fmt: skip
    assert found.value == "RS91394411"
    assert found.confidence < APPLY_CONFIDENCE


def test_two_readings_against_the_page_are_not_enough():
    # Two agreeing cut-outs share their edges and can err alike: three witnesses are needed.
    found = subject_id("RS91394411", confidence=0.4, readings=("RS91394417", "RS91394417"),
                       shapes=CONFIRMED)  # fmt: skip
    assert found.confidence < APPLY_CONFIDENCE


def test_the_readings_can_outvote_the_page():
    # The page read D as 0 (and T as 7): three readings of the cut-out read it as printed.
    found = subject_id("R591394411", confidence=0.4,
                       readings=("RS91394411", "RS91394411", "RS91394411", "R591394411"),
                       shapes=CONFIRMED)  # fmt: skip
    assert (found.value, found.confidence) == ("RS91394411", AGREED_CONFIDENCE)


def test_a_never_confirmed_shape_is_not_trusted_by_agreement_alone():
    # No confusable character where letters meet digits (M4): nothing else holds it back.
    readings = ("XM43972510", "XM43972510")
    found = subject_id("XM43972510", confidence=0.4, readings=readings, shapes=NONE_CONFIRMED)
    assert found.value == "XM43972510"
    assert found.confidence < APPLY_CONFIDENCE
    # ... but the existing bar for it (shapes.UNSEEN_BAR, 0.97) still fills it in.
    sure = subject_id("XM43972510", confidence=0.99, readings=readings, shapes=NONE_CONFIRMED)
    assert sure.value == "XM43972510"
    assert sure.confidence >= APPLY_CONFIDENCE


def test_a_shape_confirmed_too_seldom_is_not_trusted_by_agreement():
    seldom = ConfirmedShapes({"subject_id": {"L2D8": TRUSTED_AFTER - 1}})
    found = subject_id("RS91394411", confidence=0.4, readings=("RS91394411", "RS91394411"),
                       shapes=seldom)  # fmt: skip
    assert found.confidence < APPLY_CONFIDENCE


def test_a_value_two_confirmed_shapes_fit_is_only_offered_however_many_agree():
    # "217564696962" is D12 as read and L2D10 as "ZI7564696962": which one, a person says.
    line = [Word("Event", 0.95), Word("#:", 0.95), Word("217564696962", 0.4, ("217564696962",) * 4)]
    document = DocumentText(method="ocr", pages=1, lines=(Line(page=1, words=tuple(line)),))
    found = form_fields(document, shapes=CONFIRMED)["event_number"]
    assert found.value == "217564696962"
    assert found.confidence < APPLY_CONFIDENCE


def test_a_sure_page_reading_the_readings_contradict_is_only_offered():
    found = subject_id("RS91394411", confidence=0.99, readings=("RS91394417",) * 3,
                       shapes=CONFIRMED)  # fmt: skip
    assert found.value == "RS91394411"
    assert found.confidence < APPLY_CONFIDENCE


def test_readings_survive_a_label_glued_to_its_value():
    words = (Word("Subject", 0.95), Word("ID:RS91394411", 0.4, ("RS91394411", "RS91394411")))
    document = DocumentText(method="ocr", pages=1, lines=(Line(page=1, words=words),))
    found = form_fields(document, shapes=CONFIRMED)["subject_id"]
    assert (found.value, found.confidence) == ("RS91394411", AGREED_CONFIDENCE)


# --- rereading.py: who gets which readings ----------------------------------------------------------

PAGE = Image.new("L", (1200, 400), 255)


def placed_line(*words: tuple[str, float], top: int) -> list[Placed]:
    placed, left = [], 50
    for text, confidence in words:
        placed.append(Placed(Word(text, confidence), (left, top, 20 * len(text), 30)))
        left += 20 * len(text) + 15
    return placed


def reader(scales, *readings: list[str]):
    """A stand-in for Tesseract: the n-th call returns the n-th list, one text per cut-out."""
    calls = []

    def read(picture: Image.Image) -> dict:
        texts, scale = readings[len(calls)], scales[len(calls)]
        calls.append(picture.size)
        data = {"text": [], "conf": [], "left": [], "top": [], "height": []}
        for number, text in enumerate(texts):  # cut-outs 50 pixels high, 40 between them
            middle = 40 + number * 90 + 25
            data["text"].append(text)
            data["conf"].append(90)
            data["left"].append(10)
            data["top"].append(round((middle - 5) * scale))
            data["height"].append(round(10 * scale))
        return data

    read.calls = calls
    return read


def test_it_gives_an_identifiers_words_every_other_reading_and_other_values_none():
    page = [
        placed_line(("Subject", 0.95), ("ID:", 0.9), ("RS91394411", 0.5), top=50),
        placed_line(("Date:", 0.9), ("03/15/2024", 0.5), top=150),
    ]
    read = reader(READING_SCALES, ["RS91394411", "03/15/2024"], ["R591394411", "03/15/2024"])
    read_identifiers = reader(IDENTIFIER_SCALES, ["RS91394411"], ["RS9139441I"])
    lines = values_read_again(PAGE, page, read=read, read_identifiers=read_identifiers)
    words = {placed.word.text: placed.word for one in lines for placed in one}
    assert words["RS91394411"].readings == ("RS91394411", "R591394411", "RS91394411", "RS9139441I")
    assert words["03/15/2024"].readings == ()
    assert words["Subject"].readings == ()
    # One call per scale for the page's identifiers, whatever their number.
    assert len(read_identifiers.calls) == len(IDENTIFIER_SCALES)


@pytest.mark.parametrize("read_identifiers", [None, "none found"])
def test_a_page_without_identifiers_or_without_that_reader_carries_no_readings(read_identifiers):
    page = [placed_line(("Date:", 0.9), ("03/15/2024", 0.5), top=50)]
    read = reader(READING_SCALES, ["03/15/2024"], ["03/15/2024"])
    identifiers = reader(IDENTIFIER_SCALES) if read_identifiers else None
    lines = values_read_again(PAGE, page, read=read, read_identifiers=identifiers)
    assert [placed.word.readings for placed in lines[0]] == [(), ()]
    if identifiers is not None:
        assert identifiers.calls == []  # nothing to read: no Tesseract call


def test_a_value_of_an_unseen_shape_that_fits_a_confirmed_one_once_corrected_is_only_offered():
    # "I920518045" (L1D9, confirmed) read "1920518045" (D10, never confirmed) at 0.99: the bar for
    # an unseen shape is met, but the characters may as well be the confirmed format's.
    shapes = ConfirmedShapes({"subject_id": {"L1D9": 20}})
    found = subject_id("1920518045", confidence=0.99, readings=(), shapes=shapes)
    assert found.confidence < APPLY_CONFIDENCE
    # Without that confirmed format, 0.99 meets the unseen shapes' bar.
    alone = subject_id("1920518045", confidence=0.99, readings=(), shapes=NONE_CONFIRMED)
    assert (alone.value, alone.confidence >= APPLY_CONFIDENCE) == ("1920518045", True)
