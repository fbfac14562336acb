"""Reading an email's bytes into what the intake needs: who sent it, when, which files it carries.

Pure functions on bytes with the standard library's modern policy (email.policy.default); no
database, no IMAP. Bad mail is the normal case here: a wrong or unknown charset, a cut-off
multipart, an attachment declared as application/octet-stream. Those are read as far as they can
be and the parser's complaints are returned as `defects`. Only a message that cannot be read at all
raises `UnreadableMessage`, with a reason a supervisor can act on; the caller quarantines it.
"""

import hashlib
import re
from dataclasses import dataclass, field
from datetime import datetime
from email import policy
from email.headerregistry import BaseHeader, HeaderRegistry
from email.message import EmailMessage
from email.parser import BytesHeaderParser, BytesParser
from email.utils import parseaddr, parsedate_to_datetime
from functools import lru_cache
from html.parser import HTMLParser

from detainers.core.documents import JPEG, PNG, TEXT, content_type_of
from detainers.core.notice_header import NOTICE_HEADER, is_own_notice

TNEF = "application/ms-tnef"
OCTET = "application/octet-stream"
FORWARDED = ("message/rfc822", "message/global")
SCAN_NAMES = re.compile(r"\.(pdf|tiff?)$", re.IGNORECASE)
MAX_DEPTH = 12  # forwarded inside forwarded inside ...; deeper than this is an attack, not mail
CUT_SHORT = {
    "StartBoundaryNotFoundDefect",
    "CloseBoundaryNotFoundDefect",
    "MultipartInvariantViolationDefect",
}
# Labels that in practice mean windows-1252 (as browsers treat them).
WESTERN = {"us-ascii", "ascii", "iso-8859-1", "latin-1", "latin1", "iso_8859-1", "l1"}
ACTIVE_TYPES = re.compile(r"html|xml|javascript|ecmascript|svg", re.IGNORECASE)
# Longer header values are parsed every time rather than kept (a hostile message may carry huge ones).
REMEMBERED_HEADER_CHARS = 998


class _RememberedHeaders(HeaderRegistry):
    """The default registry parses a header each time it is read, and a message's Content-Type is
    read a dozen times (by the parser itself, then per part): half the cost of reading a message.
    The same name and text always parse to the same header, which nothing here modifies."""

    def __call__(self, name: str, value: str) -> BaseHeader:
        if len(value) > REMEMBERED_HEADER_CHARS:
            return super().__call__(name, value)
        return self._remembered(name, value)

    @lru_cache(maxsize=4096)  # noqa: B019 - one registry for the process; its cache is meant to live
    def _remembered(self, name: str, value: str) -> BaseHeader:
        return super().__call__(name, value)


_PARSER = BytesParser(policy=policy.default.clone(header_factory=_RememberedHeaders()))
# message_headers reads raw header values only: compat32 keeps them as sent, parsing nothing, and
# stops at the header block's end (the first blank line, in any line-ending convention).
_HEADER_PARSER = BytesHeaderParser(policy=policy.compat32)
_BLANK_LINE = re.compile(rb"\r\n\r\n|\n\n|\r\r|\n\r\n|\r\n\n")


class UnreadableMessage(Exception):
    """The message cannot be read at all. `reason` says why, without quoting the message."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class MessageFile:
    name: str
    content: bytes
    content_type: str  # what to record when the bytes are not a scan recognised by content
    form: bool  # an attached detainer form: a request of its own


@dataclass(frozen=True)
class MessageHeaders:
    """What identifies a message, read from its header block alone (works on any bytes)."""

    message_id: str
    from_address: str
    date: datetime | None
    own_notice: bool


@dataclass
class ParsedMessage:
    headers: MessageHeaders
    files: list[MessageFile] = field(default_factory=list)
    body: str = ""
    senders: list[str] = field(default_factory=list)  # From of the message and of any forwarded one
    subject: str = ""
    defects: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def forms(self) -> list[MessageFile]:
        return [file for file in self.files if file.form]


def message_headers(raw: bytes) -> MessageHeaders:
    """Message-ID, sender, date and whether it is this app's own notice. Never raises."""
    # Imported here: routing reads documents through a module that uses this one's TEXT.

    try:
        blank = _BLANK_LINE.search(raw)
        header = _HEADER_PARSER.parsebytes(raw[: blank.end()] if blank else raw)
        values = {name.lower(): value for name, value in reversed(list(header.raw_items()))}
    except Exception:  # noqa: BLE001 - unreadable headers identify the message by its hash alone
        values = {}
    return MessageHeaders(
        message_id=_message_id(values.get("message-id", "")),
        from_address=_address(values.get("from", "")),
        date=_date(values.get("date", "")),
        own_notice=is_own_notice(str(values.get(NOTICE_HEADER.lower(), ""))),
    )


