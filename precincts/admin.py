"""Who: admins. Precincts and the history of their fax numbers.

History is never rewritten: an existing period is read-only (only its note may be edited), a number
is added only through services.fax_number_assign and ended only through services.fax_number_retire,
and nothing here can be deleted.
"""

from datetime import datetime, time

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers, widgets
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Prefetch
from django.forms.models import BaseInlineFormSet
from django.http import HttpResponseRedirect
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone

from precincts import (
    admin_senders,  # noqa: F401  (registers the known senders' pages)
    selectors,
    services,
)
from precincts.models import FaxNumber, Precinct
from precincts.phone import fax_number_normalise

ASSIGNMENT_FIELDS = ("number", "kind", "active_from", "note")


def _local(moment: datetime | None) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M %Z") if moment else "—"


def _status(fax_number: FaxNumber, now: datetime) -> str:
    if fax_number.is_active_at(now):
        return "active"
    return "not yet active" if fax_number.active_from > now else "retired"


class LocalMomentField(forms.SplitDateTimeField):
    """A date and an optional time in the department's zone; a date alone means its midnight."""

    widget = widgets.AdminSplitDateTime

    def __init__(self, **kwargs):
        kwargs.setdefault(
            "help_text",
            f"Local time ({timezone.get_default_timezone_name()}). "
            "Leave the time empty for the start of the day.",
        )
        super().__init__(require_all_fields=False, **kwargs)
        self.fields[1].required = False
        # Django's two boxes have no <label> of their own: named for screen readers.
        for box, part in zip(self.widget.widgets, ("date", "time"), strict=True):
            box.attrs["aria-label"] = f"{self.label or 'Moment'}, {part}"

    def compress(self, data_list):
        if data_list and data_list[0] and data_list[1] in self.empty_values:
            data_list = [data_list[0], time.min]
        return super().compress(data_list)


class FaxNumberAssignForm(forms.ModelForm):
    """A new period for a number. It is never saved by the form itself, only by the service."""

    number = forms.CharField(
        max_length=40, help_text="Any common form, e.g. (617) 555-0133; stored as +16175550133."
    )
    active_from = LocalMomentField(label="Active from")

    class Meta:
        model = FaxNumber
        fields = ASSIGNMENT_FIELDS

    def clean_number(self) -> str:
        return fax_number_normalise(self.cleaned_data["number"])

    def assignment(self) -> dict:
        return {name: self.cleaned_data[name] for name in ASSIGNMENT_FIELDS}

    def save(self, commit=True):
        if commit:
            raise TypeError("Fax numbers are saved through precincts.services.fax_number_assign.")
        return super().save(commit=False)


class FaxNumberAddForm(FaxNumberAssignForm):
    """The FaxNumber add page: the same, with the precinct chosen on the form."""

    class Meta(FaxNumberAssignForm.Meta):
        fields = ("precinct", *ASSIGNMENT_FIELDS)

    def clean(self):
        cleaned = super().clean()
        if not self.errors:
            [error] = services.fax_number_assign_rehearse(
                assignments=[{"precinct": cleaned["precinct"], **self.assignment()}]
            )
            if error is not None:
                self.add_error("number", error)
        return cleaned


class FaxNumberAssignFormSet(BaseInlineFormSet):
    """New numbers typed on a precinct's page, checked together (two rows may not clash either)."""

    actor = None

    def clean(self):
        super().clean()
        ready = [form for form in self.extra_forms if form.has_changed() and not form.errors]
        errors = services.fax_number_assign_rehearse(
            assignments=[{"precinct": self.instance, **form.assignment()} for form in ready]
        )
        for form, error in zip(ready, errors, strict=True):
            if error is not None:
                form.add_error("number", error)

    def save_new(self, form, commit=True):
        return services.fax_number_assign(
            precinct=self.instance, actor=self.actor, **form.assignment()
        )


class FaxNumberRetireForm(forms.Form):
    active_until = LocalMomentField(label="Retire at")


class FaxNumberChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, fax_number: FaxNumber) -> str:
        return (
            f"{fax_number.display_number} ({fax_number.get_kind_display()}, "
            f"since {_local(fax_number.active_from)})"
        )


