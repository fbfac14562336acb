"""Reads about deliveries and requests, always scoped to what the user may see."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from detainers.core.years import local_year_bounds
from detainers.extraction.services import extraction_suggestions
from detainers.inbox.history import Names, event_sentence, field_label
from detainers.models import DetainerRequest, Event, MissedFax
from detainers.triage.selectors import requests_visible_to
from precincts.models import Precinct

LIST_COUNT_CAP = 1_000  # a list counts this far, then says "more than" (RequestsInParts)
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
    "held_beyond_release",
    "transferred_to_federal_custody",
    "reimbursement_amount",
)


def status_filter(status: str) -> Q:
    return {
        DetainerRequest.Status.NEW: Q(delivery__routed_at__isnull=True, disposition=""),
        DetainerRequest.Status.UNREVIEWED: Q(delivery__routed_at__isnull=False, disposition=""),
        DetainerRequest.Status.REVIEWED: ~Q(disposition=""),
    }[status]


# The inbox's sorts: only what an index serves at millions of rows (Delivery's (received_at, id),
# the requests' (delivery, sequence)). Each orders the unreviewed part, then the reviewed one.
INBOX_SORTS = {
    "-received": ("-delivery__received_at", "-pk"),
    "received": ("delivery__received_at", "pk"),
    "-receipt": ("-delivery_id", "-sequence"),
    "receipt": ("delivery_id", "sequence"),
}
INBOX_SORT_DEFAULT = "-received"  # newest first: what supervisors asked for


def inbox_requests(
    *, precinct_id=None, channel: str = "", status: str = "", sort: str = INBOX_SORT_DEFAULT
) -> "RequestsInParts":
    """The central inbox: routed requests, unreviewed first, each part in the order of `sort`
    (INBOX_SORTS; newest first by default).

    Two parts one after the other, each walked in index order (the index on Delivery
    (received_at, id) or the requests' (delivery, sequence) serves it; the partial index of
    unreviewed requests finds the few there are), rather than one sort of every request by status
    and arrival: at millions of requests that sort is seconds."""
    requests = DetainerRequest.objects.filter(delivery__routed_at__isnull=False).select_related(
        "delivery", "delivery__precinct", "delivery__known_sender", "duplicate_of__delivery"
    )
    if precinct_id == NO_PRECINCT:
        requests = requests.filter(delivery__precinct__isnull=True)
    elif precinct_id:
        requests = requests.filter(delivery__precinct_id=precinct_id)
    if channel:
        requests = requests.filter(delivery__channel=channel)
    if status:
        requests = requests.filter(status_filter(status))
    parts = [requests.filter(disposition=""), requests.exclude(disposition="")]
    if status == DetainerRequest.Status.REVIEWED:
        parts = parts[1:]
    elif status:  # new or unreviewed: no disposition yet
        parts = parts[:1]
    order = INBOX_SORTS.get(sort, INBOX_SORTS[INBOX_SORT_DEFAULT])
    return RequestsInParts([part.order_by(*order) for part in parts], cap=LIST_COUNT_CAP)


def inbox_unreviewed_count() -> int:
    """How many routed requests nobody has reviewed yet, counted up to LIST_COUNT_CAP + 1 (the
    navigation says "1000+" past it): one query on the partial index of unreviewed requests."""
    unreviewed = DetainerRequest.objects.filter(disposition="", delivery__routed_at__isnull=False)
    return unreviewed.order_by()[: LIST_COUNT_CAP + 1].count()


class RequestsInParts:
    """Querysets shown one after the other, sliced as one list (what a Paginator pages through).

    Its count stops at LIST_COUNT_CAP: counting millions of rows for "Page 1 of 200,000" costs
    more than the page (bench/lists: a precinct's inbox took 0.8 s to count to 10,000, 1,000 is
    a tenth of that), so past the cap a list says "more than 1000" and shows the first 1,000, 20
    pages (narrowing the filters or searching finds the rest). `capped` says whether it stopped."""

    def __init__(self, parts: list[QuerySet[DetainerRequest]], cap: int = LIST_COUNT_CAP):
        self.parts, self.cap = parts, cap
        self.sizes: list[int] | None = None

    @property
    def capped(self) -> bool:
        return sum(self._sizes()) > self.cap

    def count(self) -> int:
        return min(sum(self._sizes()), self.cap)

    def _sizes(self) -> list[int]:
        """Each part's size, counted up to one past the cap in all (one query per part at most)."""
        if self.sizes is None:
            self.sizes, left = [], self.cap + 1
            for part in self.parts:
                size = part.order_by()[:left].count() if left else 0
                self.sizes.append(size)
                left -= size
        return self.sizes

    def __getitem__(self, wanted: slice) -> list[DetainerRequest]:
        start, stop = wanted.start or 0, min(wanted.stop, self.count())
        rows: list[DetainerRequest] = []
        for part, size in zip(self.parts, self._sizes(), strict=True):
            if start < min(stop, size):
                rows += part[start : min(stop, size)]
            start, stop = max(start - size, 0), stop - size
            if stop <= 0:
                break
        return rows


