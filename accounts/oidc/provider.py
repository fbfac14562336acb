"""The only module that talks to the OpenID Connect provider, through Authlib's Django client.

Authlib rather than mozilla-django-oidc: it reads the provider's discovery document and keeps it
(mozilla-django-oidc wants every endpoint in settings), keeps the signing keys and fetches them
again only for a key id it has not seen, and its ID token check covers signature, issuer,
audience, expiry and nonce; mozilla-django-oidc 5 decodes with the audience check turned off,
never compares the issuer, and fetches the keys at every sign-in.

One client per configuration is kept for the life of the process: the discovery document is
fetched once, the first time someone signs in with the provider (never to show the login page,
so a provider that is down leaves the password form working), and not kept when it fails, so
the next attempt tries again.

Nothing here logs or raises with a token or a claim in it: errors say which check failed.
"""

import logging
import re
from collections.abc import Mapping
from functools import lru_cache
from typing import Any
from urllib.parse import urlencode

import requests
from authlib.integrations.base_client import MismatchingStateError, OAuthError
from authlib.integrations.django_client import DjangoOAuth2App, OAuth
from django.conf import settings
from django.http import HttpResponseRedirect
from joserfc.errors import JoseError

from accounts.oidc.claims import claim_value

logger = logging.getLogger(__name__)

DISCOVERY_PATH = "/.well-known/openid-configuration"
SCOPES = "openid email profile"
# How long to wait for the provider: a sign-in waits on it, a page view never does.
TIMEOUT_SECONDS = 10
# Clock difference allowed between the provider and us when reading exp, iat and nbf.
CLOCK_LEEWAY_SECONDS = 60
REQUIRED_ENDPOINTS = ("authorization_endpoint", "token_endpoint", "jwks_uri")


class ProviderUnavailable(Exception):
    """The provider could not be reached, or its answer was not one we can use: not the person's doing."""


class SignInNotVerified(Exception):
    """What came back does not prove who the person is: `reason` is short words for the sign-in
    record (which check failed), never the token or its claims. `started_here` is False when
    this browser's session holds no sign-in it started (no matching state)."""

    def __init__(self, reason: str, *, started_here: bool = True):
        super().__init__(reason)
        self.reason = reason
        self.started_here = started_here


def provider_client() -> DjangoOAuth2App:
    return _client(settings.OIDC_ISSUER, settings.OIDC_CLIENT_ID, settings.OIDC_CLIENT_SECRET)


@lru_cache(maxsize=4)
def _client(issuer: str, client_id: str, client_secret: str) -> DjangoOAuth2App:
    """Keyed by the configuration, so a changed setting (a test's) gets a client of its own."""
    return OAuth().register(
        name="sso",
        client_id=client_id,
        client_secret=client_secret,
        server_metadata_url=issuer + DISCOVERY_PATH,
        client_kwargs={
            "scope": SCOPES,
            "code_challenge_method": "S256",
            "default_timeout": TIMEOUT_SECONDS,
        },
    )


def provider_metadata() -> dict[str, Any]:
    """The discovery document (fetched once per process), checked to be this issuer's."""
    client = provider_client()
    try:
        metadata = client.load_server_metadata()
    except (requests.RequestException, ValueError) as error:
        logger.warning("Single sign-on: discovery document not read (%s)", type(error).__name__)
        raise ProviderUnavailable from error
    # OpenID Connect Discovery 1.0, 4.3: the document must name the issuer it was asked for.
    if str(metadata.get("issuer", "")).rstrip("/") != settings.OIDC_ISSUER:
        logger.error("Single sign-on: the discovery document names another issuer than OIDC_ISSUER")
        raise ProviderUnavailable
    missing = [name for name in REQUIRED_ENDPOINTS if not metadata.get(name)]
    if missing:
        logger.error("Single sign-on: the discovery document has no %s", ", ".join(missing))
        raise ProviderUnavailable
    return metadata


