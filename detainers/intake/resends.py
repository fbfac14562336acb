"""Closing the to-do of a fax that did not come through whole: when the same sender's fax arrives
again on the same line soon after, it is linked to the missed or partial fax it stands in for.

The link is made in the transaction that receives the new fax, with an audit event; a supervisor
can undo it (a caller who happened to fax something else).
"""

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q, Value
from django.utils import timezone

from detainers.core.audit import event_record
from detainers.models import Channel, Delivery, MissedFax


def _same_sender(delivery: Delivery) -> Q | None:
    sender = Q()
    if delivery.from_address:
        sender |= Q(from_address=delivery.from_address)
    if delivery.sender_id:
        sender |= Q(sender_id=delivery.sender_id)
    return sender or None


def _window(delivery: Delivery) -> Q:
    opened = delivery.received_at - timedelta(hours=settings.FAX_RESEND_WINDOW_HOURS)
    return Q(to_number=delivery.to_number, received_at__gte=opened)


def resends_close(*, delivery: Delivery, actor=None) -> int:
    """Link `delivery` to the open missed and partial faxes it was sent again for: same dialled
    number, same caller number or sender id, received within FAX_RESEND_WINDOW_HOURS before it.
    Returns how many it closed."""
    sender = _same_sender(delivery)
    if delivery.channel != Channel.FAX or not delivery.to_number or sender is None:
        return 0
    now = timezone.now()
    open_missed = MissedFax.objects.filter(
        _window(delivery), sender, resolved_by=None, received_at__lte=delivery.received_at
    )
    open_partial = Delivery.objects.filter(
        _window(delivery),
        sender,
        partial=True,
        resend_closed_by=None,
        received_at__lte=delivery.received_at,
    ).exclude(pk=delivery.pk)
    # Nearly every fax closes nothing: one query asks both tables, and only the kinds it found
    # are loaded.
    found = set(
        open_missed.order_by()
        .annotate(kind=Value("missed"))
        .values_list("kind", flat=True)
        .union(
            open_partial.order_by().annotate(kind=Value("partial")).values_list("kind", flat=True)
        )
    )
    missed = list(open_missed) if "missed" in found else []
    for missed_fax in missed:
        missed_fax.resolved_by, missed_fax.resolved_at = delivery, now
        event_record(
            action="missed_fax_resent",
            actor=actor,
            delivery=delivery,
            missed_fax=missed_fax,
            changes={"resolved_by": (None, delivery.pk)},
        )
    MissedFax.objects.bulk_update(missed, ["resolved_by", "resolved_at"])
    partial = list(open_partial) if "partial" in found else []
    for earlier in partial:
        earlier.resend_closed_by = delivery
        event_record(
            action="partial_fax_resent",
            actor=actor,
            delivery=earlier,
            changes={"resend_closed_by": (None, delivery.pk)},
        )
    Delivery.objects.bulk_update(partial, ["resend_closed_by"])
    return len(missed) + len(partial)


@transaction.atomic
def missed_fax_resend_unlink(*, missed_fax_id: int, actor) -> MissedFax:
    """Undo an automatic link: the later fax was not this one sent again; the to-do is open again."""
    missed_fax = MissedFax.objects.select_for_update().get(pk=missed_fax_id)
    if missed_fax.resolved_by_id is not None:
        event_record(
            action="missed_fax_resend_unlinked",
            actor=actor,
            missed_fax=missed_fax,
            changes={"resolved_by": (missed_fax.resolved_by_id, None)},
        )
        missed_fax.resolved_by, missed_fax.resolved_at = None, None
        missed_fax.save(update_fields=["resolved_by", "resolved_at"])
    return missed_fax


@transaction.atomic
def partial_fax_resend_unlink(*, delivery_id: int, actor) -> Delivery:
    """Undo the link of a partial fax to the fax taken as its resend."""
    delivery = Delivery.objects.select_for_update().get(pk=delivery_id)
    if delivery.resend_closed_by_id is not None:
        event_record(
            action="partial_fax_resend_unlinked",
            actor=actor,
            delivery=delivery,
            changes={"resend_closed_by": (delivery.resend_closed_by_id, None)},
        )
        delivery.resend_closed_by = None
        delivery.save(update_fields=["resend_closed_by"])
    return delivery


@transaction.atomic
def missed_fax_resend_asked(*, missed_fax_id: int, actor) -> MissedFax:
    """Record that someone asked the sender to send the fax again (the to-do's first step)."""
    missed_fax = MissedFax.objects.select_for_update().get(pk=missed_fax_id)
    if missed_fax.resend_asked_at is None:
        missed_fax.resend_asked_at, missed_fax.resend_asked_by = timezone.now(), actor
        missed_fax.save(update_fields=["resend_asked_at", "resend_asked_by"])
        event_record(
            action="missed_fax_resend_asked",
            actor=actor,
            missed_fax=missed_fax,
            changes={"resend_asked_at": (None, missed_fax.resend_asked_at)},
        )
    return missed_fax
