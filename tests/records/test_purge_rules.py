"""The purge under each retention rule: what goes, what stays, and when nothing is due yet."""

import os
from datetime import timedelta

import pytest
from django.utils import timezone

from detainers.models import (
    DestructionLog,
    DetainerRequest,
    Document,
    Event,
    Extraction,
    MissedFax,
    RecordKind,
    RetentionRule,
)
from detainers.records.purge import DESTROYED, purge_run
from tests.conftest import local

from .conftest import A_NUMBER, NAME, YEAR, close_year, year_of_records

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("rules_of_one_year")]


def only_rule(kind: str) -> None:
    """Every other kind kept for 100 years: only `kind` is due."""
    RetentionRule.objects.exclude(kind=kind).update(period=100)


def purge(capture):
    with capture(execute=True):  # the files go once the purge's transaction commits
        return purge_run()


def test_it_destroys_the_files_of_documents_and_keeps_their_rows(
    scene, django_capture_on_commit_callbacks
):
    only_rule(RecordKind.DOCUMENTS)
    document = scene.fax.documents.get()
    path, size, sha256 = document.file.path, document.size, document.sha256
    raw = scene.raw_email()

    outcome = purge(django_capture_on_commit_callbacks)

    document.refresh_from_db()
    assert document.purged_at is not None
    assert (document.size, document.sha256, document.file.name) == (size, sha256, "")
    assert not os.path.exists(path)
    # The text read from it is the document again: it goes with it.
    assert Extraction.objects.get(document=document).text == ""
    [log] = outcome.destroyed
    assert log.kind == RecordKind.DOCUMENTS and log.count == log.record_ids.__len__()
    assert document.pk in log.record_ids
    # Every fax and the email's form and text: but not the raw email, another kind.
    assert set(log.request_ids) == {scene.first.pk, scene.duplicate.pk, scene.emailed.pk}
    assert (log.rule_period, log.rule_unit, log.dry_run, log.approved_by) == (
        1,
        "years",
        False,
        None,
    )
    raw.refresh_from_db()
    assert raw.purged_at is None and raw.file.storage.exists(raw.file.name)
    assert Event.objects.filter(action="documents_destroyed", delivery=scene.fax).count() == 1


def test_it_destroys_the_raw_email_under_its_own_rule(scene, django_capture_on_commit_callbacks):
    only_rule(RecordKind.RAW_EMAIL)
    raw = scene.raw_email()

    [log] = purge(django_capture_on_commit_callbacks).destroyed

    raw.refresh_from_db()
    assert raw.purged_at is not None and raw.file.name == ""
    assert log.kind == RecordKind.RAW_EMAIL and log.record_ids == [raw.pk]
    assert log.request_ids == [scene.emailed.pk]
    # The form it carried is a document, kept under the documents' rule.
    assert scene.email.documents.filter(purged_at__isnull=True).count() == 2


def test_it_blanks_personal_fields_and_what_was_read_and_keeps_what_is_counted(
    scene, django_capture_on_commit_callbacks
):
    only_rule(RecordKind.PERSONAL_DATA)

    [log] = purge(django_capture_on_commit_callbacks).destroyed

    first = DetainerRequest.objects.get(pk=scene.first.pk)
    assert first.personal_data_purged_at is not None
    assert (first.subject_name, first.a_number, first.date_of_birth, first.citizenship) == (
        "",
        "",
        None,
        "",
    )
    assert (first.form_type, first.probable_cause, first.disposition) == (
        "I-247A",
        "final_order",
        "not_acted_upon",
    )
    duplicate = DetainerRequest.objects.get(pk=scene.duplicate.pk)
    assert duplicate.duplicate_of_id == first.pk and duplicate.a_number == ""
    reading = Extraction.objects.get(document__delivery=scene.fax)
    assert reading.fields == {"form_type": {"value": "I-247A", "confidence": 1.0}}
    assert reading.text == ""
    # The history keeps that the name was changed, and by whom, not the name.
    triaged = Event.objects.get(request=first, action="triaged")
    assert triaged.changes["subject_name"] == ["", DESTROYED]
    assert triaged.changes["disposition"][1] == "not_acted_upon"
    assert NAME not in str(list(Event.objects.values_list("changes", flat=True)))
    assert A_NUMBER not in str(list(Event.objects.values_list("changes", flat=True)))
    assert set(log.record_ids) == {scene.first.pk, scene.duplicate.pk, scene.emailed.pk}
    assert Event.objects.filter(action="personal_data_destroyed").count() == 3
    assert Document.objects.filter(purged_at__isnull=False).count() == 0


