"""Invented filled-in detainer forms: the same form as a text-layer PDF, a fax, a scan, an email.

The demo data (`seed_demo`), the extraction tests and bench/extraction all use them. The layout follows
the printed I-247A (2017 revision) and the I-200/I-205 warrants: the labels, the probable-cause boxes
with their sentences, the "IT IS THEREFORE REQUESTED THAT YOU:" boxes and the footer. Every person and
identifier is invented.

One layout (a list of drawing operations per page, in points from the top left of a US letter page)
is drawn either by reportlab (a real text layer) or by Pillow (pixels, for the fax and the scan), so
the four renderings of a form say exactly the same thing.
"""

import random
import re
import string
from dataclasses import dataclass, replace
from datetime import date, timedelta

from PIL import ImageFont

PAGE_WIDTH, PAGE_HEIGHT = 612.0, 792.0  # US letter, points
TITLES = {
    "I-247A": "IMMIGRATION DETAINER - NOTICE OF ACTION",
    "I-247D": "IMMIGRATION DETAINER - REQUEST FOR VOLUNTARY ACTION",
    "I-247N": "REQUEST FOR VOLUNTARY NOTIFICATION OF RELEASE OF SUSPECTED PRIORITY ALIEN",
    "I-247X": "REQUEST FOR VOLUNTARY TRANSFER",
    "I-200": "WARRANT FOR ARREST OF ALIEN",
    "I-205": "WARRANT OF REMOVAL/DEPORTATION",
}
FOOTERS = {
    "I-247A": "DHS Form I-247A (3/17)",
    "I-247D": "DHS Form I-247D (12/15)",
    "I-247N": "DHS Form I-247N (12/15)",
    "I-247X": "DHS Form I-247X (12/15)",
    "I-200": "Form I-200 (Rev. 09/16)",
    "I-205": "Form I-205 (Rev. 08/07)",
}
PROBABLE_CAUSE_SENTENCES = {
    "final_order": "a final order of removal against the alien;",
    "pending_proceedings": "the pendency of ongoing removal proceedings against the alien;",
    "biometric_match": "biometric confirmation of the alien's identity and a records check of federal "
    "databases that affirmatively indicate, by themselves or in addition to other reliable "
    "information, that the alien either lacks immigration status or notwithstanding such status "
    "is removable under U.S. immigration law; and/or",
    "statements": "statements made by the alien to an immigration officer and/or other reliable "
    "evidence that affirmatively indicate the alien either lacks immigration status or "
    "notwithstanding such status is removable under U.S. immigration law.",
}
NOTIFY_SENTENCE = (
    "Notify DHS as early as practicable (at least 48 hours, if possible) before the alien is "
    "released from your custody."
)
HOLD_SENTENCE = (
    "Maintain custody of the alien for a period NOT TO EXCEED 48 HOURS beyond the time when "
    "he/she would otherwise have been released from your custody to allow DHS to assume custody."
)
RELAY_SENTENCE = (
    "Relay this detainer to any other law enforcement agency to which you transfer custody of the "
    "alien."
)
WARRANT_SENTENCE = (
    "This detainer is accompanied by a signed Form I-200 (Warrant for Arrest of Alien) or Form "
    "I-205 (Warrant of Removal/Deportation) issued to the alien."
)

GIVEN_NAMES = [
    "MARIA ELENA", "JOSE LUIS", "JUAN CARLOS", "ANA", "WEI", "LI NA", "NGUYEN VAN", "MOHAMMED",
    "FATIMA", "OLUWASEUN", "JEAN PIERRE", "ROSE MARIE", "SAMUEL", "PRIYA", "RAHUL", "DMITRI",
    "OLENA", "JOAO PEDRO", "LUCIA", "KWAME", "ABDI", "CARLOS ALBERTO", "MEI", "HUGO",
]  # fmt: skip
FAMILY_NAMES = [
    "GARCIA LOPEZ", "HERNANDEZ", "MARTINEZ", "RODRIGUEZ", "PEREZ", "CHEN", "WANG", "TRAN",
    "NGUYEN", "ALI", "HASSAN", "OKAFOR", "ADEYEMI", "JOSEPH", "PIERRE", "SILVA", "SANTOS",
    "PATEL", "SINGH", "IVANOV", "KOVALENKO", "MENSAH", "WARSAME", "DOS SANTOS", "RAMIREZ",
    "OLIVEIRA", "BAPTISTE", "GOMEZ",
]  # fmt: skip
COUNTRIES = [
    "GUATEMALA", "HONDURAS", "EL SALVADOR", "MEXICO", "DOMINICAN REPUBLIC", "HAITI", "BRAZIL",
    "CHINA", "VIETNAM", "INDIA", "NIGERIA", "GHANA", "SOMALIA", "CAPE VERDE", "COLOMBIA",
    "ECUADOR", "JAMAICA", "UKRAINE", "RUSSIA", "VENEZUELA", "PERU", "PAKISTAN", "IRELAND",
]  # fmt: skip
OFFICES = ["BOS", "NYC", "LOS", "HOU", "CHI", "MIA", "NEW", "PHI", "SEA", "ATL"]
INSTITUTIONS = [
    "Boston Police Department, District B-3",
    "Boston Police Department, District C-11",
    "Boston Police Department, Central Booking",
]
DHS_OFFICES = [
    "ICE ERO Boston, 1000 District Avenue, Burlington, MA 01803",
    "ICE ERO Boston Field Office, JFK Federal Building, Boston, MA 02203",
]


