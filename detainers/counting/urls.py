from django.urls import path

from detainers.counting import api
from detainers.counting.views import dashboard, reports

urlpatterns = [
    path("dashboard/", dashboard.dashboard, name="dashboard"),
    path("dashboard/requests/", dashboard.dashboard_requests, name="dashboard-requests"),
    path("dashboard/lines/", dashboard.dashboard_lines, name="dashboard-lines"),
    path("reports/", reports.reports, name="reports"),
    path("reports/annual/<int:year>/", reports.annual_report, name="annual-report"),
    path(
        "reports/annual/<int:year>/close/", reports.annual_report_close, name="annual-report-close"
    ),
]

# Under /api/v1/.
api_urlpatterns = [
    path("stats/yearly/", api.YearlyStats.as_view(), name="api-stats-yearly"),
]
