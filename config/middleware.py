"""A view that cannot reach the database answers 503 with Retry-After, not a bare 500.

While PostgreSQL restarts (or a connection dies mid-request) a fax gateway must be told "nothing
was taken, send the same post again shortly", and a person the same in words. The transaction the
view was in is rolled back by Django, so nothing is half-written, and a retried fax with the same
`gateway_id` is taken once (detainers.intake.services).

DRF does not swallow these: its exception handler answers only its own APIException, Http404 and
PermissionDenied, and re-raises anything else to Django, which hands it to `process_exception`.
Only the error's type is logged: its message may carry a host name or a statement's parameters.
"""

import logging

from django.db import InterfaceError, OperationalError
from django.http import HttpResponse, JsonResponse

logger = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 5
API_DETAIL = (
    "The database is unavailable for a moment; nothing was saved. "
    f"Please try again in {RETRY_AFTER_SECONDS} seconds (the same request, with the same gateway_id)."
)
PAGE = f"""<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Try again in a moment - Detainer Desk</title></head>
<body>
<h1>Try again in a moment</h1>
<p>Detainer Desk cannot reach its database just now, so nothing was saved.
Wait {RETRY_AFTER_SECONDS} seconds, then go back and send the page again.</p>
</body>
</html>
"""


class DatabaseUnavailableMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, OperationalError | InterfaceError):
            return None  # anything else is a bug: Django's 500 handling and error reporting
        is_api = request.path.startswith("/api/")
        logger.warning(
            "database unavailable (%s) during %s %s; answered 503",
            type(exception).__name__,
            request.method,
            "API request" if is_api else "page request",
        )
        if is_api:
            response = JsonResponse({"detail": API_DETAIL}, status=503)
        else:
            response = HttpResponse(PAGE, status=503, content_type="text/html; charset=utf-8")
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        response["Cache-Control"] = "no-store"
        return response
