import base64
import hashlib
import re

from csp.decorators import csp_update
from django.contrib import admin
from django.http import JsonResponse
from django.template.loader import get_template
from django.urls import include, path
from django.views import defaults
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from config import health


def inline_style_hashes(template_name: str) -> list[str]:
    """CSP hashes of the <style> blocks in a library's template (they hold no template tags), so
    the page may use exactly those and no other inline style."""
    source = get_template(template_name).template.source
    blocks = re.findall(r"<style>(.*?)</style>", source, flags=re.DOTALL)
    digests = (hashlib.sha256(block.encode()).digest() for block in blocks)
    return [f"'sha256-{base64.b64encode(digest).decode()}'" for digest in digests]


def not_found(request, exception):
    """A URL no route matches: JSON under /api/ (an API client reads the answer as JSON, and the
    schema promises it), Django's page elsewhere. Only used with DEBUG off."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": "Not found."}, status=404)
    return defaults.page_not_found(request, exception)


handler404 = not_found

admin.site.site_header = "Detainer Desk administration"
admin.site.site_title = "Detainer Desk"
admin.site.index_title = "Precincts, fax numbers, users and API tokens"

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
