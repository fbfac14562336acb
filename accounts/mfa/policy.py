"""Who must give a second factor, and whether this request's session still owes it.

Required of supervisors, admins and staff who signed in with a password (MFA_REQUIRED), and of
clerks too with MFA_REQUIRED_FOR_CLERKS. A session started by single sign-on is left to the
provider's own second factor; API tokens never make a session, so machines are not asked.
A backend we do not recognise counts as a password: when in doubt, ask.
"""

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY

from accounts.access import Role, roles_of
from accounts.signin_audit import METHOD_SSO, signin_method_for_backend

PENDING = "_mfa_pending"


def mfa_required_for(*, user, backend: str) -> bool:
    if not settings.MFA_REQUIRED or not getattr(user, "is_authenticated", False):
        return False
    if signin_method_for_backend(backend) == METHOD_SSO:
        return False
    held = roles_of(user)
    if user.is_staff or held & {Role.SUPERVISOR, Role.ADMIN}:
        return True
    return Role.CLERK in held and settings.MFA_REQUIRED_FOR_CLERKS


def mfa_pending(request) -> bool:
    """True while this session's person must still give their second factor (asked once a request)."""
    cached = getattr(request, PENDING, None)
    if cached is None:
        user = getattr(request, "user", None)
        session = getattr(request, "session", {})
        cached = mfa_required_for(
            user=user, backend=session.get(BACKEND_SESSION_KEY, "")
        ) and not _is_verified(user)
        setattr(request, PENDING, cached)
    return cached


def mfa_pending_forget(request) -> None:
    """After a code was accepted in this request, ask again."""
    if hasattr(request, PENDING):
        delattr(request, PENDING)


def _is_verified(user) -> bool:
    # django-otp's OTPMiddleware adds is_verified(); without it nothing was verified.
    is_verified = getattr(user, "is_verified", None)
    return bool(is_verified and is_verified())
