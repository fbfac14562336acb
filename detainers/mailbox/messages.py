"""One email's bytes into one delivery, exactly once: store first, then understand.

Shared by the IMAP reader and the .eml backfill. Nothing a sender can put in a message stops this:
what cannot be read becomes a quarantined delivery (raw message kept, reason given) that a
supervisor can retry. Logs carry ids, hashes and counts, never a subject, a name or an address.
"""

import hashlib
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from detainers.core.audit import event_record
from detainers.core.documents import FAX_TYPES, TEXT, content_type_of
from detainers.counting.rule import counts_add
from detainers.intake.services import (
    DeliveryFacts,
    IncomingFile,
    deliveries_receive,
    delivery_receive_facts,
    file_check,
)
from detainers.intake.storage import document_store, intake_transaction
from detainers.mailbox.fax_to_email import FaxNotice, fax_to_email_of
from detainers.mailbox.parsing import (
    MessageHeaders,
    ParsedMessage,
    UnreadableMessage,
    external_id_for,
    looks_like_detainer,
    message_headers,
    message_parse,
)
from detainers.models import Channel, Delivery, DetainerRequest, Document, MailMessage, Source

logger = logging.getLogger(__name__)

RAW = "message/rfc822"
CLOCK_SKEW = timedelta(minutes=5)
# A Date header this much earlier than the server's arrival is the sender's clock, not the mail.
DATE_BEFORE_ARRIVAL = timedelta(days=1)
Outcome = MailMessage.Outcome


@dataclass(frozen=True)
class Origin:
    """Where a copy was read: a mailbox folder (with UIDVALIDITY and UID) or a backfilled file."""

    mailbox: str
    uidvalidity: int | None = None
    uid: int | None = None
    internal_date: datetime | None = None


@dataclass
class IngestSummary:
    ingested: int = 0
    duplicates: int = 0
    quarantined: int = 0
    own_notices: int = 0
    failed: int = 0
    moved: int = 0
    error: str = ""
    busy: bool = False

    def count(self, copy: MailMessage) -> None:
        field = {
            Outcome.INGESTED: "ingested",
            Outcome.DUPLICATE: "duplicates",
            Outcome.QUARANTINED: "quarantined",
            Outcome.OWN_NOTICE: "own_notices",
        }[copy.outcome]
        setattr(self, field, getattr(self, field) + 1)

    @property
    def read(self) -> int:
        return self.ingested + self.duplicates + self.quarantined + self.own_notices

    def line(self) -> str:
        return (
            f"{self.ingested} ingested, {self.duplicates} duplicates, "
            f"{self.quarantined} quarantined, "
            f"{self.own_notices} own notices skipped, {self.failed} failed"
        )


def message_seen(origin: Origin) -> MailMessage | None:
    """This very copy, if it was handled before (a re-run after a crash between commit and move)."""
    if origin.uid is None:
        return None
    return MailMessage.objects.filter(
        mailbox=origin.mailbox, uidvalidity=origin.uidvalidity, uid=origin.uid
    ).first()


def message_ingest(*, raw: bytes, origin: Origin, copy_is_new: bool = False) -> MailMessage:
    """Record one copy of a message and, the first time the message is seen, its delivery.

    Returns the row for this copy; its `folder` says where the copy belongs on the server.
    copy_is_new: the caller already looked this copy up (the IMAP reader does, a chunk at a time).
    """
    seen = None if copy_is_new else message_seen(origin)
    if seen is not None:
        return seen
    sha256 = hashlib.sha256(raw).hexdigest()
    headers = message_headers(raw)
    if headers.own_notice:
        return _record(origin, raw, sha256, headers, Outcome.OWN_NOTICE, None)
    external_id = external_id_for(headers.message_id, sha256)
    first = _delivery_of(external_id)
    if first is not None:
        return _record(origin, raw, sha256, headers, Outcome.DUPLICATE, first)
    reason, parsed = _understand(raw, headers)
    try:
        return _receive(raw, sha256, headers, origin, external_id, reason, parsed)
    except IntegrityError:
        # Another run recorded this copy or this message at the same moment: answer with its row.
        seen = message_seen(origin)
        first = _delivery_of(external_id)
        if seen is None and first is None:
            raise
        return seen or _record(origin, raw, sha256, headers, Outcome.DUPLICATE, first)
    except Exception as error:  # noqa: BLE001 - what cannot be stored read is stored quarantined
        if reason:
            raise
        logger.error(
            "mail message %s could not be stored as read (%s); quarantining it",
            sha256[:12],
            type(error).__name__,
        )
        reason = (
            f"It could not be stored as read ({type(error).__name__}). "
            "Retry it; if that fails, report the receipt number."
        )
        return _receive(raw, sha256, headers, origin, external_id, reason, None)


