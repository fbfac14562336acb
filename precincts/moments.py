"""Moments as people and machines write them: a date means the start of that day in the department's zone."""

from datetime import datetime, time

from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime


def moment_parse(text: str) -> datetime:
    """ISO 8601 date or date-time to an aware datetime; raises ValueError with a readable message."""
    text = (text or "").strip()
    try:
        moment = parse_datetime(text)
        if moment is None:
            day = parse_date(text)
            if day is None:
                raise ValueError
            moment = datetime.combine(day, time.min)
    except ValueError:
        raise ValueError(
            f"{text!r} is not a date or time: use ISO 8601, e.g. 2024-03-15 or 2024-03-15T09:30:00-04:00."
        ) from None
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment, timezone.get_default_timezone())
    return moment
