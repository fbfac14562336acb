"""Forms of the central inbox: the filter above the list, the triage form of one request and the
form that puts its delivery in a precinct.

The triage form only parses what a browser sends; the rules (normalised A-numbers, duplicate links,
dates not in the future) live in detainers.triage.services, whose errors the form shows next to their fields.
"""

from dataclasses import dataclass

from django import forms
from django.core.exceptions import ValidationError

from config.errors import form_error_add
from detainers.inbox.selectors import (
    MISSED_CLOSED,
    MISSED_OPEN,
    NO_PRECINCT,
    TriageReading,
    triage_prefill,
)
from detainers.models import (
    Channel,
    Delivery,
    DetainerRequest,
    Disposition,
    FormType,
    ProbableCause,
)
from detainers.triage.assignment import REASON_MAX, delivery_assign_precinct
from detainers.triage.services import APPLY_CONFIDENCE, request_triage
from precincts.models import Precinct

LEGAL_REVIEW_HELP = (
    "There is no “held” or “transferred on a civil detainer” disposition: holding someone or "
    "handing them over on a civil detainer is not an ordinary outcome under Lunn v. Commonwealth "
    "and the Trust Act. If that happened, choose the closest disposition, tick “Needs legal "
    "review” and say what happened in the note."
)


def _blank(label: str, choices) -> list[tuple[str, str]]:
    return [("", label), *choices]


class DateInput(forms.DateInput):
    input_type = "date"


