from django.urls import path

from .views import reconcile

urlpatterns = [
    path("", reconcile.reconcile, name="reconcile"),
    path("<int:pk>/", reconcile.reconcile_detail, name="reconcile-detail"),
    path("<int:pk>/columns/", reconcile.reconcile_columns, name="reconcile-columns"),
    path("<int:pk>/export.csv", reconcile.reconcile_export, name="reconcile-export"),
    path("<int:pk>/restart/", reconcile.reconcile_restart, name="reconcile-restart"),
    path(
        "<int:pk>/rows/<int:row_id>/decide/",
        reconcile.reconcile_decide,
        name="reconcile-decide",
    ),
]
