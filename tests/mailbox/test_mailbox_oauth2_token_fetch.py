"""Getting a token: one client-credentials POST to a real HTTP token server (tests/oauth2_server.py,
standing for Entra ID). Its refusals and its silence come back in plain words naming its host and
what to check, never the client secret."""

import pytest

from detainers.mailbox.oauth2 import OAuth2Client, TokenUnavailable, token_fetch
from tests.oauth2_server import TokenServer


def client_of(server: TokenServer, **changes) -> OAuth2Client:
    fields = {
        "token_url": server.token_url,
        "client_id": server.CLIENT_ID,
        "client_secret": server.CLIENT_SECRET,
        "scope": server.SCOPE,
    }
    return OAuth2Client(**{**fields, **changes})


@pytest.fixture
def server(token_server) -> TokenServer:
    token_server.reset(lifetime=3599)
    return token_server


def test_it_gets_a_token_and_how_long_it_lives(server):
    token = token_fetch(client=client_of(server))
    assert server.issued == [token.access_token] and token.expires_in == 3599


def test_a_wrong_secret_is_named_with_what_to_check(server):
    with pytest.raises(TokenUnavailable) as refused:
        token_fetch(client=client_of(server, client_secret="an-expired-secret"))  # noqa: S106
    words = str(refused.value)
    assert words.startswith(
        "The mailbox could not get a sign-in token from 127.0.0.1: the client secret was refused "
        "(invalid_client, AADSTS7000215). Check MAILBOX_OAUTH2_CLIENT_ID and "
        "MAILBOX_OAUTH2_CLIENT_SECRET"
    )
    assert "an-expired-secret" not in words and "Trace ID" not in words
    assert server.issued == []


def test_a_wrong_scope_names_the_one_for_microsoft_365(server):
    with pytest.raises(TokenUnavailable) as refused:
        token_fetch(client=client_of(server, scope="https://graph.microsoft.com/.default"))
    assert "the scope was refused (invalid_scope, AADSTS1002012)" in str(refused.value)
    assert "https://outlook.office365.com/.default" in str(refused.value)


def test_a_token_server_that_is_down_did_not_answer(server):
    server.stop()
    try:
        with pytest.raises(TokenUnavailable) as silent:
            token_fetch(client=client_of(server))
    finally:
        server.start()
    assert str(silent.value) == (
        "The mailbox could not get a sign-in token from 127.0.0.1: the token server did not answer."
    )


def test_a_url_that_is_no_token_endpoint_is_a_refusal(server):
    """A wrong path on the right host: its error code is repeated, nothing else of its answer."""
    with pytest.raises(TokenUnavailable) as refused:
        token_fetch(client=client_of(server, token_url=server.token_url + "/wrong"))
    assert str(refused.value).endswith("the token server refused the request (not_found).")
