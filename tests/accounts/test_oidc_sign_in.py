"""Signing in with the organisation's provider: the account is made at the first sign-in, found by
the provider's subject, and its roles, a clerk's precinct and staff status follow the claims at
every sign-in. Django's test client against a real provider (tests/oidc_provider.py)."""

import pytest
from django.contrib.auth import get_user

from accounts.access import Role, roles_of
from accounts.models import SignInEvent, User
from tests.conftest import make_user
from tests.oidc_provider import sign_in_with_sso

pytestmark = pytest.mark.django_db


def person(provider, sub: str, *groups: str, **claims) -> None:
    provider.person(
        sub,
        preferred_username=claims.pop("preferred_username", sub),
        given_name="Ana",
        family_name="Reyes",
        email=f"{sub}@city.example.gov",
        groups=list(groups),
        **claims,
    )


def test_it_makes_the_account_at_the_first_sign_in_with_the_role_the_group_gives(
    client, sso_settings
):
    person(sso_settings, "sub-sup-1", "detainer-supervisors", "some-other-group")

    response = sign_in_with_sso(client, sso_settings, "sub-sup-1")

    assert (response.status_code, response["Location"]) == (302, "/")
    user = User.objects.get(sso_subject="sub-sup-1")
    assert get_user(client).pk == user.pk
    assert (user.username, user.first_name, user.last_name) == ("sub-sup-1", "Ana", "Reyes")
    assert user.email == "sub-sup-1@city.example.gov"
    assert roles_of(user) == {Role.SUPERVISOR}
    assert (user.is_staff, user.is_superuser, user.precinct) == (False, False, None)
    assert not user.has_usable_password()
    assert client.get("/inbox/").status_code == 200
    signed_in = SignInEvent.objects.get(kind="sign_in")
    assert (signed_in.user, signed_in.method) == (user, "sso")
    changed = SignInEvent.objects.get(kind="role_changed")
    assert (changed.user, changed.detail) == (user, "none -> Supervisor")


def test_it_gives_a_clerk_the_precinct_of_the_claim(client, sso_settings, b3, c11):
    person(sso_settings, "sub-clerk-1", "detainer-clerks", precinct="C-11")

    response = sign_in_with_sso(client, sso_settings, "sub-clerk-1")

    assert response.status_code == 302
    user = User.objects.get(sso_subject="sub-clerk-1")
    assert roles_of(user) == {Role.CLERK}
    assert user.precinct == c11
    assert client.get("/intake/").status_code == 200


def test_an_admin_gets_the_admin_site_and_nothing_more(client, sso_settings):
    person(sso_settings, "sub-admin-1", "detainer-admins")

    sign_in_with_sso(client, sso_settings, "sub-admin-1")

    user = User.objects.get(sso_subject="sub-admin-1")
    assert roles_of(user) == {Role.ADMIN}
    assert (user.is_staff, user.is_superuser) == (True, False)
    assert client.get("/admin/").status_code == 200
    assert client.get("/inbox/").status_code == 403


def test_it_brings_roles_and_precinct_in_line_with_the_claims_at_every_sign_in(
    client, sso_settings, b3
):
    person(sso_settings, "sub-2", "detainer-clerks", precinct="B-3")
    sign_in_with_sso(client, sso_settings, "sub-2")
    user = User.objects.get(sso_subject="sub-2")
    # An admin's change by hand in between does not outlast the next sign-in.
    user.is_superuser = True
    user.save()
    person(sso_settings, "sub-2", "detainer-supervisors", precinct="B-3")

    client.post("/accounts/logout/")
    response = sign_in_with_sso(client, sso_settings, "sub-2")

    assert response.status_code == 302
    user.refresh_from_db()
    assert roles_of(User.objects.get(pk=user.pk)) == {Role.SUPERVISOR}
    assert (user.precinct, user.is_superuser) == (None, False)
    assert User.objects.filter(sso_subject="sub-2").count() == 1
    details = list(
        SignInEvent.objects.filter(kind="role_changed")
        .order_by("at", "id")
        .values_list("detail", flat=True)
    )
    assert details == ["none -> Clerk (B-3)", "Clerk (B-3), superuser -> Supervisor"]


def test_it_returns_to_the_page_that_asked_for_a_sign_in(client, sso_settings):
    person(sso_settings, "sub-3", "detainer-supervisors")

    response = sign_in_with_sso(client, sso_settings, "sub-3", next_url="/dashboard/")

    assert response["Location"] == "/dashboard/"


def test_it_never_returns_to_another_site(client, sso_settings):
    person(sso_settings, "sub-4", "detainer-supervisors")

    response = sign_in_with_sso(client, sso_settings, "sub-4", next_url="https://evil.example/")

    assert (response.status_code, response["Location"]) == (302, "/")


def test_a_precinct_code_nobody_knows_gives_a_clerk_no_access(client, sso_settings, b3):
    person(sso_settings, "sub-5", "detainer-clerks", precinct="Z-99")

    response = sign_in_with_sso(client, sso_settings, "sub-5")

    assert (response.status_code, response["Location"]) == (302, "/accounts/login/")
    assert not get_user(client).is_authenticated
    assert not User.objects.filter(sso_subject="sub-5").exists()
    page = client.get("/accounts/login/").content.decode()
    assert "says your precinct is “Z-99”, which Detainer Desk does not know" in page
    failed = SignInEvent.objects.get(kind="sign_in_failed")
    assert (failed.method, failed.username) == ("sso", "sub-5")
    assert failed.detail == "single sign-on: unknown or missing precinct code"


def test_claims_that_map_to_no_role_make_no_account(client, sso_settings):
    person(sso_settings, "sub-6", "parks-department")

    response = sign_in_with_sso(client, sso_settings, "sub-6")

    assert response["Location"] == "/accounts/login/"
    assert not get_user(client).is_authenticated
    assert not User.objects.filter(username="sub-6").exists()
    page = client.get("/accounts/login/").content.decode()
    assert "your account there is in no group that may use Detainer Desk" in page
    assert SignInEvent.objects.get().kind == "sign_in_failed"


def test_a_local_account_of_the_same_name_is_not_taken_over(client, sso_settings):
    local = make_user("sub-7", Role.ADMIN)
    person(sso_settings, "sub-7", "detainer-supervisors")

    response = sign_in_with_sso(client, sso_settings, "sub-7")

    assert response["Location"] == "/accounts/login/"
    assert not get_user(client).is_authenticated
    local.refresh_from_db()
    assert local.sso_subject is None
    assert roles_of(local) == {Role.ADMIN}
    assert (
        "not linked to your City Hall sign-on sign-in"
        in client.get("/accounts/login/").content.decode()
    )
    failed = SignInEvent.objects.get(kind="sign_in_failed")
    # The subject, for the admin who links the account.
    assert failed.detail == "single sign-on: user name taken by an unlinked account; subject sub-7"


def test_an_account_an_admin_linked_is_the_one_signed_in(client, sso_settings):
    local = make_user("ana.reyes", Role.SUPERVISOR)
    local.sso_subject = "sub-8"
    local.save()
    person(sso_settings, "sub-8", "detainer-supervisors", preferred_username="someone-else")

    sign_in_with_sso(client, sso_settings, "sub-8")

    assert get_user(client).pk == local.pk
    assert User.objects.count() == 1
