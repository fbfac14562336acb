"""A real OpenID Connect provider for the sign-on tests: oidc-provider-mock on 127.0.0.1.

It is a Flask app (Authlib's authorization server) served by Werkzeug in a thread of the test
process: discovery, an authorization page where a person types who they are (`sub`), the token
endpoint issuing RS256-signed ID tokens with the claims a test gave that person, the published
keys, userinfo and an end-session page. Nothing about it is faked on our side: the app fetches
its discovery document, exchanges the code and checks the ID token against its keys over HTTP.

`sso_settings` points the app at it, the way city IT would with OIDC_* variables.
"""

import re
import threading
from datetime import timedelta
from urllib.parse import quote

import pytest
import requests
import werkzeug.serving

from accounts.oidc import provider as sso_provider

CLIENT_ID = "detainer-desk"
CLIENT_SECRET = "a-client-secret-for-tests"
ROLE_MAP = {
    "detainer-clerks": ("Clerk",),
    "detainer-supervisors": ("Supervisor",),
    "detainer-admins": ("Admin",),
}


class MockProvider:
    """oidc-provider-mock on a free loopback port, until stop()."""

    def __init__(self, *, token_max_age: timedelta = timedelta(hours=1)):
        import oidc_provider_mock  # here, so the rest of the suite loads without it

        app = oidc_provider_mock.app(require_nonce=True, access_token_max_age=token_max_age)
        self.paths_asked: list[str] = []  # every request's path, in order

        def counted(environ, start_response):
            self.paths_asked.append(environ["PATH_INFO"])
            return app(environ, start_response)

        self.server = werkzeug.serving.make_server("127.0.0.1", 0, counted, threaded=True)
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.1,), daemon=True)
        self.thread.start()

    @property
    def issuer(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}"

    def person(self, sub: str, **claims) -> None:
        """What the provider says about `sub` from now on (its ID tokens carry these claims)."""
        response = requests.put(f"{self.issuer}/users/{quote(sub)}", json=claims, timeout=5)
        assert response.status_code == 204, response.text

    def authorize(self, authorization_url: str, sub: str) -> str:
        """Do what the person does on the provider's page (sign in as `sub`): the URL the
        provider sends the browser back to, our callback with the code and state."""
        assert authorization_url.startswith(self.issuer), authorization_url
        response = requests.post(
            authorization_url, data={"sub": sub}, allow_redirects=False, timeout=5
        )
        assert response.status_code == 302, response.text
        return response.headers["Location"]

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)


@pytest.fixture(scope="session")
def oidc_provider():
    provider = MockProvider()
    yield provider
    provider.stop()


def point_at(settings, provider: MockProvider, **overrides) -> None:
    """OIDC_* settings for `provider`, as config/settings.py would make them from the environment."""
    settings.OIDC_ISSUER = provider.issuer
    settings.OIDC_CLIENT_ID = CLIENT_ID
    settings.OIDC_CLIENT_SECRET = CLIENT_SECRET
    settings.OIDC_NAME = "City Hall sign-on"
    settings.OIDC_ROLE_CLAIM = "groups"
    settings.OIDC_PRECINCT_CLAIM = "precinct"
    settings.OIDC_ROLE_MAP = ROLE_MAP
    settings.LOCAL_LOGIN = True
    # What config/settings.py adds to form-action for the issuer (the logout form leads there).
    directives = settings.CONTENT_SECURITY_POLICY["DIRECTIVES"]
    settings.CONTENT_SECURITY_POLICY = {
        "DIRECTIVES": {**directives, "form-action": [*directives["form-action"], provider.issuer]}
    }
    for name, value in overrides.items():
        setattr(settings, name, value)


@pytest.fixture
def sso_settings(settings, oidc_provider):
    """The app signing in with the test provider; a fresh client, so discovery is fetched anew."""
    sso_provider._client.cache_clear()
    point_at(settings, oidc_provider)
    yield oidc_provider
    sso_provider._client.cache_clear()


def sign_in_with_sso(client, provider: MockProvider, sub: str, next_url: str = ""):
    """The whole round trip with Django's test client: start, the provider's page, the callback.
    Returns the callback's response."""
    start = client.get("/oidc/start/" + (f"?next={quote(next_url)}" if next_url else ""))
    assert start.status_code == 302, start
    callback = provider.authorize(start["Location"], sub)
    path = re.sub(r"^https?://[^/]+", "", callback)
    assert path.startswith("/oidc/callback/?"), callback
    return client.get(path)
