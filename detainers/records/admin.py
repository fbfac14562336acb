"""Who: admins (accounts.roles.ADMIN_PERMISSIONS). The retention rules, one per kind of record:
the period may be changed (through services.retention_rule_change, which audits it), never a
rule added or deleted. The destruction log is read-only."""

from django.contrib import admin

from detainers.models import DestructionLog, RetentionRule
from detainers.records.services import retention_rule_change


@admin.register(RetentionRule)
class RetentionRuleAdmin(admin.ModelAdmin):
    list_display = ("kind", "period", "unit", "schedule_reference", "changed_at", "changed_by")
    fields = ("kind", "period", "unit", "schedule_reference", "changed_at", "changed_by")
    readonly_fields = ("kind", "changed_at", "changed_by")

    def has_add_permission(self, request):
        return False  # one rule per kind, made by the migration

    def has_delete_permission(self, request, obj=None):
        return False  # a kind without a rule would silently never be destroyed

    def save_model(self, request, obj, form, change):
        retention_rule_change(
            rule=obj,
            period=form.cleaned_data["period"],
            unit=form.cleaned_data["unit"],
            reference=form.cleaned_data["schedule_reference"],
            actor=request.user,
        )


@admin.register(DestructionLog)
class DestructionLogAdmin(admin.ModelAdmin):
    list_display = ("at", "kind", "count", "rule_period", "rule_unit", "approved_by", "dry_run")
    list_filter = ("kind",)
    date_hierarchy = "at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
