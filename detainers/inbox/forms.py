"""Forms of the central inbox: the filter above the list, the triage form of one request and the
form that puts its delivery in a precinct.

The triage form only parses what a browser sends; the rules (normalised A-numbers, duplicate links,
dates not in the future) live in detainers.triage.services, whose errors the form shows next to their fields.
"""

from dataclasses import dataclass
from urllib.parse import urlencode

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone

from config.errors import form_error_add
from detainers.counting.annual import YEAR_FIGURE_FIELDS, annual_report_closed
from detainers.inbox.selectors import (
    INBOX_SORT_DEFAULT,
    MISSED_CLOSED,
    MISSED_OPEN,
    NO_PRECINCT,
    TRIAGE_FORM_FIELDS,
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
from detainers.triage.selectors import request_by_reference
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
    """GET filters and order; an unknown value is ignored rather than refused, so a stale link
    (or a saved filter from before a precinct closed) still works."""

    precinct = forms.ChoiceField(required=False)
    channel = forms.ChoiceField(required=False, choices=_blank("All channels", Channel.choices))
    status = forms.ChoiceField(
        required=False, choices=_blank("Any status", DetainerRequest.Status.choices)
    )
    sort = forms.ChoiceField(
        label="Order",
        required=False,
        choices=[
            ("-received", "Newest first"),
            ("received", "Oldest first"),
            ("-receipt", "Receipt number, highest first"),
            ("receipt", "Receipt number, lowest first"),
        ],
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        precincts = [(str(p.pk), p.code) for p in Precinct.objects.only("pk", "code")]
        self.fields["precinct"].choices = [
            ("", "All precincts"),
            (NO_PRECINCT, "No precinct"),
            *precincts,
        ]

    def _values(self) -> dict[str, str]:
        """Each field's valid value ("" where none or not valid), whatever else is wrong."""
        if not self.is_bound:
            return dict.fromkeys(self.fields, "")
        self.is_valid()
        return {name: self.cleaned_data.get(name, "") for name in self.fields}

    def selection(self) -> dict:
        """Keyword arguments for selectors.inbox_requests."""
        values = self._values()
        return {
            "precinct_id": values["precinct"] or None,
            "channel": values["channel"],
            "status": values["status"],
            "sort": values["sort"] or INBOX_SORT_DEFAULT,
        }

    def query(self) -> str:
        """The filters as a query string ("status=unreviewed&sort=received"), the default order
        and empty fields left out: what a saved filter keeps, never more than these fields."""
        values = self._values()
        if values["sort"] == INBOX_SORT_DEFAULT:
            values["sort"] = ""
        return urlencode({name: value for name, value in values.items() if value})

    def order_words(self) -> str:
        """The order in words, for the sentence above the list: "newest first"."""
        return dict(self.fields["sort"].choices)[self.selection()["sort"]].lower()

    def sort_links(self) -> dict[str, dict]:
        """For each sortable column ("received", "receipt"): the order its heading's link asks for
        and the aria-sort the heading carries now ("descending", "ascending" or "none")."""
        current = self.selection()["sort"]
        links = {}
        for column in ("received", "receipt"):
            if current.lstrip("-") != column:
                links[column] = {"sort": f"-{column}", "aria": "none"}
            elif current.startswith("-"):
                links[column] = {"sort": column, "aria": "descending"}
            else:
                links[column] = {"sort": f"-{column}", "aria": "ascending"}
        return links


class SavedFilterForm(forms.Form):
    name = forms.CharField(
        label="Name this filter",
        max_length=60,
        help_text="For example “Unreviewed email”. Only you see your saved filters.",
    )

    def clean_name(self) -> str:
        return " ".join(self.cleaned_data["name"].split())


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
    duplicate_of = forms.CharField(
        label="Duplicate of (receipt number)",
        required=False,
        max_length=40,
        help_text="The receipt number of the earlier request this one repeats, e.g. "
        "DD-2026-000121 (DD-2026-000121-2 for the second request of a delivery); it is linked to "
        "that request's original.",
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
    # Shown only when the request's year is closed (counting.annual.annual_report_closed).
    closed_year_confirmed = forms.BooleanField(required=False)

    @classmethod
    def for_request(cls, detainer_request: DetainerRequest, *, user, data=None) -> "TriageForm":
        """The form of `detainer_request`, started from selectors.triage_prefill: saving it saves
        the prefilled fields too (see changes()). `user` names the duplicate's original: only a
        request they may see (triage.selectors.request_by_reference)."""
        prefill = triage_prefill(detainer_request=detainer_request)
        initial = dict(prefill.initial)
        if detainer_request.duplicate_of_id:
            initial["duplicate_of"] = detainer_request.duplicate_of.reference
        form = cls(data=data, initial=initial)
        form.detainer_request, form.user = detainer_request, user
        form.prefilled = prefill.prefilled
        form.read_fields = list(prefill.readings)
        for field, reading in prefill.readings.items():
            form.fields[field].reading = FieldReadingShown.of(form.fields[field], reading)
        _closed_year_ask(form, detainer_request.delivery)
        return form

    def clean_duplicate_of(self) -> DetainerRequest | None:
        text = self.cleaned_data["duplicate_of"].strip()
        if not text:
            return None
        original = request_by_reference(user=self.user, text=text)
        if original is None:
            raise ValidationError(
                f"No request has the receipt number “{text}”. Type it as on the earlier "
                "request's page, e.g. DD-2026-000121 or DD-2026-000121-2."
            )
        return original

    def clean(self):
        cleaned = super().clean()
        if not self.errors and set(self.changes()) & set(YEAR_FIGURE_FIELDS):
            _closed_year_check(self, undo="or put the fields back as they were")
        return cleaned

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
        changes = {
            field: self.cleaned_data[field]
            for field in self.changed_data
            if field in TRIAGE_FORM_FIELDS
        }
        for field in getattr(self, "prefilled", ()):
            if self.cleaned_data.get(field) not in (None, ""):
                changes.setdefault(field, self.cleaned_data[field])
        return changes


def _closed_year_ask(form: forms.Form, delivery: Delivery) -> None:
    """When the delivery's year is closed (annual_report_closed: the local year of receipt), the form asks to confirm a
    change to its figures with the box `closed_year_confirmed`; otherwise it has no such box."""
    form.closed_year = annual_report_closed(year=timezone.localtime(delivery.received_at).year)
    if form.closed_year is None:
        del form.fields["closed_year_confirmed"]
    else:
        year = form.closed_year.year
        form.fields[
            "closed_year_confirmed"
        ].label = f"Change the figures of {year} anyway: its report is closed"


def _closed_year_check(form: forms.Form, *, undo: str) -> None:
    """A change to a closed year's figures without the box ticked: refused, and why."""
    closed = form.closed_year
    if closed is not None and not form.cleaned_data.get("closed_year_confirmed"):
        form.add_error(
            "closed_year_confirmed",
            f"Nothing was saved: the {closed.year} report was closed on "
            f"{timezone.localtime(closed.closed_at):%Y-%m-%d} and this change alters its "
            "figures, which will then differ from those reported. Tick this box to save it "
            f"anyway, {undo}.",
        )


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
    # Shown only when the delivery's year is closed: its figures by precinct would change.
    closed_year_confirmed = forms.BooleanField(required=False)

    @classmethod
    def for_delivery(cls, delivery: Delivery, data=None) -> "PrecinctForm":
        form = cls(data=data, initial={"precinct": delivery.precinct_id})
        form.delivery = delivery
        _closed_year_ask(form, delivery)
        return form

    def clean(self):
        cleaned = super().clean()
        precinct = cleaned.get("precinct")
        if precinct is not None and precinct.pk != self.delivery.precinct_id:
            _closed_year_check(self, undo="or leave the precinct as it is")
        return cleaned

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
