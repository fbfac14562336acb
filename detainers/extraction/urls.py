from django.urls import path

from detainers.extraction import views

urlpatterns = [
    path("documents/<int:pk>/read-again/", views.document_read_again, name="document-read-again"),
    path("inbox/extraction/retry/", views.extraction_retry_failed, name="extraction-retry-failed"),
]
