from django.urls import path

from detainers.records import views

urlpatterns = [
    path("records/holds/", views.holds, name="records-holds"),
    path("records/holds/place/", views.hold_place, name="records-hold-place"),
    path("records/holds/<int:pk>/release/", views.hold_release, name="records-hold-release"),
    path("records/purges/", views.purges, name="records-purges"),
    path("records/purges/<int:pk>/approve/", views.purge_approve, name="records-purge-approve"),
]