def message_parse(raw: bytes, headers: MessageHeaders | None = None) -> ParsedMessage:
    """The whole message: its files (attachments, forwarded messages opened) and its text.
    `headers`: message_headers(raw), when the caller has it already."""
    try:
        message = _PARSER.parsebytes(raw)
        if not message.keys():
            raise UnreadableMessage("It is not an email message: it has no header fields.")
        parsed = ParsedMessage(headers=headers or message_headers(raw))
        _collect_header_defects(message, parsed)
        parsed.senders = [parsed.headers.from_address] if parsed.headers.from_address else []
        parsed.subject = str(message.get("subject", ""))[:998]
        _walk(message, parsed, depth=0, body_wanted=True)
    except UnreadableMessage:
        raise
    except Exception as error:  # noqa: BLE001 - a parser failure quarantines the message, never crashes
        raise UnreadableMessage(
            f"The email parser failed on it ({type(error).__name__})."
        ) from error
    parsed.defects = list(dict.fromkeys(parsed.defects))
    if CUT_SHORT & set(parsed.defects):
        parsed.notes.append(
            "The message looks cut short: compare its attachments with the raw message."
        )
    return parsed


def looks_like_detainer(parsed: ParsedMessage, agency_domains: list[str]) -> bool:
    """A form is attached, or the message (or one it forwards) comes from the agency."""
    return bool(parsed.forms) or any(
        is_agency_address(sender, agency_domains) for sender in parsed.senders
    )


def is_agency_address(address: str, agency_domains: list[str]) -> bool:
    domain = address.rpartition("@")[2].lower().rstrip(".")
    return any(domain == known or domain.endswith("." + known) for known in agency_domains if known)


def external_id_for(message_id: str, sha256: str) -> str:
    """The delivery's external_id: the Message-ID, or a hash of the bytes when there is none."""
    if not message_id:
        return f"sha256:{sha256}"
    if len(message_id) > 255:
        return f"message-id-sha256:{hashlib.sha256(message_id.encode()).hexdigest()}"
    return message_id


def clean_text(text: str, limit: int | None = None) -> str:
    """Text safe to store anywhere: no lone surrogates (undecodable bytes) and no NUL characters."""
    cleaned = text.encode("utf-8", errors="replace").decode("utf-8").replace("\x00", "")
    return cleaned[:limit] if limit else cleaned


# --- Headers --------------------------------------------------------------------------------


def _message_id(value) -> str:
    return clean_text("".join(str(value).split()), 998)


def _address(value) -> str:
    try:
        addresses = getattr(value, "addresses", None)
        if addresses:
            return clean_text(addresses[0].addr_spec.lower(), 320)
    except Exception:  # noqa: BLE001, S110 - fall back on the plain parser below
        pass
    return clean_text(parseaddr(str(value))[1].lower(), 320)


def _date(value) -> datetime | None:
    try:
        moment = parsedate_to_datetime(str(value))
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    return moment if moment.tzinfo is not None else None


# --- Structure ------------------------------------------------------------------------------


def _walk(part: EmailMessage, parsed: ParsedMessage, depth: int, body_wanted: bool) -> None:
    _collect_defects(part, parsed)
    if depth > MAX_DEPTH:
        parsed.defects.append("NestedTooDeep")
        return
    content_type = part.get_content_type()
    if content_type in FORWARDED and part.is_multipart():
        for inner in part.get_payload():
            _forwarded(inner, parsed, depth)
        return
    if part.is_multipart():
        children = part.get_payload()
        alternative = content_type == "multipart/alternative"
        chosen = _preferred_alternative(children) if alternative else None
        for child in children:
            _walk(child, parsed, depth + 1, body_wanted and (chosen is None or child is chosen))
        return
    _leaf(part, content_type, parsed, body_wanted)


def _forwarded(inner: EmailMessage, parsed: ParsedMessage, depth: int) -> None:
    headers = {name.lower(): value for name, value in reversed(list(inner.raw_items()))}
    sender = _address(headers.get("from", ""))
    if sender:
        parsed.senders.append(sender)
    summary = "\n".join(
        f"{label}: {clean_text(' '.join(str(headers[key]).split()))}"
        for key, label in (("from", "From"), ("date", "Date"), ("subject", "Subject"), ("to", "To"))
        if key in headers
    )
    parsed.body += f"\n\n---------- Forwarded message ----------\n{summary}\n\n"
    _walk(inner, parsed, depth + 1, body_wanted=True)


def _preferred_alternative(children: list) -> EmailMessage | None:
    """Plain text when the sender wrote one, else the last (richest) alternative."""
    for child in children:
        if child.get_content_type() == TEXT and _decoded_text(child).strip():
            return child
    return children[-1] if children else None


