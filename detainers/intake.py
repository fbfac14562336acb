"""One way in for every channel: the clerk's page, the fax gateway's API and the central mailbox.

Once `delivery_receive` returns, the delivery, its documents, its requests and the audit events are
committed together (inside a caller's transaction, they are written in it: the mailbox records
the message it read in the same commit). Routing is enqueued only after the commit, and if the
broker is down the unrouted row waits for the sweep (detainers.routing): accepting an item never
depends on Redis or a worker.
"""

import hashlib
import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone

from precincts.models import FaxNumber, Precinct
from precincts.phone import fax_number_normalise
from precincts.selectors import fax_number_owner_at

from .audit import event_record
from .counting import counts_add
from .documents import SCAN_TYPES, CheckedDocument, content_type_of, document_check, page_count
from .models import Channel, Delivery, DetainerRequest, Document, NumberMatch, Source

logger = logging.getLogger(__name__)

LATE_AFTER = timedelta(days=7)
CLOCK_SKEW = timedelta(minutes=5)
# No fax is older than this: a machine whose clock says so was reset (1970, year 0049, ...).
EARLIEST_RECEIPT = datetime(2000, 1, 1, tzinfo=UTC)
QUICK_RETRY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.2}


@dataclass(frozen=True)
class IncomingFile:
    """A file as received. `content_type` and `form` matter only to the mailbox:

    content_type: the type to record when the content is not a scan recognised by its bytes;
    form: this file is a detainer form (or the message body standing for one) and becomes a request
    of its own. When no file is a form, the delivery has one request on its first document.
    """

    name: str
    content: bytes
    content_type: str = ""
    form: bool = False


@dataclass(frozen=True)
class Received:
    delivery: Delivery
    created: bool
    documents: tuple[Document, ...] = ()  # those stored by this call, in the order of `files`


def _check_received_at(
    received_at: datetime, source: str, late_reason: str
) -> tuple[datetime, str]:
    """Returns the moment to record and a note. Machines' clocks are trusted less than people's."""
    now = timezone.now()
    if timezone.is_naive(received_at):
        raise ValidationError(
            {"received_at": "Give the time with its offset, e.g. 2024-03-15T09:30:00-04:00."}
        )
    if received_at > now + CLOCK_SKEW or received_at < EARLIEST_RECEIPT:
        if source == Source.CLERK:
            when = "in the future" if received_at > now else "before 2000"
            raise ValidationError(
                {"received_at": f"That time is {when}. Enter when the fax arrived."}
            )
        # A gateway or mail server whose clock is wrong must not lose the fax (nor have it counted
        # in a year nobody reports on): record now, keep theirs.
        return (
            now,
            f"Sender's clock said {received_at.isoformat()}; recorded as the time it was logged.",
        )
    if source == Source.CLERK and received_at < now - LATE_AFTER and not late_reason.strip():
        raise ValidationError(
            {"late_reason": "This fax arrived more than 7 days ago. Say why it is logged only now."}
        )
    return received_at, ""


def _resolve_number(
    channel: str,
    to_number: str,
    received_at: datetime,
    precinct: Precinct | None,
    fax_number: FaxNumber | None,
) -> tuple[str, Precinct | None, FaxNumber | None, str]:
    """The dialled number in E.164 where readable, the precinct and period that owned it, and the match."""
    if fax_number is not None:
        if precinct is not None and fax_number.precinct_id != precinct.pk:
            raise ValidationError(
                {"fax_number": f"That number is not one of {precinct.code}'s numbers."}
            )
        if not fax_number.is_active_at(received_at):
            raise ValidationError(
                {
                    "fax_number": "That number was not in service at the time you entered. Check the time or the line."
                }
            )
        return fax_number.number, fax_number.precinct, fax_number, NumberMatch.OWNED
    if channel != Channel.FAX or not to_number:
        return "", precinct, None, ""
    try:
        dialled = fax_number_normalise(to_number)
    except ValidationError:
        return to_number.strip()[:40], precinct, None, NumberMatch.UNKNOWN
    owner = fax_number_owner_at(number=dialled, at=received_at)
    if owner is not None:
        return dialled, owner.precinct, owner, NumberMatch.OWNED
    match = (
        NumberMatch.RETIRED
        if FaxNumber.objects.filter(number=dialled).exists()
        else NumberMatch.UNKNOWN
    )
    return dialled, precinct, None, match


