"""The only code that talks IMAP (through imap-tools): read the folder, move what was committed.

A run: claim the mailbox's lease; list the folder's copies (UID, size, arrival time) in one command;
then, a chunk at a time, skip copies already recorded, fetch the rest in one command, record them
in one transaction (messages.messages_ingest; if that fails, one transaction per copy, so one bad
message costs only itself), and move the chunk to `Processed` or `Quarantine` in one command per
folder. Nothing is ever deleted: a server without MOVE gets COPY, then the copy's own
UID flagged and expunged (UIDPLUS), never a bare EXPUNGE.

Those two folders are named as the server wants them: under its personal namespace's prefix
(NAMESPACE, RFC 2342), so `INBOX.Processed` on Courier, Cyrus or a Dovecot configured like them.
The URL's folder is taken as the server names it (`INBOX` works everywhere). imaps:// verifies the
server's certificate against the system's CAs, or those SSL_CERT_FILE / SSL_CERT_DIR name. Signing in
(the URL's password, or XOAUTH2 with a token when MAILBOX_OAUTH2_* are set) is signin.py's.
"""

import logging
import re
import ssl
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property

from django.conf import settings
from imap_tools import MailBox, MailBoxUnencrypted
from imap_tools import MailMessage as ImapMessage
from imap_tools.imap_utf7 import utf7_decode

from detainers.mailbox.address import MailboxAddress, MailboxNotConfigured, mailbox_address_parse
from detainers.mailbox.lease import (
    mailbox_state_claim,
    mailbox_state_failed,
    mailbox_state_read,
    mailbox_state_release,
    reader_key,
)
from detainers.mailbox.messages import IngestSummary, Origin, message_ingest, messages_ingest
from detainers.mailbox.oauth2 import oauth2_client
from detainers.mailbox.signin import MailboxSignInError, mailbox_sign_in
from detainers.models import MailMessage

logger = logging.getLogger(__name__)

PROCESSED = "Processed"
QUARANTINE = "Quarantine"
TIMEOUT_SECONDS = 30
CHUNK_MESSAGES = 50
CHUNK_BYTES = 32 * 1024 * 1024
# The first personal namespace of a NAMESPACE answer: (("INBOX." ".")) NIL NIL -> INBOX. and "."
_NAMESPACE = re.compile(
    rb'^\(\("(?P<prefix>(?:[^"\\]|\\.)*)" (?:"(?P<separator>(?:[^"\\]|\\.)*)"|NIL)'
)
_LISTED = re.compile(
    rb"UID (?P<uid>\d+)|RFC822\.SIZE (?P<size>\d+)"
    rb"|INTERNALDATE \"(?P<date>[^\"]+)\"|FLAGS \((?P<flags>[^)]*)\)"
)


@dataclass(frozen=True)
class _Listed:
    uid: int
    size: int
    internal_date: datetime | None


class _RawMessage(ImapMessage):
    """imap-tools' message, keeping the exact bytes and skipping its own (compat32) parse."""

    def __init__(self, fetch_data: list):
        self.raw, self._raw_uid_data, self._raw_flag_data = self._get_message_data_parts(fetch_data)

    @cached_property
    def obj(self):  # only if someone asks: we parse with email.policy.default ourselves
        import email

        return email.message_from_bytes(self.raw)


class _Plain(MailBoxUnencrypted):
    email_message_class = _RawMessage


class _Tls(MailBox):
    email_message_class = _RawMessage


def mailbox_ingest(
    *,
    url: str | None = None,
    time_budget: float | None = None,
    on_message: Callable[[MailMessage], None] | None = None,
    part: int = 0,
    parts: int = 1,
) -> IngestSummary:
    """Read the mailbox now. Returns what happened; a failure is recorded for the health panel,
    not raised, so the periodic task simply tries again a minute later.

    `part` of `parts`: one of several readers working side by side (MAILBOX_READERS, one per
    worker process), each taking the copies whose UID leaves remainder `part`, under its own lease.
    A message present twice lands with two readers at once; the database's constraints make it
    one delivery all the same (messages.message_ingest)."""
    url = url if url is not None else settings.CENTRAL_MAILBOX_URL
    if not url:
        raise MailboxNotConfigured()
    if not 0 <= part < parts:
        raise ValueError(f"part {part} of {parts}: a part counts from 0 to parts - 1")
    address = mailbox_address_parse(url)
    reader = reader_key(address.key, part, parts)
    summary = IngestSummary()
    if not mailbox_state_claim(reader):
        summary.busy = True
        return summary
    deadline = time.monotonic() + time_budget if time_budget else None
    try:
        box = _connect(address)
        try:
            share = (part, parts)
            waiting = _read(box, address, reader, share, summary, deadline, on_message)
        finally:
            _logout(box)
        mailbox_state_read(reader, waiting=waiting, failed=summary.failed)
    except Exception as error:  # noqa: BLE001 - recorded and shown; the next run tries again
        summary.error = _describe(error, address)
        mailbox_state_failed(reader, summary.error)
        logger.warning(
            "mailbox read stopped after %d messages: %s", summary.read, type(error).__name__
        )
    finally:
        mailbox_state_release(reader)
    logger.info("mailbox read: %s, %d moved", summary.line(), summary.moved)
    return summary


