"""form_fields on hand-written text: what OCR makes of a detainer form, and what a text layer gives."""

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from detainers.extraction.fields import form_fields
from detainers.extraction.text import DocumentText, FieldReading, Line, Word

CLEAN_FORM = """\
DEPARTMENT OF HOMELAND SECURITY (DHS)
IMMIGRATION DETAINER - NOTICE OF ACTION
Subject ID: 355123456      File No: A 012-345-678
Event #: BOS2405000123     Date: 03/15/2024
Name of Alien: GARCIA LOPEZ, MARIA ELENA
Date of Birth: 01/02/1985   Citizenship: GUATEMALA   Sex: F
1. DHS HAS DETERMINED THAT PROBABLE CAUSE EXISTS THAT THE SUBJECT IS A REMOVABLE ALIEN.
{final} a final order of removal against the alien;
{pending} the pendency of ongoing removal proceedings against the alien;
{biometric} biometric confirmation of the alien's identity and a records check of federal databases
{statements} statements made by the alien to an immigration officer and/or other reliable evidence
IT IS THEREFORE REQUESTED THAT YOU:
{notify} Notify DHS as early as practicable (at least 48 hours, if possible) before the alien is released
{hold} Maintain custody of the alien for a period NOT TO EXCEED 48 HOURS beyond the time
{relay} Relay this detainer to any other law enforcement agency to which you transfer custody.
{warrant} This detainer is accompanied by a signed Form I-200 (Warrant for Arrest of Alien) or Form I-205
DHS Form I-247A (3/17)
"""
BOXES = dict(
    final="[ ]",
    pending="[X]",
    biometric="[ ]",
    statements="[ ]",
    notify="[X]",
    hold="[ ]",
    relay="[X]",
    warrant="[ ]",
)


def document(text: str, *, confidence: float = 1.0, method: str = "plain_text") -> DocumentText:
    lines = tuple(
        Line(page=1, words=tuple(Word(word, confidence) for word in raw.split()))
        for raw in text.splitlines()
        if raw.split()
    )
    return DocumentText(method=method, pages=1, lines=lines)


def ocr(text: str, confidence: float = 0.9) -> DocumentText:
    return document(text, confidence=confidence, method="ocr")


def values(found: dict[str, FieldReading]) -> dict[str, object]:
    return {field: reading.value for field, reading in found.items()}


def test_it_reads_every_field_of_a_clean_form():
    found = form_fields(document(CLEAN_FORM.format(**BOXES)))
    assert values(found) == {
        "form_type": "I-247A",
        "subject_id": "355123456",
        "event_number": "BOS2405000123",
        "a_number": "A012345678",
        "form_date": date(2024, 3, 15),
        "subject_name": "GARCIA LOPEZ, MARIA ELENA",
        "date_of_birth": date(1985, 1, 2),
        "citizenship": "GUATEMALA",
        "sex": "F",
        "probable_cause": "pending_proceedings",
        "notify_before_release": True,
        "hold_up_to_48_hours": False,
        "warrant_attached": False,
    }
    assert all(reading.confidence == 1.0 for reading in found.values())


def test_it_reads_what_ocr_typically_makes_of_the_form():
    text = """\
    CAN 19 odes 23:40 FROM: ICE ERO BOSTON' 781-555-9396 TO: 617 555 O133 P.901/002 7 - -
    : , IMMIGRATION DETAlNER - NOTICE OF ACTlON .
    . Subjcct lD: 4O7l23456. - ote _ File'No: A O12-345-67B
    ' Event #: B0S24O5000l23 Date: 03/l5/2024 ae
    Name of Allen: ‘GARCIA L0PEZ, MARIA ELENA ; ; — oo
    ; _Date of Birth: 01/02/1985 , Citizenshlp: GUATEMAIA. = Sex: MALE , .
    ©] a finai order of removal against the alien; - 7 mo ,
    . +: |X| the pendency of.ongoing removal proceedings against the alien; .
    _ L] biometric confirmation of the alien's identity anda records check of federa! databases
    |_| statements made by the alien to an immigration officer and/or other reliable evidence
    (X) Notify DHS as early as practicable {at least 48 hours, if possible) before the alien
    _ X] Maintain custody of the alien far a period NOT.TO EXCEED'48 HOURS beyond the time
    ; Relay this detainer to any other law enforcement agency to which you transfer custody
    [x] This detainer is accompanied by a signed Form |-200 (Warrant for Arrest of Alien) or Form 1-205
    DHS Form |-247A (3/17) ; | Page lof 1
    """
    assert values(form_fields(ocr(text))) == {
        "form_type": "I-247A",
        "subject_id": "407123456",
        "event_number": "BOS2405000123",
        "a_number": "A012345678",
        "form_date": date(2024, 3, 15),
        "subject_name": "GARCIA LOPEZ, MARIA ELENA",
        "date_of_birth": date(1985, 1, 2),
        "citizenship": "GUATEMALA",
        "sex": "M",
        "probable_cause": "pending_proceedings",
        "notify_before_release": True,
        "hold_up_to_48_hours": True,
        "warrant_attached": True,
    }


