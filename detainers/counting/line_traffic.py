"""Each fax line's traffic by day (LineDay), so line health counts months of faxes from a few rows.

Intake adds one to a line's day in the delivery's own transaction (`line_traffic_add`); nothing
ever moves a delivery to another line, and nothing is deleted. A window's count is exact: the days
wholly inside it come from the summary, the part-days at its two ends from the index on Delivery
(fax_number, received_at) (`line_traffic_count`), so it reads at most two days of deliveries per
line whatever the history holds. `line_traffic_rebuild` (manage.py rebuild_counts) recounts it.
"""

from collections import Counter
from collections.abc import Iterable
from datetime import UTC, datetime, time, timedelta

from django.db import connection, transaction
from django.db.models import Count, Func, IntegerField, OuterRef, Subquery, Sum, Value
from django.db.models.functions import Coalesce, TruncDate

from detainers.models import Delivery, LineDay

TABLE = LineDay._meta.db_table
ADD = (
    f"INSERT INTO {TABLE} (fax_number_id, day, deliveries) VALUES (%s, %s, %s) "  # noqa: S608 - our names
    f"ON CONFLICT (fax_number_id, day) DO UPDATE SET deliveries = {TABLE}.deliveries + excluded.deliveries"
)


def _day(moment: datetime):
    return moment.astimezone(UTC).date()


def line_traffic_add(deliveries: Iterable[Delivery]) -> None:
    """New deliveries (intake, inside its transaction): each adds one to its line's day."""
    added = Counter(
        (delivery.fax_number_id, _day(delivery.received_at))
        for delivery in deliveries
        if delivery.fax_number_id is not None
    )
    if added:
        with connection.cursor() as cursor:
            cursor.executemany(
                ADD, [(line, day, count) for (line, day), count in sorted(added.items())]
            )


def line_traffic_count(start: datetime, end: datetime):
    """An expression for a FaxNumber queryset: its deliveries received in [start, end).

    The whole UTC days between the two ends are summed from LineDay; the part-days at each end are
    counted from the deliveries' index (index-only: the count reads received_at, which it holds)."""
    to_line = Delivery.objects.filter(fax_number=OuterRef("pk")).order_by()
    first_whole = datetime.combine(_day(start), time.min, UTC)
    if first_whole < start:
        first_whole += timedelta(days=1)
    last_whole = datetime.combine(_day(end), time.min, UTC)  # whole days end where end's day starts
    if last_whole <= first_whole:
        return _count_of(to_line.filter(received_at__gte=start, received_at__lt=end))
    days = (
        LineDay.objects.filter(
            fax_number=OuterRef("pk"), day__gte=first_whole.date(), day__lt=last_whole.date()
        )
        .order_by()
        .values("fax_number")
        .annotate(total=Sum("deliveries"))
        .values("total")
    )
    return (
        Coalesce(Subquery(days, output_field=IntegerField()), Value(0))
        + _count_of(to_line.filter(received_at__gte=start, received_at__lt=first_whole))
        + _count_of(to_line.filter(received_at__gte=last_whole, received_at__lt=end))
    )


def _count_of(deliveries):
    counted = deliveries.annotate(count=Func("received_at", function="COUNT")).values("count")
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def line_traffic_recount() -> Counter:
    """{(fax number id, day): deliveries} from the deliveries themselves."""
    rows = (
        Delivery.objects.filter(fax_number__isnull=False)
        .annotate(day=TruncDate("received_at", tzinfo=UTC))
        .values("fax_number", "day")
        .annotate(count=Count("id"))
        .order_by()
    )
    return Counter({(row["fax_number"], row["day"]): row["count"] for row in rows})


@transaction.atomic
def line_traffic_rebuild() -> int:
    """Replace the summary with a recount (intake waits on PostgreSQL). Returns the deliveries."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"LOCK TABLE {TABLE} IN EXCLUSIVE MODE")
    LineDay.objects.all().delete()
    recounted = line_traffic_recount()
    LineDay.objects.bulk_create(
        (
            LineDay(fax_number_id=line, day=day, deliveries=count)
            for (line, day), count in recounted.items()
        ),
        batch_size=5000,
    )
    return sum(recounted.values())


def line_traffic_check() -> dict:
    """{(fax number id, day): (stored, recounted)} where the summary and a recount differ."""
    stored = Counter(
        {(row.fax_number_id, row.day): row.deliveries for row in LineDay.objects.all()}
    )
    recounted = line_traffic_recount()
    return {
        key: (stored.get(key, 0), recounted.get(key, 0))
        for key in set(stored) | set(recounted)
        if stored.get(key, 0) != recounted.get(key, 0)
    }
