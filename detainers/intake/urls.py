from django.urls import path

from detainers.intake import api, views, webhooks

urlpatterns = [
    path("intake/", views.intake, name="intake"),
    path("intake/log/", views.clerk_log_page, name="intake-log"),
]

# Under /api/v1/.
api_urlpatterns = [
    path("faxes/", api.FaxReport.as_view(), name="api-faxes"),
    # Who: each provider, by its signature (detainers.intake.webhooks); no user or token.
    path("fax-providers/telnyx/", webhooks.TelnyxWebhook.as_view(), name="api-fax-telnyx"),
    path("fax-providers/phaxio/", webhooks.PhaxioWebhook.as_view(), name="api-fax-phaxio"),
    path("fax-providers/documo/", webhooks.DocumoWebhook.as_view(), name="api-fax-documo"),
]
