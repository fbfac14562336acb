"""Logging out of a session single sign-on started ends the provider's session too, when the
provider has an end_session_endpoint; no token goes into that URL."""

from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.auth import get_user

from accounts.models import SignInEvent
from accounts.oidc import provider as sso_provider
from tests.conftest import PASSWORD
from tests.oidc_provider import (
    CLIENT_ID,
    sign_in_with_sso,
)

pytestmark = pytest.mark.django_db


def test_it_sends_the_browser_on_to_end_the_providers_session(client, sso_settings):
    sso_settings.person("sub-l1", groups=["detainer-supervisors"])
    sign_in_with_sso(client, sso_settings, "sub-l1")

    response = client.post("/accounts/logout/")

    assert response.status_code == 302
    url = urlsplit(response["Location"])
    assert f"{url.scheme}://{url.netloc}{url.path}" == f"{sso_settings.issuer}/oauth2/end_session"
    assert parse_qs(url.query) == {
        "client_id": [CLIENT_ID],
        "post_logout_redirect_uri": ["http://testserver/accounts/login/"],
    }
    assert not get_user(client).is_authenticated
    assert SignInEvent.objects.filter(kind="sign_out").count() == 1


def test_a_password_session_logs_out_here_only(client, sso_settings, supervisor):
    client.post("/accounts/login/", {"username": "supervisor", "password": PASSWORD})

    response = client.post("/accounts/logout/")

    assert (response.status_code, response["Location"]) == (302, "/accounts/login/")
    assert not get_user(client).is_authenticated


def test_without_an_end_session_endpoint_it_logs_out_here_only(client, sso_settings):
    sso_settings.person("sub-l2", groups=["detainer-supervisors"])
    sign_in_with_sso(client, sso_settings, "sub-l2")
    sso_provider.provider_client().server_metadata.pop("end_session_endpoint")

    response = client.post("/accounts/logout/")

    assert (response.status_code, response["Location"]) == (302, "/accounts/login/")
    assert not get_user(client).is_authenticated
