"""The mailbox's token cache, on a fake clock: a token is reused while it has more than the margin to
live and renewed before it ends; a held token the mail server refuses is renewed once, never in a
loop; a new token refused is the answer at once."""

import pytest

from detainers.mailbox.oauth2 import (
    RENEW_BEFORE_SECONDS,
    OAuth2Client,
    Token,
    TokenCache,
    TokenRefused,
    TokenUnavailable,
)

CLIENT = OAuth2Client(
    token_url="https://login.example.org/tenant/oauth2/v2.0/token",
    client_id="app",
    client_secret="not-to-be-seen",  # noqa: S106
    scope="https://outlook.office365.com/.default",
)


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Issuer:
    """Hands out token-1, token-2, ... living `lifetime` seconds; or refuses, when told to."""

    def __init__(self, lifetime: int = 3600):
        self.lifetime = lifetime
        self.issued: list[str] = []
        self.down = False

    def __call__(self, *, client: OAuth2Client) -> Token:
        if self.down:
            raise TokenUnavailable("The token server did not answer.")
        self.issued.append(f"token-{len(self.issued) + 1}")
        return Token(access_token=self.issued[-1], expires_in=self.lifetime)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def issuer() -> Issuer:
    return Issuer()


@pytest.fixture
def cache(clock, issuer) -> TokenCache:
    return TokenCache(clock=clock, fetch=issuer)


def test_it_reuses_a_token_until_the_margin_before_it_ends(cache, clock, issuer):
    assert cache.token(client=CLIENT) == ("token-1", True)
    clock.now += 3600 - RENEW_BEFORE_SECONDS - 1
    assert cache.token(client=CLIENT) == ("token-1", False)
    clock.now += 1  # the margin begins: renewed before the server could refuse it
    assert cache.token(client=CLIENT) == ("token-2", True)
    assert issuer.issued == ["token-1", "token-2"]


def test_a_short_lived_token_is_renewed_a_quarter_of_its_life_early(cache, clock, issuer):
    issuer.lifetime = 8
    cache.token(client=CLIENT)
    clock.now += 5.9
    assert cache.token(client=CLIENT) == ("token-1", False)
    clock.now += 0.1
    assert cache.token(client=CLIENT) == ("token-2", True)


def test_a_held_token_the_server_refuses_is_renewed_once(cache, clock, issuer):
    cache.token(client=CLIENT)
    clock.now += 60
    tried = []

    def sign_in(token: str) -> str:
        tried.append(token)
        if token == "token-1":  # revoked, or expired earlier than it said
            raise TokenRefused("[AUTHENTICATIONFAILED] Authentication failed.")
        return "signed in"

    assert cache.signed_in(client=CLIENT, sign_in=sign_in) == "signed in"
    assert tried == ["token-1", "token-2"]
    assert cache.token(client=CLIENT) == ("token-2", False)  # the new one is kept


def test_a_second_refusal_is_the_answer_not_a_loop(cache, issuer):
    cache.token(client=CLIENT)
    tried = []

    def refuses(token: str):
        tried.append(token)
        raise TokenRefused("[AUTHENTICATIONFAILED] Authentication failed.")

    with pytest.raises(TokenRefused):
        cache.signed_in(client=CLIENT, sign_in=refuses)
    assert tried == ["token-1", "token-2"] and issuer.issued == ["token-1", "token-2"]
    # Neither refused token is kept: the next run asks for a new one.
    assert cache.token(client=CLIENT) == ("token-3", True)


def test_a_new_token_refused_is_not_renewed_again(cache, issuer):
    """Just issued and refused: the mailbox permission is missing, and a second token would be too."""
    tried = []

    def refuses(token: str):
        tried.append(token)
        raise TokenRefused("[AUTHENTICATIONFAILED] Authentication failed.")

    with pytest.raises(TokenRefused):
        cache.signed_in(client=CLIENT, sign_in=refuses)
    assert tried == ["token-1"] and issuer.issued == ["token-1"]


def test_a_token_server_that_is_down_stops_the_sign_in_before_it_starts(cache, issuer):
    issuer.down = True
    tried = []
    with pytest.raises(TokenUnavailable):
        cache.signed_in(client=CLIENT, sign_in=tried.append)
    assert tried == [] and issuer.issued == []

    issuer.down = False
    cache.signed_in(client=CLIENT, sign_in=tried.append)
    assert tried == ["token-1"]


def test_each_client_has_its_own_token(cache, issuer):
    """A new secret (rotated in Entra ID and in the settings) gets a token of its own at once."""
    rotated = OAuth2Client(
        token_url=CLIENT.token_url,
        client_id=CLIENT.client_id,
        client_secret="the-new-secret",  # noqa: S106
        scope=CLIENT.scope,
    )
    assert cache.token(client=CLIENT) == ("token-1", True)
    assert cache.token(client=rotated) == ("token-2", True)
    assert cache.token(client=CLIENT) == ("token-1", False)


def test_neither_the_secret_nor_a_token_is_in_their_reprs(cache):
    cache.token(client=CLIENT)
    shown = repr(CLIENT) + repr(cache._held) + repr(Token(access_token="token-x", expires_in=1))
    assert "OAuth2Client(" in shown and "renew_at=" in shown
    assert "not-to-be-seen" not in shown and "token-1" not in shown and "token-x" not in shown
