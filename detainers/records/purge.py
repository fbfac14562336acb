"""Destroying what retention says is due (detainers.records.selectors.purge_plan), kind by kind.

- Documents and raw emails: the file goes; the row, its size and SHA-256 stay as proof of what
  was received (`purged_at`), and the text read from it goes with it (it is the document again).
- Personal data: the subject's fields are blanked (`personal_data_purged_at`), with the values
  read of them off the form and their old values in the request's audit events.
- Missed faxes: the caller's number and machine id go (also from the provider's stored event);
  the missed fax itself stays, so it is still counted as a call that failed.
- Views of documents: the audit events of looks at a document are deleted. They are not counted
  anywhere; the destruction log keeps how many and whose.

What is counted is never touched, so the summary and every closed year's figures are the same
after a purge. Every kind destroyed writes a DestructionLog row and an audit event per delivery,
request or missed fax, in the purge's transaction. A plan above PURGE_APPROVAL_THRESHOLD is not
destroyed: it becomes a pending PurgeApproval and waits for a supervisor.

Files are removed once the transaction that records their destruction commits (storage is not
transactional): a rolled-back purge never loses a file, and a file a crash left behind is removed
at the start of the next run (`documents_files_remove`).
"""

import logging
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from detainers.core.audit import event_record
from detainers.models import (
    Delivery,
    DestructionLog,
    DetainerRequest,
    Document,
    Event,
    Extraction,
    MissedFax,
    ProviderEvent,
    PurgeApproval,
    RecordKind,
)
from detainers.records.selectors import (
    DOCUMENT_VIEWED,
    PERSONAL_FIELDS,
    Batch,
    PurgePlan,
    approved_plan,
    purge_plan,
)

logger = logging.getLogger(__name__)

DESTROYED = "[destroyed]"  # what an audit event shows in place of a personal value destroyed


@dataclass
class PurgeOutcome:
    """What one run did (or, in a dry run, would do)."""

    dry_run: bool = False
    destroyed: list[DestructionLog] = field(default_factory=list)
    approved: list[tuple[PurgeApproval, PurgePlan]] = field(default_factory=list)  # dry run
    due: PurgePlan = field(default_factory=PurgePlan)  # dry run: what would go without approval
    waiting: PurgeApproval | None = None  # a pending approval this run stopped at
    requested: PurgeApproval | None = None  # the pending approval this run recorded


def purge_run(*, dry_run: bool = False, now: datetime | None = None) -> PurgeOutcome:
    """The daily job: destroy what supervisors approved, then what is due, unless it is more
    than PURGE_APPROVAL_THRESHOLD records (then ask for approval and stop)."""
    now = now or timezone.now()
    if dry_run:
        return _dry_run(now)
    documents_files_remove()
    outcome = PurgeOutcome()
    approved = PurgeApproval.objects.filter(status=PurgeApproval.Status.APPROVED)
    for approval_id in approved.values_list("pk", flat=True):
        outcome.destroyed += purge_approval_execute(approval_id=approval_id, now=now)
    plan = purge_plan(now=now)
    if not plan.total:
        return outcome
    outcome.waiting = PurgeApproval.objects.filter(status=PurgeApproval.Status.PENDING).first()
    if outcome.waiting:
        return outcome
    if plan.total > settings.PURGE_APPROVAL_THRESHOLD:
        outcome.requested = _approval_request(plan)
        return outcome
    outcome.destroyed += plan_destroy(plan=plan, now=now)
    return outcome


def _dry_run(now: datetime) -> PurgeOutcome:
    """What purge_run would do, reading only."""
    outcome = PurgeOutcome(dry_run=True)
    taken = PurgePlan()
    for approval in PurgeApproval.objects.filter(status=PurgeApproval.Status.APPROVED):
        plan = approved_plan(approval=approval, now=now)
        outcome.approved.append((approval, plan))
        taken = PurgePlan(taken.batches + plan.batches)
    outcome.due = purge_plan(now=now).without(taken)
    outcome.waiting = PurgeApproval.objects.filter(status=PurgeApproval.Status.PENDING).first()
    return outcome