class InboxFilterForm(forms.Form):
    """GET filters; an unknown value is ignored rather than refused, so a stale link still works."""

    precinct = forms.ChoiceField(required=False)
    channel = forms.ChoiceField(required=False, choices=_blank("All channels", Channel.choices))
    status = forms.ChoiceField(
        required=False, choices=_blank("Any status", DetainerRequest.Status.choices)
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        precincts = [(str(p.pk), p.code) for p in Precinct.objects.only("pk", "code")]
        self.fields["precinct"].choices = [
            ("", "All precincts"),
            (NO_PRECINCT, "No precinct"),
            *precincts,
        ]

    def selection(self) -> dict:
        """Keyword arguments for selectors.inbox_requests."""
        if not self.is_valid():
            return {}
        return {
            "precinct_id": self.cleaned_data["precinct"] or None,
            "channel": self.cleaned_data["channel"],
            "status": self.cleaned_data["status"],
        }


class MissedFaxFilterForm(forms.Form):
    """GET filters of the missed faxes; an unknown value is ignored, as in the inbox."""

    state = forms.ChoiceField(
        required=False,
        choices=[("", "Open and closed"), (MISSED_OPEN, "Open"), (MISSED_CLOSED, "Closed")],
    )
    year = forms.IntegerField(required=False, min_value=1900, max_value=9998)

    def selection(self) -> dict:
        """Keyword arguments for selectors.missed_fax_list."""
        if not self.is_valid():
            return {}
        return {"state": self.cleaned_data["state"], "year": self.cleaned_data["year"]}


@dataclass(frozen=True)
class FieldReadingShown:
    """Beside a triage field: what the document says, how sure the reading is, and whether the
    request holds it ("saved"), the form offers it ("suggested") or someone entered another value
    ("differs")."""

    value: str
    percent: int
    state: str

    @property
    def low(self) -> bool:
        return self.percent < APPLY_CONFIDENCE * 100

    @classmethod
    def of(cls, field, reading: TriageReading) -> "FieldReadingShown":
        return cls(_shown(field, reading.value), round(reading.confidence * 100), reading.state)


def _shown(field, value) -> str:
    if isinstance(value, bool):
        return "Yes" if value else "No"
    return str(dict(getattr(field, "choices", ())).get(value, value))


class TriageForm(forms.Form):
    form_type = forms.ChoiceField(required=False, choices=_blank("Not yet known", FormType.choices))
    form_date = forms.DateField(required=False, widget=DateInput, help_text="The date on the form.")
    subject_id = forms.CharField(label="Subject ID", required=False, max_length=40)
    event_number = forms.CharField(label="Event #", required=False, max_length=40)
    a_number = forms.CharField(
        label="A-number",
        required=False,
        max_length=20,
        help_text="As written on the form, e.g. A 012-345-678; it is stored as A012345678.",
    )
    subject_name = forms.CharField(required=False, max_length=200)
    date_of_birth = forms.DateField(required=False, widget=DateInput)
    citizenship = forms.CharField(required=False, max_length=100)
    sex = forms.CharField(required=False, max_length=20)
    probable_cause = forms.ChoiceField(
        label="Probable-cause basis",
        required=False,
        choices=_blank("Not recorded", ProbableCause.choices),
    )
    notify_before_release = forms.NullBooleanField(
        label="Asks for notice before release", required=False, widget=forms.NullBooleanSelect
    )
    hold_up_to_48_hours = forms.NullBooleanField(
        label="Asks to hold up to 48 hours", required=False, widget=forms.NullBooleanSelect
    )
    warrant_attached = forms.NullBooleanField(
        label="Administrative warrant attached (I-200 or I-205)",
        required=False,
        widget=forms.NullBooleanSelect,
    )
    disposition = forms.ChoiceField(
        required=False,
        choices=_blank("Unreviewed", Disposition.choices),
        help_text=LEGAL_REVIEW_HELP,
    )
    duplicate_of = forms.IntegerField(
        label="Duplicate of request #",
        required=False,
        min_value=1,
        help_text="The number of the earlier request this one repeats; links to its original.",
    )
    legal_review = forms.BooleanField(label="Needs legal review", required=False)
    # Reported to the City Clerk in the yearly filing (detainers.counting.filing).
    held_beyond_release = forms.NullBooleanField(
        label="Held beyond release",
        required=False,
        widget=forms.NullBooleanSelect,
        help_text="Held past the time the person would otherwise have been released.",
    )
    transferred_to_federal_custody = forms.NullBooleanField(
        label="Transferred to federal custody", required=False, widget=forms.NullBooleanSelect
    )
    reimbursement_amount = forms.DecimalField(
        label="Federal reimbursement received ($)",
        required=False,
        widget=forms.NumberInput(attrs={"step": "0.01", "min": "0"}),
        error_messages={"invalid": "Give an amount in dollars, e.g. 1250.00."},
        help_text="In dollars and cents, e.g. 1250.00; empty if none was received.",
    )
    legal_review_note = forms.CharField(
        label="Legal-review note",
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    @classmethod
    def for_request(cls, detainer_request: DetainerRequest, data=None) -> "TriageForm":
        """The form of `detainer_request`, started from selectors.triage_prefill: saving it saves
        the prefilled fields too (see changes())."""
        prefill = triage_prefill(detainer_request=detainer_request)
        form = cls(data=data, initial=prefill.initial)
        form.detainer_request = detainer_request
        form.prefilled = prefill.prefilled
        form.read_fields = list(prefill.readings)
        for field, reading in prefill.readings.items():
            form.fields[field].reading = FieldReadingShown.of(form.fields[field], reading)
        return form

    def has_changed(self) -> bool:
        return bool(self.changes())

    def submit(self, *, actor) -> bool:
        """Apply the changes through the triage service; False (errors on the form) if refused."""
        try:
            request_triage(request_id=self.detainer_request.pk, actor=actor, changes=self.changes())
        except ValidationError as error:
            form_error_add(self, error)
            return False
        return True

    def changes(self) -> dict:
        """Only what the reviewer changed, so a stale form never overwrites someone else's edit of
        another field, and an unchanged duplicate link is not re-marked as the reviewer's."""
        changes = {field: self.cleaned_data[field] for field in self.changed_data}
        for field in getattr(self, "prefilled", ()):
            if self.cleaned_data.get(field) not in (None, ""):
                changes.setdefault(field, self.cleaned_data[field])
        return changes


class PrecinctForm(forms.Form):
    """Assign (or correct) the precinct of a delivery; the rules live in detainers.triage.assignment."""

    precinct = forms.ModelChoiceField(
        queryset=Precinct.objects.filter(active=True), empty_label="Choose a precinct"
    )
    reason = forms.CharField(
        required=False,
        max_length=REASON_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Why this precinct. Required when it replaces one already set.",
    )

    @classmethod
    def for_delivery(cls, delivery: Delivery, data=None) -> "PrecinctForm":
        form = cls(data=data, initial={"precinct": delivery.precinct_id})
        form.delivery = delivery
        return form

    def submit(self, *, actor) -> bool:
        """Assign through the service; False (errors on the form) if refused."""
        try:
            delivery_assign_precinct(
                delivery_id=self.delivery.pk,
                precinct_id=self.cleaned_data["precinct"].pk,
                actor=actor,
                reason=self.cleaned_data["reason"],
            )
        except ValidationError as error:
            form_error_add(self, error)
            return False
        return True
