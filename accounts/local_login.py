"""LOCAL_LOGIN=off: the password is refused to everyone but the break-glass accounts.

An authentication backend rather than a check in the login view, so that every password form
(the login page, the admin's own login page, whatever comes later) is held to it. It stands
between django-axes and ModelBackend in settings.AUTHENTICATION_BACKENDS:

- LOCAL_LOGIN on: it answers None and ModelBackend checks the password as it always did.
- LOCAL_LOGIN off: it checks the password itself for a break-glass account (and records that
  such an account came in), and raises PermissionDenied for anyone else, which stops Django from
  asking ModelBackend. Django then sends user_login_failed, so django-axes counts the attempt and
  the sign-in record has it, as with a wrong password.

The refusal does not say whether the password was right or the account is break-glass: the
login page gives one message for both (templates/registration/login.html).
"""

from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import PermissionDenied

from accounts.models import SignInEvent
from accounts.signin_audit import METHOD_PASSWORD, signin_address, signin_event_record


class LocalLoginModelBackend(ModelBackend):
    """Its name ends in ModelBackend: the sign-in record reads the method as `password`."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if settings.LOCAL_LOGIN or password is None:
            return None  # not a password sign-in, or one ModelBackend may check
        user = super().authenticate(request, username=username, password=password, **kwargs)
        if user is None or not user.break_glass:
            raise PermissionDenied
        signin_event_record(
            kind=SignInEvent.Kind.BREAK_GLASS,
            user=user,
            address=signin_address(request),
            method=METHOD_PASSWORD,
            detail="password sign-in while LOCAL_LOGIN is off",
        )
        return user