class FaxNumberReplaceForm(forms.Form):
    """One of a precinct's numbers ends and a new one begins at the same moment.

    Field names match what services.fax_number_replace names in its refusals.
    """

    fax_number = FaxNumberChoiceField(queryset=FaxNumber.objects.none(), label="Old number")
    number = forms.CharField(
        max_length=40,
        label="New number",
        help_text="Any common form, e.g. (617) 555-0199; stored as +16175550199.",
    )
    kind = forms.ChoiceField(
        choices=[("", "Same as the old number"), *FaxNumber.Kind.choices], required=False
    )
    at = LocalMomentField(label="Moment of change")
    note = forms.CharField(
        max_length=300,
        required=False,
        help_text="Left empty, it names the number this one replaces.",
    )

    def __init__(self, *args, precinct: Precinct, **kwargs):
        super().__init__(*args, **kwargs)
        unretired = precinct.fax_numbers.filter(active_until__isnull=True)
        self.fields["fax_number"].queryset = unretired.order_by("active_from", "number")
        if not self.initial.get("fax_number") and len(unretired) == 1:
            self.initial["fax_number"] = unretired[0].pk


class FaxNumberHistoryInline(admin.TabularInline):
    """Every period the precinct's numbers had, past, present and planned. Read-only.

    Each row starts with the number as people write it, (617) 555-0133, and a link to its page.
    """

    model = FaxNumber
    verbose_name = "fax number period"
    verbose_name_plural = (
        "Fax numbers, whole history (to change one, use Replace a fax number above)"
    )
    fields = ("kind", "active_from", "active_until", "retired_by", "status", "note")
    readonly_fields = fields
    ordering = ("active_from", "number")
    extra = 0
    can_delete = False
    show_change_link = True

    @admin.display(description="Status now")
    def status(self, fax_number: FaxNumber) -> str:
        return _status(fax_number, timezone.now())

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class FaxNumberAssignInline(admin.StackedInline):  # stacked: each field has its label
    """Blank rows for giving the precinct a number; saved through the service."""

    model = FaxNumber
    form = FaxNumberAssignForm
    formset = FaxNumberAssignFormSet
    verbose_name = "new fax number"
    verbose_name_plural = "Give this precinct a fax number"
    fields = ASSIGNMENT_FIELDS
    extra = 1
    can_delete = False

    def get_queryset(self, request):
        return super().get_queryset(request).none()


@admin.register(Precinct)
class PrecinctAdmin(admin.ModelAdmin):
    """Who: admins. Precincts are never deleted; one that closes is marked inactive."""

    list_display = ("code", "name", "neighbourhood", "active", "fax_numbers_now")
    list_filter = ("active",)
    search_fields = ("code", "name", "neighbourhood")
    search_help_text = "Code, name, neighbourhood, or a fax number it ever had, in any form."
    inlines = [FaxNumberHistoryInline, FaxNumberAssignInline]

    def get_queryset(self, request):
        periods = FaxNumber.objects.order_by("active_from", "number")
        return (
            super()
            .get_queryset(request)
            .prefetch_related(Prefetch("fax_numbers", queryset=periods))
        )

    def get_inlines(self, request, obj):
        # A new precinct is saved first; its numbers are added on its own page afterwards.
        return self.inlines if obj is not None else []

    def get_search_results(self, request, queryset, search_term):
        found = selectors.precinct_search_fax_number(precincts=queryset, term=search_term)
        if found is not None:
            return found, True
        return super().get_search_results(request, queryset, search_term)

    @admin.display(description="Fax numbers now")
    def fax_numbers_now(self, precinct: Precinct) -> str:
        now = timezone.now()
        current = [
            period.display_number
            for period in precinct.fax_numbers.all()
            if period.is_active_at(now)
        ]
        return ", ".join(current) or "—"

    def save_formset(self, request, form, formset, change):
        if not isinstance(formset, FaxNumberAssignFormSet):
            return super().save_formset(request, form, formset, change)
        formset.actor = request.user
        try:
            formset.save()
        except ValidationError as error:
            # Someone took the number between validation and saving; nothing of it was written.
            messages.error(request, f"A fax number was not added: {' '.join(error.messages)}")

    def has_delete_permission(self, request, obj=None):
        return False

    # --- Replacing a number in one step ---------------------------------------------------------
    def get_urls(self):
        replace = self.admin_site.admin_view(self.replace_number_view)
        name = f"{self.opts.app_label}_{self.opts.model_name}_replace_number"
        return [
            path("<path:object_id>/replace-number/", replace, name=name),
            *super().get_urls(),
        ]

    def replace_number_view(self, request, object_id):
        """Who: admins. The old number's period ends and the new one's begins at one moment."""
        precinct = self.get_object(request, unquote(object_id))
        if precinct is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        if not self.has_change_permission(request, precinct):
            raise PermissionDenied
        initial = {
            "at": timezone.localtime().replace(second=0, microsecond=0),
            "fax_number": request.GET.get("fax_number"),
        }
        data = request.POST if request.method == "POST" else None
        form = FaxNumberReplaceForm(data, initial=initial, precinct=precinct)
        if form.is_valid():
            try:
                new = services.fax_number_replace(actor=request.user, **form.cleaned_data)
            except ValidationError as error:
                form.add_error(None, error)
            else:
                self._log_replacement(request, precinct, form.cleaned_data["fax_number"], new)
                done = reverse("admin:precincts_precinct_change", args=[precinct.pk])
                return HttpResponseRedirect(done)
        context = {
            **self.admin_site.each_context(request),
            "title": f"Replace a fax number of {precinct}",
            "opts": self.opts,
            "original": precinct,
            "form": form,
            "media": self.media + form.media,
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, "admin/precincts/precinct/replace_number.html", context)

    def _log_replacement(self, request, precinct, old: FaxNumber, new: FaxNumber) -> None:
        """The change in the admin's history of the precinct and of both numbers, and a message."""
        done = (
            f"{old.display_number} replaced by {new.display_number} at {_local(new.active_from)}."
        )
        self.log_change(request, precinct, done)
        self.log_change(request, old, f"Retired at {_local(new.active_from)}: {done}")
        self.log_addition(request, new, [{"added": {}}])
        messages.success(request, done)


