"""Who may do what. Every page and API endpoint names its roles through this module.

Roles are Django groups created by a data migration. A superuser counts as an admin.
"""

from enum import StrEnum
from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from rest_framework.permissions import BasePermission


class Role(StrEnum):
    CLERK = "Clerk"
    SUPERVISOR = "Supervisor"
    ADMIN = "Admin"
    GATEWAY = "Fax gateway"


def roles_of(user) -> frozenset[Role]:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return frozenset()
    cached = getattr(user, "_roles", None)
    if cached is None:
        roles_remember(user, groups=set(user.groups.values_list("name", flat=True)))
        cached = user._roles
    return cached


def roles_remember(user, *, groups: set[str]) -> None:
    """Keep the roles of `user`, whose groups' names were read with it (accounts.tokens reads
    them in the token's own query), so `roles_of` asks the database nothing more."""
    roles = frozenset(role for role in Role if role.value in groups)
    user._roles = roles | {Role.ADMIN} if user.is_superuser else roles


def has_role(user, *roles: Role) -> bool:
    return bool(roles_of(user) & set(roles))


def role_required(*roles: Role):
    """Page decorator: anonymous users go to the login page, a session owing its second factor to
    the code page (accounts.mfa), users without a role get 403."""

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            # Here, not at the top: accounts.mfa reads roles from this module.
            from accounts.mfa.middleware import second_factor_redirect
            from accounts.mfa.policy import mfa_pending

            if mfa_pending(request):
                return second_factor_redirect(request)
            if not has_role(request.user, *roles):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        wrapped.allowed_roles = roles
        return wrapped

    return decorator


def allow(*roles: Role) -> type[BasePermission]:
    """API permission class: authenticated users holding one of `roles`."""

    class HasRole(BasePermission):
        message = "Your account's role may not use this endpoint."

        def has_permission(self, request, view):
            return has_role(request.user, *roles)

    HasRole.__name__ = "Allow" + "Or".join(role.name.title() for role in roles)
    HasRole.allowed_roles = roles
    return HasRole
