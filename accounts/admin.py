from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from accounts.forms import UserChangeForm, UserCreationForm
from accounts.models import User

ACCESS_FIELDS = ("is_active", "is_staff", "is_superuser", "user_permissions")
ROLE_FIELDS = {
    "fields": ("groups", "precinct"),
    "description": "Roles are groups. A clerk needs a precinct.",
}


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    """Who: admins. Roles are the groups Clerk, Supervisor, Admin and Fax gateway."""

    form = UserChangeForm
    add_form = UserCreationForm
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        ("Personal info", {"fields": ("first_name", "last_name", "email")}),
        ("Roles and precinct", ROLE_FIELDS),
        (
            "Access",
            {"fields": ACCESS_FIELDS, "description": "Staff status opens this site: admins only."},
        ),
        ("Important dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = BaseUserAdmin.add_fieldsets + (("Roles and precinct", ROLE_FIELDS),)
    list_display = (
        "username",
        "first_name",
        "last_name",
        "roles",
        "precinct",
        "is_active",
        "is_staff",
    )
    list_filter = ("groups", "precinct", "is_active", "is_staff")
    list_select_related = ("precinct",)

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("groups")

    @admin.display(description="Roles")
    def roles(self, user: User) -> str:
        return ", ".join(sorted(group.name for group in user.groups.all())) or "—"
