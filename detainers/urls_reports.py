from django.urls import path

from .views import reports

urlpatterns = [
    path("", reports.reports, name="reports"),
    path("annual/<int:year>/", reports.annual_report, name="annual-report"),
    path("annual/<int:year>/close/", reports.annual_report_close, name="annual-report-close"),
]
