"""The auth framework's hooks, into the sign-in record (accounts.signin_audit).

Django announces sign-in, sign-out and failed attempts by signals, and django-axes its lockouts;
these are the only way to hear of them without replacing the login views, so they are this
feature's entry point. Each receiver only reads the signal's arguments and calls the service.
Connected in accounts.apps.AccountsConfig.ready.
"""

from accounts.models import SignInEvent
from accounts.session_limits import now_seconds, session_limits_start
from accounts.signin_audit import (
    signin_address,
    signin_event_record,
    signin_failure_record,
    signin_method_for_backend,
)


def on_user_logged_in(sender, request, user, **kwargs) -> None:
    if request is not None and hasattr(request, "session"):
        session_limits_start(session=request.session, now=now_seconds())
    signin_event_record(
        kind=SignInEvent.Kind.SIGN_IN,
        user=user,
        address=signin_address(request),
        method=signin_method_for_backend(getattr(user, "backend", "") or ""),
    )


def on_user_logged_out(sender, request, user, **kwargs) -> None:
    # An anonymous visitor's logout sends user=None: nobody signed out, so nothing to record.
    if user is None:
        return
    signin_event_record(kind=SignInEvent.Kind.SIGN_OUT, user=user, address=signin_address(request))


def on_user_login_failed(sender, credentials, request=None, **kwargs) -> None:
    # `credentials` has the password already masked by Django; only the user name is taken.
    signin_failure_record(
        username=str(credentials.get("username", "") or ""), address=signin_address(request)
    )


def on_user_locked_out(sender, request, username, ip_address, **kwargs) -> None:
    signin_event_record(
        kind=SignInEvent.Kind.LOCKED_OUT,
        username=str(username or ""),
        address=str(ip_address or ""),
        method="password",
        detail="too many failed sign-ins; held for the cool-off time",
    )
