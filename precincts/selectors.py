"""Reads about precincts and their fax numbers."""

from datetime import datetime

from django.core.exceptions import ValidationError
from django.db.models import Prefetch, Q, QuerySet

from precincts.models import FaxNumber, Precinct
from precincts.phone import fax_number_normalise


def fax_number_owner_at(*, number: str, at: datetime) -> FaxNumber | None:
    """The period of `number` that was active at `at` (with its precinct), or None if nobody owned it.

    `number` may be written in any common form; an unreadable number owns nothing.
    """
    try:
        e164 = fax_number_normalise(number)
    except ValidationError:  # an unreadable number simply belongs to no precinct
        return None
    return (
        FaxNumber.objects.select_related("precinct")
        .filter(number=e164, active_from__lte=at)
        .filter(Q(active_until__isnull=True) | Q(active_until__gt=at))
        .first()
    )


def fax_numbers_active_at(*, precinct: Precinct, at: datetime) -> QuerySet[FaxNumber]:
    return precinct.fax_numbers.filter(active_from__lte=at).filter(
        Q(active_until__isnull=True) | Q(active_until__gt=at)
    )


def precinct_list() -> QuerySet[Precinct]:
    """Every precinct with its numbers, past and present, in two queries."""
    return Precinct.objects.prefetch_related(
        Prefetch("fax_numbers", queryset=FaxNumber.objects.order_by("active_from", "number"))
    )
