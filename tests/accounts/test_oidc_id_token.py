"""An ID token is believed only when its signature, issuer, audience, nonce and expiry all hold.

Two ways: a real provider's tokens (one tampered with on the way, one that was already expired
when issued), and, to reach every check, tokens signed here with a key the app was told is the
provider's, handed to the real callback in place of the token endpoint's answer. Either way a
refused token signs nobody in, makes no account and leaves a failed sign-in in the record that
says which check failed and holds no part of the token.
"""

import base64
import json
import time
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.auth import get_user
from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey

from accounts.models import SignInEvent, User
from accounts.oidc import provider as sso_provider
from tests.oidc_provider import (
    CLIENT_ID,
    MockProvider,
    point_at,
    sign_in_with_sso,
)

pytestmark = pytest.mark.django_db

ISSUER = "https://sso.city.example.gov"
PROVIDER_KEY = RSAKey.generate_key(2048, parameters={"kid": "city-2026"})
ANOTHER_KEY = RSAKey.generate_key(2048, parameters={"kid": "city-2026"})  # same kid, not theirs


def assert_refused(client, response, check: str) -> None:
    assert (response.status_code, response["Location"]) == (302, "/accounts/login/")
    assert not get_user(client).is_authenticated
    assert not User.objects.exists()
    failed = SignInEvent.objects.get()
    assert (failed.kind, failed.method) == ("sign_in_failed", "sso")
    assert failed.detail == f"ID token refused: {check}"
    page = client.get("/accounts/login/").content.decode()
    assert "Signing in with City Hall sign-on did not complete" in page


def replace_payload(token: str, **changes) -> str:
    """The same header and signature around a payload changed by someone on the way."""
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims.update(changes)
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return f"{header}.{forged}.{signature}"


# --- A real provider's tokens ----------------------------------------------------------------------


def test_a_token_changed_on_the_way_is_refused(client, sso_settings, monkeypatch):
    sso_settings.person("sub-t1", groups=["detainer-clerks"], precinct="B-3")
    app_client = sso_provider.provider_client()
    fetch = app_client.fetch_access_token

    def tampered(**params):
        tokens = fetch(**params)
        return {
            **tokens,
            "id_token": replace_payload(tokens["id_token"], groups=["detainer-admins"]),
        }

    monkeypatch.setattr(app_client, "fetch_access_token", tampered)

    response = sign_in_with_sso(client, sso_settings, "sub-t1")

    assert_refused(client, response, "bad_signature")


def test_a_token_that_has_expired_is_refused(client, settings, db):
    # The provider issues tokens that expired ten minutes before they were issued.
    expired_issuer = MockProvider(token_max_age=timedelta(minutes=-10))
    sso_provider._client.cache_clear()
    try:
        point_at(settings, expired_issuer)
        expired_issuer.person("sub-t2", groups=["detainer-supervisors"])

        response = sign_in_with_sso(client, expired_issuer, "sub-t2")

        assert_refused(client, response, "expired_token")
    finally:
        sso_provider._client.cache_clear()
        expired_issuer.stop()


# --- Tokens signed here, one check at a time --------------------------------------------------------


@pytest.fixture
def offline_provider(settings):
    """The app told that ISSUER's discovery document and keys are these (as if fetched)."""
    sso_provider._client.cache_clear()
    settings.OIDC_ISSUER = ISSUER
    settings.OIDC_CLIENT_ID = CLIENT_ID
    settings.OIDC_CLIENT_SECRET = "secret"
    settings.OIDC_NAME = "City Hall sign-on"
    settings.OIDC_ROLE_MAP = {"detainer-supervisors": ("Supervisor",)}
    sso_provider.provider_client().server_metadata.update(
        {
            "issuer": ISSUER,
            "authorization_endpoint": f"{ISSUER}/authorize",
            "token_endpoint": f"{ISSUER}/token",
            "jwks_uri": f"{ISSUER}/jwks",
            "jwks": KeySet([PROVIDER_KEY]).as_dict(private=False),
            "id_token_signing_alg_values_supported": ["RS256"],
            "_loaded_at": time.time(),
        }
    )
    yield
    sso_provider._client.cache_clear()