def messages_ingest(*, copies: list[tuple[bytes, Origin]]) -> list[MailMessage]:
    """`message_ingest` for a chunk of copies not seen before (the IMAP reader's), in one
    transaction: one query for the messages already read, one INSERT per table, one routing task.
    Returns the rows in the order of `copies`.

    All or nothing: if any of it fails (a message another run recorded meanwhile, a file that cannot
    be stored), nothing is kept and the error is raised; the caller then takes the copies one at a
    time with `message_ingest`, so one bad message costs only itself.
    """
    read = [_Read.of(raw, origin) for raw, origin in copies]
    firsts = _deliveries_of({copy.external_id for copy in read if not copy.headers.own_notice})
    new = [
        index
        for index, copy in enumerate(read)
        if not copy.headers.own_notice and copy.external_id not in firsts
    ]
    facts = [read[index].delivery_facts() for index in new]
    # Not a bare atomic(): if the rows below fail, the documents' files go with the deliveries.
    with intake_transaction():
        received = dict(zip(new, deliveries_receive(deliveries=facts), strict=True))
        rows = [_row_of(copy, received.get(index), firsts) for index, copy in enumerate(read)]
        MailMessage.objects.bulk_create(rows)
    for row in rows:
        logger.info(
            "mail message %s read into delivery %s (%s)", row.pk, row.delivery_id, row.outcome
        )
    return rows


@dataclass(frozen=True)
class _Read:
    """A copy's bytes, what identifies it, and (when it is to be read) what it says."""

    raw: bytes
    origin: Origin
    sha256: str
    headers: MessageHeaders
    external_id: str

    @classmethod
    def of(cls, raw: bytes, origin: Origin) -> "_Read":
        sha256 = hashlib.sha256(raw).hexdigest()
        headers = message_headers(raw)
        return cls(raw, origin, sha256, headers, external_id_for(headers.message_id, sha256))

    def delivery_facts(self) -> DeliveryFacts:
        reason, parsed = _understand(self.raw, self.headers)
        return _delivery_facts(
            self.raw, self.headers, self.origin, self.external_id, reason, parsed
        )


def _row_of(copy: _Read, received, firsts: dict[str, Delivery]) -> MailMessage:
    """The copy's row: our own notice, a copy of a message read before (or earlier in this chunk),
    or the message that made a delivery just now."""
    if copy.headers.own_notice:
        outcome, delivery, raw = Outcome.OWN_NOTICE, None, None
    elif received is None or not received.created:
        delivery = received.delivery if received is not None else firsts[copy.external_id]
        outcome, raw = Outcome.DUPLICATE, None
    else:
        delivery, raw = received.delivery, received.documents[0]
        outcome = Outcome.QUARANTINED if delivery.quarantine_reason else Outcome.INGESTED
    return _copy(copy.origin, copy.raw, copy.sha256, copy.headers, outcome, delivery, raw)


def _understand(raw: bytes, headers: MessageHeaders) -> tuple[str, ParsedMessage | None]:
    """(quarantine reason, parsed message): exactly one of the two is set."""
    limit = settings.MAX_MESSAGE_BYTES
    if len(raw) > limit:
        return (
            f"The message is {len(raw) / 1_048_576:.1f} MB; "
            f"the limit is {limit / 1_048_576:.0f} MB "
            "(MAX_MESSAGE_BYTES). It was not read. A supervisor can retry it to read it anyway.",
            None,
        )
    try:
        return "", message_parse(raw, headers)
    except UnreadableMessage as unreadable:
        return unreadable.reason, None


