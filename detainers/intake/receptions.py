"""A fax line's report of one call, whatever it became: every fax server, provider and drop folder
comes in here (the gateway API, providers' webhooks, the drop folder).

`received` and `partial` calls carry a document and become deliveries through the one intake
service (a partial one flagged, with a to-do: ask the sender to send it again). A `failed` call
carries nothing usable and becomes a missed fax: no request is made and nothing is counted, but
the line, its precinct, the caller and the error are kept, with the same to-do.
"""

import logging
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Value

from detainers.core.audit import event_record
from detainers.core.documents import FAX_TYPES
from detainers.intake.services import (
    IncomingFile,
    delivery_receive,
    dialled_number_resolve,
    received_at_check,
)
from detainers.models import Channel, Delivery, DetainerRequest, MissedFax
from precincts.selectors import known_sender_of

logger = logging.getLogger(__name__)

# What a failed report says when the fax server gave no reason: the call is recorded all the same.
NO_REASON = "The fax server reported a failed reception without saying why."


class ReceptionStatus(StrEnum):
    RECEIVED = "received"
    PARTIAL = "partial"
    FAILED = "failed"


@dataclass(frozen=True)
class Reception:
    """What a reported call became: a delivery, or a missed fax (exactly one of them)."""

    delivery: Delivery | None
    missed_fax: MissedFax | None
    created: bool
    # The delivery's first request, as this call wrote it (a new delivery only): the answer is
    # made from it without reading it again.
    request: DetainerRequest | None = None


def fax_reception_record(
    *,
    source: str,
    status: str,
    received_at: datetime,
    to_number: str,
    from_number: str = "",
    sender_id: str = "",
    external_id: str = "",
    pages: int | None = None,
    error: str = "",
    document: IncomingFile | None = None,
    actor=None,
) -> Reception:
    """Record one call reported by a fax line. A repeated `external_id` (a retry) answers with what
    the first report made, whether a delivery or a missed fax, and stores nothing new."""
    if external_id:
        earlier = _reception_of(source, external_id)
        if earlier is not None:
            return earlier
    if status == ReceptionStatus.FAILED:
        return _missed_fax_receive(
            source=source,
            received_at=received_at,
            to_number=to_number,
            from_number=from_number,
            sender_id=sender_id,
            external_id=external_id,
            pages=pages,
            error=error,
            actor=actor,
        )
    if status not in (ReceptionStatus.RECEIVED, ReceptionStatus.PARTIAL):
        raise ValidationError({"status": "Say received, partial or failed."})
    if document is None:
        raise ValidationError(
            {"document": "A received or partial fax needs its document; report failed if none."}
        )
    received = delivery_receive(
        channel=Channel.FAX,
        source=source,
        received_at=received_at,
        files=[document],
        actor=actor,
        to_number=to_number,
        from_address=from_number,
        sender_id=sender_id,
        partial=status == ReceptionStatus.PARTIAL,
        external_id=external_id,
        external_id_looked_up=bool(external_id),  # just now, by _reception_of
        pages=pages,
        notes=error.strip() if status == ReceptionStatus.PARTIAL else "",
        allowed_types=FAX_TYPES,
    )
    first = received.requests[0] if received.requests else None
    return Reception(received.delivery, None, received.created, request=first)


def _reception_of(source: str, external_id: str) -> Reception | None:
    """What an earlier report with this `external_id` made. One query when it made nothing (a new
    fax, nearly always): the deliveries and the missed faxes are looked up together."""
    same = {"source": source, "external_id": external_id}
    found = dict(
        Delivery.objects.filter(**same)
        .order_by()
        .annotate(kind=Value("delivery"))
        .values_list("kind", "pk")
        .union(
            MissedFax.objects.filter(**same)
            .order_by()
            .annotate(kind=Value("missed_fax"))
            .values_list("kind", "pk"),
            all=True,
        )
    )
    if "delivery" in found:
        return Reception(Delivery.objects.get(pk=found["delivery"]), None, created=False)
    if "missed_fax" in found:
        return Reception(None, MissedFax.objects.get(pk=found["missed_fax"]), created=False)
    return None


def _missed_fax_receive(
    *,
    source: str,
    received_at: datetime,
    to_number: str,
    from_number: str,
    sender_id: str,
    external_id: str,
    pages: int | None,
    error: str,
    actor,
) -> Reception:
    received_at, clock_note = received_at_check(received_at, source, "")
    dialled, precinct, fax_number, match = dialled_number_resolve(
        Channel.FAX, to_number, received_at, None, None
    )
    missed_fax = MissedFax(
        source=source,
        external_id=external_id,
        received_at=received_at,
        precinct=precinct,
        fax_number=fax_number,
        to_number=dialled,
        number_match=match,
        from_address=from_number.strip()[:320],
        sender_id=sender_id.strip()[:100],
        known_sender=known_sender_of(from_number=from_number, sender_id=sender_id),
        error="\n".join(note for note in (error.strip() or NO_REASON, clock_note) if note),
        pages=pages,
        reported_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    try:
        with transaction.atomic():
            missed_fax.save()
            event_record(
                action="missed_fax_received",
                actor=actor,
                missed_fax=missed_fax,
                changes={
                    "precinct": (None, precinct.code if precinct else None),
                    "received_at": (None, received_at),
                },
            )
    except IntegrityError:
        # Two copies of one retried report raced; the other one won.
        earlier = _reception_of(source, external_id) if external_id else None
        if earlier is None:
            raise
        return earlier
    logger.info("missed fax %s recorded via %s", missed_fax.pk, source)
    return Reception(None, missed_fax, created=True)
