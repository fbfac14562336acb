"""The counting rule and the summary table: every change keeps the summary equal to a recount."""

from collections import Counter

import pytest
from django.core.management import CommandError, call_command
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from detainers.counting.rule import CountKey, counts_check, counts_recount, counts_stored
from detainers.models import CountCell, DetainerRequest, Disposition
from detainers.triage import services as triage
from tests.conftest import local
from tests.factories import fax_received

pytestmark = pytest.mark.django_db


def yearly(counter: Counter) -> dict[int, int]:
    totals: Counter = Counter()
    for key, total in counter.items():
        if key.breakdown == "month":
            totals[key.year] += total
    return dict(totals)


def test_a_fax_at_2330_on_new_years_eve_counts_in_that_year(b3):
    fax_received(received_at=local(2024, 12, 31, 23, 30))  # 04:30 UTC on 1 January 2025
    fax_received(received_at=local(2025, 1, 1, 0, 0, 1))
    assert yearly(counts_stored()) == {2024: 1, 2025: 1}
    assert yearly(counts_recount()) == {2024: 1, 2025: 1}


def test_duplicates_and_not_a_detainer_are_not_counted_and_undo_counts_again(b3, supervisor):
    first = fax_received(received_at=local(2024, 3, 1, 10)).requests.get()
    second = fax_received(received_at=local(2024, 3, 2, 10)).requests.get()
    third = fax_received(received_at=local(2024, 3, 3, 10)).requests.get()
    assert yearly(counts_stored()) == {2024: 3}
    triage.request_triage(request_id=first.pk, actor=supervisor, changes={"event_number": "BOS1"})
    triage.request_triage(request_id=second.pk, actor=supervisor, changes={"event_number": "BOS1"})
    assert DetainerRequest.objects.get(pk=second.pk).duplicate_of_id == first.pk
    triage.request_triage(
        request_id=third.pk, actor=supervisor, changes={"disposition": Disposition.NOT_A_DETAINER}
    )
    assert yearly(counts_stored()) == {2024: 1}
    triage.request_duplicate_undo(request_id=second.pk, actor=supervisor)
    assert yearly(counts_stored()) == {2024: 2}
    assert counts_check() == {}


def test_the_cells_follow_form_type_and_disposition(b3, supervisor):
    request = fax_received(received_at=local(2024, 5, 5, 12)).requests.get()
    triage.request_triage(
        request_id=request.pk,
        actor=supervisor,
        changes={"form_type": "I-247A", "disposition": Disposition.NOT_ACTED_UPON},
    )
    stored = counts_stored()
    assert stored[CountKey(2024, b3.pk, "fax", "form_type", "I-247A")] == 1
    assert stored[CountKey(2024, b3.pk, "fax", "form_type", "")] == 0
    assert stored[CountKey(2024, b3.pk, "fax", "disposition", "not_acted_upon")] == 1
    assert stored[CountKey(2024, b3.pk, "fax", "month", "5")] == 1


def test_a_number_that_changed_hands_counts_for_the_owner_at_the_time(b3, c11):
    from precincts.services import fax_number_assign, fax_number_retire

    fax_number_retire(fax_number=b3.fax_numbers.get(), active_until=local(2024, 6, 1))
    fax_number_assign(precinct=c11, number="617-555-0133", active_from=local(2024, 6, 1))
    fax_received(received_at=local(2024, 3, 1, 9))
    fax_received(received_at=local(2024, 7, 1, 9))
    stored = counts_stored()
    assert stored[CountKey(2024, b3.pk, "fax", "month", "3")] == 1
    assert stored[CountKey(2024, c11.pk, "fax", "month", "7")] == 1


def test_rebuild_and_check_commands(b3, capsys):
    fax_received(received_at=local(2024, 2, 2, 9))
    call_command("rebuild_counts", "--check")
    CountCell.objects.update(total=7)  # a summary gone wrong
    with pytest.raises(CommandError, match="differs from a recount"):
        call_command("rebuild_counts", "--check")
    call_command("rebuild_counts")
    call_command("rebuild_counts", "--check")
    assert "equals a recount" in capsys.readouterr().out


MOMENTS = st.sampled_from(
    [
        local(2023, 12, 31, 23, 59),
        local(2024, 1, 1, 0, 0),
        local(2024, 6, 15, 12),
        local(2024, 12, 31, 23, 30),
    ]
)
OPERATIONS = st.lists(
    st.one_of(
        st.tuples(st.just("receive"), MOMENTS, st.sampled_from(["+16175550133", "+16175550199"])),
        st.tuples(
            st.just("triage"),
            st.integers(0, 30),
            st.sampled_from(["event_number", "disposition", "form_type"]),
            st.integers(0, 3),
        ),
        st.tuples(st.just("undo"), st.integers(0, 30)),
        st.tuples(st.just("link"), st.integers(0, 30), st.integers(0, 30)),
    ),
    min_size=1,
    max_size=25,
)
VALUES = {
    "event_number": ["BOS1", "BOS2", "", "BOS3"],
    "disposition": [
        "",
        Disposition.NOT_ACTED_UPON,
        Disposition.NOT_A_DETAINER,
        Disposition.CANCELLED,
    ],
    "form_type": ["I-247A", "I-200", "", "other"],
}


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(operations=OPERATIONS)
def test_any_sequence_of_changes_keeps_the_summary_equal_to_a_recount(b3, supervisor, operations):
    from django.core.exceptions import ValidationError

    for operation in operations:
        ids = list(DetainerRequest.objects.order_by("pk").values_list("pk", flat=True))
        kind = operation[0]
        try:
            if kind == "receive":
                fax_received(received_at=operation[1], to_number=operation[2])
            elif not ids:
                continue
            elif kind == "triage":
                _, which, field, choice = operation
                triage.request_triage(
                    request_id=ids[which % len(ids)],
                    actor=supervisor,
                    changes={field: VALUES[field][choice]},
                )
            elif kind == "undo":
                triage.request_duplicate_undo(
                    request_id=ids[operation[1] % len(ids)], actor=supervisor
                )
            else:
                _, which, target = operation
                triage.request_triage(
                    request_id=ids[which % len(ids)],
                    actor=supervisor,
                    changes={"duplicate_of": ids[target % len(ids)]},
                )
        except ValidationError:
            pass  # a refused change changes nothing, counts included
        assert counts_check() == {}, operation
