"""Reads: which records are due for destruction (the purge plan), which are held, and the lists
the records pages show.

When a record's clock starts: a record belongs to the local year it was received in (a document,
the personal fields and the raw email: its delivery's year; a missed fax: the call's; a view: the
view's). A year's clock starts at its local end, or at the close of its annual report when the
report was closed later, and only once the report is closed: a year whose report is open may
still be corrected and reported on, so nothing of it is destroyed. A rule's period runs from
there; a kind with no rule is never destroyed (fail closed).

Held: a request under an active legal hold keeps everything of its delivery (every document, the
raw email, every sibling request's personal fields, views of its documents); a hold on a year
keeps everything of that year, missed faxes and views included.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, Q, QuerySet

from detainers.core.years import local_year_bounds
from detainers.models import (
    ClosedYear,
    DestructionLog,
    DetainerRequest,
    Document,
    Event,
    LegalHold,
    LegalHoldRequest,
    MailMessage,
    MissedFax,
    PurgeApproval,
    RecordKind,
    RetentionRule,
)

PERSONAL_FIELDS = (
    "subject_name",
    "a_number",
    "subject_id",
    "event_number",
    "date_of_birth",
    "citizenship",
    "sex",
)
DOCUMENT_VIEWED = "document_viewed"  # the action detainers.inbox.documents.document_viewed writes


@dataclass(frozen=True)
class Batch:
    """The records of one kind a purge destroys, under one rule."""

    kind: str
    record_ids: tuple[int, ...]
    request_ids: tuple[int, ...]
    years: tuple[int, ...]
    period: int
    unit: str

    @property
    def label(self) -> str:
        return f"{RecordKind(self.kind).label}: {self.period} {self.unit}"

    def planned(self) -> dict:
        """As PurgeApproval.planned keeps it."""
        return {
            "record_ids": list(self.record_ids),
            "request_ids": list(self.request_ids),
            "years": list(self.years),
            "period": self.period,
            "unit": self.unit,
        }


@dataclass(frozen=True)
class PurgePlan:
    batches: tuple[Batch, ...] = ()

    @property
    def total(self) -> int:
        return sum(len(batch.record_ids) for batch in self.batches)

    def planned(self) -> dict:
        return {batch.kind: batch.planned() for batch in self.batches}

    def without(self, other: "PurgePlan") -> "PurgePlan":
        """This plan less the records `other` already destroys (a dry run's second step)."""
        taken = {batch.kind: set(batch.record_ids) for batch in other.batches}
        batches = []
        for batch in self.batches:
            left = [pk for pk in batch.record_ids if pk not in taken.get(batch.kind, set())]
            if left:
                batches.append(_batch(batch.kind, left, batch.years, batch.period, batch.unit))
        return PurgePlan(tuple(batches))


# --- When a year's clock starts, and what is held ---------------------------------------------


def year_clock_starts() -> dict[int, datetime]:
    """Each year whose annual report is closed, and when its retention clock started."""
    return {
        closed.year: max(local_year_bounds(closed.year)[1], closed.closed_at)
        for closed in ClosedYear.objects.all()
    }


def held_years() -> set[int]:
    holds = LegalHold.objects.filter(released_at__isnull=True, year__isnull=False)
    return set(holds.values_list("year", flat=True))


def held_deliveries() -> QuerySet:
    """The deliveries (as a subquery of ids) carrying a request under an active hold."""
    return LegalHoldRequest.objects.filter(hold__released_at__isnull=True).values(
        "request__delivery_id"
    )


def due_years(*, rule: RetentionRule, now: datetime) -> tuple[int, ...]:
    """The years whose clock started at least the rule's period before `now`, less held years."""
    limit = rule.run_out_by(now)
    held = held_years()
    starts = year_clock_starts()
    return tuple(
        sorted(year for year, start in starts.items() if start <= limit and year not in held)
    )


def _in_years(field: str, years: Iterable[int]) -> Q:
    within = Q(pk__in=[])
    for year in years:
        start, end = local_year_bounds(year)
        within |= Q(**{f"{field}__gte": start, f"{field}__lt": end})
    return within


# --- What is due, kind by kind: (record ids, the requests they belong to) ----------------------


def _requests_of_deliveries(delivery_ids: Iterable[int]) -> list[int]:
    found = DetainerRequest.objects.filter(delivery_id__in=set(delivery_ids))
    return sorted(found.values_list("pk", flat=True))


def _raw_emails() -> QuerySet:
    return MailMessage.objects.filter(raw__isnull=False).values("raw_id")


def _documents_due(years, only, *, raw: bool) -> tuple[list[int], list[int]]:
    documents = Document.objects.filter(_in_years("delivery__received_at", years))
    documents = documents.filter(purged_at__isnull=True).exclude(delivery_id__in=held_deliveries())
    if raw:
        documents = documents.filter(pk__in=_raw_emails())
    else:
        documents = documents.exclude(pk__in=_raw_emails())
    if only is not None:
        documents = documents.filter(pk__in=only)
    rows = list(documents.order_by("pk").values_list("pk", "delivery_id"))
    return [pk for pk, _ in rows], _requests_of_deliveries(delivery for _, delivery in rows)


def _personal_data_due(years, only) -> tuple[list[int], list[int]]:
    requests = DetainerRequest.objects.filter(_in_years("delivery__received_at", years))
    requests = requests.filter(personal_data_purged_at__isnull=True).exclude(
        delivery_id__in=held_deliveries()
    )
    if only is not None:
        requests = requests.filter(pk__in=only)
    ids = list(requests.order_by("pk").values_list("pk", flat=True))
    return ids, ids


def _missed_fax_callers_due(years, only) -> tuple[list[int], list[int]]:
    # A missed fax holds no subject's data and no request: only who called goes.
    missed = MissedFax.objects.filter(_in_years("received_at", years)).exclude(
        from_address="", sender_id=""
    )
    if only is not None:
        missed = missed.filter(pk__in=only)
    return list(missed.order_by("pk").values_list("pk", flat=True)), []


def _document_views_due(years, only) -> tuple[list[int], list[int]]:
    views = Event.objects.filter(_in_years("at", years), action=DOCUMENT_VIEWED).exclude(
        delivery_id__in=held_deliveries()
    )
    if only is not None:
        views = views.filter(pk__in=only)
    rows = list(views.order_by("pk").values_list("pk", "delivery_id"))
    return [pk for pk, _ in rows], _requests_of_deliveries(d for _, d in rows if d)


DUE: dict[str, Callable] = {
    RecordKind.DOCUMENTS: lambda years, only: _documents_due(years, only, raw=False),
    RecordKind.RAW_EMAIL: lambda years, only: _documents_due(years, only, raw=True),
    RecordKind.PERSONAL_DATA: _personal_data_due,
    RecordKind.MISSED_FAX_CALLERS: _missed_fax_callers_due,
    RecordKind.DOCUMENT_VIEWS: _document_views_due,
}


def _batch(kind: str, record_ids, years, period: int, unit: str) -> Batch:
    """A batch of exactly these records, with the requests they belong to."""
    ids, request_ids = DUE[kind](years, list(record_ids))
    return Batch(kind, tuple(ids), tuple(request_ids), tuple(years), period, unit)


def purge_plan(*, now: datetime) -> PurgePlan:
    """Everything due at `now` under the current rules, holds and closed years."""
    batches = []
    for rule in RetentionRule.objects.all():
        years = due_years(rule=rule, now=now)
        if not years:
            continue
        ids, request_ids = DUE[rule.kind](years, None)
        if ids:
            batches.append(
                Batch(rule.kind, tuple(ids), tuple(request_ids), years, rule.period, rule.unit)
            )
    return PurgePlan(tuple(batches))


def approved_plan(*, approval: PurgeApproval, now: datetime) -> PurgePlan:
    """What an approval planned that is still due now: never more than was approved, and nothing
    held, destroyed already, or made not yet due by a longer rule since."""
    rules = {rule.kind: rule for rule in RetentionRule.objects.all()}
    batches = []
    for kind, planned in approval.planned.items():
        rule = rules.get(kind)
        years = due_years(rule=rule, now=now) if rule else ()
        approved_years = [year for year in years if year in planned["years"]]
        if not approved_years:
            continue
        batch = _batch(kind, planned["record_ids"], approved_years, rule.period, rule.unit)
        if batch.record_ids:
            batches.append(batch)
    return PurgePlan(tuple(batches))


# --- The pages' lists ------------------------------------------------------------------------


def legal_holds() -> tuple[list[LegalHold], list[LegalHold]]:
    """(Active holds, the latest 50 released), each with its requests counted."""
    holds = LegalHold.objects.select_related("placed_by", "released_by").annotate(
        request_count=Count("held_requests")
    )
    active = list(holds.filter(released_at__isnull=True))
    released = list(holds.filter(released_at__isnull=False).order_by("-released_at")[:50])
    return active, released


def legal_hold_active(*, pk: int) -> LegalHold | None:
    return LegalHold.objects.filter(pk=pk, released_at__isnull=True).first()


def purge_approvals_open() -> list[PurgeApproval]:
    """Purges waiting for a supervisor, or approved and waiting for the next run."""
    open_statuses = (PurgeApproval.Status.PENDING, PurgeApproval.Status.APPROVED)
    return list(
        PurgeApproval.objects.filter(status__in=open_statuses).select_related("approved_by")
    )


def purge_approval_pending(*, pk: int) -> PurgeApproval | None:
    return PurgeApproval.objects.filter(pk=pk, status=PurgeApproval.Status.PENDING).first()


def destructions_recent(limit: int = 50) -> list[DestructionLog]:
    return list(DestructionLog.objects.select_related("approved_by")[:limit])


def retention_rules() -> list[RetentionRule]:
    return list(RetentionRule.objects.select_related("changed_by"))
