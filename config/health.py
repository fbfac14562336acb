"""GET /healthz: 200 when the database (and the broker, if one is configured) answer, else 503."""

from django.conf import settings
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.http import require_GET


def _database_ok() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone() == (1,)
    except Exception:  # noqa: BLE001 - any failure means "down"; the reason is not for the public
        return False


def _broker_ok() -> bool:
    if not settings.CELERY_BROKER_URL:
        return True  # tasks run in-process: there is no broker to be down
    from config.celery_app import app

    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
        return True
    except Exception:  # noqa: BLE001
        return False


@require_GET
def healthz(request):
    checks = {"database": _database_ok(), "broker": _broker_ok()}
    body = {name: "ok" if ok else "down" for name, ok in checks.items()}
    body["broker_mode"] = "celery" if settings.CELERY_BROKER_URL else "in-process"
    return JsonResponse(body, status=200 if all(checks.values()) else 503)
