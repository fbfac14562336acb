"""The sign-in record: every sign-in, failure, sign-out, lockout and second-factor change.

`signin_event_record` is the one writer of accounts.SignInEvent. The auth framework's signals
(accounts.signin_receivers) and the second-factor and session code call it. What it stores is
checked here, so no caller can put a secret in the record: the detail is short words chosen by our
code, never what a person typed except the user name of a failed attempt.
"""

import ipaddress
import logging

from django.contrib.auth import get_user_model

from accounts.models import SignInEvent
from accounts.throttling import client_ip

logger = logging.getLogger(__name__)

# How a person proved who they are, told from the backend Django's login() recorded.
METHOD_PASSWORD = "password"
METHOD_SSO = "sso"
METHOD_TOKEN = "token"
METHOD_TOTP = "totp"
METHOD_RECOVERY_CODE = "recovery code"


def signin_method_for_backend(backend: str) -> str:
    """`password` for Django's model backend, `sso` for an OpenID Connect one, else the class name."""
    lowered = backend.lower()
    if "oidc" in lowered or "openid" in lowered or "sso" in lowered:
        return METHOD_SSO
    if lowered.endswith("modelbackend") or not lowered:
        return METHOD_PASSWORD
    return backend.rsplit(".", 1)[-1][:32]


def signin_address(request) -> str:
    """The client's address as the lockout counts it (accounts.throttling); empty without a request."""
    if request is None:
        return ""
    return client_ip(request)


def _valid_address(address: str) -> str | None:
    try:
        return str(ipaddress.ip_address(address.strip()))
    except ValueError:
        return None


def signin_event_record(
    *,
    kind: str,
    user=None,
    username: str = "",
    address: str = "",
    method: str = "",
    detail: str = "",
) -> SignInEvent:
    """Write one event. `username` defaults to the user's; it and `detail` are cut to fit."""
    if kind not in SignInEvent.Kind.values:
        raise ValueError(f"Unknown sign-in event kind {kind!r}.")
    if user is not None and not username:
        username = user.get_username()
    event = SignInEvent.objects.create(
        kind=kind,
        user=user if user is not None and user.pk else None,
        username=(username or "")[: SignInEvent.USERNAME_LENGTH],
        address=_valid_address(address or ""),
        method=(method or "")[:32],
        detail=(detail or "")[: SignInEvent.DETAIL_LENGTH],
    )
    # The log says that something happened and its row id, not to whom (no personal data in logs).
    logger.info("Sign-in event %s recorded (id %s)", kind, event.pk)
    return event


def signin_failure_record(
    *, username: str, address: str, method: str = METHOD_PASSWORD
) -> SignInEvent:
    """A refused attempt, tied to the account when the typed name is one, so an admin looking at a
    person's record sees the attempts on it too."""
    typed = (username or "")[: SignInEvent.USERNAME_LENGTH]
    account = get_user_model().objects.filter(username=typed).first() if typed else None
    return signin_event_record(
        kind=SignInEvent.Kind.SIGN_IN_FAILED,
        user=account,
        username=typed,
        address=address,
        method=method,
    )
