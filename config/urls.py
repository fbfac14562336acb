from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from . import health

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
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    # Who: anyone, so a load balancer can ask; it says only "ok" or which service is down.
    path("healthz", health.healthz, name="healthz"),
]
