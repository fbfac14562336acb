from django.contrib.auth import views as auth_views
from django.urls import path

from accounts import views

urlpatterns = [
    path("", views.home, name="home"),
    # Who: anyone (the login page is the one page open to anonymous users).
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(redirect_authenticated_user=True),
        name="login",
    ),
    # Who: anyone; logging out takes a POST (Django refuses GET) so a link cannot log a user out.
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
]
