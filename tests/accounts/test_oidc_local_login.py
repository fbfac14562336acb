"""LOCAL_LOGIN=off: the password form refuses everyone, admins included, except the accounts an
admin marked break-glass; the admin site's own login page too. With it on nothing changes."""

import pytest
from django.contrib.auth import get_user

from accounts.access import Role
from accounts.models import SignInEvent
from tests.conftest import PASSWORD, make_user

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"


@pytest.fixture
def sso_only(settings, sso_settings):
    settings.LOCAL_LOGIN = False
    return sso_settings


def test_it_refuses_an_admins_right_password(client, sso_only, admin_user):
    response = client.post(LOGIN, {"username": "admin", "password": PASSWORD})

    assert response.status_code == 200
    assert not get_user(client).is_authenticated
    page = response.content.decode()
    assert "Password sign-in is turned off here, except for break-glass accounts." in page
    assert "Sign in with City Hall sign-on" in page
    failed = SignInEvent.objects.get()
    assert (failed.kind, failed.user, failed.method) == ("sign_in_failed", admin_user, "password")


def test_it_lets_a_break_glass_account_in(client, sso_only):
    keeper = make_user("it-break-glass", Role.ADMIN)
    keeper.break_glass = True
    keeper.save()

    response = client.post(LOGIN, {"username": "it-break-glass", "password": PASSWORD})

    assert (response.status_code, response["Location"]) == (302, "/")
    assert get_user(client).pk == keeper.pk
    assert client.get("/admin/").status_code == 200
    kinds = set(SignInEvent.objects.filter(user=keeper).values_list("kind", "method"))
    assert kinds == {("break_glass", "password"), ("sign_in", "password")}


def test_a_break_glass_account_still_needs_its_password(client, sso_only):
    keeper = make_user("it-break-glass", Role.ADMIN)
    keeper.break_glass = True
    keeper.save()

    response = client.post(LOGIN, {"username": "it-break-glass", "password": "not-the-password"})

    assert response.status_code == 200
    assert not get_user(client).is_authenticated
    assert not SignInEvent.objects.filter(kind="break_glass").exists()


def test_the_admin_sites_own_login_page_is_held_to_it_too(client, sso_only, admin_user):
    response = client.post(
        "/admin/login/?next=/admin/", {"username": "admin", "password": PASSWORD}
    )

    assert response.status_code == 200
    assert not get_user(client).is_authenticated


def test_the_login_page_puts_single_sign_on_first_and_the_password_form_aside(client, sso_only):
    page = client.get(LOGIN).content.decode()

    assert page.index("Sign in with City Hall sign-on") < page.index("<details")
    assert "Break-glass sign-in" in page


def test_with_local_login_on_both_ways_are_offered_and_a_password_works(
    client, sso_settings, admin_user
):
    page = client.get(LOGIN).content.decode()
    assert 'href="/oidc/start/"' in page
    assert "<details" not in page

    response = client.post(LOGIN, {"username": "admin", "password": PASSWORD})

    assert response.status_code == 302
    assert get_user(client).pk == admin_user.pk


def test_without_an_issuer_the_login_page_is_as_it_was(client, settings, clerk):
    settings.OIDC_ISSUER = ""
    page = client.get(LOGIN + "?next=/intake/").content.decode()
    assert "Sign in with" not in page
    assert "<details" not in page

    response = client.post(LOGIN, {"username": "clerk", "password": PASSWORD, "next": "/intake/"})

    assert (response.status_code, response["Location"]) == (302, "/intake/")
    for url in ("/oidc/start/", "/oidc/callback/"):
        assert client.get(url).status_code == 404
