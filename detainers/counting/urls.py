from django.urls import path

from detainers.counting import api
from detainers.counting.views import dashboard, filing, open_data, reports

urlpatterns = [
    path("dashboard/", dashboard.dashboard, name="dashboard"),
    path("dashboard/requests/", dashboard.dashboard_requests, name="dashboard-requests"),
    path("dashboard/requests.csv", dashboard.dashboard_requests_csv, name="dashboard-requests-csv"),
    path("dashboard/lines/", dashboard.dashboard_lines, name="dashboard-lines"),
    path("reports/", reports.reports, name="reports"),
    path("reports/annual/<int:year>/", reports.annual_report, name="annual-report"),
    path(
        "reports/annual/<int:year>/close/", reports.annual_report_close, name="annual-report-close"
    ),
    path(
        "reports/annual/<int:year>/requests/",
        reports.annual_report_requests,
        name="annual-report-requests",
    ),
    path("reports/annual/<int:year>/filing.pdf", filing.annual_filing, name="annual-filing"),
    # Supervisors always; anyone when OPEN_DATA_PUBLIC is True (views/open_data.py).
    path("open-data/", open_data.open_data_index, name="open-data"),
    path("open-data/datapackage.json", open_data.open_data_package, name="open-data-package"),
    path(
        "open-data/detainer-requests-<int:year>.csv",
        open_data.open_data_year_csv,
        name="open-data-year",
    ),
]

# Under /api/v1/.
api_urlpatterns = [
    path("stats/yearly/", api.YearlyStats.as_view(), name="api-stats-yearly"),
]
