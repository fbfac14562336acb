"""Cloud fax providers' webhooks: whether a request really comes from the provider, and what fax it
reports. No database here: detainers.intake.provider_events stores what these functions return.

Each provider proves itself its own way, and the proof is checked before anything the request says
is believed (a JSON body is not even parsed before):
- Telnyx signs "{telnyx-timestamp}|{raw body}" with Ed25519 (header telnyx-signature-ed25519,
  base64); the public key is FAX_TELNYX_PUBLIC_KEY. The timestamp must be within five minutes of
  our clock, either way, so a captured request cannot be replayed later.
- Phaxio (Sinch) signs its multipart callback with HMAC-SHA1 keyed by the callback token
  (FAX_PHAXIO_CALLBACK_TOKEN), hex in X-Phaxio-Signature, over: the callback URL as registered,
  then each form field's name and value sorted by name, then each file part's name and the SHA-1
  (hex) of its bytes sorted by name (https://www.phaxio.com/docs/security/callbacks). Its fields
  are form fields, so the form is decoded to check them; nothing in it is read before.
- Documo sends HTTP basic auth with the user and password set on its webhook.
A provider whose key is not set is refused: a webhook never fails open.
"""

import base64
import binascii
import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from django.conf import settings
from django.utils.dateparse import parse_datetime

from detainers.intake.services import IncomingFile
from detainers.models import ProviderEvent

Kind = ProviderEvent.Kind
Provider = ProviderEvent.Provider

TELNYX_TOLERANCE_SECONDS = 5 * 60
# A Phaxio callback's fields besides its file (the fax object as JSON, a few flags) stay well under this.
FORM_OVERHEAD_BYTES = 1024 * 1024
# Documo's download endpoint (https://docs.documo.com/), used when its event names no URL; the API
# key goes only to addresses under DOCUMO_API.
DOCUMO_API = "https://api.documo.com/"
DOCUMO_DOWNLOAD = DOCUMO_API + "v1/fax/{message_id}/download"


class SignatureRefused(Exception):
    """Not proven to come from the provider (or its key is not set): 401, nothing stored."""


class EventUnreadable(Exception):
    """Signed, but not a fax event we can read: 400, nothing stored (the message says why)."""


@dataclass(frozen=True)
class ProviderFax:
    """One fax a provider reports, in our words. `payload` is what is stored with the event; the
    rest is read from it again when the document is fetched (`provider_fax_read`)."""

    provider: str
    fax_id: str
    kind: str
    payload: dict
    to_number: str
    from_number: str = ""
    sender_id: str = ""
    pages: int | None = None
    received_at: datetime | None = None
    error: str = ""
    media_url: str = ""
    document: IncomingFile | None = None  # Phaxio sends the file with its callback


# --- Proof of origin --------------------------------------------------------------------------------


def telnyx_verify(*, body: bytes, signature: str, timestamp: str, now: float) -> None:
    key = settings.FAX_TELNYX_PUBLIC_KEY
    if not key:
        raise SignatureRefused("Telnyx webhooks are not set up here (FAX_TELNYX_PUBLIC_KEY).")
    if not timestamp.isdigit() or abs(now - int(timestamp)) > TELNYX_TOLERANCE_SECONDS:
        raise SignatureRefused("The telnyx-timestamp is missing or not within five minutes.")
    try:
        public_key = Ed25519PublicKey.from_public_bytes(base64.b64decode(key))
        public_key.verify(
            base64.b64decode(signature, validate=True), f"{timestamp}|".encode() + body
        )
    except (InvalidSignature, binascii.Error, ValueError):
        raise SignatureRefused("The telnyx-signature-ed25519 does not match.") from None


def phaxio_signature(
    *, token: str, url: str, fields: list[tuple[str, str]], files: list[tuple[str, str]]
) -> str:
    """Phaxio's signature of a callback: `files` are (part name, SHA-1 hex of the bytes)."""
    signed = url
    signed += "".join(name + value for name, value in sorted(fields, key=lambda item: item[0]))
    signed += "".join(name + digest for name, digest in sorted(files, key=lambda item: item[0]))
    return hmac.new(token.encode(), signed.encode(), hashlib.sha1).hexdigest()