def is_overdue(request: DetainerRequest, now: datetime | None = None) -> bool:
    """Unreviewed past the inbox's target (settings.INBOX_SLA_HOURS)."""
    target = timedelta(hours=settings.INBOX_SLA_HOURS)
    return (
        not request.disposition and request.delivery.received_at < (now or timezone.now()) - target
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


def item_history(detainer_request: DetainerRequest) -> tuple[list["HistoryEntry"], list[Event]]:
    """A request's page: what happened to it, in words (history.py), and the last twenty looks at
    its documents."""
    events = Event.objects.filter(
        Q(delivery=detainer_request.delivery) | Q(request=detainer_request)
    ).select_related("actor", "request__delivery")
    changed = list(events.exclude(action="document_viewed"))
    names = Names.of(changed, detainer_request.delivery)
    history = [
        HistoryEntry(
            event,
            event_sentence(event.action),
            [
                (field_label(field), *_old_new(field, values, names))
                for field, values in event.changes.items()
                if field not in UNSHOWN_FIELDS
            ],
        )
        for event in changed
    ]
    views = list(events.filter(action="document_viewed").reverse()[:20])
    return history, views


@dataclass(frozen=True)
class HistoryEntry:
    event: Event
    sentence: str  # what happened
    changes: list[tuple]  # (field label, old, new) in words; None for nothing


# Ids the event's sentence already says (a legal hold, a reconciliation): not shown as numbers.
UNSHOWN_FIELDS = {"legal_hold", "reconciliation"}


def _old_new(field: str, values, names: Names) -> tuple:
    # Events store [old, new]; anything else (an old or hand-written event) shows as the new value.
    if isinstance(values, list) and len(values) == 2:
        return _readable(field, values[0], names), _readable(field, values[1], names)
    return None, _readable(field, values, names)


def _readable(field: str, value, names: Names):
    """None for nothing (a dash), names for ids, labels for choices, local times to the minute."""
    if value in (None, "", []):
        return None
    value = names.value(field, value)
    if isinstance(value, list):
        return ", ".join(str(part) for part in value)
    if field.endswith("_at") and isinstance(value, str):
        moment = parse_datetime(value)
        if moment is not None:
            return f"{timezone.localtime(moment):%Y-%m-%d %H:%M %Z}"
    return value


def request_next_unreviewed(*, user, after: DetainerRequest) -> DetainerRequest | None:
    """ "Save and next": the oldest unreviewed request in the inbox other than `after` (received,
    then id: the one waiting longest, whatever order the list is sorted in); None when none is
    left."""
    unreviewed = requests_visible_to(user).filter(status_filter(DetainerRequest.Status.UNREVIEWED))
    return unreviewed.exclude(pk=after.pk).order_by("delivery__received_at", "pk").first()


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


MISSED_OPEN, MISSED_CLOSED = "open", "closed"


def missed_fax_list(*, state: str = "", year: int | None = None) -> QuerySet[MissedFax]:
    """Newest first. `state`: open (nobody has received it again yet), closed, or all."""
    missed = MissedFax.objects.select_related("precinct", "known_sender", "resolved_by")
    if state == MISSED_OPEN:
        missed = missed.filter(resolved_by__isnull=True)
    elif state == MISSED_CLOSED:
        missed = missed.filter(resolved_by__isnull=False)
    if year is not None:
        start, end = local_year_bounds(year)
        missed = missed.filter(received_at__gte=start, received_at__lt=end)
    return missed.prefetch_related("resolved_by__requests").order_by("-received_at", "-pk")


def missed_faxes_open_count() -> int:
    return MissedFax.objects.filter(resolved_by__isnull=True).count()
