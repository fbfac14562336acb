"""The records pages' forms: they parse what a browser sends; detainers.records.services decides."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone

from config.errors import form_error_add
from detainers.models import LegalHold
from detainers.records.services import REASON_MAX, legal_hold_place, legal_hold_release


class RequestIdsField(forms.Field):
    """The requests a hold names, as hidden inputs (the inbox page's one, or a search's results)."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value) -> list[int]:
        try:
            return sorted({int(item) for item in value or ()})
        except (TypeError, ValueError):
            raise ValidationError("The requests to hold could not be read.") from None


class LegalHoldForm(forms.Form):
    scope = forms.ChoiceField(choices=LegalHold.Scope.choices, widget=forms.HiddenInput)
    request = RequestIdsField(required=False)
    year = forms.IntegerField(
        required=False, min_value=2000, help_text="Every request received in this local year."
    )
    reason = forms.CharField(
        max_length=REASON_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Why these records must be kept: a case, a public records request, a "
        "litigation notice. Shown to supervisors and kept in each request's history.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["year"].max_value = timezone.localdate().year

    def submit(self, *, actor) -> LegalHold | None:
        """Place the hold through the service; None (errors on the form) if refused."""
        try:
            return legal_hold_place(
                actor=actor,
                reason=self.cleaned_data["reason"],
                scope=self.cleaned_data["scope"],
                request_ids=self.cleaned_data["request"],
                year=self.cleaned_data["year"],
            )
        except ValidationError as error:
            form_error_add(self, error)
            return None


class HoldReleaseForm(forms.Form):
    release_reason = forms.CharField(
        label="Why release it",
        max_length=REASON_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Released records follow their retention rules again.",
    )

    def submit(self, *, hold: LegalHold, actor) -> bool:
        try:
            legal_hold_release(
                hold_id=hold.pk, actor=actor, reason=self.cleaned_data["release_reason"]
            )
        except ValidationError as error:
            form_error_add(self, error)
            return False
        return True