def phaxio_configured(*, content_length: int) -> None:
    """What can be refused before a Phaxio callback's form is decoded: no token set here, or a body
    larger than any document we would keep (its file would be spooled to disk only to be refused)."""
    if not settings.FAX_PHAXIO_CALLBACK_TOKEN:
        raise SignatureRefused("Phaxio callbacks are not set up here (FAX_PHAXIO_CALLBACK_TOKEN).")
    if content_length > settings.FAX_MEDIA_MAX_BYTES + FORM_OVERHEAD_BYTES:
        raise EventUnreadable(
            f"The callback is larger than the cap of {settings.FAX_MEDIA_MAX_BYTES:,} bytes "
            "(FAX_MEDIA_MAX_BYTES) for its document."
        )


def phaxio_verify(
    *, signature: str, urls: list[str], fields: list[tuple[str, str]], files: list[tuple[str, str]]
) -> None:
    """`urls`: the addresses Phaxio may have been given for this endpoint (SITE_URL's, and the one
    the request arrived at, which differ behind a proxy); one must match."""
    token = settings.FAX_PHAXIO_CALLBACK_TOKEN
    if not token:
        raise SignatureRefused("Phaxio callbacks are not set up here (FAX_PHAXIO_CALLBACK_TOKEN).")
    offered = signature.strip().lower().encode()
    for url in dict.fromkeys(urls):
        expected = phaxio_signature(token=token, url=url, fields=fields, files=files)
        if hmac.compare_digest(expected.encode(), offered):
            return
    raise SignatureRefused("The X-Phaxio-Signature does not match.")


def documo_verify(*, authorization: str) -> None:
    user, password = settings.FAX_DOCUMO_WEBHOOK_USER, settings.FAX_DOCUMO_WEBHOOK_PASSWORD
    if not user or not password:
        raise SignatureRefused("Documo webhooks are not set up here (FAX_DOCUMO_WEBHOOK_USER).")
    scheme, _, credentials = authorization.partition(" ")
    try:
        offered = base64.b64decode(credentials.strip(), validate=True)
    except binascii.Error:
        offered = b""
    expected = f"{user}:{password}".encode()
    # Compared whole and in constant time, so the answer's timing says nothing about either part.
    if not (scheme.lower() == "basic" and hmac.compare_digest(offered, expected)):
        raise SignatureRefused("The webhook's user name and password do not match.")


# --- What the event says ----------------------------------------------------------------------------


def json_event(body: bytes) -> dict:
    """A signed JSON body, parsed (only ever after its signature was checked)."""
    try:
        event = json.loads(body)
    except (UnicodeDecodeError, ValueError):
        raise EventUnreadable("The body is not JSON.") from None
    if not isinstance(event, dict):
        raise EventUnreadable("The body is not a JSON object.")
    return event


def provider_fax_read(provider: str, payload: dict) -> ProviderFax | None:
    """The fax a stored or just received event reports; None for an event that is not about a fax
    received here (an outbound fax's progress, a test callback): it is answered and not stored."""
    reader = {
        Provider.TELNYX: _telnyx_fax,
        Provider.PHAXIO: _phaxio_fax,
        Provider.DOCUMO: _documo_fax,
    }[provider]
    return reader(payload)


def media_authorization(provider: str, url: str) -> str:
    """The Authorization header a document download needs, if any. Telnyx's media URL is signed
    by itself; Documo's download endpoint wants the account's API key (sent nowhere else)."""
    if provider == Provider.DOCUMO and settings.FAX_DOCUMO_API_KEY and url.startswith(DOCUMO_API):
        return f"Basic {settings.FAX_DOCUMO_API_KEY}"
    return ""


def _telnyx_fax(event: dict) -> ProviderFax | None:
    """Telnyx Programmable Fax: {"data": {"event_type": "fax.received" | "fax.failed", "id",
    "occurred_at", "payload": {"fax_id", "direction", "from", "to", "media_url", "page_count",
    "status", "failure_reason", "partial_content", ...}}, "meta": {...}}."""
    data = _object(event.get("data"), "data")
    details = _object(data.get("payload"), "data.payload")
    event_type = _text(data.get("event_type"))
    if event_type not in ("fax.received", "fax.failed"):
        return None
    if _text(details.get("direction")) == "outbound":  # our own sent faxes also fail
        return None
    if event_type == "fax.failed":
        kind = Kind.FAILED
    elif details.get("partial_content") is True or _text(details.get("status")) == "partial":
        kind = Kind.PARTIAL
    else:
        kind = Kind.RECEIVED
    return ProviderFax(
        provider=Provider.TELNYX,
        fax_id=_required_id(details.get("fax_id"), "data.payload.fax_id"),
        kind=kind,
        payload=event,
        to_number=_text(details.get("to")),
        from_number=_text(details.get("from")),
        sender_id=_text(details.get("caller_id") or details.get("remote_station_id")),
        pages=_count(details.get("page_count")),
        received_at=_moment(data.get("occurred_at")),
        error=_text(details.get("failure_reason")).replace("_", " "),
        media_url=_text(details.get("media_url")),
    )


