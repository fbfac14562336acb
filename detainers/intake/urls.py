from django.urls import path

from detainers.intake import api, views

urlpatterns = [
    path("intake/", views.intake, name="intake"),
]

# Under /api/v1/.
api_urlpatterns = [
    path("faxes/", api.FaxReport.as_view(), name="api-faxes"),
]
