"""Line health's own summary: each line's deliveries by UTC day, kept by intake, and window counts
that are exact at the edges (whole days from the summary, part-days from the deliveries)."""

from datetime import UTC, datetime

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from detainers.counting.line_traffic import (
    line_traffic_check,
    line_traffic_count,
    line_traffic_rebuild,
)
from detainers.models import LineDay
from precincts.models import FaxNumber
from tests.factories import fax_received

pytestmark = pytest.mark.django_db

B3_LINE = "+16175550133"


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 3, day, hour, minute, tzinfo=UTC)


def count_between(start: datetime, end: datetime) -> int:
    line = FaxNumber.objects.annotate(n=line_traffic_count(start, end)).get(number=B3_LINE)
    return line.n


def test_intake_adds_each_fax_to_its_line_s_utc_day(b3):
    fax_received(received_at=at(1, 23, 59), to_number=B3_LINE)
    fax_received(received_at=at(2, 0, 0), to_number=B3_LINE)
    fax_received(received_at=at(2, 13), to_number=B3_LINE)
    fax_received(received_at=at(2, 13), to_number="+16175559999")  # no precinct's line: no row
    days = dict(LineDay.objects.values_list("day", "deliveries"))
    assert days == {at(1, 0).date(): 1, at(2, 0).date(): 2}
    assert line_traffic_check() == {}


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (at(1, 0), at(10, 0), 6),  # whole days only
        (at(1, 12), at(10, 0), 5),  # the first day's morning fax is before the window
        (at(1, 12), at(9, 12), 4),  # and the last day's evening fax after it
        (at(1, 6), at(1, 6, 1), 1),  # a minute holds the fax received at its start
        (at(1, 6, 1), at(1, 18), 0),  # inside one day: the deliveries alone, no summary
        (at(5, 0), at(9, 0), 1),
        (at(9, 11, 59), at(9, 12, 0), 1),
    ],
)
def test_a_window_counts_exactly_the_faxes_received_in_it(b3, start, end, expected):
    for moment in (at(1, 6), at(1, 18), at(3, 9), at(5, 0), at(9, 11, 59), at(9, 18)):
        fax_received(received_at=moment, to_number=B3_LINE)
    assert count_between(start, end) == expected


def test_a_window_reads_whole_days_from_the_summary_not_the_deliveries(b3):
    fax_received(received_at=at(3, 9), to_number=B3_LINE)
    LineDay.objects.filter(day=at(3, 0).date()).update(deliveries=40)  # stands for a busy day
    assert count_between(at(1, 0), at(10, 0)) == 40
    assert count_between(at(3, 8), at(3, 10)) == 1  # within the day: the deliveries themselves


def test_rebuild_recounts_and_check_finds_a_difference(b3):
    fax_received(received_at=at(3, 9), to_number=B3_LINE)
    fax_received(received_at=at(4, 9), to_number=B3_LINE)
    LineDay.objects.filter(day=at(3, 0).date()).update(deliveries=7)
    LineDay.objects.filter(day=at(4, 0).date()).delete()
    assert line_traffic_check() == {
        (b3.fax_numbers.get().pk, at(3, 0).date()): (7, 1),
        (b3.fax_numbers.get().pk, at(4, 0).date()): (0, 1),
    }
    with pytest.raises(CommandError, match="traffic differs from a recount on 2 days"):
        call_command("rebuild_counts", "--check")

    assert line_traffic_rebuild() == 2
    assert line_traffic_check() == {}
    call_command("rebuild_counts", "--check")
