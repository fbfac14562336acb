"""The reconciliation pages' forms. They check what a person typed; the services decide the rest."""

from django import forms
from django.utils import timezone

from detainers.core.documents import size_check
from detainers.models import Reconciliation
from detainers.reconcile.agency_csv import FIELDS, PERSON_FACTS
from detainers.reconcile.services import TOO_LARGE_ADVICE


class UploadForm(forms.Form):
    year = forms.IntegerField(
        min_value=2000,
        required=False,
        help_text="The local year to compare (our requests received in it). Leave it empty to "
        "take the year the file's dates are in.",
    )
    file = forms.FileField(
        # The service refuses an empty file with a message that says what to do.
        allow_empty_file=True,
        label="The agency's list (CSV)",
        help_text="As published: UTF-8 or Windows-1252, commas, semicolons or tabs.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        this_year = timezone.localdate().year
        self.fields["year"].max_value = this_year
        self.fields["year"].widget.attrs["max"] = this_year

    def clean_file(self):
        upload = self.cleaned_data["file"]
        size_check(upload.size, advice=TOO_LARGE_ADVICE)
        return upload


class ColumnsForm(forms.Form):
    """One choice per fact the matching reads, among the file's columns; preset to the guess."""

    def __init__(self, *args, reconciliation: Reconciliation, **kwargs):
        super().__init__(*args, **kwargs)
        choices = [("", "— not in this file —"), *((c, c) for c in reconciliation.columns)]
        for fact, spec in FIELDS.items():
            self.fields[fact] = forms.ChoiceField(
                label=spec.label,
                choices=choices,
                required=False,
                initial=reconciliation.mapping.get(fact, ""),
                help_text=spec.help
                or (
                    "Identifier: matches on its own."
                    if fact in ("subject_id", "event_number", "a_number")
                    else "Compared when identifiers are missing."
                    if fact in PERSON_FACTS
                    else ""
                ),
            )

    def mapping(self) -> dict[str, str]:
        return {fact: column for fact, column in self.cleaned_data.items() if column}


class DecideForm(forms.Form):
    decision = forms.ChoiceField(choices=[("confirm", "Confirm"), ("reject", "Reject")])
    request = forms.IntegerField(required=False, min_value=1)
