"""A PDF's text layer is checked before it is believed (detainers/extraction/layers.py): garbage or
a layer covering part of the page is read again by OCR; a scanner's OCR layer is not typed text."""

import random
import shutil

import pytesseract
import pytest

from detainers.demo.filled_forms import expected_fields, filled_form_random
from detainers.demo.pages import form_pdf_text_layer, form_scanned_pdf
from detainers.extraction import reading
from detainers.extraction.fields import form_fields
from detainers.extraction.layers import OCR_LAYER_TRUST, word_share
from detainers.extraction.reading import document_text
from detainers.extraction.text import OcrMissing
from tests.conftest import needs

PDF = "application/pdf"


def a_form(seed: int = 2):
    rng = random.Random(seed)
    while True:
        form = filled_form_random(rng)
        if form.form_type == "I-247A" and not form.warrant_page:
            return form


def values(text) -> dict:
    return {field: reading.value for field, reading in form_fields(text).items()}


@pytest.fixture
def no_tesseract(monkeypatch):
    def missing(*args, **kwargs):
        raise pytesseract.TesseractNotFoundError()

    monkeypatch.setattr(pytesseract, "image_to_data", missing)


@pytest.fixture
def ocr_counted(monkeypatch):
    """How many pages were read by OCR."""
    pages = []
    real = reading.ocr_lines

    def counted(image, **kwargs):
        pages.append(kwargs["page"])
        return real(image, **kwargs)

    monkeypatch.setattr(reading, "ocr_lines", counted)
    return pages


def test_a_typed_text_layer_is_read_without_ocr_at_full_confidence(no_tesseract):
    # The demo's sample forms are such PDFs: they are read on a machine without Tesseract.
    form = a_form()
    text = document_text(content=form_pdf_text_layer(form), content_type=PDF)
    assert text.method == "text_layer"
    assert values(text) == expected_fields(form)
    assert {reading.confidence for reading in form_fields(text).values()} == {1.0}


def test_a_scanners_ocr_layer_is_read_but_trusted_as_ocr_not_as_typed_text(ocr_counted):
    form = a_form()
    content = form_scanned_pdf(form, rng=random.Random(1), ocr_layer="good")
    text = document_text(content=content, content_type=PDF)
    assert ocr_counted == []
    assert text.method == "text_layer"
    assert values(text) == expected_fields(form)
    confidences = {word.confidence for line in text.lines for word in line.words}
    assert max(confidences) <= OCR_LAYER_TRUST < 1.0


def test_an_ocr_layer_of_garbage_is_read_again_by_ocr(ocr_counted):
    needs("Tesseract", shutil.which("tesseract") is not None)
    form = a_form()
    content = form_scanned_pdf(form, rng=random.Random(1), ocr_layer="garbage")
    text = document_text(content=content, content_type=PDF)
    assert ocr_counted == [1]
    assert text.method == "ocr"
    found = values(text)
    expected = expected_fields(form)
    assert sum(found.get(field) == value for field, value in expected.items()) >= 0.9 * len(
        expected
    )
    assert all(reading.confidence < 1.0 for reading in form_fields(text).values())


def test_an_ocr_layer_covering_part_of_the_page_is_read_again_by_ocr(ocr_counted):
    needs("Tesseract", shutil.which("tesseract") is not None)
    form = a_form()
    content = form_scanned_pdf(form, rng=random.Random(1), ocr_layer="partial")
    text = document_text(content=content, content_type=PDF)
    assert ocr_counted == [1]
    assert text.method == "ocr"
    # The layer held the identifiers at the top only; the name and the boxes below come from OCR.
    found = values(text)
    assert found["subject_name"] == form.subject_name
    assert found["probable_cause"] == form.probable_cause


def test_without_ocr_a_partial_layer_is_kept_and_a_garbage_one_fails(no_tesseract):
    form = a_form()
    partial = form_scanned_pdf(form, rng=random.Random(1), ocr_layer="partial")
    text = document_text(content=partial, content_type=PDF)
    assert text.method == "text_layer"
    assert values(text)["subject_id"] == form.subject_id
    garbage = form_scanned_pdf(form, rng=random.Random(1), ocr_layer="garbage")
    with pytest.raises(OcrMissing):
        document_text(content=garbage, content_type=PDF)


@pytest.mark.parametrize(
    ("text", "share"),
    [("Subject ID: 355123456 File No: A 012-345-678 Name of Alien: PEREZ, ANA", 1.0),
     # Only the "i" of ";i" reads as a word: 2 characters of 14.
     ("~~ ;i ,I|l. ~~ ;i ,I|l. ~~", 2 / 14),
     # Mixed-case runs are no words: 10 characters of 27.
     ("xQzvR kPtWm DHS Form I-247A (3/17)", 17 / 27)],
)  # fmt: skip
def test_word_share_is_the_share_of_characters_in_words_numbers_and_codes(text, share):
    assert word_share(text) == pytest.approx(share)