def _approval_request(plan: PurgePlan) -> PurgeApproval:
    try:
        with transaction.atomic():
            approval = PurgeApproval.objects.create(planned=plan.planned(), total=plan.total)
    except IntegrityError:  # another run recorded one first: one pending at a time
        return PurgeApproval.objects.get(status=PurgeApproval.Status.PENDING)
    logger.info("purge of %s records waits for approval %s", plan.total, approval.pk)
    return approval


def purge_approval_execute(*, approval_id: int, now: datetime) -> list[DestructionLog]:
    """Destroy what an approved purge planned and is still due; claimed, so once only."""
    with transaction.atomic():
        claimed = PurgeApproval.objects.filter(
            pk=approval_id, status=PurgeApproval.Status.APPROVED
        ).update(status=PurgeApproval.Status.DONE, done_at=now)
        if claimed != 1:
            return []
        approval = PurgeApproval.objects.select_related("approved_by").get(pk=approval_id)
        plan = approved_plan(approval=approval, now=now)
        return plan_destroy(plan=plan, now=now, approval=approval)


@transaction.atomic
def plan_destroy(
    *, plan: PurgePlan, now: datetime, approval: PurgeApproval | None = None
) -> list[DestructionLog]:
    """Destroy every batch of the plan and log each kind, in one transaction."""
    logs = []
    for batch in plan.batches:
        record_ids, request_ids = DESTROY[batch.kind](batch, now)
        if not record_ids:
            continue  # another run destroyed them first
        logs.append(
            DestructionLog.objects.create(
                kind=batch.kind,
                count=len(record_ids),
                record_ids=record_ids,
                request_ids=request_ids,
                years=list(batch.years),
                rule_period=batch.period,
                rule_unit=batch.unit,
                approval=approval,
                approved_by=approval.approved_by if approval else None,
                at=now,
            )
        )
        logger.info("retention: %s %s destroyed", len(record_ids), batch.kind)
    if any(log.kind in (RecordKind.DOCUMENTS, RecordKind.RAW_EMAIL) for log in logs):
        transaction.on_commit(documents_files_remove)
    return logs


def _requests_by_delivery(delivery_ids) -> dict[int, list[int]]:
    by_delivery = defaultdict(list)
    found = DetainerRequest.objects.filter(delivery_id__in=set(delivery_ids))
    for pk, delivery_id in found.order_by("pk").values_list("pk", "delivery_id"):
        by_delivery[delivery_id].append(pk)
    return by_delivery


def _documents_destroy(batch: Batch, now: datetime) -> tuple[list[int], list[int]]:
    # Locked and re-read: a second run waits here, then finds them destroyed already.
    rows = list(
        Document.objects.select_for_update()
        .filter(pk__in=batch.record_ids, purged_at__isnull=True)
        .order_by("pk")
        .values_list("pk", "delivery_id")
    )
    ids = [pk for pk, _ in rows]
    Document.objects.filter(pk__in=ids).update(purged_at=now)
    Extraction.objects.filter(document_id__in=ids).update(text="")
    by_delivery = defaultdict(list)
    for pk, delivery_id in rows:
        by_delivery[delivery_id].append(pk)
    for delivery in Delivery.objects.filter(pk__in=by_delivery).order_by("pk"):
        event_record(
            action=f"{batch.kind}_destroyed",
            delivery=delivery,
            changes={"documents": (by_delivery[delivery.pk], None), "rule": (None, batch.label)},
        )
    requests = _requests_by_delivery(by_delivery)
    return ids, sorted(pk for pks in requests.values() for pk in pks)


