"""What a fax server writes next to a file it drops in the folder (detainers.intake.folder): a
JSON sidecar of ours, or a RightFax XML export. Read strictly: a sidecar that cannot be read
whole is refused with a reason an operator can act on, never half-used.

RightFax's export field names could not be checked against OpenText's documentation; the
mapping below (RIGHTFAX_FIELDS) is a documented minimal one (docs/fax-lines.md). Its dates must
carry their offset, like every machine's clock here.
"""

import json
import re
import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass
from datetime import datetime

from detainers.intake.receptions import ReceptionStatus

SIDECAR_MAX_BYTES = 64 * 1024  # a sidecar is a few lines; more is not one
PAGES_MAX = 10_000
# How long each text field may be, as the API allows (detainers.intake.serializers).
TEXT_LIMITS = {"to_number": 40, "from_number": 320, "sender_id": 100, "error": 2000}
# RightFax export element (local name, any case) -> our field, first found wins.
RIGHTFAX_FIELDS = {
    "to_number": ("ToFaxNumber", "RoutingCode", "DID", "DNIS"),
    "from_number": ("FromFaxNumber", "CallerID", "ANI"),
    "sender_id": ("RemoteID", "CSID", "TSI"),
    "received_at": ("ReceivedTime", "DateReceived", "CreationTime"),
    "pages": ("NumPages", "PageCount", "Pages"),
    "status": ("Status",),
    "error": ("ErrorMessage", "Error"),
}


class SidecarUnreadable(ValueError):
    """The sidecar cannot be used; the message says why and how to fix it."""


@dataclass(frozen=True)
class SidecarFacts:
    to_number: str = ""
    from_number: str = ""
    received_at: datetime | None = None
    sender_id: str = ""
    status: str = ReceptionStatus.RECEIVED
    pages: int | None = None
    error: str = ""


def sidecar_read(*, name: str, content: bytes) -> SidecarFacts:
    """The facts in a `.json` or `.xml` sidecar; SidecarUnreadable when they cannot be trusted."""
    if len(content) > SIDECAR_MAX_BYTES:
        raise SidecarUnreadable(f"The sidecar is over {SIDECAR_MAX_BYTES} bytes: not a sidecar.")
    fields = _xml_fields(content) if name.lower().endswith(".xml") else _json_fields(content)
    return _facts(fields)


def _json_fields(content: bytes) -> dict:
    try:
        fields = json.loads(content.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise SidecarUnreadable(
            f"The sidecar is not valid JSON ({error}). Write an object such as "
            '{"to_number": "+1 617 555 0133", "received_at": "2026-03-15T09:30:00-04:00"}.'
        ) from None
    if not isinstance(fields, dict):
        raise SidecarUnreadable(
            "The sidecar must hold one JSON object ({...}), not a list or value."
        )
    return fields


def _xml_fields(content: bytes) -> dict:
    # No document type may come with it: entity tricks (billion laughs) are refused outright.
    if re.search(rb"<!(DOCTYPE|ENTITY)", content, re.IGNORECASE):
        raise SidecarUnreadable("The XML sidecar declares a DOCTYPE or ENTITY; these are refused.")
    try:
        root = ElementTree.fromstring(content)  # noqa: S314 - no DTD (refused above)
    except ElementTree.ParseError as error:
        raise SidecarUnreadable(f"The XML sidecar cannot be read ({error}).") from None
    texts: dict[str, str] = {}
    for element in root.iter():
        local = element.tag.rsplit("}", 1)[-1].lower() if isinstance(element.tag, str) else ""
        if local and local not in texts and (element.text or "").strip():
            texts[local] = element.text.strip()
    fields = {}
    for field, names in RIGHTFAX_FIELDS.items():
        found = next((texts[name.lower()] for name in names if name.lower() in texts), None)
        if found is not None:
            fields[field] = found
    return fields


def _facts(fields: dict) -> SidecarFacts:
    texts = {}
    for field, limit in TEXT_LIMITS.items():
        value = fields.get(field, "")
        if value is None:
            value = ""
        if not isinstance(value, str):
            raise SidecarUnreadable(f'{field} must be text in quotes, e.g. "+1 617 555 0133".')
        if len(value) > limit:
            raise SidecarUnreadable(f"{field} is longer than {limit} characters.")
        texts[field] = value.strip()
    status = str(fields.get("status") or ReceptionStatus.RECEIVED).strip().lower()
    if status not in {choice.value for choice in ReceptionStatus}:
        raise SidecarUnreadable(f"status {status!r} is not received, partial or failed.")
    return SidecarFacts(
        received_at=_received_at(fields.get("received_at")),
        status=status,
        pages=_pages(fields.get("pages")),
        **texts,
    )


def _received_at(value) -> datetime | None:
    if value in (None, ""):
        return None
    try:
        moment = datetime.fromisoformat(str(value).strip())
    except ValueError:
        raise SidecarUnreadable(
            f"received_at {str(value)[:40]!r} is not an ISO 8601 date and time. "
            "Write it like 2026-03-15T09:30:00-04:00."
        ) from None
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise SidecarUnreadable(
            f"received_at {str(value)[:40]!r} has no offset, so the moment is unknown. "
            "Write it like 2026-03-15T09:30:00-04:00."
        )
    return moment


def _pages(value) -> int | None:
    if value in (None, ""):
        return None
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= PAGES_MAX:
        raise SidecarUnreadable(f"pages must be a whole number from 1 to {PAGES_MAX}.")
    return value
