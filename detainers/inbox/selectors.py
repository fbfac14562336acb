"""Reads about deliveries and requests, always scoped to what the user may see."""

from dataclasses import dataclass
from datetime import timedelta

from django.db.models import Case, Q, QuerySet, Value, When
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from detainers.core.years import local_year_bounds
from detainers.extraction.services import extraction_suggestions
from detainers.models import DetainerRequest, Disposition, Event, FormType, ProbableCause
from precincts.models import Precinct

UNREVIEWED_TOO_LONG = timedelta(hours=24)
NO_PRECINCT = "none"  # the precinct filter's value for deliveries in no precinct
TRIAGE_FORM_FIELDS = (
    "form_type",
    "form_date",
    "subject_id",
    "event_number",
    "a_number",
    "subject_name",
    "date_of_birth",
    "citizenship",
    "sex",
    "probable_cause",
    "notify_before_release",
    "hold_up_to_48_hours",
    "warrant_attached",
    "disposition",
    "duplicate_of",
    "legal_review",
    "legal_review_note",
)


def status_filter(status: str) -> Q:
    return {
        DetainerRequest.Status.NEW: Q(delivery__routed_at__isnull=True, disposition=""),
        DetainerRequest.Status.UNREVIEWED: Q(delivery__routed_at__isnull=False, disposition=""),
        DetainerRequest.Status.REVIEWED: ~Q(disposition=""),
    }[status]


def inbox_requests(
    *, precinct_id=None, channel: str = "", status: str = ""
) -> QuerySet[DetainerRequest]:
    """The central inbox: routed requests, unreviewed first, oldest first."""
    requests = (
        DetainerRequest.objects.filter(delivery__routed_at__isnull=False)
        .select_related("delivery", "delivery__precinct")
        .annotate(reviewed_rank=Case(When(disposition="", then=Value(0)), default=Value(1)))
        .order_by("reviewed_rank", "delivery__received_at", "pk")
    )
    if precinct_id == NO_PRECINCT:
        requests = requests.filter(delivery__precinct__isnull=True)
    elif precinct_id:
        requests = requests.filter(delivery__precinct_id=precinct_id)
    if channel:
        requests = requests.filter(delivery__channel=channel)
    if status:
        requests = requests.filter(status_filter(status))
    return requests


def is_overdue(request: DetainerRequest) -> bool:
    return (
        not request.disposition
        and request.delivery.received_at < timezone.now() - UNREVIEWED_TOO_LONG
    )


def requests_matching(
    requests: QuerySet[DetainerRequest],
    *,
    year: int | None = None,
    channel: str | None = None,
    precinct: Precinct | str | None = None,
    status: str | None = None,
) -> QuerySet[DetainerRequest]:
    """`requests` narrowed by the list's filters; precinct "none" means no precinct."""
    if year is not None:
        start, end = local_year_bounds(year)
        requests = requests.filter(delivery__received_at__gte=start, delivery__received_at__lt=end)
    if channel is not None:
        requests = requests.filter(delivery__channel=channel)
    if precinct == NO_PRECINCT:
        requests = requests.filter(delivery__precinct__isnull=True)
    elif precinct is not None:
        requests = requests.filter(delivery__precinct=precinct)
    if status is not None:
        requests = requests.filter(status_filter(status))
    return requests


def item_history(detainer_request: DetainerRequest) -> tuple[list, list[Event]]:
    """A request's page: its changes (each event with (field, old, new) rows in words a reviewer
    reads) and the last twenty looks at its documents."""
    events = Event.objects.filter(
        Q(delivery=detainer_request.delivery) | Q(request=detainer_request)
    )
    history = events_readable(events.exclude(action="document_viewed"))
    views = list(events.filter(action="document_viewed").select_related("actor").reverse()[:20])
    return history, views


LABELS = {
    "disposition": dict(Disposition.choices),
    "form_type": dict(FormType.choices),
    "probable_cause": dict(ProbableCause.choices),
}


def events_readable(events) -> list[tuple[Event, list[tuple]]]:
    """Each event with its changes as (field, old, new) rows, in words a reviewer reads."""
    return [
        (event, [(field, *_old_new(field, values)) for field, values in event.changes.items()])
        for event in events.select_related("actor")
    ]


def _old_new(field: str, values) -> tuple:
    # Events store [old, new]; anything else (an old or hand-written event) shows as the new value.
    if isinstance(values, list) and len(values) == 2:
        return _readable(field, values[0]), _readable(field, values[1])
    return None, _readable(field, values)


def _readable(field: str, value):
    """None for nothing (a dash), labels for choices, local times to the minute, lists joined."""
    if value in (None, "", []):
        return None
    if isinstance(value, list):
        return ", ".join(str(part) for part in value)
    if field in LABELS:
        return LABELS[field].get(value, value)
    if field.endswith("_at") and isinstance(value, str):
        moment = parse_datetime(value)
        if moment is not None:
            return f"{timezone.localtime(moment):%Y-%m-%d %H:%M %Z}"
    return value


@dataclass(frozen=True)
class TriageReading:
    """What the document says for one triage field: the typed value, how sure the reading is, and
    whether the request holds it ("saved"), the form offers it ("suggested") or someone entered
    another value ("differs")."""

    value: object
    confidence: float
    state: str


@dataclass(frozen=True)
class TriagePrefill:
    """What the triage form of a request starts with.

    `initial`: a value for each of TRIAGE_FORM_FIELDS. `readings`: what the document says for
    those fields, in the order it was read. `prefilled`: the fields whose initial value is the
    document's, which saving the form saves even if the reviewer leaves them as offered.
    """

    initial: dict[str, object]
    readings: dict[str, TriageReading]
    prefilled: set[str]


def triage_prefill(*, detainer_request: DetainerRequest) -> TriagePrefill:
    """The triage form's values for `detainer_request`: what it holds, and what its document says.

    What the document says fills the empty fields of an unreviewed request. A reviewed request is
    never filled in behind its reviewer: its readings are only shown beside its fields.
    """
    initial = {field: getattr(detainer_request, field) for field in TRIAGE_FORM_FIELDS}
    initial["duplicate_of"] = detainer_request.duplicate_of_id
    readings = extraction_suggestions(document_id=detainer_request.document_id)
    prefilled = {
        field
        for field, reading in readings.items()
        if field in initial and initial[field] in (None, "") and not detainer_request.disposition
    }
    initial.update({field: readings[field]["value_typed"] for field in prefilled})
    return TriagePrefill(
        initial=initial,
        readings={
            field: _triage_reading(field, reading, detainer_request, prefilled=field in prefilled)
            for field, reading in readings.items()
            if field in TRIAGE_FORM_FIELDS
        },
        prefilled=prefilled,
    )


def _triage_reading(
    field: str, reading: dict, detainer_request: DetainerRequest, *, prefilled: bool
) -> TriageReading:
    value = reading["value_typed"]
    if prefilled:
        state = "suggested"
    else:
        state = "saved" if getattr(detainer_request, field) == value else "differs"
    return TriageReading(value=value, confidence=reading["confidence"], state=state)
