"""Page forms: they read and check what a person typed. Rules about deliveries live in services."""

import uuid
from datetime import datetime, timedelta

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import F, QuerySet
from django.forms.fields import BaseTemporalField
from django.utils import timezone

from detainers.core.documents import CheckedDocument, document_check, size_check
from detainers.core.identifiers import request_reference_parse
from detainers.intake.services import LATE_AFTER
from detainers.intake.staging import KeptScan, kept_scan
from precincts.models import FaxNumber, Precinct
from precincts.phone import fax_number_normalise
from precincts.selectors import fax_numbers_active_at

# A fax can sit in the tray for a while after its line was retired; keep the old line choosable.
RETIRED_LINES_SHOWN_FOR = timedelta(days=90)
LOCAL_INPUT_FORMAT = "%Y-%m-%dT%H:%M"


class LocalDateTimeField(forms.DateTimeField):
    """A `datetime-local` input read in the department's zone (settings.TIME_ZONE).

    Django refuses a time in the hour the clocks go back (it happens twice) or forward (it never
    happens). A clerk copying the time off a fax cannot fix that, so the earlier reading is taken.
    """

    widget = forms.DateTimeInput(attrs={"type": "datetime-local"}, format=LOCAL_INPUT_FORMAT)
    input_formats = [LOCAL_INPUT_FORMAT, "%Y-%m-%dT%H:%M:%S"]

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if isinstance(value, datetime):
            return value
        naive = BaseTemporalField.to_python(self, value)
        return naive.replace(tzinfo=timezone.get_default_timezone())


class FaxNumberChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, fax_number: FaxNumber) -> str:
        label = f"{fax_number.display_number} — {fax_number.get_kind_display()}"
        if fax_number.active_until is not None and fax_number.active_until <= timezone.now():
            label += f" (retired {timezone.localtime(fax_number.active_until):%Y-%m-%d})"
        return label


def _fax_numbers_to_choose(precinct: Precinct, now: datetime) -> QuerySet[FaxNumber]:
    """The precinct's lines in service now, then those retired in the last 90 days."""
    recently_retired = precinct.fax_numbers.filter(
        active_until__lte=now, active_until__gt=now - RETIRED_LINES_SHOWN_FOR
    )
    return (fax_numbers_active_at(precinct=precinct, at=now) | recently_retired).order_by(
        F("active_until").desc(nulls_first=True), "number"
    )