@pytest.mark.parametrize("mark", ["[X]", "|X|", "[x]", "X]", "(X)", "IX]", "[X)_"])
def test_it_reads_a_ticked_box(mark):
    found = form_fields(ocr(f"{mark} Notify DHS as early as practicable (at least 48 hours)"))
    assert found["notify_before_release"].value is True


@pytest.mark.parametrize("mark", ["[ ]", "[]", "O", "0", "|_|", "LC]", "©]", ""])
def test_it_reads_an_empty_box(mark):
    found = form_fields(ocr(f"{mark} Notify DHS as early as practicable (at least 48 hours)"))
    assert found["notify_before_release"].value is False


def test_prose_before_a_sentence_is_no_box():
    """A line starting "Relay this detainer" is not the warrant box with "Relay" as its mark."""
    found = form_fields(
        ocr("[X] Relay this detainer to any other law enforcement agency to which you")
    )
    assert "warrant_attached" not in found


def test_no_box_ticked_is_none_marked():
    boxes = BOXES | {"pending": "[ ]"}
    assert (
        form_fields(document(CLEAN_FORM.format(**boxes)))["probable_cause"].value == "none_marked"
    )


def test_two_boxes_ticked_gives_the_first_less_surely():
    boxes = BOXES | {"final": "[X]"}
    reading = form_fields(document(CLEAN_FORM.format(**boxes)))["probable_cause"]
    assert reading.value == "final_order"
    assert reading.confidence < 1.0


@pytest.mark.parametrize(
    "printed",
    ["A012345678", "A 012 345 678", "012-345-678", "A 012-345-678", "A0l2345678", "4012345678"],
)
def test_it_reads_an_a_number_however_printed(printed):
    assert form_fields(ocr(f"File No: {printed}"))["a_number"].value == "A012345678"


def test_a_number_of_the_wrong_length_is_not_read():
    assert "a_number" not in form_fields(ocr("File No: A 12-34"))


@pytest.mark.parametrize(
    ("printed", "expected"),
    [("03/15/2024", date(2024, 3, 15)), ("O3/l5/2024", date(2024, 3, 15)),
     ("03115/2024", date(2024, 3, 15)), ("03/1 5/2024", date(2024, 3, 15))],
)  # fmt: skip
def test_it_reads_dates_despite_misread_characters(printed, expected):
    assert form_fields(ocr(f"Date: {printed}"))["form_date"].value == expected


def test_an_impossible_date_is_not_read():
    assert "form_date" not in form_fields(ocr("Date: 13/45/2024"))


@pytest.mark.parametrize(("printed", "expected"), [("M", "M"), ("F", "F"), ("MALE", "M"), ("FEMALE", "F"), ("FEMALF", "F")])  # fmt: skip
def test_it_reads_sex_as_m_or_f(printed, expected):
    assert form_fields(ocr(f"Sex: {printed}"))["sex"].value == expected


def test_corrected_values_are_less_sure_than_clean_ones():
    clean = form_fields(ocr("Subject ID: 407123456 Event #: BOS2405000123 File No: A012345678"))
    fixed = form_fields(ocr("Subject ID: 4O7l23456 Event #: B0S24O5000l23 File No: AO1234S678"))
    for field in ("subject_id", "event_number", "a_number"):
        assert fixed[field].value == clean[field].value
        assert fixed[field].confidence < clean[field].confidence


