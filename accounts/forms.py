"""Forms of the user admin: a clerk always has a precinct."""

from django.contrib.auth import forms as auth_forms

from accounts.access import Role
from accounts.models import User


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
