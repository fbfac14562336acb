"""A clerk's chosen scan, kept between two sends of the intake form.

A browser cannot fill a file input again, so when the form comes back (a mistake in another field,
or the warning that the scan was logged before) the scan is kept here, under
MEDIA_ROOT/intake-staging/<user id>/, named by a random token. The form carries the token signed
(django.core.signing), bound to the clerk and good for an hour. The token names nothing: the file's
name waits in a sidecar next to it, and the content's hash, signed with the token, is checked again
when the scan is used. A kept scan goes once its fax is logged, when another replaces it, or after
a day (the daily purge, detainers.records.tasks).
"""

import hashlib
import json
import re
import secrets
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.core import signing
from django.utils import timezone

from detainers.core.documents import CheckedDocument

STAGING_FOLDER = "intake-staging"
KEPT_FOR = timedelta(hours=1)
REMOVED_AFTER = timedelta(days=1)
_TOKEN = re.compile(r"[0-9a-f]{32}")


@dataclass(frozen=True)
class KeptScan:
    signed: str  # what the form carries
    name: str
    pages: int | None
    content: bytes

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.content).hexdigest()


def _folder(user_id: int) -> Path:
    return Path(settings.MEDIA_ROOT) / STAGING_FOLDER / str(user_id)


def _salt(user_id: int) -> str:
    return f"detainers.intake.staging:{user_id}"


def scan_keep(*, clerk, scan: CheckedDocument) -> KeptScan:
    """Keep a checked scan for the clerk's next send of the form."""
    token = secrets.token_hex(16)
    folder = _folder(clerk.pk)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / token).write_bytes(scan.content)
    (folder / f"{token}.json").write_text(json.dumps({"name": scan.name, "pages": scan.pages}))
    signed = signing.dumps({"token": token, "sha256": scan.sha256}, salt=_salt(clerk.pk))
    return KeptScan(signed=signed, name=scan.name, pages=scan.pages, content=scan.content)


def _token(clerk, signed: str, max_age: timedelta | None) -> tuple[str, str] | None:
    """The token and hash a signed value carries, if it is this clerk's (and young enough)."""
    try:
        value = signing.loads(signed, salt=_salt(clerk.pk), max_age=max_age)
    except signing.BadSignature:  # also SignatureExpired
        return None
    token = value.get("token", "") if isinstance(value, dict) else ""
    if not _TOKEN.fullmatch(token):
        return None
    return token, value.get("sha256", "")


def kept_scan(*, clerk, signed: str) -> KeptScan | None:
    """The scan kept under `signed`, if it is this clerk's, under an hour old and unchanged."""
    found = _token(clerk, signed, KEPT_FOR) if signed else None
    if found is None:
        return None
    token, sha256 = found
    path = _folder(clerk.pk) / token
    try:
        content = path.read_bytes()
        sidecar = json.loads((path.parent / f"{token}.json").read_text())
    except (OSError, ValueError):
        return None
    if hashlib.sha256(content).hexdigest() != sha256:
        return None
    return KeptScan(signed=signed, name=sidecar["name"], pages=sidecar["pages"], content=content)


def kept_scan_discard(*, clerk, signed: str) -> None:
    """Remove a kept scan once used or replaced; anything else signed is ignored."""
    found = _token(clerk, signed, None) if signed else None
    if found is not None:
        for path in (_folder(clerk.pk) / found[0], _folder(clerk.pk) / f"{found[0]}.json"):
            path.unlink(missing_ok=True)


def kept_scans_remove_stale(*, now=None) -> int:
    """Remove the kept files older than a day (nobody can use them after an hour); how many."""
    cutoff = (now or timezone.now()) - REMOVED_AFTER
    removed = 0
    for path in (Path(settings.MEDIA_ROOT) / STAGING_FOLDER).glob("*/*"):
        if path.is_file() and path.stat().st_mtime < cutoff.timestamp():
            path.unlink(missing_ok=True)
            removed += 1
    return removed
