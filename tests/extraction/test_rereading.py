"""The values on a page read again at two other scales (detainers/extraction/rereading.py): their
agreement, not Tesseract's own word confidence, says how sure a number is."""

import pytest
from PIL import Image

from detainers.extraction.rereading import (
    ALL_AGREE_DOUBT,
    MOST_AGREE_DOUBT,
    NONE_AGREE_TRUST,
    READING_SCALES,
    Placed,
    values_read_again,
)
from detainers.extraction.text import Word

PAGE = Image.new("L", (1200, 400), 255)


def line(*words: tuple[str, float], top: int = 100) -> list[Placed]:
    placed, left = [], 50
    for text, confidence in words:
        placed.append(Placed(Word(text, confidence), (left, top, 20 * len(text), 30)))
        left += 20 * len(text) + 15
    return placed


def reader(*readings: list[str]):
    """A stand-in for Tesseract: for the n-th call (one per scale), the n-th list of texts, one per
    value cut out, each placed in the middle of its cut-out in the stack."""
    calls = []

    def read(picture: Image.Image) -> dict:
        texts = readings[len(calls)]
        scale = READING_SCALES[len(calls)]
        calls.append(picture.size)
        data = {"text": [], "conf": [], "left": [], "top": [], "height": []}
        # The stack holds the cut-outs one under the other, each 30 + 2 * 10 pixels high, with 40
        # pixels between them (rereading.MARGIN and GAP).
        for number, text in enumerate(texts):
            middle = 40 + number * (50 + 40) + 25
            data["text"].append(text)
            data["conf"].append(90)
            data["left"].append(10)
            data["top"].append(round((middle - 5) * scale))
            data["height"].append(round(10 * scale))
        return data

    read.calls = calls
    return read


def confidences(lines) -> dict[str, float]:
    return {placed.word.text: placed.word.confidence for one in lines for placed in one}


def test_a_number_read_alike_three_times_is_raised_most():
    page = [line(("Subject", 0.95), ("ID:", 0.9), ("407123456", 0.5))]
    read = reader(["407123456"], ["407 123456."])  # spaces and punctuation aside
    found = confidences(values_read_again(PAGE, page, read=read))
    assert found["407123456"] == pytest.approx(1 - 0.5 * ALL_AGREE_DOUBT)
    assert found["Subject"] == 0.95  # a label is no value: not read again
    assert len(read.calls) == len(READING_SCALES)  # one call per scale for the whole page


def test_agreeing_with_one_other_reading_raises_less():
    page = [line(("Event", 0.95), ("#:", 0.9), ("BOS2405000123", 0.6))]
    found = confidences(
        values_read_again(PAGE, page, read=reader(["BOS2405000123"], ["BOS2405000128"]))
    )
    assert found["BOS2405000123"] == pytest.approx(1 - 0.4 * MOST_AGREE_DOUBT)


def test_a_number_the_other_readings_contradict_is_lowered_and_kept_as_read():
    # Even when the other two agree with each other, the page's words stay: only less sure.
    page = [line(("Subject", 0.95), ("ID:", 0.9), ("407123456", 0.8))]
    lines = values_read_again(PAGE, page, read=reader(["407123458"], ["407123458"]))
    assert [placed.word.text for placed in lines[0]] == ["Subject", "ID:", "407123456"]
    assert confidences(lines)["407123456"] == pytest.approx(0.8 * NONE_AGREE_TRUST)


def test_letters_are_not_raised_by_agreement_but_lowered_by_disagreement():
    # A fax's lost strokes make I read as T at every scale: agreement says little about letters.
    agreed = [line(("Name", 0.95), ("of", 0.95), ("Alien:", 0.9), ("PATEL,", 0.8), ("WEI", 0.7))]
    found = confidences(values_read_again(PAGE, agreed, read=reader(["PATEL, WEI"], ["PATEL WEI"])))
    assert (found["PATEL,"], found["WEI"]) == (0.8, 0.7)
    found = confidences(values_read_again(PAGE, agreed, read=reader(["PATEL, WET"], ["PATFL WEI"])))
    assert found["WEI"] == pytest.approx(0.7 * NONE_AGREE_TRUST)


def test_each_value_gets_its_own_readings():
    page = [
        line(("Subject", 0.95), ("ID:", 0.9), ("407123456", 0.5), top=50),
        line(("Date:", 0.9), ("03/15/2024", 0.5), top=150),
    ]
    read = reader(["407123456", "03/16/2024"], ["407123456", "03/17/2024"])
    found = confidences(values_read_again(PAGE, page, read=read))
    assert found["407123456"] > 0.5 > found["03/15/2024"]


def test_a_page_without_labelled_values_is_not_read_again():
    page = [line(("IT", 0.9), ("IS", 0.9), ("THEREFORE", 0.9), ("REQUESTED", 0.9))]
    read = reader()
    assert values_read_again(PAGE, page, read=read) == page
    assert read.calls == []