@dataclass(frozen=True)
class FilledForm:
    form_type: str  # "I-247A", "I-247D", "I-247N", "I-247X", "I-200" or "I-205"
    form_date: date
    subject_id: str
    event_number: str
    a_number: str  # normalised: "A012345678"
    a_number_printed: str  # as typed on the form: "A 012 345 678", "012-345-678", ...
    subject_name: str
    date_of_birth: date
    citizenship: str
    sex: str  # as typed: "M", "F", "MALE" or "FEMALE"
    probable_cause: str  # a ProbableCause value, "none_marked" when no box is ticked
    notify_before_release: bool
    hold_up_to_48_hours: bool
    relay: bool
    warrant_box: bool  # the I-247A's box "accompanied by a signed Form I-200 or I-205"
    warrant_page: str  # "" or "I-200"/"I-205": a warrant page faxed behind the I-247A
    institution: str
    dhs_office: str

    @property
    def pages(self) -> int:
        return 2 if self.warrant_page else 1


def filled_form_random(rng: random.Random) -> FilledForm:
    """Mostly I-247A (some with a warrant page behind), some warrants, some rescinded forms."""
    form_type = rng.choices(
        ["I-247A", "I-200", "I-205", "I-247D", "I-247N", "I-247X"], weights=[70, 8, 7, 5, 5, 5]
    )[0]
    digits = f"{rng.randrange(10**8, 10**9):09d}"
    printed = rng.choice(["A{}", "A {} {} {}", "{}-{}-{}", "A {}-{}-{}"])
    a_number_printed = printed.format(*([digits] if printed == "A{}" else _thirds(digits)))
    warrant_page = rng.choice(["I-200", "I-205"]) if rng.random() < 0.3 else ""
    return FilledForm(
        form_type=form_type,
        form_date=date(2018, 1, 1) + timedelta(days=rng.randrange(0, 8 * 365)),
        subject_id=f"{rng.randrange(10**8, 10**9)}",
        event_number=rng.choice(OFFICES) + f"{rng.randrange(10**9, 10**10):010d}",
        a_number="A" + digits,
        a_number_printed=a_number_printed,
        subject_name=f"{rng.choice(FAMILY_NAMES)}, {rng.choice(GIVEN_NAMES)}",
        date_of_birth=date(1955, 1, 1) + timedelta(days=rng.randrange(0, 50 * 365)),
        citizenship=rng.choice(COUNTRIES),
        sex=rng.choice(["M", "F", "MALE", "FEMALE"]),
        probable_cause=rng.choices(
            [*PROBABLE_CAUSE_SENTENCES, "none_marked"], weights=[30, 20, 35, 10, 5]
        )[0],
        notify_before_release=rng.random() < 0.9,
        hold_up_to_48_hours=rng.random() < 0.8,
        relay=rng.random() < 0.5,
        warrant_box=bool(warrant_page) or rng.random() < 0.4,
        warrant_page=warrant_page if form_type == "I-247A" else "",
        institution=rng.choice(INSTITUTIONS),
        dhs_office=rng.choice(DHS_OFFICES),
    )


