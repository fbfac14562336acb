"""Identifier shapes learned from reviewed requests (detainers/extraction/shapes.py, selectors.py):
a shape reviewers confirmed is trusted, one they never confirmed is held to a higher bar."""

import pytest

from detainers.extraction import selectors
from detainers.extraction.fields import form_fields
from detainers.extraction.shapes import (
    NONE_CONFIRMED,
    TRUSTED_AFTER,
    ConfirmedShapes,
    identifier_plausible,
    identifier_shape,
)
from detainers.extraction.text import DocumentText, Line, Word
from detainers.models import Disposition
from detainers.triage import services as triage
from detainers.triage.services import APPLY_CONFIDENCE
from tests.factories import fax_received


def ocr(text: str, confidence: float) -> DocumentText:
    lines = tuple(
        Line(page=1, words=tuple(Word(word, confidence) for word in raw.split()))
        for raw in text.splitlines()
        if raw.split()
    )
    return DocumentText(method="ocr", pages=1, lines=lines)


def read(field_text: str, *, confidence: float, shapes: ConfirmedShapes = NONE_CONFIRMED):
    found = form_fields(ocr(field_text, confidence), shapes=shapes)
    return found.get("subject_id") or found.get("event_number")


def confirmed(**shapes: dict[str, int]) -> ConfirmedShapes:
    return ConfirmedShapes(shapes)


@pytest.mark.parametrize(
    ("value", "shape"),
    [("SEA8207710174", "L3D10"), ("355123456", "D9"), ("2019-004512", "D4-D6"),
     ("BOS-2021-004512", "L3-D4-D6"), ("2024BOS000123", "D4L3D6")],
)  # fmt: skip
def test_a_shape_is_the_runs_of_letters_and_digits(value, shape):
    assert identifier_shape(value) == shape


@pytest.mark.parametrize(
    ("value", "plausible"),
    [("1234567", True), ("AB12345678", True), ("2019-004512", True), ("2024BOS000123", True),
     ("BOS12", False), ("1234", False), ("GUATEMALA", False), ("4O7L23456", False),
     ("12345678901234567890123", False), ("12-34-56-78-90", False), ("-12345", False)],
)  # fmt: skip
def test_the_broad_default_takes_letters_and_digits_of_a_plausible_length(value, plausible):
    assert identifier_plausible(value) is plausible


def test_a_value_of_a_confirmed_shape_fills_itself_in_where_an_unseen_one_is_offered():
    # The same characters read at the same OCR confidence: only the reviewers' confirmations differ.
    trusted = confirmed(event_number={"L4D9": TRUSTED_AFTER})
    unseen = read("Event #: ERAK423456789", confidence=0.88)
    known = read("Event #: ERAK423456789", confidence=0.88, shapes=trusted)
    assert unseen.value == known.value == "ERAK423456789"
    assert known.confidence >= APPLY_CONFIDENCE > unseen.confidence
    # Held to a higher bar (UNSEEN_BAR), not halved: read surely enough, it is written too.
    assert read("Event #: ERAK423456789", confidence=0.96).confidence < APPLY_CONFIDENCE
    assert read("Event #: ERAK423456789", confidence=0.98).confidence >= APPLY_CONFIDENCE


def test_a_shape_confirmed_fewer_times_than_the_bar_is_not_trusted_yet():
    almost = confirmed(event_number={"L4D9": TRUSTED_AFTER - 1})
    assert (
        read("Event #: ERAK423456789", confidence=0.88, shapes=almost).confidence < APPLY_CONFIDENCE
    )


def test_a_shape_confirmed_for_one_field_says_nothing_of_another():
    other_field = confirmed(subject_id={"L4D9": 50})
    assert read("Event #: ERAK423456789", confidence=0.88, shapes=other_field).confidence < (
        APPLY_CONFIDENCE
    )


def test_a_misread_character_is_corrected_to_the_confirmed_shape_and_only_offered():
    shapes = confirmed(event_number={"L3D10": 240})
    found = read("Event #: SEA82O7710174", confidence=0.95, shapes=shapes)
    assert found.value == "SEA8207710174"
    assert found.confidence < APPLY_CONFIDENCE


