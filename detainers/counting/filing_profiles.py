"""What the yearly filing to the City Clerk says and which figures it gives: one profile per ordinance.

A city's ordinance decides the letter's wording, its figures and the columns of its list of
requests; the code that reads the records and writes the PDF (detainers.counting.filing and
filing_pdf) is the same for every city. So a profile is data: its figures name a measure from the
fixed set in `filing.MEASURES`, its columns a field from `filing.COLUMNS`. Neither set holds a
subject's name or identifier, so no profile can put one in a letter.

`settings.FILING_PROFILE` chooses the profile. Texts may use {department}, {year}, {total} and
{time_zone}.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from detainers.models import Disposition


@dataclass(frozen=True)
class FilingFigure:
    """One figure of the letter: `measure` says how it is read (filing.MEASURES)."""

    key: str
    label: str
    measure: str


@dataclass(frozen=True)
class FilingColumn:
    """One column of the list of requests: `field` is one of filing.COLUMNS; `width` in inches."""

    field: str
    heading: str
    width: float


@dataclass(frozen=True)
class FilingProfile:
    name: str
    title: str
    recipient: tuple[str, ...]
    subject: str
    opening: tuple[str, ...]  # paragraphs
    closing: tuple[str, ...]
    figures_heading: str
    figures: tuple[FilingFigure, ...]
    table_heading: str
    columns: tuple[FilingColumn, ...]
    # A disposition's words in this ordinance's terms; one not listed reads as its label.
    disposition_wording: Mapping[str, str] = field(default_factory=dict)

    def disposition_words(self, disposition: str) -> str:
        if disposition in self.disposition_wording:
            return self.disposition_wording[disposition]
        return Disposition(disposition).label if disposition else "Not yet reviewed"


DISTRICT = FilingColumn("precinct", "District", 0.9)
RECEIVED = FilingColumn("received_on", "Date received", 1.1)
FORM = FilingColumn("form_type", "Form", 1.2)

# The City of Boston's Trust Act (Ordinance): what the department received, and whether anyone was
# held, handed over or paid for on a civil detainer.
TRUST_ACT = FilingProfile(
    name="trust_act",
    title="Trust Act annual filing",
    recipient=("Office of the City Clerk", "City Hall"),
    subject="Subject: Civil immigration detainer requests received in {year}",
    opening=(
        "To the City Clerk, for the City Council:",
        "As the Trust Ordinance requires, the {department} reports the civil immigration detainer "
        "requests it received in {year}, and what became of them: {total} requests in all. Each "
        "is listed below by district, the date it was received, the form the agency used and its "
        "disposition. A request received more than once counts once; items that were not detainer "
        "requests are not counted.",
    ),
    closing=(
        "Every figure is read from the department's records of the requests themselves, each in "
        "the local year ({time_zone}) in which it was received.",
        "Respectfully submitted,",
    ),
    figures_heading="Figures for {year}",
    figures=(
        FilingFigure(
            "held",
            "People held beyond their release time on a detainer request",
            "held_beyond_release",
        ),
        FilingFigure(
            "transferred",
            "People transferred to federal immigration custody",
            "transferred_to_federal_custody",
        ),
        FilingFigure(
            "reimbursements", "Federal reimbursements received", "reimbursements_received"
        ),
        FilingFigure("total", "Total detainer requests received", "requests_total"),
    ),
    table_heading="Every request counted in {year}",
    columns=(DISTRICT, RECEIVED, FORM, FilingColumn("disposition", "Disposition", 3.3)),
    disposition_wording={
        Disposition.NOT_ACTED_UPON: "Not acted upon per the Trust Ordinance",
        Disposition.NOT_IN_CUSTODY: "Not in custody when the request was received",
        Disposition.RELEASED: "Released on bail or personal recognizance; not held",
        Disposition.TO_COURT: "Transferred to court; not held",
        Disposition.NOTIFICATION: "Notification request; no information given",
        Disposition.JUDICIAL: "Judicial criminal warrant; referred",
        Disposition.CANCELLED: "Cancelled or superseded by the agency",
    },
)

# Another city's ordinance asks for the requests by the reason the agency stated and by form, and
# for the people transferred: the same records, another configuration.
STATED_REASON = FilingProfile(
    name="stated_reason",
    title="Detainer requests by stated reason",
    recipient=("Office of the City Clerk",),
    subject="Subject: Immigration detainer requests received in {year}, by stated reason",
    opening=(
        "To the City Clerk:",
        "Under the city's detainer ordinance, the {department} reports the {total} immigration "
        "detainer requests it received in {year}, grouped by the reason the agency stated and by "
        "form, with the number of people transferred to federal custody.",
    ),
    closing=("Respectfully submitted,",),
    figures_heading="Requests received in {year}",
    figures=(
        FilingFigure("total", "Detainer requests received", "requests_total"),
        FilingFigure("by_reason", "By stated reason (probable-cause basis)", "by_probable_cause"),
        FilingFigure("by_form", "By form", "by_form_type"),
        FilingFigure(
            "transferred",
            "People transferred to federal custody",
            "transferred_to_federal_custody",
        ),
    ),
    table_heading="The requests of {year}",
    columns=(
        DISTRICT,
        RECEIVED,
        FORM,
        FilingColumn("probable_cause", "Stated reason", 1.7),
        FilingColumn("disposition", "Disposition", 1.6),
    ),
)

FILING_PROFILES = {profile.name: profile for profile in (TRUST_ACT, STATED_REASON)}


def filing_profile() -> FilingProfile:
    """The profile settings.FILING_PROFILE names. An unknown name is a configuration error, never a
    fallback: the app refuses to start (detainers.apps) rather than file another city's letter."""
    name = settings.FILING_PROFILE
    if name not in FILING_PROFILES:
        raise ImproperlyConfigured(
            f"FILING_PROFILE must be one of {', '.join(FILING_PROFILES)}, not {name!r}."
        )
    return FILING_PROFILES[name]
