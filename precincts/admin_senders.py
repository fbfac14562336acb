"""Admin pages for known senders (who may: admins, through the Admin group's permissions)."""

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError

from precincts.models import KnownSender, KnownSenderMark
from precincts.phone import fax_number_normalise
from precincts.selectors import sender_id_key


class KnownSenderMarkForm(forms.ModelForm):
    class Meta:
        model = KnownSenderMark
        fields = ["kind", "value"]

    def clean(self):
        cleaned = super().clean()
        kind, value = cleaned.get("kind"), cleaned.get("value", "")
        if kind == KnownSenderMark.Kind.NUMBER and value:
            try:
                cleaned["value"] = fax_number_normalise(value)
            except ValidationError as error:
                self.add_error("value", error)
        elif kind == KnownSenderMark.Kind.SENDER_ID:
            cleaned["value"] = sender_id_key(value)
            if not cleaned["value"]:
                self.add_error("value", "Type the sender id as the fax machine sends it.")
        return cleaned


class KnownSenderMarkInline(admin.TabularInline):
    model = KnownSenderMark
    form = KnownSenderMarkForm
    extra = 2
    verbose_name = "fax number or sender id"
    verbose_name_plural = "Recognised by (fax numbers in any common form; sender ids as sent)"


@admin.register(KnownSender)
class KnownSenderAdmin(admin.ModelAdmin):
    list_display = ["name", "active", "marks_shown"]
    list_filter = ["active"]
    search_fields = ["name", "marks__value"]
    inlines = [KnownSenderMarkInline]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("marks")

    @admin.display(description="Recognised by")
    def marks_shown(self, sender: KnownSender) -> str:
        return ", ".join(mark.value for mark in sender.marks.all())

    def has_delete_permission(self, request, obj=None) -> bool:
        # Deliveries keep pointing at the sender they came from: deactivate instead.
        return False
