from django.urls import include, path

from .views import extraction, inbox, intake, search

urlpatterns = [
    path("intake/", intake.intake, name="intake"),
    path("inbox/", inbox.inbox, name="inbox"),
    path("inbox/search/", search.inbox_search, name="inbox-search"),
    path("inbox/<int:pk>/", inbox.inbox_item, name="inbox-item"),
    path("inbox/<int:pk>/triage/", inbox.inbox_item_triage, name="inbox-item-triage"),
    path(
        "inbox/<int:pk>/undo-duplicate/",
        inbox.inbox_item_duplicate_undo,
        name="inbox-item-duplicate-undo",
    ),
    path(
        "inbox/<int:pk>/mail-retry/",
        inbox.inbox_item_mail_retry,
        name="inbox-item-mail-retry",
    ),
    path("inbox/<int:pk>/precinct/", inbox.inbox_item_precinct, name="inbox-item-precinct"),
    path("documents/<int:pk>/", inbox.document, name="document"),
    path("documents/<int:pk>/page/<int:n>.png", inbox.document_page, name="document-page"),
    path(
        "documents/<int:pk>/read-again/",
        extraction.document_read_again,
        name="document-read-again",
    ),
    path(
        "inbox/extraction/retry/",
        extraction.extraction_retry_failed,
        name="extraction-retry-failed",
    ),
    path("dashboard/", include("detainers.urls_dashboard")),
    path("reports/reconcile/", include("detainers.urls_reconcile")),
    path("reports/", include("detainers.urls_reports")),
]
