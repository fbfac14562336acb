import base64
import hashlib
import logging
import re
import secrets
import sys

from csp.decorators import csp_update
from django.contrib import admin
from django.core.exceptions import (
    DisallowedHost,
    RequestDataTooBig,
    TooManyFieldsSent,
    TooManyFilesSent,
)
from django.http import HttpResponseServerError, JsonResponse
from django.template.loader import get_template
from django.urls import include, path
from django.views import defaults
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from accounts.forms import AdminLoginForm
from config import health

logger = logging.getLogger(__name__)

# What a client is told when Django refuses a request before a view reads it.
BAD_REQUEST_DETAILS = {
    RequestDataTooBig: "The request body is too large.",
    TooManyFieldsSent: "The request has too many fields.",
    TooManyFilesSent: "The request has too many files.",
    DisallowedHost: "Bad request: this host name is not served here.",
}


def inline_style_hashes(template_name: str) -> list[str]:
    """CSP hashes of the <style> blocks in a library's template (they hold no template tags), so
    the page may use exactly those and no other inline style."""
    source = get_template(template_name).template.source
    blocks = re.findall(r"<style>(.*?)</style>", source, flags=re.DOTALL)
    digests = (hashlib.sha256(block.encode()).digest() for block in blocks)
    return [f"'sha256-{base64.b64encode(digest).decode()}'" for digest in digests]


def _is_api(request) -> bool:
    return request.path.startswith("/api/")


def bad_request(request, exception):
    """A request Django refused before any view read it (too large a body, too many fields or
    files, a host not allowed): JSON under /api/, 400.html elsewhere."""
    if _is_api(request):
        detail = BAD_REQUEST_DETAILS.get(type(exception), "Bad request: it could not be read.")
        return JsonResponse({"detail": detail}, status=400)
    return defaults.bad_request(request, exception)


def permission_denied(request, exception):
    """Django's own refusals (DRF answers its views' refusals itself): 403.html off the API."""
    if _is_api(request):
        return JsonResponse({"detail": "You do not have permission to do this."}, status=403)
    return defaults.permission_denied(request, exception)


def not_found(request, exception):
    """A URL no route matches: JSON under /api/ (an API client reads the answer as JSON, and the
    schema promises it), 404.html elsewhere. Only used with DEBUG off."""
    if _is_api(request):
        return JsonResponse({"detail": "Not found."}, status=404)
    return defaults.page_not_found(request, exception)


def server_error(request):
    """An unhandled exception: JSON with an error id under /api/, the page 500.html elsewhere.

    The id is added to the exception as a note, so Django's own log record of it ("Internal Server
    Error: <path>", with the traceback) ends with the id: an operator finds the traceback by the id
    a client or a person quotes. Nothing of the request (its body, its query string) is logged here.
    The page is rendered without the request or the database, either of which may be what failed."""
    error_id = secrets.token_hex(6)
    exception = sys.exception()
    if exception is not None:
        exception.add_note(f"Server error id {error_id}")
    else:  # called without an exception being handled: the id is logged on its own
        logger.error("Server error id %s on %s %s", error_id, request.method, request.path)
    if _is_api(request):
        return JsonResponse({"detail": f"Server error (id {error_id})."}, status=500)
    page = get_template("500.html").render({"error_id": error_id})
    return HttpResponseServerError(page)


handler400 = bad_request
handler403 = permission_denied
handler404 = not_found
handler500 = server_error

admin.site.login_form = AdminLoginForm  # its titles and index order: config/admin_site.py

urlpatterns = [
    path("", include("accounts.urls")),
    path("admin/", admin.site.urls),
    path("", include("detainers.urls")),
    path("api/v1/", include("precincts.api_urls")),
    path("api/v1/", include("detainers.api_urls")),
    # Who: any signed-in user or token (the schema names no personal data).
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # Who: as the schema. Swagger UI under the content security policy: the split view loads its
    # start-up script from ?script= rather than inline, so script-src stays 'self'; the page's
    # one <style> block is allowed by its hash, on this page only.
    path(
        "api/docs/",
        csp_update({"style-src": inline_style_hashes("drf_spectacular/swagger_ui.html")})(
            SpectacularSwaggerSplitView.as_view(url_name="schema")
        ),
        name="api-docs",
    ),
    # Who: anyone, so a load balancer can ask; it says only "ok" or which service is down.
    path("healthz", health.healthz, name="healthz"),
]