class IntakeForm(forms.Form):
    """A fax found on the precinct's machine. The precinct is the clerk's own, not a choice."""

    label_suffix = ""

    received_at = LocalDateTimeField(
        label="Date and time received",
        help_text="As printed at the top of the fax; if it shows none, when you found it.",
        error_messages={
            "required": "Enter the date and time the fax arrived.",
            "invalid": "Enter the date and time the fax arrived, e.g. 2026-03-15 09:30.",
        },
    )
    late_reason = forms.CharField(
        label="Why it is logged late",
        required=False,
        max_length=2000,
        # static/js/intake.js shows it only for a late time; without scripts it is always shown.
        widget=forms.Textarea(attrs={"rows": 2, "data-late-after-days": LATE_AFTER.days}),
        help_text="Only if the fax arrived more than 7 days ago",
    )
    fax_number = FaxNumberChoiceField(
        label="Line it arrived on",
        queryset=FaxNumber.objects.none(),
        empty_label="Choose the fax line",
        error_messages={"required": "Choose the fax line the fax arrived on."},
    )
    from_address = forms.CharField(
        label="Sender's fax number",
        required=False,
        max_length=40,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}),
        help_text="As printed at the top of the fax, e.g. (802) 555-0100.",
    )
    pages = forms.IntegerField(
        label="Pages",
        required=False,
        min_value=1,
        max_value=500,
        help_text="Leave empty to count them from the scan.",
        error_messages={
            "invalid": "Enter the number of pages as a whole number, or leave it empty.",
            "min_value": "Enter at least 1 page, or leave it empty.",
            "max_value": "Enter at most 500 pages; for a longer fax, leave it empty.",
        },
    )
    # The signed token of the scan kept from the last send (detainers.intake.staging).
    kept_scan = forms.CharField(required=False, widget=forms.HiddenInput)
    scan = forms.FileField(
        label="Scan of the fax",
        required=False,  # when a scan was kept from the last send; else clean_scan asks for one
        help_text="PDF, TIFF, PNG or JPEG.",
        widget=forms.FileInput(
            attrs={"accept": ".pdf,.tif,.tiff,.png,.jpg,.jpeg,application/pdf,image/*"}
        ),
        error_messages={
            "required": "Choose the scan of the fax (PDF, TIFF, PNG or JPEG).",
            "empty": "The file is empty. Scan or export the fax again.",
        },
    )
    notes = forms.CharField(
        label="Notes", required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )
    # One id per form shown: a double click or a resent POST logs the fax once (intake returns the
    # delivery already logged under this id, for this clerk and precinct, if it is the same fax).
    submission = forms.RegexField(
        regex=r"^[0-9a-f]{32}$",
        widget=forms.HiddenInput,
        error_messages={"invalid": "The form was damaged; reload the page and log the fax again."},
    )

    # Sent by the "Log it anyway" button only: the hash of the scan the clerk logs knowing it was
    # logged before.
    log_anyway = forms.CharField(required=False, max_length=64, widget=forms.HiddenInput)

    def __init__(self, *args, precinct: Precinct, clerk, **kwargs):
        super().__init__(*args, **kwargs)
        now = timezone.now()
        self.precinct = precinct
        self.clerk = clerk
        self.kept: KeptScan | None = None  # the scan shown as kept when the form comes back
        self.fields["submission"].initial = uuid.uuid4().hex
        self.fields["received_at"].initial = timezone.localtime(now).replace(
            second=0, microsecond=0
        )
        lines = self.fields["fax_number"]
        lines.queryset = _fax_numbers_to_choose(precinct, now)
        only_line = list(lines.queryset[:2])
        if len(only_line) == 1:  # nothing to choose: preselected
            lines.initial = only_line[0].pk
        lines.error_messages["invalid_choice"] = (
            f"That line is not one of {precinct.code}'s fax numbers. Choose one from the list."
        )

    def submission_renew(self) -> None:
        """Show the form again with a new id: its old one already logged another fax."""
        self.data = self.data.copy()
        self.data[self.add_prefix("submission")] = uuid.uuid4().hex

    def clean_from_address(self) -> str:
        sender = self.cleaned_data["from_address"].strip()
        return fax_number_normalise(sender) if sender else ""

    def scan_keep(self, kept: KeptScan) -> None:
        """Show the form again carrying the scan kept for its next send."""
        self.data = self.data.copy()
        self.data[self.add_prefix("kept_scan")] = kept.signed
        self.kept = kept

    def clean_kept_scan(self) -> KeptScan | None:
        return kept_scan(clerk=self.clerk, signed=self.cleaned_data["kept_scan"])

    def clean_scan(self) -> CheckedDocument:
        """The scan chosen now or else the one kept from the last send, checked by its content."""
        upload, kept = self.cleaned_data["scan"], self.cleaned_data.get("kept_scan")
        if upload:
            size_check(
                upload.size, advice="Scan it again at a lower resolution or in black and white."
            )
            return document_check(name=upload.name, content=upload.read())
        if kept is None:
            raise ValidationError(self.fields["scan"].error_messages["required"], code="required")
        return document_check(name=kept.name, content=kept.content)


class ClerkLogFilterForm(forms.Form):
    """My log's search: a receipt number in any spelling people use, a day it was received."""

    label_suffix = ""

    receipt = forms.CharField(
        label="Receipt number",
        required=False,
        max_length=40,
        help_text="e.g. DD-2026-000121",
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    received_on = forms.DateField(
        label="Received on",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        input_formats=["%Y-%m-%d"],
        error_messages={"invalid": "Enter the date as 2026-03-15, or leave it empty."},
    )

    def clean_receipt(self) -> str:
        receipt = self.cleaned_data["receipt"].strip()
        if receipt and request_reference_parse(receipt) is None:
            raise ValidationError(
                "Enter a receipt number as written on the fax, e.g. DD-2026-000121."
            )
        return receipt
