"""The provider is asked as little as it can be: never to show the login page (a provider that is
down leaves the password form working), and its discovery document and keys once per process."""

import socket

import pytest
from django.contrib.auth import get_user

from accounts.oidc import provider as sso_provider
from tests.conftest import PASSWORD
from tests.oidc_provider import sign_in_with_sso

pytestmark = pytest.mark.django_db

DISCOVERY = "/.well-known/openid-configuration"


@pytest.fixture
def provider_down(settings, sso_settings):
    """OIDC_ISSUER at a loopback port nobody listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.OIDC_ISSUER = f"http://127.0.0.1:{port}"


def test_the_login_page_never_asks_the_provider(client, sso_settings):
    asked = len(sso_settings.paths_asked)

    response = client.get("/accounts/login/")

    assert response.status_code == 200
    assert "Sign in with City Hall sign-on" in response.content.decode()
    assert sso_settings.paths_asked[asked:] == []


def test_a_provider_that_is_down_leaves_the_password_form_working(client, provider_down, clerk):
    page = client.get("/accounts/login/")
    assert page.status_code == 200
    assert "Sign in with City Hall sign-on" in page.content.decode()

    started = client.get("/oidc/start/")

    assert (started.status_code, started["Location"]) == (302, "/accounts/login/")
    message = client.get("/accounts/login/").content.decode()
    assert "City Hall sign-on cannot be reached just now" in message
    client.post("/accounts/login/", {"username": "clerk", "password": PASSWORD})
    assert get_user(client).pk == clerk.pk


def test_discovery_and_keys_are_fetched_once_for_many_sign_ins(client, sso_settings):
    sso_settings.person("sub-p1", groups=["detainer-supervisors"])
    asked = len(sso_settings.paths_asked)

    for _ in range(3):
        sign_in_with_sso(client, sso_settings, "sub-p1")
        assert get_user(client).is_authenticated
        client.post("/accounts/logout/")

    paths = sso_settings.paths_asked[asked:]
    assert paths.count("/oauth2/token") == 3, "three real sign-ins"
    assert paths.count(DISCOVERY) == 1
    assert paths.count("/jwks") == 1


def test_a_discovery_document_naming_another_issuer_is_not_used(client, sso_settings):
    app_client = sso_provider.provider_client()
    document = app_client.load_server_metadata()  # the real one, fetched
    assert document["issuer"] == sso_settings.issuer
    app_client.server_metadata["issuer"] = "http://127.0.0.1:9/someone-else"

    started = client.get("/oidc/start/")

    assert (started.status_code, started["Location"]) == (302, "/accounts/login/")
    assert "cannot be reached just now" in client.get("/accounts/login/").content.decode()
