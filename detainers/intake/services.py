"""One way in for every channel: the clerk's page, the fax gateway's API and the central mailbox.

Once `delivery_receive` returns, the delivery, its documents, its requests and the audit events are
committed together (inside a caller's transaction, they are written in it: the mailbox records
the message it read in the same commit). Routing is enqueued only after the commit, and if the
broker is down the unrouted row waits for the sweep (detainers.intake.routing): accepting an item never
depends on Redis or a worker.

A document's file is written before that commit (storage is not transactional). If the transaction
rolls back, the files it wrote are removed again (`intake_transaction`): a file without its row is
an orphan nobody can find or account for, since its path names nothing.
"""

import hashlib
import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.utils import timezone

from detainers.core.documents import (
    PDF,
    SCAN_TYPES,
    CheckedDocument,
    content_type_of,
    document_check,
    page_count,
    pdf_active_content,
)
from detainers.core.enqueue import task_enqueue_after_commit
from detainers.counting.line_traffic import line_traffic_add
from detainers.counting.rule import counts_add
from detainers.intake.resends import resends_close
from detainers.intake.storage import document_file_write, intake_transaction
from detainers.intake.tasks import route_deliveries as route_deliveries_task
from detainers.intake.tasks import route_delivery as route_delivery_task
from detainers.models import (
    Channel,
    Delivery,
    DetainerRequest,
    Document,
    Event,
    NumberMatch,
    Source,
)
from precincts.models import FaxNumber, Precinct
from precincts.phone import fax_number_normalise
from precincts.selectors import fax_number_history, known_sender_of

if TYPE_CHECKING:
    from accounts.models import User

logger = logging.getLogger(__name__)

LATE_AFTER = timedelta(days=7)
CLOCK_SKEW = timedelta(minutes=5)
# No fax is older than this: a machine whose clock says so was reset (1970, year 0049, ...).
EARLIEST_RECEIPT = datetime(2000, 1, 1, tzinfo=UTC)
# The code of clerk_fax_log's refusal of a form sent again with another fax.
SUBMISSION_REUSED = "submission_reused"


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
class DeliveryFacts:
    """What a channel knows of one delivery as it arrives: the keywords of `delivery_receive`.

    allowed_types=None keeps every file, whatever it is (the mailbox: nothing sent is refused).
    """

    channel: str
    source: str
    received_at: datetime
    files: list[IncomingFile]
    to_number: str = ""
    from_address: str = ""
    external_id: str = ""
    precinct: Precinct | None = None
    fax_number: FaxNumber | None = None
    pages: int | None = None
    notes: str = ""
    late_reason: str = ""
    sender_id: str = ""
    partial: bool = False
    allowed_types: tuple[str, ...] | None = SCAN_TYPES
    quarantine_reason: str = ""
    possibly_not_detainer: bool = False
    parse_defects: tuple[str, ...] = ()


@dataclass(frozen=True)
class Received:
    delivery: Delivery
    created: bool
    documents: tuple[Document, ...] = ()  # those stored by this call, in the order of `files`
    requests: tuple[DetainerRequest, ...] = ()  # those made by this call, as written


def received_at_check(received_at: datetime, source: str, late_reason: str) -> tuple[datetime, str]:
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


