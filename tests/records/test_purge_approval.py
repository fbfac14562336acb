"""A purge above PURGE_APPROVAL_THRESHOLD waits for a supervisor: the run records what would go
and stops; once approved (on /records/purges/), exactly that goes, less anything held since."""

import pytest
from django.urls import reverse

from detainers.models import (
    DestructionLog,
    DetainerRequest,
    Document,
    PurgeApproval,
    RecordKind,
)
from detainers.records.purge import purge_run
from detainers.records.services import legal_hold_place, purge_approval_approve

from .conftest import NAME, close_year, every_table, year_of_records

pytestmark = pytest.mark.django_db

TOTAL = 10  # 4 documents, 1 raw email, 3 requests' personal fields, 1 missed fax, 1 view


@pytest.fixture
def low_threshold(settings):
    settings.PURGE_APPROVAL_THRESHOLD = 3


def test_above_the_threshold_the_run_asks_for_approval_and_destroys_nothing(
    scene, low_threshold, django_capture_on_commit_callbacks
):
    before = every_table()

    with django_capture_on_commit_callbacks(execute=True):
        outcome = purge_run()

    approval = outcome.requested
    assert approval.status == PurgeApproval.Status.PENDING and approval.total == TOTAL
    assert set(approval.planned) == set(RecordKind.values)
    assert approval.planned[RecordKind.PERSONAL_DATA]["request_ids"] == [
        scene.first.pk,
        scene.duplicate.pk,
        scene.emailed.pk,
    ]
    after = every_table()
    assert after.pop("detainers.PurgeApproval") != before.pop("detainers.PurgeApproval")
    assert after == before  # nothing else changed

    again = purge_run()
    assert again.waiting == approval and again.requested is None
    assert PurgeApproval.objects.count() == 1


def test_a_supervisor_approves_on_the_page_and_the_purge_runs(
    scene, low_threshold, page_as, supervisor, django_capture_on_commit_callbacks
):
    approval = purge_run().requested
    client = page_as("supervisor")
    page = client.get(reverse("records-purges"))
    assert page.status_code == 200
    assert reverse("records-purge-approve", args=[approval.pk]) in page.content.decode()
    assert "Emails exactly as received" in page.content.decode()

    with django_capture_on_commit_callbacks(execute=True):  # the task, then the files
        response = client.post(reverse("records-purge-approve", args=[approval.pk]))

    assert response.status_code == 302 and response["Location"] == reverse("records-purges")
    approval.refresh_from_db()
    assert approval.status == PurgeApproval.Status.DONE and approval.approved_by == supervisor
    logs = DestructionLog.objects.filter(approval=approval)
    assert sum(log.count for log in logs) == TOTAL
    assert {log.approved_by for log in logs} == {supervisor}
    assert not Document.objects.filter(purged_at__isnull=True).exists()
    assert not Document.objects.exclude(file="").exists()  # the files went after the commit


def test_the_approved_purge_skips_what_was_held_after_the_approval(
    scene, low_threshold, supervisor, django_capture_on_commit_callbacks
):
    approval = purge_run().requested
    purge_approval_approve(approval_id=approval.pk, actor=supervisor)
    legal_hold_place(
        actor=supervisor, reason="New claim", scope="request", request_ids=[scene.first.pk]
    )

    with django_capture_on_commit_callbacks(execute=True):
        outcome = purge_run()

    assert DetainerRequest.objects.get(pk=scene.first.pk).subject_name == NAME
    assert scene.fax.documents.get().purged_at is None
    personal = next(log for log in outcome.destroyed if log.kind == RecordKind.PERSONAL_DATA)
    assert personal.record_ids == [scene.duplicate.pk, scene.emailed.pk]
    assert personal.approval == approval


def test_the_approved_purge_destroys_only_what_was_approved(
    scene, low_threshold, supervisor, django_capture_on_commit_callbacks
):
    approval = purge_run().requested
    purge_approval_approve(approval_id=approval.pk, actor=supervisor)
    # Another year falls due after the approval: it is not part of it.
    later = year_of_records(2021, supervisor)
    close_year(2021, supervisor)

    with django_capture_on_commit_callbacks(execute=True):
        outcome = purge_run()

    assert {log.approval for log in outcome.destroyed} == {approval}
    assert sum(log.count for log in outcome.destroyed) == TOTAL
    assert DetainerRequest.objects.get(pk=later.first.pk).subject_name == NAME
    assert later.fax.documents.get().purged_at is None
    # 2021 is more than the threshold too: it waits for its own approval.
    assert outcome.requested is not None and outcome.requested.total == TOTAL


def test_an_approval_is_approved_once(scene, low_threshold, supervisor, page_as):
    approval = purge_run().requested
    purge_approval_approve(approval_id=approval.pk, actor=supervisor)

    response = page_as("supervisor").post(reverse("records-purge-approve", args=[approval.pk]))

    assert response.status_code == 404
    assert PurgeApproval.objects.get(pk=approval.pk).status == PurgeApproval.Status.APPROVED
