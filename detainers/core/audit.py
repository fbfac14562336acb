"""The audit trail. Every service that changes a delivery or request writes its event through here,
inside the same transaction as the change."""

from datetime import date, datetime
from decimal import Decimal

from django.db.models import Model

from detainers.models import Delivery, DetainerRequest, Event, MissedFax


def _plain(value):
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Model):
        return value.pk
    if isinstance(value, Decimal):
        return str(value)  # an amount, exactly as stored: JSON has no decimal type
    return value


def event_record(
    *,
    action: str,
    actor=None,
    delivery: Delivery | None = None,
    request: DetainerRequest | None = None,
    missed_fax: MissedFax | None = None,
    changes: dict | None = None,
) -> Event:
    """`changes` maps a field to (old, new)."""
    return Event.objects.create(
        action=action,
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        delivery=delivery or (request.delivery if request else None),
        request=request,
        missed_fax=missed_fax,
        changes={
            field: [_plain(old), _plain(new)] for field, (old, new) in (changes or {}).items()
        },
    )