def _connect(address: MailboxAddress):
    box = mailbox_sign_in(address=address, connect=lambda: _open(address), oauth2=oauth2_client())
    # imaplib keeps the capabilities announced before login; servers announce MOVE after it.
    _, answer = box.client.capability()
    box.client.capabilities = tuple(answer[-1].decode().upper().split())
    return box


def _open(address: MailboxAddress):
    if address.tls:
        # Certificate and host name checked. A context made per connection reads SSL_CERT_FILE and
        # SSL_CERT_DIR each time: how an operator trusts a private CA (docs/deploy.md).
        return _Tls(
            address.host,
            address.port,
            timeout=TIMEOUT_SECONDS,
            ssl_context=ssl.create_default_context(),
        )
    return _Plain(address.host, address.port, timeout=TIMEOUT_SECONDS)


def _logout(box) -> None:
    try:
        box.logout()
    except Exception:  # noqa: BLE001, S110 - the server already went away; nothing to tell it
        pass


def _read(
    box, address: MailboxAddress, reader: str, share, summary: IngestSummary, deadline, on_message
) -> int:
    """Handles every copy of its share of the folder (part, parts), or until the deadline; returns
    how many copies the folder still holds."""
    folders = _folders_on(box)
    for folder in folders.values():
        _folder_create(box, folder)
    status = box.folder.status(address.folder, ["UIDVALIDITY", "MESSAGES"])
    uidvalidity = int(status["UIDVALIDITY"])
    box.folder.set(address.folder)
    listed = _list(box) if int(status["MESSAGES"]) else []
    part, parts = share
    listed = [copy for copy in listed if copy.uid % parts == part]
    for chunk in _chunks(listed):
        if deadline is not None and time.monotonic() > deadline:
            break
        mailbox_state_claim(reader, renew=True)
        done = _handle_chunk(box, address.key, uidvalidity, chunk, summary, on_message)
        _move(box, done, folders, summary)
    return int(box.folder.status(address.folder, ["MESSAGES"])["MESSAGES"])


def _folder_create(box, folder: str) -> None:
    """Create the folder unless it exists; another reader creating it at the same moment is fine."""
    if box.folder.exists(folder):
        return
    try:
        box.folder.create(folder)
    except Exception:
        if not box.folder.exists(folder):
            raise


def _folders_on(box) -> dict[str, str]:
    """`Processed` and `Quarantine` as this server names them: {"Processed": "INBOX.Processed", ...}
    where every folder lives under "INBOX.". Such a server refuses a bare `Processed`."""
    prefix = _personal_prefix(box)
    return {folder: f"{prefix}{folder}" for folder in (PROCESSED, QUARANTINE)}


def _personal_prefix(box) -> str:
    """The first personal namespace's prefix ("INBOX." or ""), ending in its hierarchy delimiter.
    A server without NAMESPACE has folders at the top level (RFC 3501 alone knows no prefix)."""
    if "NAMESPACE" not in box.client.capabilities:
        return ""
    kind, answer = box.client.namespace()
    first = answer[0] if kind == "OK" and answer else None
    match = _NAMESPACE.match(first) if isinstance(first, bytes) else None
    if match is None:  # NIL, or a prefix sent as a literal: keep the top level
        return ""
    prefix, separator = (_unquote(match[name] or b"") for name in ("prefix", "separator"))
    if prefix and separator and not prefix.endswith(separator):
        prefix += separator  # RFC 2342 prefixes end in the delimiter; a few servers leave it off
    return prefix


def _unquote(quoted: bytes) -> str:
    return utf7_decode(re.sub(rb"\\(.)", rb"\1", quoted))


def _list(box) -> list[_Listed]:
    """Every copy not flagged deleted, oldest first, from one UID FETCH."""
    kind, lines = box.client.uid("FETCH", "1:*", "(UID RFC822.SIZE INTERNALDATE FLAGS)")
    if kind != "OK":
        raise ConnectionError(f"the server refused to list the folder ({kind})")
    listed = {}
    for line in lines:
        if not isinstance(line, bytes):
            continue
        found = {}
        for match in _LISTED.finditer(line):
            found.update(
                {key: value for key, value in match.groupdict().items() if value is not None}
            )
        if "uid" in found and b"\\deleted" not in found.get("flags", b"").lower():
            uid = int(found["uid"])
            listed[uid] = _Listed(uid, int(found.get("size", 0)), _internal_date(found.get("date")))
    return [listed[uid] for uid in sorted(listed)]