def test_a_value_that_is_no_identifier_is_less_sure_even_from_a_text_layer():
    # Two digits are no identifier of any format; seven digits may be one (an unseen format).
    found = form_fields(document("Subject ID: 1234567 Event #: BOS12"))
    assert found["subject_id"] == FieldReading("1234567", 1.0)
    assert found["event_number"].value == "BOS12"
    assert found["event_number"].confidence == 0.5


def test_ocr_confidence_follows_the_words():
    sure = form_fields(ocr("Citizenship: GUATEMALA", confidence=0.95))["citizenship"]
    unsure = form_fields(ocr("Citizenship: GUATEMALA", confidence=0.4))["citizenship"]
    assert unsure.confidence < sure.confidence


def test_a_misread_country_is_corrected_less_surely():
    found = form_fields(ocr("Citizenship: GUATEMAIA"))["citizenship"]
    assert found.value == "GUATEMALA"
    assert found.confidence < form_fields(ocr("Citizenship: GUATEMALA"))["citizenship"].confidence


def test_missing_fields_are_absent():
    found = form_fields(document("Subject ID: 355123456\nName of Alien: PEREZ, ANA"))
    assert set(found) == {"subject_id", "subject_name"}


def test_warrants_are_recognised_by_title_and_footer():
    text = "U.S. DEPARTMENT OF HOMELAND SECURITY\nWARRANT FOR ARREST OF ALIEN\nFile No: A012345678\nForm I-200 (Rev. 09/16)"
    assert form_fields(ocr(text))["form_type"].value == "I-200"
    assert form_fields(ocr("WARRANT OF REMOVAL/DEPORTATION"))["form_type"].value == "I-205"


def test_a_detainer_with_a_warrant_page_is_a_detainer_with_a_warrant_attached():
    text = (
        CLEAN_FORM.format(**BOXES) + "\nWARRANT OF REMOVAL/DEPORTATION\nForm I-205 (Rev. 08/07)\n"
    )
    found = form_fields(document(text))
    assert found["form_type"].value == "I-247A"
    assert found["warrant_attached"].value is True


def test_a_form_named_in_a_sentence_is_not_the_form():
    text = "[X] This detainer is accompanied by a signed Form I-200 (Warrant for Arrest of Alien)"
    assert "form_type" not in form_fields(document(text))


@pytest.mark.parametrize(
    ("title", "kind"),
    [("IMMIGRATION DETAINER - REQUEST FOR VOLUNTARY ACTION", "I-247D"),
     ("REQUEST FOR VOLUNTARY NOTIFICATION OF RELEASE OF SUSPECTED PRIORITY ALIEN", "I-247N"),
     ("REQUEST FOR VOLUNTARY TRANSFER", "I-247X"), ("ORDER TO DETAIN OR RELEASE ALIEN", "I-203"),
     ("DHS Form I-247A (3/17)", "I-247A"), ("DHS Form 1-2474 (3/17)", "I-247A")],
)  # fmt: skip
def test_it_knows_each_form_by_its_title_or_footer(title, kind):
    assert form_fields(ocr(title))["form_type"].value == kind


def test_garbage_gives_nothing():
    garbage = (
        "~~ .. ;; ,, Lorem ipsum dolor 12 ##\n\n  | _ | © ® %% 3.14159 \x00\x01 Date Sex Subject"
    )
    assert form_fields(ocr(garbage)) == {}
    assert form_fields(DocumentText(method="ocr", pages=0, lines=())) == {}


EVERY_FIELD = frozenset(form_fields(document(CLEAN_FORM.format(**BOXES))))


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=400))
def test_it_never_raises_on_odd_text(text):
    for found in (
        form_fields(ocr(text)),
        form_fields(ocr("Subject ID: File No: Date: Sex: Date of Birth: Event #: " + text)),
    ):
        # Whatever it makes of the text is still readings of the form's fields, at most certain.
        assert set(found) <= EVERY_FIELD
        assert all(0 <= reading.confidence <= 1 for reading in found.values())