def dialled_number_resolve(
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
    # Every period of the number in one query (a line has a few): the owner then, if any, and
    # whether it ever was ours.
    periods = list(fax_number_history(number=dialled))
    owner = next((period for period in periods if period.is_active_at(received_at)), None)
    if owner is not None:
        return dialled, owner.precinct, owner, NumberMatch.OWNED
    return dialled, precinct, None, NumberMatch.RETIRED if periods else NumberMatch.UNKNOWN


def _routing_after_commit(delivery_ids: list[int]) -> None:
    """One task for the lot: a batch of deliveries (the mailbox's) costs one message to the broker."""
    if len(delivery_ids) == 1:
        task, argument = route_delivery_task, delivery_ids[0]
    else:
        task, argument = route_deliveries_task, delivery_ids
    what = f"routing of {len(delivery_ids)} deliveries (first {delivery_ids[0]})"
    task_enqueue_after_commit(task, argument, what=what)


def delivery_receive(*, actor=None, external_id_looked_up: bool = False, **facts) -> Received:
    """Accept one delivery from any channel; `facts` are the fields of DeliveryFacts (an unknown
    keyword is a TypeError). A repeat of an `external_id` returns the first one.

    external_id_looked_up: the caller has just looked the `external_id` up and found nothing
    (fax_reception_record), so it is not looked up again; a copy that raced it still answers with
    the first delivery (the unique constraint refuses the second)."""
    return delivery_receive_facts(
        DeliveryFacts(**facts), actor=actor, external_id_looked_up=external_id_looked_up
    )


def delivery_receive_facts(
    facts: DeliveryFacts, *, actor=None, external_id_looked_up: bool = False
) -> Received:
    """`delivery_receive` for facts already gathered (the mailbox builds them per message)."""
    source, external_id = facts.source, facts.external_id
    if external_id and not external_id_looked_up:
        existing = Delivery.objects.filter(source=source, external_id=external_id).first()
        if existing is not None:
            return Received(existing, created=False)
    incoming = _incoming(facts, actor)
    try:
        with intake_transaction():
            (received,) = _write([incoming])
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
    return received


def clerk_fax_log(
    *,
    clerk: "User",
    precinct: Precinct,
    submission: str,
    scan: IncomingFile,
    received_at: datetime,
    fax_number: FaxNumber,
    from_address: str = "",
    pages: int | None = None,
    notes: str = "",
    late_reason: str = "",
) -> Received:
    """Log a fax found on the precinct's machine (the clerk's page).

    `submission` is the form's own id: the same form sent twice (a double click, a resent POST)
    answers with the fax it logged the first time. The id counts only for this clerk and this
    precinct, so nobody gets another clerk's receipt by sending their id; and a form sent again with
    another fax (the back button, a copied tab) is refused rather than answered with the first one,
    which would leave the second fax logged nowhere.
    """
    received = delivery_receive(
        channel=Channel.FAX,
        source=Source.CLERK,
        received_at=received_at,
        files=[scan],
        actor=clerk,
        precinct=precinct,
        fax_number=fax_number,
        from_address=from_address,
        pages=pages,
        notes=notes,
        late_reason=late_reason,
        external_id=clerk_submission_key(clerk=clerk, precinct=precinct, submission=submission),
    )
    # Also when a copy sent at the same moment won the race: delivery_receive answers with its row.
    if not received.created and not _same_fax(
        received.delivery,
        sha256=hashlib.sha256(scan.content).hexdigest(),
        received_at=received_at,
        fax_number=fax_number,
        from_address=from_address,
        pages=pages,
        notes=notes,
        late_reason=late_reason,
    ):
        raise ValidationError(
            f"This form was already sent with another fax (receipt "
            f"{received.delivery.receipt_number}), so this fax was not logged. To log it, choose "
            "the scan again and send the form.",
            code=SUBMISSION_REUSED,
        )
    return received


def clerk_submission_key(*, clerk: "User", precinct: Precinct, submission: str) -> str:
    """The `external_id` of the fax a clerk logged with one form, in one precinct."""
    return f"intake-form:{clerk.pk}:{precinct.pk}:{submission}"


def _same_fax(
    delivery: Delivery,
    *,
    sha256: str,
    received_at: datetime,
    fax_number: FaxNumber,
    from_address: str,
    pages: int | None,
    notes: str,
    late_reason: str,
) -> bool:
    """Whether a form sent again says what it said when `delivery` was logged from it, as
    delivery_receive stored it (a page count left empty is the one counted from the scan)."""
    documents = list(delivery.documents.order_by("pk"))
    counted = sum(document.pages or 0 for document in documents) or None
    return (
        [document.sha256 for document in documents] == [sha256]
        and delivery.received_at == received_at
        and delivery.fax_number_id == fax_number.pk
        and delivery.from_address == from_address.strip()[:320]
        and delivery.pages == (counted if pages is None else pages)
        and delivery.notes == notes.strip()
        and delivery.late_reason == late_reason.strip()
    )


def deliveries_receive(*, deliveries: list[DeliveryFacts], actor=None) -> list[Received]:
    """`delivery_receive` for many deliveries at once: one
    query for those already received, one INSERT per table, one routing task (the mailbox reads
    fifty messages at a time). Returns one `Received` per item, in order; an `external_id` given
    twice makes one delivery.

    All or nothing, in the caller's transaction if there is one: a conflict with a delivery written
    meanwhile raises IntegrityError and keeps none of them (call `delivery_receive` for each then).
    """
    keys = [(item.source, item.external_id) for item in deliveries]
    known = {
        (delivery.source, delivery.external_id): delivery
        for delivery in Delivery.objects.filter(
            external_id__in={external_id for _, external_id in keys if external_id}
        )
    }
    incoming: list[_Incoming] = []
    plan = []  # per item: a delivery received before, or (its position in `incoming`, first?)
    positions = {}
    for key, item in zip(keys, deliveries, strict=True):
        if key in known:
            plan.append(Received(known[key], created=False))
        elif key[1] and key in positions:
            plan.append((positions[key], False))
        else:
            positions[key] = len(incoming)
            plan.append((len(incoming), True))
            incoming.append(_incoming(item, actor))
    with intake_transaction():
        written = _write(incoming)
    return [
        step
        if isinstance(step, Received)
        else written[step[0]]
        if step[1]
        else Received(written[step[0]].delivery, created=False)
        for step in plan
    ]


@dataclass(frozen=True)
class _Incoming:
    """A delivery checked and ready to write."""

    fields: dict
    checked: list[CheckedDocument]
    forms: list[int]  # positions of the files that are forms
    actor: object


def _incoming(facts: DeliveryFacts, actor) -> _Incoming:
    received_at, clock_note = received_at_check(facts.received_at, facts.source, facts.late_reason)
    checked = [file_check(file, facts.allowed_types) for file in facts.files]
    dialled, precinct, fax_number, match = dialled_number_resolve(
        facts.channel, facts.to_number, received_at, facts.precinct, facts.fax_number
    )
    pages = facts.pages
    if pages is None and checked:
        pages = sum(doc.pages or 0 for doc in checked) or None
    fields = dict(
        channel=facts.channel,
        source=facts.source,
        received_at=received_at,
        precinct=precinct,
        fax_number=fax_number,
        to_number=dialled,
        number_match=match,
        from_address=facts.from_address.strip()[:320],
        external_id=facts.external_id,
        pages=pages,
        notes="\n".join(note for note in (facts.notes.strip(), clock_note) if note),
        late_reason=facts.late_reason.strip(),
        sender_id=facts.sender_id.strip()[:100],
        known_sender=(
            known_sender_of(from_number=facts.from_address, sender_id=facts.sender_id)
            if facts.channel == Channel.FAX
            else None
        ),
        partial=facts.partial,
        logged_by=actor if getattr(actor, "is_authenticated", False) else None,
        quarantine_reason=facts.quarantine_reason,
        possibly_not_detainer=facts.possibly_not_detainer,
        parse_defects=list(facts.parse_defects),
    )
    forms = [index for index, file in enumerate(facts.files) if file.form]
    return _Incoming(fields, checked, forms, actor)


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
        # Kept whatever it holds (nothing sent is refused), but flagged: it is then offered as a
        # download only, never opened in the browser.
        active_content=pdf_active_content(file.content) if recognised == PDF else "",
    )


