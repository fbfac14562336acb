"""Saying which precinct a delivery belongs to when its number could not (an unknown or retired
number, an email), or correcting it.

The delivery's `fax_number` and `number_match` stay as they were: they record what was dialled and
what that number was at the time; the precinct is a supervisor's decision, recorded as an event.
"""

from django.core.exceptions import ValidationError
from django.db import transaction

from detainers.core.audit import event_record
from detainers.counting.rule import counts_follow
from detainers.models import Delivery, DetainerRequest
from precincts.models import Precinct

REASON_MAX = 500


@transaction.atomic
def delivery_assign_precinct(
    *, delivery_id: int, precinct_id: int, actor, reason: str = ""
) -> Delivery:
    """Put a delivery (and so every request it carries) in an active precinct.

    A first assignment needs no reason; replacing a precinct (a correction) does. The counts of the
    delivery's requests move with it in the same transaction.
    """
    delivery = Delivery.objects.select_for_update().get(pk=delivery_id)
    # Lock the requests too: a triage of one of them waits, then counts with the new precinct.
    request_ids = list(
        DetainerRequest.objects.select_for_update()
        .filter(delivery=delivery)
        .values_list("pk", flat=True)
    )
    precinct = Precinct.objects.filter(pk=precinct_id, active=True).first()
    reason = _reason_clean(delivery, precinct, reason)
    old = delivery.precinct
    delivery.precinct = precinct
    with counts_follow(*request_ids):
        delivery.save(update_fields=["precinct"])
    event_record(
        action="precinct_assigned",
        actor=actor,
        delivery=delivery,
        changes={"precinct": (old.code if old else None, precinct.code), "reason": (None, reason)},
    )
    return delivery


def _reason_clean(delivery: Delivery, precinct: Precinct | None, reason: str) -> str:
    if precinct is None:
        raise ValidationError({"precinct": "Choose one of the active precincts."})
    if precinct.pk == delivery.precinct_id:
        raise ValidationError({"precinct": f"This delivery is already {precinct.code}'s."})
    reason = (reason or "").strip()
    if delivery.precinct_id is not None and not reason:
        raise ValidationError(
            {
                "reason": f"It is {delivery.precinct.code}'s now: say why it belongs to "
                f"{precinct.code} instead (e.g. the cover sheet names that station)."
            }
        )
    if len(reason) > REASON_MAX:
        raise ValidationError({"reason": f"At most {REASON_MAX} characters."})
    return reason