def _leaf(part: EmailMessage, content_type: str, parsed: ParsedMessage, body_wanted: bool) -> None:
    name = _filename(part)
    disposition = part.get_content_disposition()
    maintype, _, subtype = content_type.partition("/")
    subtype = subtype if maintype == "text" else ""
    if subtype in ("plain", "html") and not name and disposition != "attachment":
        if body_wanted:
            text = _decoded_text(part)
            parsed.body += html_to_text(text) if subtype == "html" else text
        return
    content = part.get_payload(decode=True) or b""
    if not content and not name:
        return
    parsed.files.append(_file(part, content_type, name, content, disposition, parsed))


def _file(
    part: EmailMessage,
    declared: str,
    name: str,
    content: bytes,
    disposition: str | None,
    parsed: ParsedMessage,
) -> MessageFile:
    recognised = content_type_of(content)
    position = len(parsed.files) + 1
    if recognised:
        # An image shown in the text (a logo, a signature) is not a form; a PDF or TIFF always is.
        embedded = (
            recognised in (PNG, JPEG) and part.get("Content-ID") and disposition != "attachment"
        )
        return MessageFile(name or f"attachment-{position}", content, recognised, form=not embedded)
    if name.lower() == "winmail.dat" or declared == TNEF:
        parsed.notes.append(
            "An Outlook winmail.dat is kept as sent; its contents are not opened here. "
            "Ask the sender to send plain attachments, or open it with an Outlook client."
        )
        return MessageFile(name or "winmail.dat", content, TNEF, form=False)
    if SCAN_NAMES.search(name) or declared in ("application/pdf", "image/tiff"):
        parsed.notes.append(
            f"Attachment {position} is called a PDF or TIFF but is not one by its content; "
            "kept as sent."
        )
    if declared.startswith("text/") or ACTIVE_TYPES.search(declared):
        # Kept as text, whatever it is: a browser must never render mail as live markup.
        return MessageFile(name or f"attachment-{position}.txt", content, TEXT, form=False)
    return MessageFile(name or f"attachment-{position}", content, declared or OCTET, form=False)


def _filename(part: EmailMessage) -> str:
    try:
        name = part.get_filename() or ""
    except Exception:  # noqa: BLE001 - an unreadable name is no reason to lose the file
        name = ""
    if "=?" in name:
        name = _decode_words(name)
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    return clean_text("".join(ch for ch in name if ch.isprintable()).strip(), 255)


def _decode_words(name: str) -> str:
    """RFC 2047 words in a quoted file name: Outlook sends them, though RFC 2231 is the rule."""
    from email.header import decode_header, make_header

    try:
        return str(make_header(decode_header(name)))
    except Exception:  # noqa: BLE001 - keep the name as it came
        return name


def _decoded_text(part: EmailMessage) -> str:
    """The text in whatever charset it claims; a wrong or unknown label falls back, never fails."""
    payload = part.get_payload(decode=True) or b""
    declared = part.get_content_charset() or "us-ascii"
    candidates = ["windows-1252", "utf-8"] if declared in WESTERN else [declared, "utf-8"]
    for charset in candidates:
        try:
            return clean_text(payload.decode(charset))
        except (LookupError, UnicodeDecodeError):
            continue
    return clean_text(payload.decode("windows-1252", errors="replace"))


def _collect_defects(part: EmailMessage, parsed: ParsedMessage) -> None:
    parsed.defects.extend(type(defect).__name__ for defect in part.defects)


def _collect_header_defects(message: EmailMessage, parsed: ParsedMessage) -> None:
    """Defects in the headers that identify the message (parsing every header of every part would
    double the cost of reading a message, for defects nobody acts on)."""
    for name in ("from", "date", "message-id", "content-type"):
        try:
            value = message.get(name)
            parsed.defects.extend(type(defect).__name__ for defect in getattr(value, "defects", ()))
        except Exception as error:  # noqa: BLE001 - a header the policy cannot parse is a defect
            parsed.defects.append(f"HeaderParseFailure:{name}:{type(error).__name__}")


# --- HTML as text ---------------------------------------------------------------------------

_BLOCKS = {
    "p",
    "div",
    "br",
    "tr",
    "li",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "table",
    "blockquote",
    "pre",
    "hr",
}
_HIDDEN = {"script", "style", "head", "title", "template"}


class _TextOfHtml(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.hidden = 0

    def handle_starttag(self, tag, attrs):
        if tag in _HIDDEN:
            self.hidden += 1
        elif tag in _BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag):
        if tag in _HIDDEN:
            self.hidden = max(self.hidden - 1, 0)
        elif tag in _BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data):
        if not self.hidden:
            self.parts.append(data)


def html_to_text(html: str) -> str:
    """The words of an HTML body, one block per line; no markup survives."""
    reader = _TextOfHtml()
    reader.feed(html)
    reader.close()
    lines = (" ".join(line.split()) for line in "".join(reader.parts).splitlines())
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip() + "\n"
