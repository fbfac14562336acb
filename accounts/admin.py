from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from .models import User


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    """Who: admins. Roles are the groups Clerk, Supervisor, Admin and Fax gateway."""

    fieldsets = BaseUserAdmin.fieldsets + (("Precinct", {"fields": ("precinct",)}),)
    add_fieldsets = BaseUserAdmin.add_fieldsets + (("Precinct", {"fields": ("precinct",)}),)
    list_display = ("username", "first_name", "last_name", "precinct", "is_active", "is_staff")
    list_filter = ("groups", "precinct", "is_active", "is_staff")
    list_select_related = ("precinct",)
