from django.urls import path

from .views import dashboard

urlpatterns = [
    path("", dashboard.dashboard, name="dashboard"),
    path("requests/", dashboard.dashboard_requests, name="dashboard-requests"),
    path("lines/", dashboard.dashboard_lines, name="dashboard-lines"),
]
