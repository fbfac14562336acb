"""Reconciliation's Celery task (name kept from the first layout: `detainers.tasks.reconcile_run`)."""

from celery import shared_task


@shared_task(name="detainers.tasks.reconcile_run", bind=True, max_retries=3)
def reconcile_run(self, reconciliation_id: int) -> None:
    """Reconcile an uploaded agency list (a large one: detainers.reconcile.services). A file that
    cannot be read fails the list, and its page says why; any other error is retried, and after the
    last retry the list fails with an error id to quote. Safe to run twice: the run is claimed."""
    from detainers.reconcile import services

    try:
        services.reconciliation_run(reconciliation_id=reconciliation_id)
    except Exception as error:
        if self.request.retries >= self.max_retries:
            services.reconciliation_fail(reconciliation_id=reconciliation_id)
            raise
        raise self.retry(exc=error, countdown=5 * 2**self.request.retries) from error