def test_it_removes_a_missed_fax_callers_details_and_keeps_the_missed_fax(
    scene, django_capture_on_commit_callbacks
):
    only_rule(RecordKind.MISSED_FAX_CALLERS)

    [log] = purge(django_capture_on_commit_callbacks).destroyed

    missed = MissedFax.objects.get(pk=scene.missed.pk)
    assert (missed.from_address, missed.sender_id) == ("", "")
    assert missed.received_at == local(YEAR, 5, 1, 8) and missed.to_number == "+16175550133"
    assert log.record_ids == [missed.pk] and log.request_ids == []
    assert Event.objects.get(missed_fax=missed, action="caller_details_destroyed")


def test_it_deletes_the_views_of_documents_and_logs_how_many(
    scene, django_capture_on_commit_callbacks
):
    only_rule(RecordKind.DOCUMENT_VIEWS)
    other_events = Event.objects.exclude(action="document_viewed").count()

    [log] = purge(django_capture_on_commit_callbacks).destroyed

    assert not Event.objects.filter(pk=scene.view.pk).exists()
    assert log.record_ids == [scene.view.pk] and log.request_ids == [scene.first.pk]
    assert Event.objects.count() == other_events


def test_nothing_goes_before_the_period_has_run_from_the_close_of_the_year(
    b3, supervisor, django_capture_on_commit_callbacks
):
    # Closed late (a year after it ended): its clock starts at the close, not on 1 January.
    year_of_records(YEAR, supervisor)
    close_year(YEAR, supervisor, closed_on=timezone.now() - timedelta(days=200))
    before = Document.objects.filter(purged_at__isnull=True).count()

    outcome = purge(django_capture_on_commit_callbacks)

    assert outcome.destroyed == [] and DestructionLog.objects.count() == 0
    assert Document.objects.filter(purged_at__isnull=True).count() == before > 0


def test_nothing_of_a_year_whose_report_is_open_goes(
    b3, supervisor, django_capture_on_commit_callbacks
):
    scene = year_of_records(YEAR, supervisor)

    outcome = purge(django_capture_on_commit_callbacks)

    assert outcome.destroyed == []
    assert DetainerRequest.objects.get(pk=scene.first.pk).subject_name == NAME
    assert MissedFax.objects.get(pk=scene.missed.pk).from_address == "+12025550100"


def test_a_second_run_finds_nothing_more_to_destroy(scene, django_capture_on_commit_callbacks):
    first = purge(django_capture_on_commit_callbacks)
    assert {log.kind for log in first.destroyed} == set(RecordKind.values)

    second = purge(django_capture_on_commit_callbacks)

    assert second.destroyed == [] and DestructionLog.objects.count() == len(RecordKind.values)


def test_a_kind_without_a_rule_is_kept(scene, django_capture_on_commit_callbacks):
    RetentionRule.objects.filter(kind=RecordKind.PERSONAL_DATA).delete()

    outcome = purge(django_capture_on_commit_callbacks)

    assert RecordKind.PERSONAL_DATA not in {log.kind for log in outcome.destroyed}
    assert len(outcome.destroyed) == len(RecordKind.values) - 1
    assert DetainerRequest.objects.get(pk=scene.first.pk).subject_name == NAME