class StatusFilter(admin.SimpleListFilter):
    title = "status now"
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return [("active", "Active"), ("retired", "Retired"), ("upcoming", "Not yet active")]

    def queryset(self, request, queryset):
        return selectors.fax_numbers_in_status(
            fax_numbers=queryset, status=self.value(), at=timezone.now()
        )


@admin.register(FaxNumber)
class FaxNumberAdmin(admin.ModelAdmin):
    """Who: admins. A period is added, retired and annotated; never moved, never deleted."""

    list_display = (
        "display_number",
        "precinct_code",
        "kind",
        "active_from",
        "active_until",
        "status",
    )
    list_filter = (StatusFilter, "kind", "precinct")
    list_select_related = ("precinct",)
    search_fields = ("number", "precinct__code", "note")
    search_help_text = (
        "A number in any form, e.g. (617) 555-0133 or +1 617 555 0133; or a precinct code."
    )
    actions = ["retire_selected"]
    add_fields = ("precinct", *ASSIGNMENT_FIELDS)
    change_fields = (
        "display_number",
        "precinct",
        "kind",
        "active_from",
        "active_until",
        "status",
        "note",
        "created_at",
        "created_by",
        "retired_by",
        "history",
    )

    # --- Columns and read-only fields -----------------------------------------------------------
    @admin.display(description="Number", ordering="number")
    def display_number(self, fax_number: FaxNumber) -> str:
        return fax_number.display_number

    @admin.display(description="Precinct", ordering="precinct__code")
    def precinct_code(self, fax_number: FaxNumber) -> str:
        return fax_number.precinct.code

    @admin.display(description="Status now")
    def status(self, fax_number: FaxNumber) -> str:
        return _status(fax_number, timezone.now())

    @admin.display(description="History of this number, in every precinct")
    def history(self, fax_number: FaxNumber) -> str:
        now = timezone.now()
        periods = selectors.fax_number_history(number=fax_number.number)
        rows = [
            {
                "period": period,
                "active_from": _local(period.active_from),
                "active_until": _local(period.active_until),
                "status": _status(period, now),
            }
            for period in periods
        ]
        context = {"rows": rows, "current": fax_number}
        return render_to_string("admin/precincts/faxnumber/_history.html", context)

    # --- Add and change -------------------------------------------------------------------------
    def get_fields(self, request, obj=None):
        return self.change_fields if obj is not None else self.add_fields

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ()
        return tuple(name for name in self.change_fields if name != "note")

    def get_form(self, request, obj=None, **kwargs):
        if obj is None:
            kwargs["form"] = FaxNumberAddForm
        return super().get_form(request, obj, **kwargs)

    def save_model(self, request, obj, form, change):
        if change:
            obj.save(update_fields=["note"])  # the note is the one thing a period lets you edit
            return
        try:
            saved = services.fax_number_assign(
                precinct=form.cleaned_data["precinct"], actor=request.user, **form.assignment()
            )
        except ValidationError as error:
            # Someone took the number between validation and saving; nothing was written.
            messages.error(request, f"The number was not added: {' '.join(error.messages)}")
            return
        for field in FaxNumber._meta.concrete_fields:
            setattr(obj, field.attname, getattr(saved, field.attname))
        obj._state.adding, obj._state.db = False, saved._state.db

    def log_addition(self, request, obj, message):
        if obj.pk is not None:
            return super().log_addition(request, obj, message)

    def response_add(self, request, obj, post_url_continue=None):
        if obj.pk is None:
            return HttpResponseRedirect(request.get_full_path())
        return super().response_add(request, obj, post_url_continue)

    def has_delete_permission(self, request, obj=None):
        return False

    # --- Search ---------------------------------------------------------------------------------
    def get_search_results(self, request, queryset, search_term):
        """A term that reads as a phone number finds exactly that number, however it was typed."""
        exact = selectors.fax_number_search_exact(fax_numbers=queryset, term=search_term)
        if exact is not None:
            return exact, False
        found, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        partial = selectors.fax_number_search_digits(fax_numbers=queryset, term=search_term)
        if partial is not None:  # part of a number typed with punctuation, e.g. 555-0133
            found = found | partial
        return found, may_have_duplicates

    # --- Retiring -------------------------------------------------------------------------------
    def get_urls(self):
        retire = self.admin_site.admin_view(self.retire_view)
        name = f"{self.opts.app_label}_{self.opts.model_name}_retire"
        return [path("<path:object_id>/retire/", retire, name=name), *super().get_urls()]

    @admin.action(description="Retire selected fax numbers…", permissions=["change"])
    def retire_selected(self, request, queryset):
        return self._retire_page(request, list(queryset.select_related("precinct")), done_url=None)

    def retire_view(self, request, object_id):
        fax_number = self.get_object(request, unquote(object_id))
        if fax_number is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        if not self.has_change_permission(request, fax_number):
            raise PermissionDenied
        done_url = reverse("admin:precincts_faxnumber_change", args=[fax_number.pk])
        return self._retire_page(request, [fax_number], done_url=done_url)

    def _retire_page(self, request, fax_numbers: list[FaxNumber], *, done_url: str | None):
        """Ask for the moment, retire each number through the service, report what it refused.

        `done_url` None means the page was reached through the changelist action.
        """
        initial = {"active_until": timezone.localtime().replace(second=0, microsecond=0)}
        form = FaxNumberRetireForm(
            request.POST if "apply" in request.POST else None, initial=initial
        )
        if form.is_valid():
            refused = self._retire(request, fax_numbers, form.cleaned_data["active_until"])
            if not refused:
                return HttpResponseRedirect(done_url) if done_url else None
            for fax_number, error in refused:
                form.add_error(None, f"{fax_number.display_number}: {' '.join(error.messages)}")
            fax_numbers = [fax_number for fax_number, _ in refused]
        now = timezone.now()
        context = {
            **self.admin_site.each_context(request),
            "title": "Retire fax numbers",
            "opts": self.opts,
            "form": form,
            "media": self.media + form.media,
            "rows": [
                (number, _status(number, now), _local(number.active_from)) for number in fax_numbers
            ],
            "action": None if done_url else "retire_selected",
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            "cancel_url": done_url or reverse("admin:precincts_faxnumber_changelist"),
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, "admin/precincts/faxnumber/retire.html", context)

    def _retire(
        self, request, fax_numbers, active_until
    ) -> list[tuple[FaxNumber, ValidationError]]:
        refused = []
        for fax_number in fax_numbers:
            try:
                services.fax_number_retire(
                    fax_number=fax_number, active_until=active_until, actor=request.user
                )
            except ValidationError as error:
                refused.append((fax_number, error))
                continue
            done = (
                f"{fax_number.display_number} ({fax_number.precinct.code}) "
                f"retired at {_local(active_until)}."
            )
            self.log_change(request, fax_number, done)
            self.log_change(request, fax_number.precinct, done)  # the precinct's history too
            messages.success(request, done)
        return refused
