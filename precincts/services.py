"""Writes to precincts and their fax numbers. Every entry point (admin, API, seed) calls these."""

from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from precincts.models import FaxNumber, Precinct
from precincts.phone import fax_number_display, fax_number_normalise


def _local(moment: datetime) -> str:
    """How a moment reads in a message: in the department's zone, like every time a user sees."""
    return f"{timezone.localtime(moment):%Y-%m-%d %H:%M %Z}"


def _overlapping(
    number: str, active_from: datetime, active_until: datetime | None, exclude_id=None
):
    periods = FaxNumber.objects.filter(number=number).filter(
        Q(active_until__isnull=True) | Q(active_until__gt=active_from)
    )
    if active_until is not None:
        periods = periods.filter(active_from__lt=active_until)
    if exclude_id is not None:
        periods = periods.exclude(pk=exclude_id)
    return periods.select_related("precinct")


def _refuse_overlap(
    number: str, active_from: datetime, active_until: datetime | None, exclude_id=None
):
    clash = _overlapping(number, active_from, active_until, exclude_id).first()
    if clash is not None:
        until = f"until {_local(clash.active_until)}" if clash.active_until else "with no end"
        raise ValidationError(
            f"{fax_number_display(number)} already belongs to {clash.precinct.code} from "
            f"{_local(clash.active_from)} {until}. Retire it there first, or choose a "
            "start after that period.",
            code="number_in_use",
        )


@transaction.atomic
def fax_number_assign(
    *,
    precinct: Precinct,
    number: str,
    active_from: datetime,
    kind: str = FaxNumber.Kind.STATION,
    note: str = "",
    actor=None,
) -> FaxNumber:
    """Give `number` to `precinct` from `active_from` on; refused if it is owned then or later."""
    e164 = fax_number_normalise(number)
    if kind not in FaxNumber.Kind.values:
        raise ValidationError(
            f"Unknown kind {kind!r}; choose one of {', '.join(FaxNumber.Kind.values)}."
        )
    # Lock the number's existing periods so two admins cannot hand it out at once (PostgreSQL); the
    # exclusion constraint is the last word there, and on SQLite writes are serialised anyway.
    list(FaxNumber.objects.select_for_update().filter(number=e164).values_list("pk", flat=True))
    _refuse_overlap(e164, active_from, None)
    try:
        with transaction.atomic():
            return FaxNumber.objects.create(
                precinct=precinct,
                number=e164,
                kind=kind,
                active_from=active_from,
                note=note,
                created_by=actor,
            )
    except IntegrityError:
        raise ValidationError(
            f"{fax_number_display(e164)} was given to another precinct for that period at the same "
            "time. Reload and check its history.",
            code="number_in_use",
        ) from None


@transaction.atomic
def fax_number_retire(*, fax_number: FaxNumber, active_until: datetime, actor=None) -> FaxNumber:
    """End a number's period at `active_until`. A period that has ended is history and stays so."""
    fax_number = FaxNumber.objects.select_for_update().get(pk=fax_number.pk)
    if fax_number.active_until is not None:
        raise ValidationError(
            f"{fax_number.display_number} was already retired at "
            f"{_local(fax_number.active_until)}; history is not rewritten.",
            code="already_retired",
        )
    if active_until <= fax_number.active_from:
        raise ValidationError(
            f"The retirement must come after the number became active "
            f"({_local(fax_number.active_from)}).",
            code="before_start",
        )
    fax_number.active_until = active_until
    fax_number.retired_by = actor
    fax_number.save(update_fields=["active_until", "retired_by"])
    return fax_number


class _Rehearsal(Exception):
    """Raised to roll a rehearsal back."""


def fax_number_assign_rehearse(*, assignments: list[dict]) -> list[ValidationError | None]:
    """Run fax_number_assign for each assignment, in order, and undo it all.

    Forms call this while validating so that the service's own rules (normalising, one owner at a
    time) decide, and its message lands on the form; the real write happens once the whole page is
    valid. Rows, locks and on_commit callbacks of the rehearsal are rolled back with its savepoint.
    """
    errors: list[ValidationError | None] = []
    try:
        with transaction.atomic():
            for assignment in assignments:
                try:
                    fax_number_assign(**assignment)
                except ValidationError as error:
                    errors.append(error)
                else:
                    errors.append(None)
            raise _Rehearsal
    except _Rehearsal:
        pass
    return errors


@transaction.atomic
def fax_number_replace(
    *,
    fax_number: FaxNumber,
    number: str,
    at: datetime,
    kind: str | None = None,
    note: str = "",
    actor=None,
) -> FaxNumber:
    """Replace `fax_number` by `number` in its precinct at the moment `at`, in one step.

    The old period ends at `at` and the new one begins at `at`: a fax at any moment belongs to one
    of the two lines, never to "no precinct" in between. Faxes received before stay with the old
    period. Refused as a whole (nothing written) if either half is refused. The new line keeps the
    old one's kind unless `kind` says otherwise.
    """
    try:
        new_number = fax_number_normalise(number)
    except ValidationError as error:
        raise ValidationError({"number": error.messages}) from None
    if new_number == fax_number.number:
        same = f"{fax_number.display_number} is the number being replaced; enter the new one."
        raise ValidationError({"number": same})
    try:
        retired = fax_number_retire(fax_number=fax_number, active_until=at, actor=actor)
    except ValidationError as error:
        field = "fax_number" if error.code == "already_retired" else "at"
        raise ValidationError({field: error.messages}) from None
    try:
        return fax_number_assign(
            precinct=retired.precinct,
            number=new_number,
            active_from=at,
            kind=kind or retired.kind,
            note=note or f"Replaced {retired.display_number}.",
            actor=actor,
        )
    except ValidationError as error:
        raise ValidationError({"number": error.messages}) from None
