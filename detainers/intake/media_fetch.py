"""Downloading a fax's document from a cloud provider, and nothing else.

A webhook names the URL, and a webhook is only as trustworthy as its signature: so a URL is fetched
only when it starts with one of the prefixes the operator allowed (FAX_MEDIA_ALLOWED_URLS), a
redirect is followed only to another allowed URL, every read has a timeout and the download as a
whole a deadline, and the body is read up to the size cap and no further.

Two kinds of failure, because the task treats them differently:
- MediaNotReady: the document may well come later (404 while the provider is still storing it,
  a 5xx, a timeout, a refused connection). The task tries again later.
- MediaRefused: asking again cannot help (the URL is not allowed, the document is over the cap,
  the provider refuses with 403). The event gives up at once, with this reason.
Reasons are plain sentences for the person reading the event; they never quote the URL, which
may carry the provider's access token.
"""

import http.client
import time
import urllib.error
import urllib.request
from collections.abc import Iterable
from urllib.parse import unquote, urlsplit

CHUNK_BYTES = 64 * 1024
MAX_REDIRECTS = 3
# Answers that say "not yet" or "not now": anything else that is not 2xx will not change.
RETRYABLE_STATUSES = {404, 408, 409, 423, 425, 429}


class MediaNotReady(Exception):
    """The document could not be had now; asking again later may work."""


class MediaRefused(Exception):
    """The document will not be fetched (or kept); asking again cannot help."""


def media_url_allowed(url: str, allowed: Iterable[str]) -> bool:
    """True only for an http(s) URL under one of the allowed prefixes, without the tricks that make
    a URL look like it starts with a prefix while it reaches elsewhere: credentials before the host
    ("https://allowed@evil/"), dot segments ("/allowed/../elsewhere"), backslashes, whitespace."""
    if not url or any(ord(character) <= 32 or character == "\\" for character in url):
        return False
    try:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname or "@" in parts.netloc:
            return False
        parts.port  # noqa: B018 - raises ValueError for a port out of range
    except ValueError:  # an unclosed [IPv6] bracket, a port that is not a number
        return False
    if any(segment in (".", "..") for segment in unquote(parts.path).split("/")):
        return False
    return any(url.startswith(prefix) for prefix in allowed)


def media_fetch(
    *,
    url: str,
    allowed: list[str],
    max_bytes: int,
    timeout: float,
    authorization: str = "",
) -> bytes:
    """The document's bytes. `authorization` is sent to `url` only, never to a redirect's target.

    Raises MediaRefused before any request for a URL that is not allowed."""
    if not media_url_allowed(url, allowed):
        raise MediaRefused(
            "The provider's document address is not under FAX_MEDIA_ALLOWED_URLS, so it was "
            "not fetched. Add the provider's download address there if it is genuine."
        )
    request = urllib.request.Request(url, headers={"User-Agent": "Detainer Desk"})  # noqa: S310 - checked above
    if authorization:
        request.add_unredirected_header("Authorization", authorization)
    try:
        with _opener(allowed).open(request, timeout=timeout) as answer:
            return _body(answer, max_bytes=max_bytes, deadline=time.monotonic() + 4 * timeout)
    except urllib.error.HTTPError as error:
        error.close()
        if error.code in RETRYABLE_STATUSES or error.code >= 500:
            raise MediaNotReady(
                f"The provider answered HTTP {error.code} for the document."
            ) from None
        raise MediaRefused(
            f"The provider refused the document (HTTP {error.code}); asking again would not help."
        ) from None
    except (urllib.error.URLError, OSError, http.client.HTTPException) as error:
        reason = getattr(error, "reason", error)
        said = "timed out" if isinstance(reason, TimeoutError) else str(reason)
        raise MediaNotReady(
            f"The provider could not be reached ({said or type(reason).__name__})."
        ) from None


def _body(answer, *, max_bytes: int, deadline: float) -> bytes:
    declared = answer.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise MediaRefused(_too_large(max_bytes))
    chunks: list[bytes] = []
    size = 0
    while chunk := answer.read(CHUNK_BYTES):
        size += len(chunk)
        if size > max_bytes:  # stop here: the rest is never read
            raise MediaRefused(_too_large(max_bytes))
        if time.monotonic() > deadline:
            raise MediaNotReady("The provider sent the document too slowly; the download was cut.")
        chunks.append(chunk)
    if not size:
        raise MediaNotReady("The provider sent an empty document.")
    return b"".join(chunks)


def _too_large(max_bytes: int) -> str:
    return (
        f"The document is larger than the cap of {max_bytes:,} bytes (FAX_MEDIA_MAX_BYTES), so it "
        "was not kept."
    )


class _AllowedRedirects(urllib.request.HTTPRedirectHandler):
    """Follows a redirect only to an allowed URL (a provider's storage may answer with one)."""

    max_redirections = MAX_REDIRECTS

    def __init__(self, allowed: list[str]):
        self.allowed = allowed

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        if not media_url_allowed(newurl, self.allowed):
            raise MediaRefused(
                "The provider redirected the download to an address outside "
                "FAX_MEDIA_ALLOWED_URLS; the redirect was not followed."
            )
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def _opener(allowed: list[str]) -> urllib.request.OpenerDirector:
    """HTTP and HTTPS only (no file:, ftp: or data:), no proxy from the environment, redirects
    checked. Built per download: the redirect handler holds the allowed prefixes."""
    opener = urllib.request.OpenerDirector()
    for handler in (
        urllib.request.ProxyHandler({}),
        urllib.request.HTTPHandler(),
        urllib.request.HTTPSHandler(),
        urllib.request.HTTPDefaultErrorHandler(),
        urllib.request.HTTPErrorProcessor(),
        _AllowedRedirects(allowed),
    ):
        opener.add_handler(handler)
    return opener
