"""Forms whose Subject ID and Event # have other lengths and patterns than the demo's, rendered as a
text PDF, a fine fax, a scan and a standard fax: the values filled in by themselves are counted,
right and wrong, before and after reviewers confirmed those shapes. bench/extraction measures the
same over more forms (its unseen-format set)."""

import random
import shutil

import pytest

from detainers.demo.filled_forms import (
    OTHER_EVENT_NUMBER_SHAPES,
    OTHER_SUBJECT_ID_SHAPES,
    expected_fields,
    filled_form_other_formats,
)
from detainers.demo.pages import form_fax_tiff, form_pdf_text_layer, form_scanned_pdf
from detainers.extraction.fields import form_fields
from detainers.extraction.reading import document_text
from detainers.extraction.shapes import NONE_CONFIRMED, ConfirmedShapes, identifier_shape
from detainers.triage.services import APPLY_CONFIDENCE
from tests.conftest import needs

CONFIRMED = ConfirmedShapes(
    {
        "subject_id": dict.fromkeys(OTHER_SUBJECT_ID_SHAPES, 20),
        "event_number": dict.fromkeys(OTHER_EVENT_NUMBER_SHAPES, 20),
    }
)
IDENTIFIERS = ("subject_id", "event_number")


def detainers_of_other_formats(count: int = 3):
    rng = random.Random(18)
    forms = []
    while len(forms) < count:
        form = filled_form_other_formats(rng)
        if form.form_type.startswith("I-247"):  # warrants carry no Subject ID or Event #
            forms.append(form)
    return forms


FORMS = detainers_of_other_formats()


def rendered(kind: str, form) -> tuple[bytes, str]:
    rng = random.Random(form.subject_id)
    if kind == "text PDF":
        return form_pdf_text_layer(form), "application/pdf"
    if kind == "scan":
        return form_scanned_pdf(form, rng=rng), "application/pdf"
    return form_fax_tiff(form, rng=rng, fine=kind == "fine fax"), "image/tiff"


def filled_in(kind: str, shapes: ConfirmedShapes) -> dict:
    """Over FORMS: identifiers filled in right, any field filled in wrong, and the confidence of
    each identifier read right, by (form, field)."""
    counts = {"identifiers right": 0, "wrong": 0, "right identifiers' confidence": {}}
    for number, form in enumerate(FORMS):
        content, content_type = rendered(kind, form)
        found = form_fields(
            document_text(content=content, content_type=content_type), shapes=shapes
        )
        for field, value in expected_fields(form).items():
            reading = found.get(field)
            if reading is None:
                continue
            if field in IDENTIFIERS and reading.value == value:
                counts["right identifiers' confidence"][number, field] = reading.confidence
            if reading.confidence < APPLY_CONFIDENCE:
                continue
            if reading.value != value:
                counts["wrong"] += 1
            elif field in IDENTIFIERS:
                counts["identifiers right"] += 1
    return counts


def test_the_forms_use_shapes_the_demo_never_prints():
    shapes = {identifier_shape(getattr(form, field)) for form in FORMS for field in IDENTIFIERS}
    assert shapes.isdisjoint({"D9", "L3D10"})


def test_a_text_pdf_fills_in_every_identifier_whatever_its_shape():
    # Typed characters: the shape needs no confirming.
    for shapes in (NONE_CONFIRMED, CONFIRMED):
        counts = filled_in("text PDF", shapes)
        assert (counts["identifiers right"], counts["wrong"]) == (6, 0)


@pytest.mark.parametrize("kind", ["fine fax", "scan"])
def test_identifiers_read_from_a_fax_or_scan_are_surer_once_their_shapes_are_confirmed(kind):
    needs("Tesseract", shutil.which("tesseract") is not None)
    before, after = filled_in(kind, NONE_CONFIRMED), filled_in(kind, CONFIRMED)
    assert before["wrong"] == after["wrong"] == 0
    assert after["identifiers right"] >= before["identifiers right"]
    unseen, confirmed = (
        before["right identifiers' confidence"],
        after["right identifiers' confidence"],
    )
    assert unseen  # some were read right
    assert all(confirmed[key] > confidence for key, confidence in unseen.items())


def test_a_scan_fills_in_identifiers_of_confirmed_shapes_by_itself():
    needs("Tesseract", shutil.which("tesseract") is not None)
    counts = filled_in("scan", CONFIRMED)
    assert counts["wrong"] == 0
    assert counts["identifiers right"] >= 4  # of 6


def test_a_standard_fax_fills_in_nothing_by_itself():
    # At 98 lines an inch Tesseract misreads surely (ocr._trusted_less): all is offered.
    needs("Tesseract", shutil.which("tesseract") is not None)
    counts = filled_in("std fax", CONFIRMED)
    assert (counts["identifiers right"], counts["wrong"]) == (0, 0)
