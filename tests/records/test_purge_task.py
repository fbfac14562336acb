"""The daily purge is a beat task under its kept name, and it runs the same job as the command."""

import pytest
from django.conf import settings

from detainers.models import DestructionLog, RecordKind
from detainers.records.tasks import purge_expired

pytestmark = pytest.mark.django_db


def test_beat_runs_the_purge_task_once_a_day():
    entry = settings.CELERY_BEAT_SCHEDULE["purge-expired"]
    assert entry["task"] == purge_expired.name == "detainers.tasks.purge_expired"
    schedule = entry["schedule"]
    assert schedule.hour == {settings.PURGE_HOUR} and schedule.day_of_month == set(range(1, 32))


def test_the_task_destroys_what_is_due(scene, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        purge_expired.apply()

    assert set(DestructionLog.objects.values_list("kind", flat=True)) == set(RecordKind.values)