def test_a_confusable_character_where_letters_meet_digits_is_not_trusted_in_an_unseen_shape():
    # "S123456789" may be "5123456789": without a confirmed shape no OCR confidence settles it.
    assert read("Subject ID: S123456789", confidence=0.99).confidence < APPLY_CONFIDENCE
    assert read("Subject ID: K423456789", confidence=0.99).confidence >= APPLY_CONFIDENCE
    shapes = confirmed(subject_id={"L1D9": 12})
    assert read("Subject ID: S123456789", confidence=0.99, shapes=shapes).confidence >= (
        APPLY_CONFIDENCE
    )


def test_a_value_two_confirmed_shapes_fit_is_only_offered():
    # Z read as 2 and I as 1 make a confirmed 2 letters + 10 digits a confirmed 12 digits.
    shapes = confirmed(event_number={"D12": 20, "L2D10": 20})
    found = read("Event #: 217564696062", confidence=0.99, shapes=shapes)
    assert found.confidence < APPLY_CONFIDENCE
    only_one = confirmed(event_number={"D12": 20})
    assert read("Event #: 217564696062", confidence=0.99, shapes=only_one).confidence >= (
        APPLY_CONFIDENCE
    )


def test_typed_text_is_trusted_whatever_its_shape():
    found = form_fields(ocr("Subject ID: S12-3456789", 1.0))["subject_id"]
    assert found.value == "S12-3456789"
    assert found.confidence == 1.0


def test_an_identifier_split_by_ocr_is_joined_when_the_joined_shape_is_confirmed():
    shapes = confirmed(event_number={"L3D10": 240})
    found = read("Event #: SEA8207 710174", confidence=0.93, shapes=shapes)
    assert found.value == "SEA8207710174"


# --- Learned from the requests reviewers confirmed ----------------------------------------------


def reviewed(supervisor, **identifiers) -> None:
    request = fax_received().requests.get()
    triage.request_triage(
        request_id=request.pk,
        actor=supervisor,
        changes={**identifiers, "disposition": Disposition.NOT_ACTED_UPON},
    )


@pytest.mark.django_db
def test_shapes_are_counted_from_reviewed_requests_only(b3, supervisor):
    for number in range(TRUSTED_AFTER):
        reviewed(supervisor, event_number=f"ERO-2024-{number:06d}", subject_id=f"AB{number:08d}")
    # Read but never reviewed: its shape says nothing yet, however often it was read.
    for _ in range(TRUSTED_AFTER):
        unreviewed = fax_received().requests.get()
        triage.request_fields_extracted(
            request_id=unreviewed.pk, readings={"event_number": ("123456789012", 1.0)}
        )
    shapes = selectors.identifier_shapes_confirmed()
    assert shapes.trusted("event_number") == ["L3-D4-D6"]
    assert shapes.trusted("subject_id") == ["L2D8"]
    assert shapes.times("event_number", "D12") == 0


@pytest.mark.django_db
def test_the_count_is_one_query_then_cached(b3, supervisor, django_assert_num_queries):
    reviewed(supervisor, event_number="ERO-2024-000001")
    with django_assert_num_queries(1):
        first = selectors.identifier_shapes_confirmed()
    reviewed(supervisor, event_number="ERO-2024-000002")
    with django_assert_num_queries(0):
        assert selectors.identifier_shapes_confirmed() == first
    selectors.identifier_shapes_forget()
    assert selectors.identifier_shapes_confirmed().times("event_number", "L3-D4-D6") == 2


@pytest.mark.django_db
def test_a_format_reviewers_confirmed_fills_itself_in_on_the_next_fax(b3, supervisor, monkeypatch):
    from detainers.extraction import services
    from detainers.intake import routing
    from detainers.models import Extraction

    # What OCR makes of an Event # in a format this department had not seen, fairly surely.
    monkeypatch.setattr(
        services, "document_text", lambda **_: ocr("Event #: ERO-2024-004512", confidence=0.9)
    )

    def fax_read():
        delivery = fax_received()
        routing.delivery_route(delivery_id=delivery.pk)
        for extraction in Extraction.objects.filter(document__delivery=delivery):
            services.document_extract(extraction_id=extraction.pk)
        return delivery.requests.get()

    first = fax_read()
    assert first.event_number == ""  # offered in the triage form, not written
    extraction = Extraction.objects.get(document__delivery=first.delivery)
    assert extraction.fields["event_number"]["value"] == "ERO-2024-004512"

    for number in range(TRUSTED_AFTER):
        reviewed(supervisor, event_number=f"ICE-2023-{number:06d}")
    selectors.identifier_shapes_forget()  # as SHAPES_FRESH_FOR later
    assert fax_read().event_number == "ERO-2024-004512"
