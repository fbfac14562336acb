from django.urls import path

from accounts.oidc import views

urlpatterns = [
    # Who: anyone (they are how a person signs in); 404 while OIDC_ISSUER is unset.
    path("start/", views.sso_start, name="oidc-start"),
    path("callback/", views.sso_callback, name="oidc-callback"),
]
