"""A person taken out of their group at the provider loses access at their next sign-in: refused,
signed out, and the account keeps no role, so a session it still has elsewhere opens nothing."""

import pytest
from django.contrib.auth import get_user
from django.test import Client

from accounts.access import roles_of
from accounts.models import SignInEvent, User
from tests.oidc_provider import sign_in_with_sso

pytestmark = pytest.mark.django_db


def test_it_takes_the_roles_away_and_refuses_the_sign_in(client, sso_settings, b3):
    sso_settings.person("sub-r1", groups=["detainer-clerks"], precinct="B-3")
    sign_in_with_sso(client, sso_settings, "sub-r1")
    user = User.objects.get(sso_subject="sub-r1")
    elsewhere = Client()  # the same person signed in on another computer
    sign_in_with_sso(elsewhere, sso_settings, "sub-r1")
    assert elsewhere.get("/intake/").status_code == 200
    sso_settings.person("sub-r1", groups=[], precinct="B-3")  # removed from the group

    response = sign_in_with_sso(client, sso_settings, "sub-r1")

    assert (response.status_code, response["Location"]) == (302, "/accounts/login/")
    assert not get_user(client).is_authenticated, "the browser that tried is signed out"
    user.refresh_from_db()
    assert user.is_active, "kept, so the record still names it"
    assert roles_of(user) == frozenset()
    assert (user.precinct, user.is_staff) == (None, False)
    assert elsewhere.get("/intake/").status_code == 403
    assert client.get("/intake/").status_code == 302
    page = client.get("/accounts/login/").content.decode()
    assert "your account there is in no group that may use Detainer Desk" in page
    events = SignInEvent.objects.filter(user=user).order_by("-at", "-id")
    kinds = list(events.values_list("kind", "detail")[:3])
    assert kinds == [
        ("sign_out", ""),
        ("sign_in_failed", "single sign-on: the claims give no role"),
        ("role_changed", "Clerk (B-3) -> none"),
    ]


def test_a_new_group_gives_the_access_back(client, sso_settings):
    sso_settings.person("sub-r2", groups=["detainer-supervisors"])
    sign_in_with_sso(client, sso_settings, "sub-r2")
    sso_settings.person("sub-r2", groups=[])
    sign_in_with_sso(client, sso_settings, "sub-r2")
    sso_settings.person("sub-r2", groups=["detainer-supervisors"])

    sign_in_with_sso(client, sso_settings, "sub-r2")

    assert get_user(client).is_authenticated
    assert client.get("/inbox/").status_code == 200
    assert User.objects.filter(sso_subject="sub-r2").count() == 1
