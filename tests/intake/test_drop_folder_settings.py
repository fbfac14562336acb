"""FAX_DROP_FOLDER: beat reads the drop folder only when it is set, and a relative path (whose
meaning would depend on where the worker was started) stops the start-up."""

from tests.project.test_settings import refusal, settings_under

DEVELOPMENT = {"DJANGO_DEBUG": "True"}


def test_beat_reads_the_folder_only_when_it_is_set():
    unset = settings_under(DEVELOPMENT, "CELERY_BEAT_SCHEDULE")
    found = settings_under(
        {**DEVELOPMENT, "FAX_DROP_FOLDER": "/srv/fax-drop", "FAX_DROP_EVERY_SECONDS": "15"},
        "CELERY_BEAT_SCHEDULE",
        "FAX_DROP_FOLDER",
    )

    assert "ingest-drop-folder" not in unset["CELERY_BEAT_SCHEDULE"]
    entry = found["CELERY_BEAT_SCHEDULE"]["ingest-drop-folder"]
    assert entry["task"] == "detainers.tasks.ingest_drop_folder"
    assert entry["schedule"] == 15.0
    assert found["FAX_DROP_FOLDER"] == "/srv/fax-drop"


def test_a_relative_folder_or_no_interval_stops_the_start_up():
    assert "FAX_DROP_FOLDER" in refusal({**DEVELOPMENT, "FAX_DROP_FOLDER": "fax-drop"})
    assert "FAX_DROP_EVERY_SECONDS" in refusal({**DEVELOPMENT, "FAX_DROP_EVERY_SECONDS": "0"})
