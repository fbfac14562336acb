"""Reads about precincts and their fax numbers."""

import re
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db.models import Prefetch, Q, QuerySet

from precincts.models import FaxNumber, KnownSender, KnownSenderMark, Precinct
from precincts.phone import fax_number_normalise


def _e164_or_none(text: str) -> str | None:
    """The E.164 form of `text` if it reads as a phone number, else None."""
    try:
        return fax_number_normalise(text)
    except ValidationError:
        return None


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


def fax_number_history(*, number: str) -> QuerySet[FaxNumber]:
    """Every period of `number` (stored E.164 form), in every precinct, oldest first."""
    return (
        FaxNumber.objects.filter(number=number).select_related("precinct").order_by("active_from")
    )


def fax_numbers_in_status(
    *, fax_numbers: QuerySet[FaxNumber], status: str | None, at: datetime
) -> QuerySet[FaxNumber]:
    """The periods of `fax_numbers` that are "active", "retired" or "upcoming" at `at`.

    Any other status (none chosen, or a stale link) leaves `fax_numbers` as they are.
    """
    if status == "active":
        return fax_numbers.filter(active_from__lte=at).filter(
            Q(active_until__isnull=True) | Q(active_until__gt=at)
        )
    if status == "retired":
        return fax_numbers.filter(active_until__lte=at)
    if status == "upcoming":
        return fax_numbers.filter(active_from__gt=at)
    return fax_numbers


def fax_number_search_exact(
    *, fax_numbers: QuerySet[FaxNumber], term: str
) -> QuerySet[FaxNumber] | None:
    """The periods of exactly the number `term` reads as, however it was typed.

    None if `term` does not read as a phone number: the caller searches some other way.
    """
    e164 = _e164_or_none(term)
    if e164 is None:
        return None
    return fax_numbers.filter(number=e164)


def fax_number_search_digits(
    *, fax_numbers: QuerySet[FaxNumber], term: str
) -> QuerySet[FaxNumber] | None:
    """The periods whose number contains the digits of `term`: part of a number typed with
    punctuation, e.g. 555-0133. None if `term` has fewer than four digits."""
    digits = re.sub(r"\D", "", term)
    if len(digits) < 4:
        return None
    return fax_numbers.filter(number__contains=digits)


def precinct_search_fax_number(
    *, precincts: QuerySet[Precinct], term: str
) -> QuerySet[Precinct] | None:
    """The precincts that ever had the number `term` reads as, in any common form.

    None if `term` does not read as a phone number: the caller searches some other way.
    """
    e164 = _e164_or_none(term)
    if e164 is None:
        return None
    return precincts.filter(fax_numbers__number=e164)


def sender_id_key(sender_id: str) -> str:
    """A sender id as compared: machines pad and case their TSI/CSID as they like."""
    return re.sub(r"\s+", "", sender_id).upper()[:100]


def known_sender_of(*, from_number: str, sender_id: str) -> KnownSender | None:
    """The active known sender a fax came from, by its calling number or its sender id; None if
    neither is known (or both are empty). One query; none when there is nothing to look up."""
    marks = Q()
    number = _e164_or_none(from_number) if from_number else None
    if number:
        marks |= Q(kind=KnownSenderMark.Kind.NUMBER, value=number)
    if sender_id_key(sender_id):
        marks |= Q(kind=KnownSenderMark.Kind.SENDER_ID, value=sender_id_key(sender_id))
    if not marks:
        return None
    mark = (
        KnownSenderMark.objects.filter(marks, sender__active=True)
        .select_related("sender")
        .order_by("kind", "pk")
        .first()
    )
    return mark.sender if mark else None
