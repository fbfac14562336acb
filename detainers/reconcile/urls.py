from django.urls import path

from detainers.reconcile import api, views

urlpatterns = [
    path("reports/reconcile/", views.reconcile, name="reconcile"),
    path("reports/reconcile/sample.csv", views.reconcile_sample, name="reconcile-sample"),
    path("reports/reconcile/<int:pk>/", views.reconcile_detail, name="reconcile-detail"),
    path("reports/reconcile/<int:pk>/columns/", views.reconcile_columns, name="reconcile-columns"),
    path("reports/reconcile/<int:pk>/export.csv", views.reconcile_export, name="reconcile-export"),
    path("reports/reconcile/<int:pk>/restart/", views.reconcile_restart, name="reconcile-restart"),
    path(
        "reports/reconcile/<int:pk>/rows/<int:row_id>/decide/",
        views.reconcile_decide,
        name="reconcile-decide",
    ),
]

# Under /api/v1/.
api_urlpatterns = [
    path("reconciliations/", api.ReconciliationList.as_view(), name="api-reconciliations"),
    path(
        "reconciliations/<int:pk>/", api.ReconciliationDetail.as_view(), name="api-reconciliation"
    ),
]
