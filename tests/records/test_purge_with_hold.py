"""Nothing held is purged: a held request keeps everything of its delivery; a held year keeps
everything of the year; a released hold lets retention run again."""

import pytest

from detainers.models import DetainerRequest, Document, Event, LegalHold, MissedFax, RecordKind
from detainers.records.purge import purge_run
from detainers.records.services import legal_hold_place, legal_hold_release

from .conftest import NAME, YEAR

pytestmark = pytest.mark.django_db


def purge(capture):
    with capture(execute=True):
        return purge_run()


def test_a_held_request_keeps_its_documents_personal_fields_and_views(
    scene, supervisor, django_capture_on_commit_callbacks
):
    legal_hold_place(
        actor=supervisor, reason="Doe v. City", scope="request", request_ids=[scene.first.pk]
    )

    outcome = purge(django_capture_on_commit_callbacks)

    held = DetainerRequest.objects.get(pk=scene.first.pk)
    assert held.subject_name == NAME and held.personal_data_purged_at is None
    document = scene.fax.documents.get()
    assert document.purged_at is None and document.file.storage.exists(document.file.name)
    assert Event.objects.filter(pk=scene.view.pk).exists()
    # What is not held went as usual: the duplicate (another fax), the email, the missed fax.
    destroyed = {log.kind: log for log in outcome.destroyed}
    assert set(destroyed) == set(RecordKind.values) - {RecordKind.DOCUMENT_VIEWS}
    assert scene.first.pk not in destroyed[RecordKind.PERSONAL_DATA].record_ids
    assert scene.duplicate.pk in destroyed[RecordKind.PERSONAL_DATA].record_ids
    assert not scene.duplicate.delivery.documents.filter(purged_at__isnull=True).exists()


def test_a_held_email_keeps_its_raw_message_and_attachments(
    scene, supervisor, django_capture_on_commit_callbacks
):
    legal_hold_place(
        actor=supervisor, reason="Records request", scope="search", request_ids=[scene.emailed.pk]
    )

    outcome = purge(django_capture_on_commit_callbacks)

    raw = scene.raw_email()
    assert raw.purged_at is None and raw.file.storage.exists(raw.file.name)
    assert scene.email.documents.filter(purged_at__isnull=False).count() == 0
    assert RecordKind.RAW_EMAIL not in {log.kind for log in outcome.destroyed}
    assert scene.fax.documents.get().purged_at is not None  # not held: gone


def test_a_held_year_keeps_everything_received_in_it(
    scene, supervisor, django_capture_on_commit_callbacks
):
    legal_hold_place(actor=supervisor, reason="Audit of 2022", scope="year", year=YEAR)

    outcome = purge(django_capture_on_commit_callbacks)

    assert outcome.destroyed == []
    assert not Document.objects.filter(purged_at__isnull=False).exists()
    assert MissedFax.objects.get(pk=scene.missed.pk).from_address == "+12025550100"
    assert Event.objects.filter(pk=scene.view.pk).exists()


def test_once_released_the_records_follow_their_rules_again(
    scene, supervisor, django_capture_on_commit_callbacks
):
    hold = legal_hold_place(actor=supervisor, reason="Audit", scope="year", year=YEAR)
    assert purge(django_capture_on_commit_callbacks).destroyed == []

    legal_hold_release(hold_id=hold.pk, actor=supervisor, reason="Audit closed")

    outcome = purge(django_capture_on_commit_callbacks)
    assert {log.kind for log in outcome.destroyed} == set(RecordKind.values)
    assert LegalHold.objects.get(pk=hold.pk).released_by == supervisor
