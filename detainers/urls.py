from django.urls import path

from .views import inbox, intake

urlpatterns = [
    path("intake/", intake.intake, name="intake"),
    path("inbox/", inbox.inbox, name="inbox"),
    path("inbox/<int:pk>/", inbox.inbox_item, name="inbox-item"),
    path("documents/<int:pk>/", inbox.document, name="document"),
]