def _write(incoming: list[_Incoming]) -> list[Received]:
    """The deliveries, their documents, one request per form (or one on the first document), an
    event per request and the counts, with one INSERT per table; routing once committed."""
    deliveries = Delivery.objects.bulk_create([Delivery(**each.fields) for each in incoming])
    line_traffic_add(deliveries)
    documents = [
        [document_file_write(delivery, doc) for doc in each.checked]
        for delivery, each in zip(deliveries, incoming, strict=True)
    ]
    Document.objects.bulk_create([document for stored in documents for document in stored])
    requests = [
        [
            DetainerRequest(delivery=delivery, document=document, sequence=sequence)
            for sequence, document in enumerate(
                [stored[index] for index in each.forms] or stored[:1] or [None], start=1
            )
        ]
        for delivery, stored, each in zip(deliveries, documents, incoming, strict=True)
    ]
    DetainerRequest.objects.bulk_create([request for made in requests for request in made])
    Event.objects.bulk_create(
        _received_event(request, stored, each.actor)
        for made, stored, each in zip(requests, documents, incoming, strict=True)
        for request in made
    )
    counts_add(request for made in requests for request in made)
    for delivery, each in zip(deliveries, incoming, strict=True):
        if delivery.channel == Channel.FAX:
            resends_close(delivery=delivery, actor=each.actor)
    ids = [delivery.pk for delivery in deliveries]
    if ids:
        _routing_after_commit(ids)
    # Debug, not info: the "received" event is the record, and a line per fax cost the gateway's
    # endpoint 2 % of its time (bench/intake).
    if logger.isEnabledFor(logging.DEBUG):
        for delivery in deliveries:
            logger.debug("delivery %s received via %s", delivery.pk, delivery.source)
    return [
        Received(delivery, created=True, documents=tuple(stored), requests=tuple(made))
        for delivery, stored, made in zip(deliveries, documents, requests, strict=True)
    ]


def _received_event(request: DetainerRequest, documents: list[Document], actor) -> Event:
    """What event_record(action="received", ...) writes, built for a bulk INSERT."""
    delivery = request.delivery
    return Event(
        action="received",
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        delivery=delivery,
        request=request,
        changes={
            "precinct": [None, delivery.precinct.code if delivery.precinct else None],
            "received_at": [None, delivery.received_at.isoformat()],
            "documents": [None, [doc.sha256 for doc in documents]],
        },
    )