def _phaxio_fax(callback: dict) -> ProviderFax | None:
    """Phaxio: form fields `direction`, `is_test`, `success` (v1) and `fax`, a JSON object with
    `id`, `num_pages`, `status`, `from_number`, `to_number`, `caller_name`, `error_message`,
    `completed_at` or `requested_at` (v1, a Unix time). The file comes as a part of its own."""
    if _text(callback.get("direction")) not in ("", "received"):
        return None
    if _text(callback.get("is_test")).lower() == "true":
        return None
    try:
        fax = json.loads(_text(callback.get("fax")) or "null")
    except ValueError:
        raise EventUnreadable("The `fax` field is not JSON.") from None
    fax = _object(fax, "fax")
    status = _text(fax.get("status")).lower()
    if _text(callback.get("success")).lower() == "false" or status in ("failure", "failed"):
        kind = Kind.FAILED
    elif status == "partialsuccess":
        kind = Kind.PARTIAL
    else:
        kind = Kind.RECEIVED
    return ProviderFax(
        provider=Provider.PHAXIO,
        fax_id=_required_id(fax.get("id"), "fax.id"),
        kind=kind,
        payload=callback,
        to_number=_text(fax.get("to_number")),
        from_number=_text(fax.get("from_number")),
        sender_id=_text(fax.get("caller_name")),
        pages=_count(fax.get("num_pages")),
        received_at=_moment(fax.get("completed_at") or fax.get("requested_at")),
        error=_text(fax.get("error_message") or callback.get("message")),
    )


def _documo_fax(event: dict) -> ProviderFax | None:
    """Documo mFax (fax.inbound / fax.v1.inbound.*): `messageId`, `faxNumber` (the line),
    `faxCallerId`, `faxCsid`, `pagesCount`, `pagesComplete`, `status` ("success" or "failed"),
    `resultInfo`, `resolvedDate`; the fields may sit under `data`."""
    fax = _object(event.get("data"), "data") if "data" in event else event
    status = _text(fax.get("status")).lower()
    if _text(fax.get("direction")).lower() == "outbound" or status not in ("success", "failed"):
        return None
    message_id = _required_id(fax.get("messageId"), "messageId")
    pages, complete = _count(fax.get("pagesCount")), _count(fax.get("pagesComplete"))
    if status == "failed":
        kind = Kind.FAILED
    elif pages is not None and complete is not None and complete < pages:
        kind = Kind.PARTIAL
    else:
        kind = Kind.RECEIVED
    url = _text(fax.get("downloadUrl") or fax.get("fileUrl"))
    return ProviderFax(
        provider=Provider.DOCUMO,
        fax_id=message_id,
        kind=kind,
        payload=event,
        to_number=_text(fax.get("faxNumber") or fax.get("toNumber")),
        from_number=_text(fax.get("faxCallerId") or fax.get("fromNumber")),
        sender_id=_text(fax.get("faxCsid") or fax.get("csid") or fax.get("CSID")),
        pages=complete if complete is not None else pages,
        received_at=_moment(fax.get("resolvedDate") or fax.get("createdAt")),
        error=_text(fax.get("resultInfo")) if status == "failed" else "",
        media_url=url or DOCUMO_DOWNLOAD.format(message_id=message_id),
    )


def _object(value: Any, where: str) -> dict:
    if not isinstance(value, dict):
        raise EventUnreadable(f"`{where}` is missing or not an object.")
    return value


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _required_id(value: Any, where: str) -> str:
    text = str(value).strip() if isinstance(value, str | int) else ""
    if not text or len(text) > 200:
        raise EventUnreadable(f"`{where}` is missing (or longer than 200 characters).")
    return text


def _count(value: Any) -> int | None:
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    return value if 0 <= value <= 10_000 else None


def _moment(value: Any) -> datetime | None:
    """An ISO 8601 moment with its offset, or a Unix time; None when absent or unreadable (the
    reception is then dated when it is recorded)."""
    if isinstance(value, int | float) or (isinstance(value, str) and value.isdigit()):
        try:
            return datetime.fromtimestamp(int(value), tz=UTC)
        except (OverflowError, OSError, ValueError):
            return None
    try:
        moment = parse_datetime(value) if isinstance(value, str) else None
    except ValueError:
        return None
    return moment if moment is not None and moment.tzinfo is not None else None
