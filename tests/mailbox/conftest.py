"""The mailbox over OAuth2: a token server of the test run's own (tests/oauth2_server.py, standing for
Entra ID) and a Dovecot that checks every XOAUTH2 sign-in at its introspection endpoint, as Exchange
Online checks an Entra ID token. The test password still opens the same mailbox, so `ImapFolders`
puts mail in and looks at the folders as a person would, while the reader signs in with a token."""

import pytest

from detainers.mailbox import signin
from detainers.mailbox.oauth2 import TokenCache
from tests.conftest import ImapFolders, _dovecot, imap_folders
from tests.oauth2_server import TokenServer
from tests.processes import Dovecot


@pytest.fixture(scope="session")
def token_server():
    server = TokenServer(username=Dovecot.USER)
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def dovecot_oauth2(token_server):
    yield from _dovecot(oauth2_introspection_url=token_server.introspection_url)


@pytest.fixture
def mailbox_tokens(monkeypatch) -> TokenCache:
    """This test's own token cache: a token held by an earlier test is not this one's."""
    cache = TokenCache()
    monkeypatch.setattr(signin, "tokens", cache)
    return cache


def oauth2_settings(settings, token_server: TokenServer) -> None:
    settings.MAILBOX_OAUTH2_TOKEN_URL = token_server.token_url
    settings.MAILBOX_OAUTH2_CLIENT_ID = token_server.CLIENT_ID
    settings.MAILBOX_OAUTH2_CLIENT_SECRET = token_server.CLIENT_SECRET
    settings.MAILBOX_OAUTH2_SCOPE = token_server.SCOPE


@pytest.fixture
def imap_oauth2(dovecot_oauth2, token_server, mailbox_tokens, settings, db) -> ImapFolders:
    """Empty folders; CENTRAL_MAILBOX_URL names the user and no password; MAILBOX_OAUTH2_* point at
    the token server, which is up, knows no token yet and issues hour-long ones."""
    token_server.reset()
    folders = imap_folders(dovecot_oauth2, settings)
    settings.CENTRAL_MAILBOX_URL = (
        f"imap://{dovecot_oauth2.USER}@127.0.0.1:{dovecot_oauth2.port}/INBOX"
    )
    oauth2_settings(settings, token_server)
    return folders
