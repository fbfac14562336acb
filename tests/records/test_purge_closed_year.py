"""A purge of a closed year leaves every figure as reported: the summary still equals a recount
(`rebuild_counts --check`), and the annual report, the yearly stats and the failed receptions read
the same numbers after as before."""

import pytest
from django.core.management import CommandError, call_command

from detainers.counting.annual import annual_report
from detainers.counting.selectors import CountFilter, failed_receptions, yearly_stats
from detainers.models import CountCell, DetainerRequest, Document, MissedFax, RecordKind
from detainers.records.purge import purge_run

from .conftest import YEAR, counts_agree, figures_of

pytestmark = pytest.mark.django_db


def everything_counted() -> dict:
    year = CountFilter(year_from=YEAR, year_to=YEAR)
    return {
        "annual": figures_of(YEAR),
        "stats": yearly_stats(counts=year),
        "missed": failed_receptions(counts=year),
        "cells": sorted(CountCell.objects.values_list("year", "breakdown", "value", "total")),
    }


def test_a_closed_year_adds_up_to_the_same_figures_after_its_purge(
    scene, django_capture_on_commit_callbacks
):
    assert counts_agree()
    before = everything_counted()
    assert before["stats"][0]["total"] == 2  # the first fax and the email; the duplicate is not
    assert before["missed"]["total"] == 1

    with django_capture_on_commit_callbacks(execute=True):
        outcome = purge_run()

    # Everything of every kind went...
    assert {log.kind for log in outcome.destroyed} == set(RecordKind.values)
    assert not Document.objects.filter(purged_at__isnull=True).exists()
    assert not DetainerRequest.objects.filter(personal_data_purged_at__isnull=True).exists()
    assert MissedFax.objects.get().from_address == ""
    # ...and what is counted did not move.
    assert counts_agree()
    assert everything_counted() == before
    report = annual_report(year=YEAR)
    assert report.closed is not None and report.changed_lines == []


def test_the_check_fails_when_a_purge_would_have_moved_a_count(scene):
    """The check used above can fail: a count moved behind the summary's back is caught."""
    DetainerRequest.objects.filter(pk=scene.first.pk).update(form_type="I-200")

    with pytest.raises(CommandError, match="differs from a recount"):
        call_command("rebuild_counts", "--check")
