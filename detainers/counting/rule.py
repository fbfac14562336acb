"""The counting rule, in one place, and the summary table that keeps the counts.

A detainer request counts when it is not a duplicate and not "not a detainer". It counts in the local
year (settings.TIME_ZONE) of its delivery's receipt: a fax received at 23:30 on 31 December local time
belongs to that year, whatever UTC says.

The dashboard and the yearly API read `CountCell`, which every service that changes a counted fact
keeps up to date in its own transaction (`counts_follow`, `counts_add`). `counts_recount` computes the
same cells from the requests themselves; `rebuild_counts` and `counts_check` use it.
"""

from collections import Counter
from collections.abc import Iterable
from contextlib import contextmanager
from dataclasses import astuple, dataclass, fields

from django.db import connection, transaction
from django.db.models import Count, Q
from django.db.models.functions import ExtractMonth, ExtractYear
from django.utils import timezone

from detainers.models import CountCell, DetainerRequest, Disposition

NOT_COUNTED = (Disposition.DUPLICATE, Disposition.NOT_A_DETAINER)
COUNTED = Q(duplicate_of__isnull=True) & ~Q(disposition__in=NOT_COUNTED)


# Each counted request adds one to a cell for each breakdown, within its year, precinct and channel
# (which every breakdown can be filtered by). So the table stays small however many requests there
# are: years x precincts x channels x (12 months + the form types, bases and dispositions).
BREAKDOWNS = ("month", "form_type", "probable_cause", "disposition")


@dataclass(frozen=True, order=True)
class CountKey:
    year: int
    precinct_id: int  # 0: no precinct
    channel: str
    breakdown: str  # one of BREAKDOWNS
    value: str  # the month as "1".."12", or the form type, basis or disposition ("" when not set)


KEY_FIELDS = [field.name for field in fields(CountKey)]


def is_counted(request: DetainerRequest) -> bool:
    return request.duplicate_of_id is None and request.disposition not in NOT_COUNTED


def count_keys(request: DetainerRequest) -> list[CountKey]:
    """The cells a request counts in; none when it does not count."""
    if not is_counted(request):
        return []
    received = timezone.localtime(request.delivery.received_at)
    where = (received.year, request.delivery.precinct_id or 0, request.delivery.channel)
    values = (str(received.month), request.form_type, request.probable_cause, request.disposition)
    return [
        CountKey(*where, breakdown, value)
        for breakdown, value in zip(BREAKDOWNS, values, strict=True)
    ]


def _keys(request_ids: Iterable[int]) -> dict[int, list[CountKey]]:
    requests = DetainerRequest.objects.filter(pk__in=list(request_ids)).select_related("delivery")
    return {request.pk: count_keys(request) for request in requests}


def _apply(deltas: Counter) -> None:
    """Add each delta to its cell, creating the cell when needed; one statement per cell."""
    table = CountCell._meta.db_table
    columns = ", ".join(KEY_FIELDS)
    placeholders = ", ".join(["%s"] * (len(KEY_FIELDS) + 1))
    sql = (
        f"INSERT INTO {table} ({columns}, total) VALUES ({placeholders}) "  # noqa: S608 - names are ours
        f"ON CONFLICT ({columns}) DO UPDATE SET total = {table}.total + excluded.total"
    )
    changed = sorted((key, delta) for key, delta in deltas.items() if delta)
    if changed:
        with connection.cursor() as cursor:
            cursor.executemany(sql, [(*astuple(key), delta) for key, delta in changed])


def counts_add(requests: Iterable[DetainerRequest]) -> None:
    """New requests (intake): each adds one to its cell. Call inside the intake transaction."""
    _apply(Counter(key for request in requests for key in count_keys(request)))


@contextmanager
def counts_follow(*request_ids: int):
    """Wrap a change to requests (or their deliveries): their cells follow the change.

    Must run inside the transaction that makes the change, so the counts and the records can
    never disagree.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError(
            "counts_follow must run inside the transaction that changes the requests"
        )
    before = _keys(request_ids)
    yield
    after = _keys(request_ids)
    deltas: Counter = Counter()
    for keys in before.values():
        deltas.subtract(keys)
    for keys in after.values():
        deltas.update(keys)
    _apply(deltas)


def counts_recount() -> Counter:
    """The cells computed from the requests themselves, in SQL (local year and month)."""
    local = timezone.get_default_timezone()
    counted = DetainerRequest.objects.filter(COUNTED).annotate(
        year=ExtractYear("delivery__received_at", tzinfo=local),
        month=ExtractMonth("delivery__received_at", tzinfo=local),
    )
    recounted: Counter = Counter()
    for breakdown in BREAKDOWNS:
        rows = (
            counted.values_list("year", "delivery__precinct_id", "delivery__channel", breakdown)
            .annotate(total=Count("id"))
            .order_by()
        )
        for year, precinct_id, channel, value, total in rows:
            recounted[CountKey(year, precinct_id or 0, channel, breakdown, str(value))] += total
    return recounted


def counts_stored() -> Counter:
    cells = CountCell.objects.exclude(total=0).values_list(*KEY_FIELDS, "total")
    return Counter({CountKey(*cell[:-1]): cell[-1] for cell in cells})


def counts_check() -> dict[CountKey, tuple[int, int]]:
    """Cells where the summary and a recount disagree: {key: (stored, recounted)}; empty when right."""
    stored, recounted = counts_stored(), counts_recount()
    return {
        key: (stored[key], recounted[key])
        for key in sorted(set(stored) | set(recounted))
        if stored[key] != recounted[key]
    }


@transaction.atomic
def counts_rebuild() -> int:
    """Replace the summary with a recount. Concurrent changes wait (PostgreSQL) and apply after."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"LOCK TABLE {CountCell._meta.db_table} IN EXCLUSIVE MODE")
    CountCell.objects.all().delete()
    recounted = counts_recount()
    CountCell.objects.bulk_create(
        CountCell(**dict(zip(KEY_FIELDS, astuple(key), strict=True)), total=total)
        for key, total in recounted.items()
    )
    return sum(recounted.values())
