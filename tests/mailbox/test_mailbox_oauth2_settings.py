"""MAILBOX_OAUTH2_* fail closed: all four or none, the secret only over TLS (or to this machine), and
no password left in CENTRAL_MAILBOX_URL that would never be used. Each case starts the settings in a
fresh process (tests/project/test_settings.py), so the cases are few. The user's address may hold
an @ (Microsoft 365 names a mailbox by its email address)."""

import pytest

from detainers.mailbox import mailbox_address_parse, mailbox_health, mailbox_ingest
from tests.project.test_settings import refusal, settings_under

SECRET = "the-client-secret-value"  # noqa: S105
OAUTH2 = {
    "DJANGO_DEBUG": "True",
    "CENTRAL_MAILBOX_URL": "imaps://detainers@example.org@outlook.office365.com/INBOX",
    "MAILBOX_OAUTH2_TOKEN_URL": "https://login.microsoftonline.com/tenant-id/oauth2/v2.0/token",
    "MAILBOX_OAUTH2_CLIENT_ID": "00000000-0000-0000-0000-000000000001",
    "MAILBOX_OAUTH2_CLIENT_SECRET": SECRET,
    "MAILBOX_OAUTH2_SCOPE": "https://outlook.office365.com/.default",
}


def test_all_four_set_are_read():
    read = settings_under(OAUTH2, "MAILBOX_OAUTH2_TOKEN_URL", "MAILBOX_OAUTH2_SCOPE")
    assert read == {
        "MAILBOX_OAUTH2_TOKEN_URL": OAUTH2["MAILBOX_OAUTH2_TOKEN_URL"],
        "MAILBOX_OAUTH2_SCOPE": OAUTH2["MAILBOX_OAUTH2_SCOPE"],
    }


@pytest.mark.parametrize(
    ("changes", "named"),
    [
        pytest.param(
            {"MAILBOX_OAUTH2_SCOPE": "", "MAILBOX_OAUTH2_CLIENT_ID": ""},
            "MAILBOX_OAUTH2_CLIENT_ID, MAILBOX_OAUTH2_SCOPE must be set too",
            id="half set",
        ),
        pytest.param(
            {"MAILBOX_OAUTH2_TOKEN_URL": "http://login.example.org/token"},
            "MAILBOX_OAUTH2_TOKEN_URL must be an https:// URL",
            id="secret in the clear",
        ),
        pytest.param(
            {"CENTRAL_MAILBOX_URL": "imaps://detainers:old-password@mail.example.org/INBOX"},
            "CENTRAL_MAILBOX_URL holds a password, but MAILBOX_OAUTH2_* are set",
            id="password left in the URL",
        ),
    ],
)
def test_it_refuses_to_start_and_says_what_to_change(changes, named):
    refused = refusal({**OAUTH2, **changes})
    assert named in refused
    assert SECRET not in refused and "old-password" not in refused


def test_a_user_named_by_its_email_address_needs_no_password():
    address = mailbox_address_parse(OAUTH2["CENTRAL_MAILBOX_URL"])
    assert (address.user, address.password, address.host, address.port) == (
        "detainers@example.org",
        "",
        "outlook.office365.com",
        993,
    )
    assert address.key == "imaps://detainers%40example.org@outlook.office365.com:993/INBOX"


@pytest.mark.django_db
def test_without_a_password_or_oauth2_the_health_panel_says_what_to_set(settings):
    # Port 1: nothing listens there; the reader must stop before it tries to connect.
    settings.CENTRAL_MAILBOX_URL = "imap://detainers@127.0.0.1:1/INBOX"
    settings.MAILBOX_OAUTH2_TOKEN_URL = ""
    summary = mailbox_ingest()
    assert summary.error.startswith("CENTRAL_MAILBOX_URL names no password, and MAILBOX_OAUTH2_*")
    assert mailbox_health().last_error == summary.error
