"""`python manage.py purge_expired --dry-run` prints what would go and changes nothing: not a row
of any table, not a file."""

from io import StringIO

import pytest
from django.core.management import call_command

from detainers.models import DestructionLog, Document, PurgeApproval
from detainers.records.purge import purge_run
from detainers.records.services import purge_approval_approve

from .conftest import every_table

pytestmark = pytest.mark.django_db


def files(settings) -> list[str]:
    return sorted(str(path) for path in settings.MEDIA_ROOT.rglob("*") if path.is_file())


def dry_run() -> str:
    out = StringIO()
    call_command("purge_expired", "--dry-run", stdout=out)
    return out.getvalue()


def test_a_dry_run_prints_what_would_go_and_changes_no_table_and_no_file(
    scene, settings, django_capture_on_commit_callbacks
):
    tables, stored = every_table(), files(settings)
    assert len(stored) == Document.objects.count() == 5

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        printed = dry_run()

    assert "Dry run: nothing is changed." in printed
    assert "4 under Documents" in printed and "1 under Emails exactly as received" in printed
    assert f"#{scene.first.pk}, #{scene.duplicate.pk}, #{scene.emailed.pk}" in printed
    assert "1 under Missed faxes" in printed and "1 under Who opened a document" in printed
    assert every_table() == tables
    assert files(settings) == stored
    assert callbacks == []


def test_a_dry_run_says_a_real_run_would_wait_for_approval(scene, settings):
    settings.PURGE_APPROVAL_THRESHOLD = 3
    tables = every_table()

    printed = dry_run()

    assert "more than PURGE_APPROVAL_THRESHOLD (3)" in printed
    assert every_table() == tables and not PurgeApproval.objects.exists()


def test_a_dry_run_shows_an_approved_purge_without_running_it(scene, settings, supervisor):
    settings.PURGE_APPROVAL_THRESHOLD = 3
    approval = purge_run().requested
    purge_approval_approve(approval_id=approval.pk, actor=supervisor)
    tables = every_table()

    printed = dry_run()

    assert f"Approved purge #{approval.pk} would destroy:" in printed
    assert "Nothing else is due." in printed
    assert every_table() == tables and not DestructionLog.objects.exists()


def test_a_real_run_of_the_command_says_what_it_destroyed(
    scene, django_capture_on_commit_callbacks
):
    out = StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("purge_expired", stdout=out)

    assert "Destroyed 4 under Documents" in out.getvalue()
    assert DestructionLog.objects.count() == 5
