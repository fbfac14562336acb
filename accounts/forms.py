"""Forms of the user admin (a clerk always has a precinct) and the login forms."""

from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import forms as auth_forms

from accounts.access import Role
from accounts.models import User
from accounts.signin_audit import signin_address, signin_failure_record


class ClerkHasPrecinctMixin:
    """A clerk logs faxes for one precinct; without it their faxes would belong to nobody."""

    def clean(self):
        cleaned = super().clean()
        groups = cleaned.get("groups")
        is_clerk = groups is not None and any(group.name == Role.CLERK for group in groups)
        if is_clerk and not cleaned.get("precinct"):
            self.add_error(
                "precinct",
                "A user in the Clerk group logs faxes for one precinct: choose the precinct, "
                "or take the Clerk role away.",
            )
        return cleaned


class UserChangeForm(ClerkHasPrecinctMixin, auth_forms.UserChangeForm):
    class Meta(auth_forms.UserChangeForm.Meta):
        model = User


class UserCreationForm(ClerkHasPrecinctMixin, auth_forms.AdminUserCreationForm):
    class Meta(auth_forms.AdminUserCreationForm.Meta):
        model = User


class UserNameLengthMixin:
    """Django's login forms set the user name's max length on the widget only: a longer name still
    reached authenticate(), and django-axes' record of the failure (a 255-character column) made
    PostgreSQL refuse it, a 500. Refused here, before anything is looked up, and recorded as the
    failed sign-in it is."""

    def clean(self):
        username = self.cleaned_data.get("username") or ""
        if len(username) > self.fields["username"].max_length:
            signin_failure_record(username=username, address=signin_address(self.request))
            raise self.get_invalid_login_error()
        return super().clean()


class LoginForm(UserNameLengthMixin, auth_forms.AuthenticationForm):
    pass


class AdminLoginForm(UserNameLengthMixin, AdminAuthenticationForm):
    pass
