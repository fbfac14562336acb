from django.urls import path

from detainers.inbox import api
from detainers.inbox.views import documents, items, missed, queue, search

urlpatterns = [
    path("inbox/", queue.inbox, name="inbox"),
    path("inbox/search/", search.inbox_search, name="inbox-search"),
    path("inbox/filters/", queue.inbox_filter_save, name="inbox-filter-save"),
    path("inbox/filters/<int:pk>/delete/", queue.inbox_filter_delete, name="inbox-filter-delete"),
    path("inbox/<int:pk>/", items.inbox_item, name="inbox-item"),
    path("inbox/<int:pk>/triage/", items.inbox_item_triage, name="inbox-item-triage"),
    path(
        "inbox/<int:pk>/undo-duplicate/",
        items.inbox_item_duplicate_undo,
        name="inbox-item-duplicate-undo",
    ),
    path("inbox/<int:pk>/mail-retry/", items.inbox_item_mail_retry, name="inbox-item-mail-retry"),
    path("inbox/<int:pk>/precinct/", items.inbox_item_precinct, name="inbox-item-precinct"),
    path(
        "inbox/<int:pk>/resend-unlink/",
        missed.inbox_item_resend_unlink,
        name="inbox-item-resend-unlink",
    ),
    path("inbox/missed/", missed.missed_faxes, name="missed-faxes"),
    path("inbox/missed/<int:pk>/asked/", missed.missed_fax_asked, name="missed-fax-asked"),
    path("inbox/missed/<int:pk>/unlink/", missed.missed_fax_unlink, name="missed-fax-unlink"),
    path("documents/<int:pk>/", documents.document, name="document"),
    path("documents/<int:pk>/page/<int:n>.png", documents.document_page, name="document-page"),
]

# Under /api/v1/.
api_urlpatterns = [
    path("requests/", api.RequestList.as_view(), name="api-requests"),
    path("requests/search/", api.RequestSearch.as_view(), name="api-requests-search"),
    path("requests/<int:pk>/", api.RequestDetail.as_view(), name="api-request"),
    path("missed-faxes/", api.MissedFaxList.as_view(), name="api-missed-faxes"),
]