# Identifier formats other than the demo's own (Subject ID: 9 digits; Event #: 3 letters and 10
# digits), as another office or another year might print them: "L2D8" is two letters then eight
# digits, "D4-D6" four digits, a hyphen, six digits. Invented; the reading must not know them.
OTHER_SUBJECT_ID_SHAPES = ("D7", "D11", "L2D8", "D4-D6", "L1D9")
OTHER_EVENT_NUMBER_SHAPES = ("L3D8", "L4D9", "D12", "L3-D4-D6", "L2D10")


def filled_form_other_formats(rng: random.Random) -> FilledForm:
    """A random form whose Subject ID and Event # have one of the other shapes."""
    form = filled_form_random(rng)
    return replace(
        form,
        subject_id=identifier_of_shape(rng.choice(OTHER_SUBJECT_ID_SHAPES), rng=rng),
        event_number=identifier_of_shape(rng.choice(OTHER_EVENT_NUMBER_SHAPES), rng=rng),
    )


def identifier_of_shape(shape: str, *, rng: random.Random) -> str:
    """A random identifier of that shape: "L3-D4" gives e.g. "QZB-0417"."""
    parts = []
    for kind, size, separator in re.findall(r"([LD])(\d+)|([^LD\d])", shape):
        if separator:
            parts.append(separator)
            continue
        alphabet = string.ascii_uppercase if kind == "L" else string.digits
        parts.append("".join(rng.choice(alphabet) for _ in range(int(size))))
    return "".join(parts)


def _thirds(digits: str) -> list[str]:
    return [digits[0:3], digits[3:6], digits[6:9]]


def expected_fields(form: FilledForm) -> dict[str, object]:
    """Exactly what form_fields should read from any rendering of the form (values only)."""
    fields: dict[str, object] = {
        "form_type": form.form_type,
        "form_date": form.form_date,
        "a_number": form.a_number,
        "subject_name": form.subject_name,
    }
    if form.form_type.startswith("I-247"):
        fields |= {
            "subject_id": form.subject_id,
            "event_number": form.event_number,
            "date_of_birth": form.date_of_birth,
            "citizenship": form.citizenship,
            "sex": form.sex[0],
        }
    if form.form_type == "I-247A":
        fields |= {
            "probable_cause": form.probable_cause,
            "notify_before_release": form.notify_before_release,
            "hold_up_to_48_hours": form.hold_up_to_48_hours,
            "warrant_attached": form.warrant_box or bool(form.warrant_page),
        }
    return fields


# --- The layout -----------------------------------------------------------------------------------


FONTS: dict[tuple[str, int], ImageFont.FreeTypeFont] = {}


def form_email_body(form: FilledForm) -> str:
    """The form typed into an email body by an officer who had no fax machine at hand."""
    tick = {True: "[X]", False: "[ ]"}
    lines = [
        "Good morning,",
        "",
        "Please find the detainer below; the signed original follows by fax.",
        "",
        TITLES[form.form_type],
        f"Subject ID: {form.subject_id}    Event #: {form.event_number}",
        f"File No: {form.a_number_printed}    Date: {form.form_date:%m/%d/%Y}",
        f"Name of Alien: {form.subject_name}",
        f"Date of Birth: {form.date_of_birth:%m/%d/%Y}    Citizenship: {form.citizenship}    Sex: {form.sex}",
    ]
    if form.form_type in ("I-200", "I-205"):
        lines = [*lines[:5], lines[6], lines[7]]
    if form.form_type == "I-247A":
        lines += ["", "1. DHS HAS DETERMINED THAT PROBABLE CAUSE EXISTS THAT THE SUBJECT IS A REMOVABLE ALIEN. THIS DETERMINATION IS BASED ON:"]  # fmt: skip
        for basis, sentence in PROBABLE_CAUSE_SENTENCES.items():
            lines.append(f"{tick[form.probable_cause == basis]} {sentence}")
        lines += ["", "IT IS THEREFORE REQUESTED THAT YOU:"]
        lines.append(f"{tick[form.notify_before_release]} {NOTIFY_SENTENCE}")
        lines.append(f"{tick[form.hold_up_to_48_hours]} {HOLD_SENTENCE}")
        lines.append(f"{tick[form.relay]} {RELAY_SENTENCE}")
        lines.append(f"{tick[form.warrant_box]} {WARRANT_SENTENCE}")
        if form.warrant_page:
            lines += ["", f"Attached: {TITLES[form.warrant_page]} ({form.warrant_page})."]
    lines += ["", FOOTERS[form.form_type], "", "Deportation Officer", "ICE ERO Boston"]
    return "\n".join(lines) + "\n"
