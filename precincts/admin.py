from django.contrib import admin

from .models import FaxNumber, Precinct


class FaxNumberInline(admin.TabularInline):
    model = FaxNumber
    extra = 0
    fields = ("number", "kind", "active_from", "active_until", "note")
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Precinct)
class PrecinctAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "neighbourhood", "active")
    search_fields = ("code", "name", "neighbourhood")
    inlines = [FaxNumberInline]


@admin.register(FaxNumber)
class FaxNumberAdmin(admin.ModelAdmin):
    list_display = ("number", "precinct", "kind", "active_from", "active_until")
    list_select_related = ("precinct",)
