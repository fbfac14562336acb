from django.conf import settings
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.authtoken.models import TokenProxy

from accounts import signin_admin  # noqa: F401 - registers the sign-in record's admin
from accounts.forms import UserChangeForm, UserCreationForm
from accounts.mfa.services import mfa_reset
from accounts.models import ApiToken, User
from accounts.signin_audit import signin_address
from accounts.tokens import api_token_issue, api_token_owners_for, api_tokens_revoke

# DRF's token admin listed every key in clear. Its app stays installed only for its migrations
# (accounts/migrations/0006 hashed its keys into ApiToken); unregistering fails loudly if
# rest_framework.authtoken ever comes after accounts in INSTALLED_APPS.
admin.site.unregister(TokenProxy)
# django-otp's device admins show a person's TOTP secret (and a QR code of it) and their recovery
# codes; an admin resets a second factor from the user list instead (reset_second_factor below).
for _otp_model in (TOTPDevice, StaticDevice):
    if admin.site.is_registered(_otp_model):
        admin.site.unregister(_otp_model)

ACCESS_FIELDS = ("is_active", "is_staff", "is_superuser", "user_permissions")
# Single sign-on (accounts/oidc/): how the account signs in when LOCAL_LOGIN is off, and which
# person at the provider it is.
SIGN_IN_FIELDS = {
    "fields": ("break_glass", "sso_subject"),
    "description": "Accounts linked to single sign-on get their roles and precinct from the "
    "provider at every sign-in. With LOCAL_LOGIN off, only break-glass accounts may use a password.",
}
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
        ("Single sign-on", SIGN_IN_FIELDS),
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
    list_filter = ("groups", "precinct", "is_active", "is_staff", "break_glass")
    # Set by sign-ins, not typed (Django's date and time boxes had no labels of their own).
    readonly_fields = ("last_login", "date_joined")
    # Plain lists: Django's two-box filter widget puts an aria-label on a bare <span> (axe:
    # aria-prohibited-attr, tests/e2e/test_accessibility.py).
    filter_horizontal = ()
    list_select_related = ("precinct",)
    actions = ["reset_second_factor"]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("groups")

    @admin.action(
        description="Reset the second factor (lost phone): enrol again at next sign-in",
        permissions=["change"],
    )
    def reset_second_factor(self, request, queryset):
        for person in queryset:
            mfa_reset(user=person, actor=request.user, address=signin_address(request))
        self.message_user(
            request,
            f"Reset the second factor of {len(queryset)} user(s); each enrols an app again "
            "at their next sign-in.",
            messages.SUCCESS,
        )

    @admin.display(description="Roles")
    def roles(self, user: User) -> str:
        return ", ".join(sorted(group.name for group in user.groups.all())) or "—"


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Who: admins. A key is shown once, on the page after adding it; lists show its first characters."""

    list_display = ("prefix", "user", "created", "last_used", "expires_at", "state")
    list_select_related = ("user",)
    search_fields = ("user__username", "prefix")
    actions = ["revoke"]

    def get_fields(self, request, obj=None):
        if obj is None:
            return ("user", "expires_at")
        return ("user", "prefix", "created", "last_used", "expires_at", "revoked_at")

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ()
        return ("user", "prefix", "created", "last_used", "revoked_at")

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "user":
            kwargs["queryset"] = api_token_owners_for(admin=request.user)
            kwargs["help_text"] = (
                "A token acts as its user, so here only for integration accounts (Fax gateway) "
                "or yourself. A person's own token: python manage.py create_api_token USERNAME."
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            return
        # Kept on this instance only, for response_add to show: never saved, never in a message
        # (messages can wait in a cookie or the session).
        obj.key_shown_once = api_token_issue(token=obj)

    def changelist_view(self, request, extra_context=None):
        # How a fax gateway is set up with a token (admin/accounts/apitoken/_gateway_setup.html).
        return super().changelist_view(
            request, {"site_url": settings.SITE_URL, **(extra_context or {})}
        )

    def response_add(self, request, obj, post_url_continue=None):
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": "New API token",
            "token": obj,
            "key": obj.key_shown_once,
            "site_url": settings.SITE_URL,
        }
        response = TemplateResponse(request, "admin/accounts/apitoken/created.html", context)
        add_never_cache_headers(response)
        return response

    @admin.display(description="State")
    def state(self, token: ApiToken) -> str:
        if token.revoked_at is not None:
            return "revoked"
        return "active" if token.is_usable_at(timezone.now()) else "expired"

    @admin.action(description="Revoke the selected tokens", permissions=["change"])
    def revoke(self, request, queryset):
        revoked = api_tokens_revoke(tokens=queryset)
        self.message_user(request, f"Revoked {revoked} token(s).", messages.SUCCESS)
