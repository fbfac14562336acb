"""The dashboard's filters: years, precinct and channel, and the one figure a list is drawn from."""

import calendar

from django import forms

from detainers.counting.selectors import NO_PRECINCT, VALUE_BREAKDOWNS, CountFilter
from detainers.models import Channel, Disposition, FormType, ProbableCause

# Each breakdown: its heading, its choices, and what an empty value means.
BREAKDOWNS = {
    "form_type": ("By form type", FormType, "Form type not recorded yet"),
    "probable_cause": ("By probable-cause basis", ProbableCause, "Basis not recorded yet"),
    "disposition": ("By disposition", Disposition, "Not reviewed yet"),
}


class DashboardFilterForm(forms.Form):
    """The filters every figure and its list share: years, precinct (code or "none"), channel."""

    year_from = forms.IntegerField(
        label="From year", required=False, min_value=1990, max_value=2200
    )
    year_to = forms.IntegerField(label="To year", required=False, min_value=1990, max_value=2200)
    precinct = forms.ChoiceField(required=False)
    channel = forms.ChoiceField(required=False, choices=[("", "Fax and email"), *Channel.choices])

    def __init__(self, data=None, *, codes: dict[int, str]):
        super().__init__(data)
        self.ids = {code: pk for pk, code in codes.items()}
        named = sorted(code for pk, code in codes.items() if pk != NO_PRECINCT)
        choices = [
            ("", "Every precinct"),
            *((code, code) for code in named),
            ("none", "No precinct"),
        ]
        self.fields["precinct"].choices = choices

    def clean(self):
        data = super().clean()
        first, last = data.get("year_from"), data.get("year_to")
        if first is not None and last is not None and first > last:
            raise forms.ValidationError(
                f"“From year” ({first}) is after “To year” ({last}): swap them."
            )
        return data

    def counts(self) -> CountFilter:
        """The filter as given; every year, precinct and channel when the form is not valid."""
        if not self.is_valid():
            return CountFilter()
        data = self.cleaned_data
        precinct = self.ids[data["precinct"]] if data["precinct"] else None
        return CountFilter(data["year_from"], data["year_to"], precinct, data["channel"])


class DashboardForm(DashboardFilterForm):
    year = forms.IntegerField(
        required=False, min_value=1990, max_value=2200, widget=forms.HiddenInput
    )

    def focus_year(self) -> int | None:
        return self.cleaned_data["year"] if self.is_valid() else None


class FigureForm(DashboardFilterForm):
    """A figure's list: the filters, and the month or breakdown value it is about."""

    month = forms.IntegerField(required=False, min_value=1, max_value=12)
    breakdown = forms.ChoiceField(
        required=False, choices=[("", "None"), *((b, b) for b in VALUE_BREAKDOWNS)]
    )
    value = forms.CharField(required=False, max_length=40)

    def clean(self):
        data = super().clean()
        one_year = data.get("year_from") is not None and data.get("year_from") == data.get(
            "year_to"
        )
        if data.get("month") is not None and not one_year:
            raise forms.ValidationError(
                "A month belongs to one year: give the same “From year” and “To year”."
            )
        return data

    def selection(self) -> dict:
        """Keyword arguments for reports.counted_requests."""
        data = self.cleaned_data
        value = data["value"] if data["breakdown"] else None
        return {
            "counts": self.counts(),
            "month": data["month"],
            "breakdown": data["breakdown"],
            "value": value,
        }

    def description(self) -> list[str]:
        """What the figure counts, in words: ["2024", "precinct B-3", "by fax", "March", ...]."""
        counts, data = self.counts(), self.cleaned_data
        words = [_years_in_words(counts)]
        if data["precinct"]:
            words.append(
                "no precinct" if data["precinct"] == "none" else f"precinct {data['precinct']}"
            )
        if counts.channel:
            words.append(f"by {counts.channel}")
        if data["month"]:
            words.append(calendar.month_name[data["month"]])
        if data["breakdown"]:
            words.append(value_label(data["breakdown"], data["value"]))
        return words


def _years_in_words(counts: CountFilter) -> str:
    first, last = counts.year_from, counts.year_to
    if first is not None and first == last:
        return str(first)
    if first is not None and last is not None:
        return f"{first}–{last}"
    if first is not None or last is not None:
        return f"from {first}" if first is not None else f"up to {last}"
    return "every year"


def value_label(breakdown: str, value: str) -> str:
    _, choices, empty = BREAKDOWNS[breakdown]
    if not value:
        return empty
    return choices(value).label if value in choices.values else value
