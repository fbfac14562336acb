"""Sign-in tokens for the central mailbox: the OAuth2 client-credentials grant (RFC 6749 4.4), which is
how Microsoft 365 lets an app, not a person, open a mailbox (docs/deploy.md).

One POST to the token URL with the app's ID, secret and scope returns a bearer token and how long it
lives. A token is kept in this process only, and renewed when less than a margin of its life is left,
or when the mail server refuses it (revoked, or expired early): then once, never in a loop. It is not
put in the Django cache: a bearer token is as good as the secret for an hour, and a worker asks for
one an hour at most, so sharing it would only spread it.

A refusal or silence of the token server becomes a `TokenUnavailable` in plain words for the health
panel; neither the secret nor a token is ever in a message or the log.
"""

import json
import logging
import re
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.client import HTTPException
from typing import TypeVar
from urllib.error import HTTPError, URLError
from urllib.parse import urlencode, urlsplit
from urllib.request import Request, urlopen

from django.conf import settings

logger = logging.getLogger(__name__)

TIMEOUT_SECONDS = 10
# Renewed this long before it ends (a quarter of its life when that is shorter): a read that starts
# with a token has it for the whole minute's run.
RENEW_BEFORE_SECONDS = 300
# expires_in is optional (RFC 6749 5.1); without it the token is taken to live this long.
ASSUMED_LIFETIME_SECONDS = 300
_ANSWER_LIMIT = 64 * 1024
# Only these parts of a refusal are repeated: an error code and Entra's numbered reason (AADSTS...).
_ERROR_CODE = re.compile(r"^[a-z_]{1,40}$")
_ENTRA_REASON = re.compile(r"\bAADSTS\d{1,10}\b")

_REFUSALS = {
    "invalid_client": (
        "the client secret was refused (invalid_client). Check MAILBOX_OAUTH2_CLIENT_ID and "
        "MAILBOX_OAUTH2_CLIENT_SECRET; a secret made in Entra ID expires and must be replaced"
    ),
    "unauthorized_client": (
        "the client may not use the client-credentials grant (unauthorized_client). Check "
        "MAILBOX_OAUTH2_CLIENT_ID and the app registration in that tenant"
    ),
    "invalid_scope": (
        "the scope was refused (invalid_scope). For Microsoft 365, MAILBOX_OAUTH2_SCOPE is "
        "https://outlook.office365.com/.default"
    ),
}

Signed = TypeVar("Signed")


class TokenUnavailable(Exception):
    """No token could be had; the message says why in plain words, without secret or token."""