def _personal_data_destroy(batch: Batch, now: datetime) -> tuple[list[int], list[int]]:
    requests = list(
        DetainerRequest.objects.filter(
            pk__in=batch.record_ids, personal_data_purged_at__isnull=True
        )
        .select_related("delivery")
        .select_for_update(of=("self",))
        .order_by("pk")
    )
    ids = [request.pk for request in requests]
    blank = {name: "" for name in PERSONAL_FIELDS} | {"date_of_birth": None}
    DetainerRequest.objects.filter(pk__in=ids).update(personal_data_purged_at=now, **blank)
    _readings_forget({request.delivery_id for request in requests})
    _events_redact(ids)
    for request in requests:
        event_record(
            action="personal_data_destroyed",
            request=request,
            changes={"fields": (list(PERSONAL_FIELDS), None), "rule": (None, batch.label)},
        )
    return ids, ids


def _readings_forget(delivery_ids: set[int]) -> None:
    """What was read off the deliveries' forms: the personal fields, and the text (it holds them)."""
    readings = Extraction.objects.select_for_update().filter(document__delivery_id__in=delivery_ids)
    for reading in readings:
        reading.fields = {k: v for k, v in reading.fields.items() if k not in PERSONAL_FIELDS}
        reading.text = ""
        reading.save(update_fields=["fields", "text"])


def _events_redact(request_ids: list[int]) -> None:
    """The requests' audit events keep that a personal field changed, and by whom, not its value."""
    events = Event.objects.filter(request_id__in=request_ids, changes__has_any_keys=PERSONAL_FIELDS)
    for event in events.select_for_update():
        for name in PERSONAL_FIELDS:
            if name in event.changes:
                old_new = event.changes[name]
                event.changes[name] = [DESTROYED if value else value for value in old_new]
        event.save(update_fields=["changes"])


def _missed_fax_callers_destroy(batch: Batch, now: datetime) -> tuple[list[int], list[int]]:
    missed = list(
        MissedFax.objects.select_for_update()
        .filter(pk__in=batch.record_ids)
        .exclude(from_address="", sender_id="")
        .order_by("pk")
    )
    ids = [fax.pk for fax in missed]
    MissedFax.objects.filter(pk__in=ids).update(from_address="", sender_id="")
    # The provider's event as stored carries the caller's number too.
    ProviderEvent.objects.filter(missed_fax_id__in=ids).update(payload={})
    for fax in missed:
        event_record(
            action="caller_details_destroyed",
            missed_fax=fax,
            changes={"caller": (DESTROYED, None), "rule": (None, batch.label)},
        )
    return ids, []


def _document_views_destroy(batch: Batch, now: datetime) -> tuple[list[int], list[int]]:
    rows = list(
        Event.objects.select_for_update()
        .filter(pk__in=batch.record_ids, action=DOCUMENT_VIEWED)
        .order_by("pk")
        .values_list("pk", "delivery_id")
    )
    ids = [pk for pk, _ in rows]
    # Hard-deleted: a view is counted nowhere, and the log below says how many and whose.
    Event.objects.filter(pk__in=ids).delete()
    requests = _requests_by_delivery(delivery for _, delivery in rows if delivery)
    return ids, sorted(pk for pks in requests.values() for pk in pks)


DESTROY = {
    RecordKind.DOCUMENTS: _documents_destroy,
    RecordKind.RAW_EMAIL: _documents_destroy,
    RecordKind.PERSONAL_DATA: _personal_data_destroy,
    RecordKind.MISSED_FAX_CALLERS: _missed_fax_callers_destroy,
    RecordKind.DOCUMENT_VIEWS: _document_views_destroy,
}


def documents_files_remove() -> int:
    """Remove from storage the files of documents whose destruction is committed (those left by a
    run that stopped are found here too). The name is cleared once the file is gone."""
    storage = Document._meta.get_field("file").storage
    removed = 0
    pending = Document.objects.filter(purged_at__isnull=False).exclude(file="")
    for pk, name in pending.values_list("pk", "file"):
        try:
            storage.delete(name)
        except OSError:
            logger.exception("retention: document %s's file could not be removed; next run", pk)
            continue
        removed += Document.objects.filter(pk=pk, purged_at__isnull=False).update(file="")
    return removed