def _delivery_facts(
    raw: bytes,
    headers: MessageHeaders,
    origin: Origin,
    external_id: str,
    reason: str,
    parsed: ParsedMessage | None,
) -> DeliveryFacts:
    """What a message tells of its delivery: the raw message is the first file."""
    files = [IncomingFile("message.eml", raw, RAW)] + (_files_of(parsed) if parsed else [])
    fax = _fax_notice(parsed)
    notes = list(parsed.notes) if parsed else []
    if fax is not None:
        notes.append(f"Fax-to-email: the notice came from {headers.from_address or 'no address'}.")
    return DeliveryFacts(
        channel=Channel.FAX if fax else Channel.EMAIL,
        source=Source.MAILBOX,
        received_at=_received_at(headers, origin),
        files=files,
        to_number=fax.to_number if fax else "",
        from_address=(fax.from_number if fax else "") or headers.from_address,
        sender_id=fax.sender_id if fax else "",
        pages=fax.pages if fax else None,
        external_id=external_id,
        allowed_types=None,
        notes="\n".join(notes),
        quarantine_reason=reason,
        possibly_not_detainer=bool(parsed)
        and not looks_like_detainer(parsed, settings.AGENCY_EMAIL_DOMAINS),
        parse_defects=tuple(parsed.defects[:100]) if parsed else (),
    )


def _fax_notice(parsed: ParsedMessage | None) -> FaxNotice | None:
    """The fax a fax-to-email service's message stands for (detainers.mailbox.fax_to_email)."""
    if parsed is None:
        return None
    scans = any(content_type_of(file.content) in FAX_TYPES for file in parsed.files)
    return fax_to_email_of(subject=parsed.subject, body=parsed.body, has_scan=scans)


def _receive(
    raw: bytes,
    sha256: str,
    headers: MessageHeaders,
    origin: Origin,
    external_id: str,
    reason: str,
    parsed: ParsedMessage | None,
) -> MailMessage:
    facts = _delivery_facts(raw, headers, origin, external_id, reason, parsed)
    with intake_transaction():
        received = delivery_receive_facts(facts)
        delivery = received.delivery
        if not received.created:
            return _record(origin, raw, sha256, headers, Outcome.DUPLICATE, delivery)
        outcome = Outcome.QUARANTINED if reason else Outcome.INGESTED
        # In the delivery's transaction: a race lost here rolls both back (see message_ingest).
        copy = _copy(origin, raw, sha256, headers, outcome, delivery, received.documents[0])
        copy.save()
    logger.info("mail message %s read into delivery %s (%s)", copy.pk, delivery.pk, outcome)
    return copy


def _files_of(parsed: ParsedMessage) -> list[IncomingFile]:
    """The attachments, forms marked; the text as a document (the form, when none is attached)."""
    files = [IncomingFile(f.name, f.content, f.content_type, form=f.form) for f in parsed.files]
    if parsed.body.strip():
        files.append(
            IncomingFile("message.txt", parsed.body.encode("utf-8"), TEXT, form=not parsed.forms)
        )
    return files


def _received_at(headers: MessageHeaders, origin: Origin) -> datetime:
    """The Date header if it is sane, else when the server got the message, else now."""
    arrived = origin.internal_date
    date = headers.date
    if date is not None and date.year >= 2000:
        latest = (arrived or timezone.now()) + CLOCK_SKEW
        earliest = arrived - DATE_BEFORE_ARRIVAL if arrived else None
        if date <= latest and (earliest is None or date >= earliest):
            return date
    return arrived or timezone.now()


def _delivery_of(external_id: str) -> Delivery | None:
    """The delivery this message already made. The external_id is the Message-ID or, without one,
    the hash of the bytes; identical bytes carry an identical Message-ID, so this one lookup finds
    the message by either (and the constraint `mail_bytes_once` guards the hash all the same)."""
    return Delivery.objects.filter(source=Source.MAILBOX, external_id=external_id).first()


def _deliveries_of(external_ids: set[str]) -> dict[str, Delivery]:
    """_delivery_of for many messages, in one query."""
    found = Delivery.objects.filter(source=Source.MAILBOX, external_id__in=external_ids)
    return {delivery.external_id: delivery for delivery in found}


