"""Writes: placing and releasing legal holds, approving a large purge, changing a retention rule.

Each writes its audit events in its own transaction: a hold and its release one event per request
it covers ("legal_hold_placed", "legal_hold_released", with the reason and who), a rule change one
event with the old and new period. An approval is its own record (who approved, when).
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from detainers.core.audit import event_record
from detainers.core.enqueue import task_enqueue_after_commit
from detainers.core.years import local_year_bounds
from detainers.models import DetainerRequest, LegalHold, LegalHoldRequest, PurgeApproval
from detainers.models import RetentionRule as Rule
from detainers.records.tasks import purge_expired as purge_expired_task
from detainers.triage.selectors import requests_visible_to

Scope = LegalHold.Scope
REASON_MAX = 2000


def _reason_clean(reason: str, field: str = "reason") -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(
            {field: "Say why (a case, a public records request, a litigation notice)."}
        )
    if len(reason) > REASON_MAX:
        raise ValidationError({field: f"Keep the reason under {REASON_MAX} characters."})
    return reason


def _held_requests(*, actor, scope: str, request_ids, year: int | None) -> list[DetainerRequest]:
    visible = requests_visible_to(actor).select_related(None).order_by("pk")
    if scope == Scope.YEAR:
        if year is None:
            raise ValidationError({"year": "Say which year to hold."})
        start, end = local_year_bounds(year)
        return list(visible.filter(delivery__received_at__gte=start, delivery__received_at__lt=end))
    ids = set(request_ids or ())
    if not ids:
        raise ValidationError("Choose at least one request to hold.")
    found = list(visible.filter(pk__in=ids))
    if len(found) != len(ids):
        raise ValidationError("Some of these requests do not exist or are not yours to hold.")
    if scope == Scope.REQUEST and len(found) != 1:
        raise ValidationError("A hold on one request names exactly one.")
    return found


def _scope_description(scope: str, requests: list[DetainerRequest], year: int | None) -> str:
    # Never the search's words: they are often a person's name.
    if scope == Scope.YEAR:
        return f"Every request received in {year} ({len(requests)} when placed)"
    if scope == Scope.REQUEST:
        return f"Request #{requests[0].pk}"
    return f"{len(requests)} request{'s' if len(requests) != 1 else ''} found by a search"


@transaction.atomic
def legal_hold_place(
    *,
    actor,
    reason: str,
    scope: str,
    request_ids: list[int] | None = None,
    year: int | None = None,
) -> LegalHold:
    """Hold one request, the requests a search found, or a whole year (later arrivals in a held
    year are held too: detainers.records.selectors). Nothing held is ever purged."""
    if scope not in Scope.values:
        raise ValidationError("Choose what to hold: a request, search results or a year.")
    reason = _reason_clean(reason)
    requests = _held_requests(actor=actor, scope=scope, request_ids=request_ids, year=year)
    hold = LegalHold.objects.create(
        scope=scope,
        scope_description=_scope_description(scope, requests, year),
        year=year if scope == Scope.YEAR else None,
        reason=reason,
        placed_by=actor,
    )
    LegalHoldRequest.objects.bulk_create(
        [LegalHoldRequest(hold=hold, request=request) for request in requests]
    )
    for request in requests:
        event_record(
            action="legal_hold_placed",
            actor=actor,
            request=request,
            changes={"legal_hold": (None, hold.pk), "reason": (None, reason)},
        )
    return hold


@transaction.atomic
def legal_hold_release(*, hold_id: int, actor, reason: str) -> LegalHold:
    """Release an active hold; its requests' records follow their retention rules again."""
    reason = _reason_clean(reason, field="release_reason")
    released = LegalHold.objects.filter(pk=hold_id, released_at__isnull=True).update(
        released_at=timezone.now(), released_by=actor, release_reason=reason
    )
    if released != 1:
        raise ValidationError("This hold was released already.")
    hold = LegalHold.objects.get(pk=hold_id)
    held = DetainerRequest.objects.filter(legal_hold_links__hold=hold).select_related("delivery")
    for request in held.order_by("pk"):
        event_record(
            action="legal_hold_released",
            actor=actor,
            request=request,
            changes={"legal_hold": (hold.pk, None), "reason": (None, reason)},
        )
    return hold


@transaction.atomic
def purge_approval_approve(*, approval_id: int, actor) -> PurgeApproval:
    """A supervisor approves a pending purge; the purge task runs once this commits and destroys
    what was planned, less anything held or no longer due by then."""
    approved = PurgeApproval.objects.filter(
        pk=approval_id, status=PurgeApproval.Status.PENDING
    ).update(status=PurgeApproval.Status.APPROVED, approved_by=actor, approved_at=timezone.now())
    if approved != 1:
        raise ValidationError("This purge is no longer waiting for approval.")
    task_enqueue_after_commit(purge_expired_task, what="purge after approval")
    return PurgeApproval.objects.get(pk=approval_id)


@transaction.atomic
def retention_rule_change(*, rule: Rule, period: int, unit: str, reference: str, actor) -> Rule:
    """An admin changes how long a kind of record is kept (the admin's form checked the values)."""
    before = Rule.objects.select_for_update().get(pk=rule.pk)
    changes = {
        name: (getattr(before, name), value)
        for name, value in (("period", period), ("unit", unit), ("schedule_reference", reference))
        if getattr(before, name) != value
    }
    if not changes:
        return before
    Rule.objects.filter(pk=rule.pk).update(
        period=period,
        unit=unit,
        schedule_reference=reference,
        changed_at=timezone.now(),
        changed_by=actor,
    )
    event_record(
        action="retention_rule_changed",
        actor=actor,
        changes={"kind": (None, rule.kind), **changes},
    )
    return Rule.objects.get(pk=rule.pk)
