"""The Celery application. Its settings live in config/settings.py under the CELERY_ prefix."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("detainer_desk")
app.config_from_object("django.conf:settings", namespace="CELERY")
# Each capability package keeps its own tasks module (docs/architecture.md).
app.autodiscover_tasks(
    [
        "detainers.intake",
        "detainers.mailbox",
        "detainers.extraction",
        "detainers.reconcile",
        "detainers.records",
    ]
)


@app.on_configure.connect
def _in_process_without_a_broker(sender, **kwargs):
    # With no CELERY_BROKER_URL tasks run in-process (make run); Celery would still open a
    # connection to its default broker, amqp://localhost, so give it the in-memory transport.
    from django.conf import settings

    if not settings.CELERY_BROKER_URL:
        sender.conf.broker_url = "memory://localhost/"
