"""Reviewing a detainer request: its form, identifiers, subject and disposition, and duplicate links.

Every change goes through `request_triage` or `request_duplicate_undo`, which write the audit event in
the same transaction. The page, the API and (later) extraction all call these.
"""

from datetime import date
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from detainers.core.audit import event_record
from detainers.core.identifiers import a_number_normalise, identifier_normalise
from detainers.counting.rule import counts_follow
from detainers.models import DetainerRequest, Disposition, FormType, ProbableCause

TEXT_FIELDS = {
    "subject_name": 200,
    "citizenship": 100,
    "sex": 20,
    "legal_review_note": 5000,
}
# What the filing to the City Clerk reports beside each request (detainers.counting.filing).
FILING_FIELDS = ("held_beyond_release", "transferred_to_federal_custody", "reimbursement_amount")
REIMBURSEMENT_MAX = Decimal("9999999999.99")  # the column holds 12 digits, 2 of them cents
TRIAGE_FIELDS = (
    "form_type",
    "form_date",
    "subject_id",
    "event_number",
    "a_number",
    *TEXT_FIELDS,
    "date_of_birth",
    "probable_cause",
    "notify_before_release",
    "hold_up_to_48_hours",
    "warrant_attached",
    "disposition",
    "legal_review",
    "duplicate_of",
    *FILING_FIELDS,
)


def _clean(field: str, value):
    """One field's value as stored, or ValidationError naming the field."""
    if field == "a_number":
        return a_number_normalise(value)
    if field in ("subject_id", "event_number"):
        return identifier_normalise(value)
    if field in TEXT_FIELDS:
        value = (value or "").strip()
        if len(value) > TEXT_FIELDS[field]:
            raise ValidationError({field: f"At most {TEXT_FIELDS[field]} characters."})
        return value
    choices = {"form_type": FormType, "probable_cause": ProbableCause, "disposition": Disposition}
    if field in choices:
        value = value or ""
        if value and value not in choices[field].values:
            raise ValidationError({field: f"Choose one of: {', '.join(choices[field].values)}."})
        return value
    if field in ("form_date", "date_of_birth"):
        if value and not isinstance(value, date):
            raise ValidationError({field: "Give a date, e.g. 2024-03-15."})
        if value and value > timezone.localdate():
            raise ValidationError({field: "That date is in the future."})
        return value or None
    if field in ("notify_before_release", "hold_up_to_48_hours", "warrant_attached"):
        return value
    if field in ("held_beyond_release", "transferred_to_federal_custody"):
        if value is not None and not isinstance(value, bool):
            raise ValidationError({field: "Choose yes, no, or not recorded."})
        return value
    if field == "reimbursement_amount":
        return _amount_clean(field, value)
    if field == "legal_review":
        return bool(value)
    raise ValidationError({field: "This field cannot be changed here."})


def _amount_clean(field: str, value) -> Decimal | None:
    """Dollars and cents, never negative: the filing sums these for the City Council."""
    if value in (None, ""):
        return None
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation:
        raise ValidationError({field: "Give an amount in dollars, e.g. 1250.00."}) from None
    if not amount.is_finite():
        raise ValidationError({field: "Give an amount in dollars, e.g. 1250.00."})
    if amount < 0:
        raise ValidationError({field: "An amount cannot be negative: give 0 or more."})
    if amount > REIMBURSEMENT_MAX:
        raise ValidationError({field: f"At most {REIMBURSEMENT_MAX:,} dollars."})
    cents = amount.quantize(Decimal("0.01"))
    if cents != amount:
        raise ValidationError({field: "At most 2 decimals (cents), e.g. 1250.75."})
    return cents


def _received_key(request: DetainerRequest):
    return (request.delivery.received_at, request.pk)


def _original_of(request: DetainerRequest) -> DetainerRequest:
    while request.duplicate_of_id is not None:
        request = request.duplicate_of
    return request


