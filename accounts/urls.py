from django.contrib.auth import views as auth_views
from django.urls import include, path

from accounts import session_views, views
from accounts.forms import LoginForm
from accounts.mfa import views as mfa_views
from accounts.oidc.views import SsoLogoutView

urlpatterns = [
    path("", views.home, name="home"),
    # Who: anyone (the login page is the one page open to anonymous users).
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(
            redirect_authenticated_user=True, authentication_form=LoginForm
        ),
        name="login",
    ),
    # Who: anyone; logging out takes a POST (Django refuses GET) so a link cannot log a user out.
    # A session single sign-on started ends at the provider too (accounts/oidc/views.py).
    path("accounts/logout/", SsoLogoutView.as_view(), name="logout"),
    # Who: anyone; single sign-on's start and callback, 404 while OIDC_ISSUER is unset.
    path("oidc/", include("accounts.oidc.urls")),
    # Who: a signed-in person whose session owes its second factor (accounts/mfa/views.py).
    path("accounts/mfa/", mfa_views.verify, name="mfa-verify"),
    path("accounts/mfa/enrol/", mfa_views.enrol, name="mfa-enrol"),
    # Who: any signed-in person; anonymous 401 (accounts/session_views.py).
    path("accounts/session/", session_views.session_status, name="session"),
]
