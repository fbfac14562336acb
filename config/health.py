"""GET /healthz: 200 when the database (and the broker, if one is configured) answer, else 503.

Anyone may ask (a load balancer, `docker compose ps`), so the answer says only "ok" or "down" per
service; the reason is logged, never returned. Each probe gives up within seconds, so a dead service
makes the check fail quickly instead of holding a gunicorn worker until its timeout.
"""

import logging

from django.conf import settings
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe
from kombu import Connection

logger = logging.getLogger(__name__)

BROKER_TIMEOUT_SECONDS = 2


def _database_ok() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone() == (1,)
    except Exception as exc:  # noqa: BLE001 - any failure means "down"; the reason is not for the public
        logger.warning("healthz: the database did not answer (%s)", type(exc).__name__)
        return False


def _broker_ok() -> bool:
    url = settings.CELERY_BROKER_URL
    if not url:
        return True  # tasks run in-process: there is no broker to be down
    # Built from settings here, not with the Celery app's pooled connection: Celery prefers the
    # CELERY_BROKER_URL environment variable over settings, and its default retry sleeps 2 s.
    broker = Connection(
        url,
        connect_timeout=BROKER_TIMEOUT_SECONDS,
        transport_options={
            "socket_timeout": BROKER_TIMEOUT_SECONDS,
            "socket_connect_timeout": BROKER_TIMEOUT_SECONDS,
        },
    )
    try:
        with broker:
            broker.ensure_connection(max_retries=0)  # one attempt, no sleeping between retries
        return True
    except Exception as exc:  # noqa: BLE001
        logger.warning("healthz: the broker did not answer (%s)", type(exc).__name__)
        return False


@never_cache
@require_safe
def healthz(request):
    checks = {"database": _database_ok(), "broker": _broker_ok()}
    body = {name: "ok" if ok else "down" for name, ok in checks.items()}
    body["broker_mode"] = "celery" if settings.CELERY_BROKER_URL else "in-process"
    return JsonResponse(body, status=200 if all(checks.values()) else 503)
