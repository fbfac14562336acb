"""The purge on PostgreSQL: its row locks (SELECT ... FOR UPDATE OF), the JSON key lookups of the
audit events' redaction, and the local-year bounds, with the figures unchanged after it."""

import pytest

from detainers.models import DetainerRequest, Document, Event, RecordKind
from detainers.records.purge import purge_run
from detainers.records.services import legal_hold_place

from .conftest import A_NUMBER, NAME, YEAR, counts_agree, figures_of

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


def test_it_purges_on_postgresql_and_every_figure_stays(
    scene, supervisor, django_capture_on_commit_callbacks
):
    legal_hold_place(
        actor=supervisor, reason="Claim", scope="request", request_ids=[scene.emailed.pk]
    )
    before = figures_of(YEAR)

    with django_capture_on_commit_callbacks(execute=True):
        outcome = purge_run()

    assert {log.kind for log in outcome.destroyed} == set(RecordKind.values) - {
        RecordKind.RAW_EMAIL
    }
    first = DetainerRequest.objects.get(pk=scene.first.pk)
    assert (first.subject_name, first.a_number, first.disposition) == ("", "", "not_acted_upon")
    assert NAME not in str(list(Event.objects.filter(request=first).values_list("changes")))
    assert A_NUMBER not in str(list(Event.objects.filter(request=first).values_list("changes")))
    assert DetainerRequest.objects.get(pk=scene.emailed.pk).personal_data_purged_at is None
    assert not scene.email.documents.filter(purged_at__isnull=False).exists()
    assert Document.objects.filter(purged_at__isnull=False).exclude(file="").count() == 0
    assert counts_agree() and figures_of(YEAR) == before
