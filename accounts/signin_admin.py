"""The sign-in record in the admin: who signed in, failed, was locked out or changed a second factor.

Who: admins (the Admin group holds only `view_signinevent`). Read-only for everyone, superusers too:
an event is never added, changed or deleted by hand. Filters: kind, method, a date range (local
days, inclusive) and the date drill-down; the search box finds a user name, typed or the account's.
"""

from datetime import date, datetime, time, timedelta

from django.contrib import admin
from django.contrib.admin.options import IncorrectLookupParameters
from django.utils import timezone

from accounts.models import SignInEvent


class DateRangeFilter(admin.FieldListFilter):
    """From and to a local day (both included), as two date boxes."""

    template = "admin/accounts/signinevent/date_range_filter.html"

    def __init__(self, field, request, params, model, model_admin, field_path):
        self.parameter_from = f"{field_path}_from"
        self.parameter_to = f"{field_path}_to"
        super().__init__(field, request, params, model, model_admin, field_path)
        self.title = "date range"

    def expected_parameters(self):
        return [self.parameter_from, self.parameter_to]

    def _day(self, name: str) -> date | None:
        value = self.used_parameters.get(name)
        if isinstance(value, list):
            value = value[-1] if value else None
        if not value:
            return None
        try:
            return date.fromisoformat(value)
        except ValueError as error:
            raise IncorrectLookupParameters(error) from error

    def queryset(self, request, queryset):
        first, last = self._day(self.parameter_from), self._day(self.parameter_to)
        zone = timezone.get_default_timezone()
        if first is not None:
            start = timezone.make_aware(datetime.combine(first, time.min), zone)
            queryset = queryset.filter(**{f"{self.field_path}__gte": start})
        if last is not None:
            end = timezone.make_aware(datetime.combine(last + timedelta(days=1), time.min), zone)
            queryset = queryset.filter(**{f"{self.field_path}__lt": end})
        return queryset

    def choices(self, changelist):
        mine = set(self.expected_parameters())
        yield {
            "from": self._value(self.parameter_from),
            "to": self._value(self.parameter_to),
            "parameter_from": self.parameter_from,
            "parameter_to": self.parameter_to,
            "kept": [
                (name, value)
                for name, values in changelist.params.items()
                if name not in mine
                for value in (values if isinstance(values, list) else [values])
            ],
            "clear": changelist.get_query_string(remove=list(mine)),
        }

    def _value(self, name: str) -> str:
        value = self.used_parameters.get(name, "")
        return value[-1] if isinstance(value, list) and value else value or ""


@admin.register(SignInEvent)
class SignInEventAdmin(admin.ModelAdmin):
    list_display = ("at", "kind", "who", "method", "address", "detail")
    list_filter = ("kind", "method", ("at", DateRangeFilter))
    list_select_related = ("user",)
    search_fields = ("username", "user__username")
    search_help_text = "A user name: the account's, or as typed on a failed sign-in."
    date_hierarchy = "at"
    fields = ("at", "kind", "user", "username", "method", "address", "detail")
    readonly_fields = fields
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="user", ordering="username")
    def who(self, event: SignInEvent) -> str:
        if event.user_id is None:
            return f"{event.username or '?'} (no such account)"
        return event.user.get_username()