def _enqueue_routing(delivery_id: int) -> None:
    from .tasks import route_delivery

    try:
        # One quick reconnect (a broker that restarted leaves a stale connection), no more: intake
        # must not wait on a dead broker.
        route_delivery.apply_async((delivery_id,), retry=True, retry_policy=QUICK_RETRY)
    except Exception:  # noqa: BLE001 - the broker is down; the sweep routes the delivery later
        logger.warning(
            "routing of delivery %s not enqueued (broker unavailable); the sweep will route it",
            delivery_id,
        )


def delivery_receive(
    *,
    channel: str,
    source: str,
    received_at: datetime,
    files: list[IncomingFile],
    actor=None,
    to_number: str = "",
    from_address: str = "",
    external_id: str = "",
    precinct: Precinct | None = None,
    fax_number: FaxNumber | None = None,
    pages: int | None = None,
    notes: str = "",
    late_reason: str = "",
    allowed_types: tuple[str, ...] | None = SCAN_TYPES,
    quarantine_reason: str = "",
    possibly_not_detainer: bool = False,
    parse_defects: tuple[str, ...] = (),
) -> Received:
    """Accept one delivery from any channel. A repeat of an `external_id` returns the first one.

    allowed_types=None keeps every file, whatever it is (the mailbox: nothing sent is refused).
    """
    if external_id:
        existing = Delivery.objects.filter(source=source, external_id=external_id).first()
        if existing is not None:
            return Received(existing, created=False)
    received_at, clock_note = _check_received_at(received_at, source, late_reason)
    checked = [file_check(file, allowed_types) for file in files]
    dialled, precinct, fax_number, match = _resolve_number(
        channel, to_number, received_at, precinct, fax_number
    )
    if pages is None and checked:
        pages = sum(doc.pages or 0 for doc in checked) or None
    fields = dict(
        channel=channel,
        source=source,
        received_at=received_at,
        precinct=precinct,
        fax_number=fax_number,
        to_number=dialled,
        number_match=match,
        from_address=from_address.strip()[:320],
        external_id=external_id,
        pages=pages,
        notes="\n".join(note for note in (notes.strip(), clock_note) if note),
        late_reason=late_reason.strip(),
        logged_by=actor if getattr(actor, "is_authenticated", False) else None,
        quarantine_reason=quarantine_reason,
        possibly_not_detainer=possibly_not_detainer,
        parse_defects=list(parse_defects),
    )
    forms = [index for index, file in enumerate(files) if file.form]
    try:
        with transaction.atomic():
            delivery, documents = _write(fields, checked, forms, actor)
    except IntegrityError:
        # Two copies of one retried post raced; the other one won. Answer with its delivery.
        existing = (
            Delivery.objects.filter(source=source, external_id=external_id).first()
            if external_id
            else None
        )
        if existing is None:
            raise
        return Received(existing, created=False)
    return Received(delivery, created=True, documents=tuple(documents))


def file_check(file: IncomingFile, allowed_types: tuple[str, ...] | None) -> CheckedDocument:
    """Refuse what is not allowed; with allowed_types=None keep anything, typed by content first."""
    if allowed_types is not None:
        return document_check(name=file.name, content=file.content, allowed=allowed_types)
    recognised = content_type_of(file.content)
    return CheckedDocument(
        name=file.name[:255] or "document",
        content=file.content,
        content_type=recognised or file.content_type or "application/octet-stream",
        sha256=hashlib.sha256(file.content).hexdigest(),
        pages=page_count(file.content, recognised) if recognised else None,
    )


def _write(
    fields: dict, checked: list[CheckedDocument], forms: list[int], actor
) -> tuple[Delivery, list[Document]]:
    delivery = Delivery.objects.create(**fields)
    documents = [document_store(delivery, doc) for doc in checked]
    carriers = [documents[index] for index in forms] or [documents[0] if documents else None]
    requests = []
    for document in carriers:
        request = DetainerRequest.objects.create(delivery=delivery, document=document)
        requests.append(request)
        event_record(
            action="received",
            actor=actor,
            delivery=delivery,
            request=request,
            changes={
                "precinct": (None, delivery.precinct.code if delivery.precinct else None),
                "received_at": (None, delivery.received_at),
                "documents": (None, [doc.sha256 for doc in documents]),
            },
        )
    counts_add(requests)
    transaction.on_commit(lambda: _enqueue_routing(delivery.pk))
    logger.info("delivery %s received via %s", delivery.pk, delivery.source)
    return delivery, documents


def document_store(delivery: Delivery, checked: CheckedDocument) -> Document:
    document = Document(
        delivery=delivery,
        name=checked.name,
        content_type=checked.content_type,
        size=len(checked.content),
        sha256=checked.sha256,
        pages=checked.pages,
    )
    document.file.save(checked.name, ContentFile(checked.content), save=False)
    document.save()
    return document
