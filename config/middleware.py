"""Our middleware: the database-down answer, and no caching of answers that may name a person.

DatabaseUnavailableMiddleware: a view that cannot reach the database answers 503 with Retry-After,
not a bare 500. While PostgreSQL restarts (or a connection dies mid-request) a fax gateway must be
told "nothing was taken, send the same post again shortly", and a person the same in words. The
transaction the view was in is rolled back by Django, so nothing is half-written, and a retried
fax with the same `gateway_id` is taken once (detainers.intake.services).

DRF does not swallow these: its exception handler answers only its own APIException, Http404 and
PermissionDenied, and re-raises anything else to Django, which hands it to `process_exception`.
Only the error's type is logged: its message may carry a host name or a statement's parameters.
"""

import logging

from django.conf import settings
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


PRIVATE_NO_STORE = "private, no-store"


class PrivateNoStoreMiddleware:
    """Every answer that may carry personal data says `Cache-Control: private, no-store`, so no
    browser cache, proxy or shared computer's back button keeps a copy of a page about a person.

    Which answers: every one under /api/ (the only place a token is accepted), and every one to a
    request that carries a session cookie. Decided by what the request carries, not by looking the
    user up: that costs no query, so it cannot fail while the database is down (the 503 answered by
    DatabaseUnavailableMiddleware already says no-store), and it errs towards no-store (an expired
    session's cookie still counts).
    A view that set its own Cache-Control keeps it (documents, exports, search, the login page).
    Left alone: the login page and /healthz for anonymous callers (both `never_cache` already),
    and static files, which WhiteNoise answers before the request gets this far.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if "Cache-Control" not in response and _may_carry_personal_data(request):
            response["Cache-Control"] = PRIVATE_NO_STORE
        return response


def _may_carry_personal_data(request) -> bool:
    return request.path.startswith("/api/") or settings.SESSION_COOKIE_NAME in request.COOKIES