def callback_with(client, monkeypatch, make_token):
    """Start a sign-in, then come back to the callback with the token make_token(nonce) as the
    token endpoint's answer."""
    start = client.get("/oidc/start/")
    query = parse_qs(urlsplit(start["Location"]).query)
    id_token = make_token(query["nonce"][0])
    answer = {"access_token": "an-access-token", "token_type": "Bearer", "id_token": id_token}
    monkeypatch.setattr(sso_provider.provider_client(), "fetch_access_token", lambda **_: answer)
    return client.get(f"/oidc/callback/?code=a-code&state={query['state'][0]}")


def signed(nonce: str, key=PROVIDER_KEY, alg: str = "RS256", **changes) -> str:
    now = int(time.time())
    claims = {
        "iss": ISSUER,
        "aud": CLIENT_ID,
        "sub": "sub-offline",
        "iat": now,
        "exp": now + 300,
        "nonce": nonce,
        "groups": ["detainer-supervisors"],
    }
    claims.update(changes)
    claims = {name: value for name, value in claims.items() if value is not None}  # None: left out
    return jwt.encode({"alg": alg, "kid": key.kid}, claims, key)


def test_a_token_that_holds_on_every_check_signs_in(client, offline_provider, monkeypatch):
    response = callback_with(client, monkeypatch, signed)

    assert (response.status_code, response["Location"]) == (302, "/")
    assert get_user(client).username == "sso-sub-offline"  # no preferred_username nor email


REFUSED = {
    "tampered": (lambda nonce: replace_payload(signed(nonce), sub="someone-else"), "bad_signature"),
    "another key": (lambda nonce: signed(nonce, key=ANOTHER_KEY), "bad_signature"),
    "expired": (lambda nonce: signed(nonce, exp=int(time.time()) - 600), "expired_token"),
    "another audience": (lambda nonce: signed(nonce, aud="another-app"), "invalid_claim"),
    "another issuer": (
        lambda nonce: signed(nonce, iss="https://sso.evil.example"),
        "invalid_claim",
    ),
    "another nonce": (lambda nonce: signed("replayed-nonce"), "invalid_claim"),
    "no expiry": (lambda nonce: signed(nonce, exp=None), "missing_claim"),
}


@pytest.mark.parametrize("case", REFUSED)
def test_a_token_failing_one_check_is_refused(client, offline_provider, monkeypatch, case):
    make_token, check = REFUSED[case]

    response = callback_with(client, monkeypatch, make_token)

    assert_refused(client, response, check)


def test_an_unsigned_token_is_refused(client, offline_provider, monkeypatch):
    def unsigned(nonce: str) -> str:
        token = signed(nonce)
        header = base64.urlsafe_b64encode(b'{"alg":"none"}').rstrip(b"=").decode()
        return f"{header}.{token.split('.')[1]}."

    response = callback_with(client, monkeypatch, unsigned)

    assert response["Location"] == "/accounts/login/"
    assert not get_user(client).is_authenticated
    assert SignInEvent.objects.get().detail.startswith("ID token refused: ")


def test_a_callback_nobody_started_here_is_refused(client, offline_provider):
    response = client.get("/oidc/callback/?code=a-code&state=made-up")

    assert response["Location"] == "/accounts/login/"
    assert not get_user(client).is_authenticated
    assert SignInEvent.objects.get().detail == "no sign-in started in this browser (state)"


def test_the_provider_saying_no_signs_nobody_in(client, offline_provider):
    start = client.get("/oidc/start/")
    state = parse_qs(urlsplit(start["Location"]).query)["state"][0]

    response = client.get(f"/oidc/callback/?error=access_denied&state={state}")

    assert response["Location"] == "/accounts/login/"
    assert not get_user(client).is_authenticated
    assert SignInEvent.objects.get().detail == "the provider refused: access_denied"