@transaction.atomic
def request_triage(*, request_id: int, actor, changes: dict) -> DetainerRequest:
    """Apply a reviewer's changes. Setting a disposition marks the request reviewed by `actor`."""
    request = (
        DetainerRequest.objects.select_for_update().select_related("delivery").get(pk=request_id)
    )
    cleaned = {
        field: _clean(field, value) for field, value in changes.items() if field != "duplicate_of"
    }
    if "duplicate_of" in changes:
        cleaned.update(_duplicate_link(request, changes["duplicate_of"]))
    # Judge the request as it will be after the change: clearing the link of a request left as
    # "duplicate" would otherwise leave a duplicate of nothing.
    if "duplicate_of" in cleaned:
        linked = cleaned["duplicate_of"] is not None
    else:
        linked = request.duplicate_of_id is not None
    if cleaned.get("disposition", request.disposition) == Disposition.DUPLICATE and not linked:
        raise ValidationError(
            {
                "duplicate_of": "Say which earlier request this one duplicates, or choose another "
                "disposition (to unlink an automatic match, use “Not a duplicate”)."
            }
        )
    if (
        "disposition" in cleaned
        and cleaned["disposition"] != Disposition.DUPLICATE
        and "duplicate_of" not in changes
    ):
        if request.duplicate_of_id and cleaned["disposition"]:
            cleaned.update(duplicate_of=None, duplicate_reason="")
    diff = {f: (getattr(request, f), v) for f, v in cleaned.items() if getattr(request, f) != v}
    if "disposition" in diff:
        diff["reviewed_by"] = (request.reviewed_by_id, actor.pk if cleaned["disposition"] else None)
        diff["reviewed_at"] = (
            request.reviewed_at,
            timezone.now() if cleaned["disposition"] else None,
        )
    if not diff:
        return request
    for field, (_, new) in diff.items():
        setattr(request, field + ("_id" if field == "reviewed_by" else ""), new)
    with counts_follow(request.pk):
        request.save()
    event_record(action="triaged", actor=actor, request=request, changes=diff)
    if request.duplicate_of_id and "duplicate_of" in diff:
        _duplicates_repoint(duplicate=request, original=request.duplicate_of, actor=actor)
    if not request.duplicate_of_id and diff.keys() & set(IDENTIFYING):
        request_duplicate_detect(request=request)
    return request


def _duplicate_link(request: DetainerRequest, target) -> dict:
    if target in (None, ""):
        return {"duplicate_of": None, "duplicate_reason": ""}
    target_id = target.pk if isinstance(target, DetainerRequest) else target
    original = DetainerRequest.objects.filter(pk=target_id).select_related("duplicate_of").first()
    if original is None:
        raise ValidationError({"duplicate_of": f"There is no request {target_id}."})
    original = _original_of(original)
    if original.pk == request.pk:
        raise ValidationError({"duplicate_of": "A request cannot duplicate itself."})
    return {
        "duplicate_of": original,
        "duplicate_reason": "Marked by a reviewer",
        "disposition": Disposition.DUPLICATE,
    }


def duplicate_candidates(request: DetainerRequest) -> tuple[DetainerRequest, str] | None:
    """The other request this one repeats under the duplicate rules, and why; None if there is none.

    Rules: the same Event #; or the same Subject ID or A-number with the same form type and form date.
    """
    others = (
        DetainerRequest.objects.exclude(pk=request.pk)
        .filter(duplicate_of__isnull=True)
        .exclude(disposition=Disposition.NOT_A_DETAINER)
        .select_related("delivery")
    )
    if request.event_number:
        match = (
            others.filter(event_number=request.event_number)
            .order_by("delivery__received_at", "pk")
            .first()
        )
        if match:
            return match, f"Same Event # ({request.event_number}) as request {match.pk}"
    if request.form_type and request.form_date:
        same_person = Q()
        if request.subject_id:
            same_person |= Q(subject_id=request.subject_id)
        if request.a_number:
            same_person |= Q(a_number=request.a_number)
        if same_person:
            match = (
                others.filter(same_person, form_type=request.form_type, form_date=request.form_date)
                .order_by("delivery__received_at", "pk")
                .first()
            )
            if match:
                return match, (
                    f"Same Subject ID or A-number, form {request.form_type} of {request.form_date} "
                    f"as request {match.pk}"
                )
    return None