def sign_in_redirect(request, *, redirect_uri: str) -> HttpResponseRedirect:
    """To the provider's authorization endpoint; the state, nonce and PKCE verifier wait in the
    session for the callback."""
    provider_metadata()
    return provider_client().authorize_redirect(request, redirect_uri)


def id_token_rules(metadata: Mapping[str, Any]) -> dict[str, dict]:
    """What the ID token must say besides its signature, expiry and nonce (Authlib checks those).

    Authlib compares the audience only through `azp`; we want our client id in `aud` itself.
    A fresh dict each time: Authlib takes the options apart as it reads them.
    """
    return {
        "iss": {"essential": True, "value": metadata["issuer"]},
        "aud": {"essential": True, "value": settings.OIDC_CLIENT_ID},
    }


def sign_in_claims(request) -> dict[str, Any]:
    """The verified claims of the person the provider sent back to the callback.

    The code is exchanged for tokens once (the state is taken out of the session), and the ID
    token's signature (the provider's published keys), issuer, audience, expiry and nonce are
    checked before any claim is read.
    """
    metadata = provider_metadata()
    client = provider_client()
    try:
        tokens = client.authorize_access_token(
            request, claims_options=id_token_rules(metadata), leeway=CLOCK_LEEWAY_SECONDS
        )
    except MismatchingStateError as error:
        raise SignInNotVerified(
            "no sign-in started in this browser (state)", started_here=False
        ) from error
    except OAuthError as error:
        raise SignInNotVerified(f"the provider refused: {_error_code(error.error)}") from error
    except JoseError as error:
        raise SignInNotVerified(f"ID token refused: {_error_code(error.error)}") from error
    except (requests.RequestException, ValueError) as error:
        logger.warning("Single sign-on: token exchange failed (%s)", type(error).__name__)
        raise ProviderUnavailable from error
    if not tokens.get("userinfo"):
        raise SignInNotVerified("no ID token in the provider's answer")
    return _with_userinfo(client, tokens, dict(tokens["userinfo"]), metadata)


def _with_userinfo(client, tokens, claims: dict, metadata) -> dict[str, Any]:
    """Some providers put groups or custom claims only in the userinfo answer (a Keycloak mapper
    not added to the ID token): ask it when the ID token lacks them. The ID token's claims win."""
    wanted = (settings.OIDC_ROLE_CLAIM, settings.OIDC_PRECINCT_CLAIM)
    if all(claim_value(claims, name) is not None for name in wanted):
        return claims
    if not metadata.get("userinfo_endpoint") or not tokens.get("access_token"):
        return claims
    try:
        info = dict(client.userinfo(token=tokens))
    except (requests.RequestException, ValueError, OAuthError) as error:
        logger.warning("Single sign-on: userinfo not read (%s)", type(error).__name__)
        raise ProviderUnavailable from error
    if info.get("sub") != claims.get("sub"):
        raise SignInNotVerified("the userinfo answer is about another subject")
    return {**info, **claims}


def end_session_url(*, post_logout_redirect_uri: str) -> str | None:
    """Where to send a browser so the provider's session ends too; None when the provider has no
    end_session_endpoint or cannot be reached (the local session has ended either way).

    The client id names us rather than the ID token (id_token_hint): no token goes into a URL.
    """
    try:
        endpoint = provider_metadata().get("end_session_endpoint")
    except ProviderUnavailable:
        return None
    if not endpoint:
        return None
    query = urlencode(
        {"client_id": settings.OIDC_CLIENT_ID, "post_logout_redirect_uri": post_logout_redirect_uri}
    )
    return f"{endpoint}{'&' if '?' in endpoint else '?'}{query}"


def _error_code(code: object) -> str:
    """A provider's error code (access_denied, invalid_grant) as short safe words for the record."""
    return re.sub(r"[^a-z0-9_ ]", "", str(code or "unknown").lower())[:40] or "unknown"
