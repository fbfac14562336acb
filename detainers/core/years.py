"""A year is a local year: counted in the department's time zone (TIME_ZONE), not in UTC."""

from datetime import datetime

from django.utils import timezone


def local_month_start(year: int, month: int) -> datetime:
    """Midnight on the first of the month, in the department's time zone."""
    return timezone.make_aware(datetime(year, month, 1), timezone.get_default_timezone())


def local_year_bounds(year: int) -> tuple[datetime, datetime]:
    """[1 January, next 1 January) of `year` in the department's time zone."""
    return local_month_start(year, 1), local_month_start(year + 1, 1)
