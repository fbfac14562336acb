"""The daily purge (beat: CELERY_BEAT_SCHEDULE "purge-expired"; also enqueued when a supervisor
approves a large purge). `python manage.py purge_expired` runs the same job."""

from celery import shared_task


@shared_task(name="detainers.tasks.purge_expired")
def purge_expired() -> None:
    """Destroy what retention says is due (detainers.records.purge). Safe to run twice at once:
    rows are locked and claimed. Not retried: a failed run leaves everything for tomorrow's."""
    from detainers.intake.staging import kept_scans_remove_stale
    from detainers.records.purge import purge_run

    purge_run()
    kept_scans_remove_stale()  # the clerks' kept scans nobody came back for
