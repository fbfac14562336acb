"""`Authorization: Token <key>` against accounts.ApiToken, where keys are stored hashed.

DRF's TokenAuthentication reads the header (keyword "Token", 401 with `WWW-Authenticate: Token`);
only the lookup differs: by the key's digest, refusing revoked and expired tokens.
"""

from django.utils import timezone
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication

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