def _copy(
    origin: Origin,
    raw: bytes,
    sha256: str,
    headers: MessageHeaders,
    outcome: str,
    delivery: Delivery | None,
    stored: Document | None = None,
) -> MailMessage:
    return MailMessage(
        mailbox=origin.mailbox,
        uidvalidity=origin.uidvalidity,
        uid=origin.uid,
        message_id=headers.message_id[:255],
        sha256=sha256,
        size=len(raw),
        outcome=outcome,
        delivery=delivery,
        raw=stored,
    )


def _record(
    origin: Origin,
    raw: bytes,
    sha256: str,
    headers: MessageHeaders,
    outcome: str,
    delivery: Delivery | None,
) -> MailMessage:
    try:
        with transaction.atomic():
            copy = _copy(origin, raw, sha256, headers, outcome, delivery)
            copy.save()
            return copy
    except IntegrityError:
        seen = message_seen(origin)
        if seen is None:
            raise
        return seen


# --- A supervisor retries a quarantined message ----------------------------------------------


def mailbox_retry_quarantined(*, delivery_id: int, actor, ignore_size: bool = True) -> Delivery:
    """Read a quarantined message again from its stored raw bytes (the size limit waived by default:
    a supervisor asked). Its files and requests are added to the delivery; nothing is replaced."""
    with intake_transaction():
        delivery = (
            Delivery.objects.select_for_update()
            .filter(pk=delivery_id, source=Source.MAILBOX)
            .first()
        )
        if delivery is None or not delivery.quarantine_reason:
            raise ValidationError("This is not a quarantined email: there is nothing to retry.")
        copy = delivery.mail_messages.filter(raw__isnull=False).select_related("raw").first()
        if copy is None:
            raise ValidationError(
                "The raw message of this delivery is missing; it cannot be read again."
            )
        with copy.raw.file.open("rb") as stored:
            raw = stored.read()
        if not ignore_size and len(raw) > settings.MAX_MESSAGE_BYTES:
            raise ValidationError("The message is still over the size limit (MAX_MESSAGE_BYTES).")
        try:
            parsed = message_parse(raw)
        except UnreadableMessage as unreadable:
            raise ValidationError(f"It still cannot be read: {unreadable.reason}") from unreadable
        _add_read_files(delivery, parsed, actor)
    logger.info("quarantined delivery %s read again", delivery.pk)
    return delivery


def _add_read_files(delivery: Delivery, parsed: ParsedMessage, actor) -> None:
    files = _files_of(parsed)
    documents = [document_store(delivery, file_check(file, None)) for file in files]
    carriers = [document for document, file in zip(documents, files, strict=True) if file.form]
    placeholder = delivery.requests.order_by("pk").first()
    for position, document in enumerate(carriers):
        if position == 0 and placeholder is not None:
            old = placeholder.document_id
            placeholder.document = document
            placeholder.save(update_fields=["document"])
            event_record(
                action="document_changed",
                actor=actor,
                request=placeholder,
                changes={"document": (old, document.pk)},
            )
            continue
        request = DetainerRequest.objects.create(
            delivery=delivery, document=document, sequence=_next_sequence(delivery)
        )
        counts_add([request])
        event_record(
            action="received",
            actor=actor,
            request=request,
            changes={"document": (None, document.pk)},
        )
    old_reason = delivery.quarantine_reason
    delivery.quarantine_reason = ""
    delivery.parse_defects = parsed.defects[:100]
    delivery.possibly_not_detainer = not looks_like_detainer(parsed, settings.AGENCY_EMAIL_DOMAINS)
    delivery.pages = sum(document.pages or 0 for document in documents) or delivery.pages
    delivery.notes = "\n".join(note for note in (delivery.notes, *parsed.notes) if note)
    delivery.save(
        update_fields=[
            "quarantine_reason",
            "parse_defects",
            "possibly_not_detainer",
            "pages",
            "notes",
        ]
    )
    event_record(
        action="quarantine_retried",
        actor=actor,
        delivery=delivery,
        changes={
            "quarantine_reason": (old_reason, ""),
            "documents": (None, [d.sha256 for d in documents]),
        },
    )


def _next_sequence(delivery: Delivery) -> int:
    """The next request's place in a delivery (the caller holds the delivery's row lock)."""
    last = delivery.requests.aggregate(last=Max("sequence"))["last"]
    return (last or 0) + 1