def _internal_date(value: bytes | None) -> datetime | None:
    try:
        return datetime.strptime(value.decode(), "%d-%b-%Y %H:%M:%S %z") if value else None
    except ValueError:
        return None


def _chunks(listed: list[_Listed]) -> Iterator[list[_Listed]]:
    chunk, size = [], 0
    for copy in listed:
        if chunk and (len(chunk) >= CHUNK_MESSAGES or size + copy.size > CHUNK_BYTES):
            yield chunk
            chunk, size = [], 0
        chunk.append(copy)
        size += copy.size
    if chunk:
        yield chunk


def _handle_chunk(
    box, mailbox: str, uidvalidity: int, chunk: list[_Listed], summary, on_message
) -> list[MailMessage]:
    """Records every copy of the chunk, committed together; returns the rows to move."""
    by_uid = {copy.uid: copy for copy in chunk}
    done = list(
        MailMessage.objects.filter(mailbox=mailbox, uidvalidity=uidvalidity, uid__in=list(by_uid))
    )
    to_fetch = [str(uid) for uid in by_uid if uid not in {row.uid for row in done}]
    if not to_fetch:  # imap-tools reads an empty uid_list as "everything": never pass one
        return done
    copies = [
        (fetched.raw, Origin(mailbox, uidvalidity, copy.uid, copy.internal_date))
        for fetched in box.fetch(uid_list=to_fetch, mark_seen=False, bulk=True)
        if (copy := by_uid.get(int(fetched.uid or 0))) is not None
    ]
    try:
        rows = messages_ingest(copies=copies)
    except Exception as error:  # noqa: BLE001 - the chunk is read again one message at a time
        logger.warning(
            "mailbox chunk of %d could not be recorded at once (%s); recording one at a time",
            len(copies),
            type(error).__name__,
        )
        rows = _one_at_a_time(copies, summary)
    for row in rows:
        summary.count(row)
        done.append(row)
        if on_message is not None:
            on_message(row)
    return done


def _one_at_a_time(copies: list[tuple[bytes, Origin]], summary) -> list[MailMessage]:
    """Each copy in its own transaction: a copy that fails is left in the folder for the next run,
    and the rest of the chunk goes on."""
    rows = []
    for raw, origin in copies:
        try:
            rows.append(message_ingest(raw=raw, origin=origin))
        except Exception as error:  # noqa: BLE001 - one message never stops the run; it stays for the next
            summary.failed += 1
            logger.error(
                "mailbox copy uid %s could not be recorded (%s); left in the folder",
                origin.uid,
                type(error).__name__,
            )
    return rows


def _move(box, rows: list[MailMessage], folders: dict[str, str], summary: IngestSummary) -> None:
    for folder, name in folders.items():
        moving = [row for row in rows if row.folder == folder]
        if not moving:
            continue
        uids = [str(row.uid) for row in moving]
        if "MOVE" in box.client.capabilities:
            box.move(uids, name)
        else:
            _copy_then_expunge(box, uids, name)
        MailMessage.objects.filter(pk__in=[row.pk for row in moving]).update(moved_to=name)
        summary.moved += len(moving)


def _copy_then_expunge(box, uids: list[str], folder: str) -> None:
    """MOVE by hand. The copy is made first; only these UIDs are ever expunged (UIDPLUS). Without
    UIDPLUS they stay flagged \\Deleted, which the listing skips: no risk to anyone else's mail."""
    box.copy(uids, folder)
    box.client.uid("STORE", ",".join(uids), "+FLAGS.SILENT", r"(\Deleted)")
    if "UIDPLUS" in box.client.capabilities:
        box.client.uid("EXPUNGE", ",".join(uids))


def _describe(error: Exception, address: MailboxAddress) -> str:
    text = _explained(error) or f"{type(error).__name__}: {error}"
    for secret in (address.password, settings.MAILBOX_OAUTH2_CLIENT_SECRET):
        if secret:
            text = text.replace(secret, "***")
    return text[:500]


def _explained(error: Exception) -> str:
    """What an operator can do about a TLS failure, which imaplib reports only in OpenSSL's words;
    a sign-in failure is already in plain words."""
    if isinstance(error, MailboxSignInError):
        return str(error)
    if isinstance(error, ssl.SSLCertVerificationError):
        return (
            f"The mail server's certificate was not accepted ({error.verify_message.rstrip('.')}); "
            "nothing was read. If it is signed by a private CA, make the worker trust that CA "
            "(SSL_CERT_FILE or the system's CA store, see docs/deploy.md); if the name differs, "
            "use the name the certificate is for in CENTRAL_MAILBOX_URL."
        )
    if isinstance(error, ssl.SSLError):
        return (
            f"TLS with the mail server failed ({error.reason or error}); nothing was read. "
            "imaps:// expects TLS from the first byte (port 993); for port 143 use imap://."
        )
    return ""
