"""`Authorization: Token <key>` against accounts.ApiToken, where keys are stored hashed.

DRF's TokenAuthentication reads the header (keyword "Token", 401 with `WWW-Authenticate: Token`);
only the lookup differs: by the key's digest, refusing revoked and expired tokens.
"""

from django.utils import timezone
from drf_spectacular.authentication import SessionScheme
from rest_framework import exceptions
from rest_framework.authentication import SessionAuthentication, TokenAuthentication

from accounts.mfa.middleware import API_REFUSAL
from accounts.mfa.policy import mfa_pending
from accounts.models import ApiToken
from accounts.tokens import api_token_for_key, api_token_used

NEW_TOKEN_HINT = "Ask an administrator for a new one (python manage.py create_api_token USERNAME)."


class ApiTokenAuthentication(TokenAuthentication):
    model = ApiToken

    def authenticate_credentials(self, key):
        token = api_token_for_key(key=key)
        if token is None:
            raise exceptions.AuthenticationFailed("Invalid token.")
        now = timezone.now()
        if token.revoked_at is not None:
            raise exceptions.AuthenticationFailed(f"This token was revoked. {NEW_TOKEN_HINT}")
        if not token.is_usable_at(now):
            raise exceptions.AuthenticationFailed(f"This token has expired. {NEW_TOKEN_HINT}")
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed("User inactive or deleted.")
        api_token_used(token=token, at=now)
        return (token.user, token)


class VerifiedSessionAuthentication(SessionAuthentication):
    """DRF's session authentication (with its CSRF check), refusing a session that still owes its
    second factor (accounts.mfa): the password alone does not open the API."""

    def authenticate(self, request):
        result = super().authenticate(request)
        if result is not None and mfa_pending(request._request):
            raise exceptions.PermissionDenied(API_REFUSAL)
        return result


class VerifiedSessionScheme(SessionScheme):
    """The OpenAPI schema describes it as the session (cookie) it is."""

    target_class = VerifiedSessionAuthentication
