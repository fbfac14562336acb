"""A person's decision on a match the rule could not make alone: confirm or reject a fallback match,
or choose among an ambiguous row's candidates. What is let go becomes "agency only" and "ours only",
so the figures follow; the decision is kept on the row (who, when), and a confirmation is also an
event in the request's history."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from detainers.core.audit import event_record
from detainers.core.years import local_year_bounds
from detainers.counting.selectors import counted_requests
from detainers.models import Reconciliation, ReconciliationRow
from detainers.reconcile.matching import Outcome
from detainers.reconcile.services import delivery_line, precinct_guide, result_row

Status = Reconciliation.Status
Result = ReconciliationRow.Result


@transaction.atomic
def reconciliation_row_decide(
    *, row_id: int, actor, confirm: bool, request_id: int | None = None
) -> ReconciliationRow:
    """Confirm or reject a fallback match; or settle an ambiguous row by choosing one of its
    candidates (`request_id`) or none. What is let go becomes "agency only" and "ours only"."""
    row = (
        ReconciliationRow.objects.select_for_update()
        .select_related("reconciliation")
        .get(pk=row_id)
    )
    if row.reconciliation.status != Status.DONE:
        raise ValidationError("This list is being processed again: decide once it is done.")
    if row.result not in (Result.FALLBACK, Result.AMBIGUOUS) or row.decision:
        raise ValidationError("This row was already decided, or has nothing to decide.")
    proposed = row.request_id if row.result == Result.FALLBACK else request_id
    if confirm and proposed not in [row.request_id, *(c["request"] for c in row.candidates)]:
        raise ValidationError("Choose one of the requests this row was compared with.")
    if confirm and proposed != row.request_id:
        _hold(row, proposed)
    if confirm:
        _confirm(row, proposed, actor)
    else:
        _reject(row, actor)
    return row


def _hold(row: ReconciliationRow, request_id: int) -> None:
    holder = ReconciliationRow.objects.filter(
        reconciliation_id=row.reconciliation_id,
        request_id=request_id,
        result__in=(Result.MATCHED, Result.FALLBACK),
    ).first()
    if holder is not None:
        raise ValidationError(
            f"Request #{request_id} is already matched to the agency's line {holder.line_number}: "
            "reject that match first."
        )


def _confirm(row: ReconciliationRow, request_id: int, actor) -> None:
    let_go = [c["request"] for c in row.candidates if c["request"] != request_id]
    if row.result == Result.AMBIGUOUS:
        chosen = next(c for c in row.candidates if c["request"] == request_id)
        row.confidence = chosen["confidence"]
        row.rule = ReconciliationRow.Rule.FALLBACK
    row.request_id = request_id
    _delivered_at(row)
    row.result = Result.MATCHED
    _decided(row, ReconciliationRow.Decision.CONFIRMED, actor)
    ReconciliationRow.objects.filter(
        reconciliation_id=row.reconciliation_id, request_id=request_id, result=Result.OURS_ONLY
    ).delete()  # a derived row: the request is matched now
    _ours_only_if_free(row.reconciliation, let_go)
    event_record(
        action="reconciliation_confirmed",
        actor=actor,
        request=row.request,
        changes={"reconciliation": [None, row.reconciliation_id]},
    )


def _reject(row: ReconciliationRow, actor) -> None:
    let_go = [c["request"] for c in row.candidates]
    if row.request_id is not None:
        let_go.append(row.request_id)
        row.candidates = [
            {"request": row.request_id, "confidence": row.confidence, "rejected": True}
        ]
    # The fallback needs the same precinct on both sides: the row stays there, on the line the
    # precinct had on the agency's date.
    row.line = precinct_guide().line_for(row.precinct_id, row.prepare_date)
    row.request_id, row.result = None, Result.AGENCY_ONLY
    _decided(row, ReconciliationRow.Decision.REJECTED, actor)
    _ours_only_if_free(row.reconciliation, let_go)


def _decided(row: ReconciliationRow, decision: str, actor) -> None:
    row.decision, row.decided_by, row.decided_at = decision, actor, timezone.now()
    row.save()


def _delivered_at(row: ReconciliationRow) -> None:
    """Where a matched row counts: its request's precinct and fax line."""
    delivery = row.request.delivery
    number = delivery.fax_number.number if delivery.fax_number_id else ""
    row.precinct_id = delivery.precinct_id
    row.line = delivery_line(number, delivery.to_number, delivery.channel)


def _ours_only_if_free(reconciliation: Reconciliation, request_ids: list[int]) -> None:
    """Requests of the year that no row holds any more become "ours only"."""
    rows = ReconciliationRow.objects.filter(reconciliation=reconciliation)
    held = set(
        rows.filter(request_id__in=request_ids)
        .exclude(result=Result.AGENCY_ONLY)
        .values_list("request_id", flat=True)
    )
    for candidate_rows in rows.filter(result=Result.AMBIGUOUS).values_list("candidates", flat=True):
        held.update(c["request"] for c in candidate_rows)
    start, end = local_year_bounds(reconciliation.year)
    free = counted_requests().filter(pk__in=set(request_ids) - held)
    free = free.filter(delivery__received_at__gte=start, delivery__received_at__lt=end)
    for request in free.select_related("delivery__fax_number"):
        result = result_row(reconciliation.pk, Outcome(Result.OURS_ONLY))
        result.request = request
        _delivered_at(result)
        result.save()