@transaction.atomic
def request_duplicate_detect(*, request: DetainerRequest) -> DetainerRequest | None:
    """Link a request to the earlier one it repeats. Returns the request marked as the duplicate."""
    found = duplicate_candidates(request)
    if found is None:
        return None
    other, reason = found
    original, duplicate = sorted([request, other], key=_received_key)
    if duplicate.duplicate_check_dismissed:
        return None
    changes = {
        "duplicate_of": (None, original.pk),
        "duplicate_reason": ("", reason),
    }
    duplicate.duplicate_of = original
    duplicate.duplicate_reason = reason
    if not duplicate.disposition:
        changes["disposition"] = ("", Disposition.DUPLICATE)
        duplicate.disposition = Disposition.DUPLICATE
    with counts_follow(duplicate.pk):
        duplicate.save(update_fields=["duplicate_of", "duplicate_reason", "disposition"])
    event_record(action="duplicate_linked", request=duplicate, changes=changes)
    _duplicates_repoint(duplicate=duplicate, original=original)
    return duplicate


def _duplicates_repoint(
    *, duplicate: DetainerRequest, original: DetainerRequest, actor=None
) -> None:
    """Whatever pointed at the new duplicate now points at its original: chains end at the root."""
    followers = DetainerRequest.objects.filter(duplicate_of=duplicate).select_related("delivery")
    for follower in followers:
        follower.duplicate_of = original
        follower.save(update_fields=["duplicate_of"])
        event_record(
            action="duplicate_linked",
            actor=actor,
            request=follower,
            changes={"duplicate_of": (duplicate.pk, original.pk)},
        )


@transaction.atomic
def request_duplicate_undo(*, request_id: int, actor) -> DetainerRequest:
    """A reviewer says this is not a duplicate: unlink it, and never link it automatically again."""
    request = DetainerRequest.objects.select_for_update().get(pk=request_id)
    if request.duplicate_of_id is None:
        raise ValidationError({"duplicate_of": "This request is not marked as a duplicate."})
    changes = {
        "duplicate_of": (request.duplicate_of_id, None),
        "duplicate_reason": (request.duplicate_reason, ""),
    }
    if request.disposition == Disposition.DUPLICATE:
        changes["disposition"] = (request.disposition, "")
        request.disposition = ""
        request.reviewed_by = None
        request.reviewed_at = None
    request.duplicate_of = None
    request.duplicate_reason = ""
    request.duplicate_check_dismissed = True
    with counts_follow(request.pk):
        request.save()
    event_record(action="duplicate_undone", actor=actor, request=request, changes=changes)
    return request


# Below this confidence a value read from the document is only offered in the triage form; at or
# above it, it fills the request's empty field (the reviewer still confirms it by reviewing).
APPLY_CONFIDENCE = 0.9
IDENTIFYING = ("event_number", "subject_id", "a_number", "form_type", "form_date")


@transaction.atomic
def request_fields_extracted(*, request_id: int, readings: dict) -> list[str]:
    """Fill an unreviewed request's empty fields with what its document says.

    `readings` maps a triage field to (value, confidence). Only confident values are written, never
    over anything already there, and never into a reviewed request (its reviewer decided without
    them): the triage form offers those as suggestions instead. Returns the fields written. Written
    by nobody (actor None), as the audit event says, and duplicates are then looked for as after a
    reviewer's change, so the same request faxed and emailed is linked automatically.
    """
    request = (
        DetainerRequest.objects.select_for_update().select_related("delivery").get(pk=request_id)
    )
    if request.disposition:
        return []
    diff = {}
    for field, (value, confidence) in readings.items():
        if field not in TRIAGE_FIELDS or confidence < APPLY_CONFIDENCE:
            continue
        if getattr(request, field) not in (None, ""):
            continue
        try:
            cleaned = _clean(field, value)
        except ValidationError:
            continue  # a value the reviewer would be refused (a date in the future): offer, don't write
        if cleaned not in (None, ""):
            diff[field] = (None, cleaned)
    if not diff:
        return []
    for field, (_, new) in diff.items():
        setattr(request, field, new)
    with counts_follow(request.pk):
        request.save(update_fields=list(diff))
    event_record(action="fields_read", request=request, changes=diff)
    if not request.duplicate_of_id and diff.keys() & set(IDENTIFYING):
        request_duplicate_detect(request=request)
    return list(diff)
