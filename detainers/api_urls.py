from django.urls import include, path

from . import api, stats_api

urlpatterns = [
    path("faxes/", api.FaxReport.as_view(), name="api-faxes"),
    path("requests/", api.RequestList.as_view(), name="api-requests"),
    path("requests/search/", api.RequestSearch.as_view(), name="api-requests-search"),
    path("requests/<int:pk>/", api.RequestDetail.as_view(), name="api-request"),
    path("stats/yearly/", stats_api.YearlyStats.as_view(), name="api-stats-yearly"),
    path("reconciliations/", include("detainers.reconcile_api")),
]