class TokenRefused(Exception):
    """The mail server refused a token (raised by a sign-in); `reason` is the server's words."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class OAuth2Client:
    token_url: str
    client_id: str
    client_secret: str = field(repr=False)
    scope: str

    @property
    def token_host(self) -> str:
        return urlsplit(self.token_url).hostname or self.token_url


@dataclass(frozen=True)
class Token:
    access_token: str = field(repr=False)
    expires_in: int


def oauth2_client() -> OAuth2Client | None:
    """The mailbox's OAuth2 client from settings, or None: the mailbox signs in with a password.
    config/settings.py makes sure all four are set or none."""
    if not settings.MAILBOX_OAUTH2_TOKEN_URL:
        return None
    return OAuth2Client(
        token_url=settings.MAILBOX_OAUTH2_TOKEN_URL,
        client_id=settings.MAILBOX_OAUTH2_CLIENT_ID,
        client_secret=settings.MAILBOX_OAUTH2_CLIENT_SECRET,
        scope=settings.MAILBOX_OAUTH2_SCOPE,
    )


def token_fetch(*, client: OAuth2Client) -> Token:
    """One client-credentials grant. The secret goes in the body (client_secret_post), as Microsoft
    documents it; HTTPS_PROXY is honoured, and the certificate checked against the system's CAs or
    those SSL_CERT_FILE names."""
    body = urlencode(
        {
            "grant_type": "client_credentials",
            "client_id": client.client_id,
            "client_secret": client.client_secret,
            "scope": client.scope,
        }
    ).encode()
    request = Request(  # noqa: S310 - settings allow https://, or http:// on loopback only
        client.token_url,
        data=body,
        headers={"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json"},
        method="POST",
    )
    context = ssl.create_default_context()
    try:
        with urlopen(request, timeout=TIMEOUT_SECONDS, context=context) as answer:  # noqa: S310
            return _token_read(answer.read(_ANSWER_LIMIT), client)
    except HTTPError as refusal:
        raise TokenUnavailable(_refusal_words(refusal, client)) from None
    except (URLError, OSError, HTTPException) as silence:
        raise TokenUnavailable(_silence_words(silence, client)) from None


def _token_read(answer: bytes, client: OAuth2Client) -> Token:
    try:
        fields = json.loads(answer)
        access_token = fields["access_token"]
    except (ValueError, KeyError, TypeError):
        raise TokenUnavailable(_words(client, "the token server's answer held no token")) from None
    if not isinstance(access_token, str) or not access_token:
        raise TokenUnavailable(_words(client, "the token server's answer held no token"))
    try:
        expires_in = int(fields.get("expires_in", ASSUMED_LIFETIME_SECONDS))
    except (ValueError, TypeError):
        expires_in = ASSUMED_LIFETIME_SECONDS
    return Token(access_token=access_token, expires_in=max(expires_in, 0))


def _words(client: OAuth2Client, reason: str) -> str:
    return f"The mailbox could not get a sign-in token from {client.token_host}: {reason}."


def _refusal_words(refusal: HTTPError, client: OAuth2Client) -> str:
    try:
        fields = json.loads(refusal.read(_ANSWER_LIMIT))
        code = str(fields.get("error", ""))
        description = str(fields.get("error_description", ""))
    except (ValueError, AttributeError, OSError):
        code, description = "", ""
    if not _ERROR_CODE.match(code):
        return _words(client, f"the token server answered HTTP {refusal.code}")
    reason = _REFUSALS.get(code, f"the token server refused the request ({code})")
    entra = _ENTRA_REASON.search(description)
    if entra:
        reason = reason.replace(f"({code})", f"({code}, {entra.group()})", 1)
    return _words(client, reason)


def _silence_words(silence: Exception, client: OAuth2Client) -> str:
    cause = getattr(silence, "reason", silence)
    if isinstance(cause, ssl.SSLCertVerificationError):
        return _words(
            client,
            f"its certificate was not accepted ({cause.verify_message.rstrip('.')}); "
            "a private CA must be trusted by the worker (SSL_CERT_FILE, see docs/deploy.md)",
        )
    return _words(client, "the token server did not answer")


@dataclass
class _Held:
    access_token: str = field(repr=False)
    renew_at: float


class TokenCache:
    """The tokens this process holds, one per client. `clock` (seconds, monotonic: a changed wall
    clock changes nothing) and `fetch` may be replaced in a test."""

    def __init__(
        self,
        *,
        clock: Callable[[], float] = time.monotonic,
        fetch: Callable[..., Token] = token_fetch,
    ):
        self.clock = clock
        self.fetch = fetch
        self._held: dict[OAuth2Client, _Held] = {}
        self._lock = threading.Lock()

    def token(self, *, client: OAuth2Client) -> tuple[str, bool]:
        """(token, fresh): the held token while it has more than the margin to live, else a new one
        (fresh=True)."""
        with self._lock:
            held = self._held.get(client)
            if held is not None and self.clock() < held.renew_at:
                return held.access_token, False
            obtained_at = self.clock()
            token = self.fetch(client=client)
            margin = min(RENEW_BEFORE_SECONDS, token.expires_in / 4)
            self._held[client] = _Held(token.access_token, obtained_at + token.expires_in - margin)
        logger.info(
            "mailbox sign-in token from %s, valid for %d s", client.token_host, token.expires_in
        )
        return token.access_token, True

    def forget(self, *, client: OAuth2Client, access_token: str) -> None:
        with self._lock:
            held = self._held.get(client)
            if held is not None and held.access_token == access_token:
                del self._held[client]

    def signed_in(self, *, client: OAuth2Client, sign_in: Callable[[str], Signed]) -> Signed:
        """`sign_in(token)` with the held token. If the server refuses one that was held (revoked,
        or expired earlier than it said), a new one is fetched and tried once; a refused new token
        is the answer (the mailbox permission is missing, say), raised for the health panel."""
        access_token, fresh = self.token(client=client)
        try:
            return sign_in(access_token)
        except TokenRefused:
            self.forget(client=client, access_token=access_token)
            if fresh:
                raise
            logger.info("mailbox sign-in token refused by the mail server; getting a new one")
        access_token, _ = self.token(client=client)
        try:
            return sign_in(access_token)
        except TokenRefused:
            self.forget(client=client, access_token=access_token)
            raise


tokens = TokenCache()
