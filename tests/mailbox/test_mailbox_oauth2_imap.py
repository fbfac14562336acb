"""The central mailbox over OAuth2 against a real IMAP server: a throwaway Dovecot that checks each
XOAUTH2 sign-in at the test token server's introspection endpoint (as Exchange Online checks an
Entra ID token). The reader signs in with a client-credentials token as CENTRAL_MAILBOX_URL's user,
keeps the token, renews it before it ends or once when it is refused, and a token server that is
down costs a failed read shown on the health panel, never a message."""

import time

import pytest
from django.urls import reverse

from detainers.mailbox import mailbox_health, mailbox_ingest
from detainers.models import Delivery, MailboxState, MailMessage
from tests import mail_corpus as corpus
from tests.mailbox.test_mailbox_imap import message_ids

pytestmark = [pytest.mark.imap, pytest.mark.django_db]


def test_it_signs_in_with_a_token_reads_and_files_each_message(imap_oauth2, token_server):
    imap_oauth2.append(corpus.with_forms("oauth2-1"), corpus.with_forms("oauth2-2"))
    imap_oauth2.append(corpus.not_an_email())
    summary = mailbox_ingest()
    assert summary.error == "" and (summary.ingested, summary.quarantined) == (2, 1)
    assert summary.moved == 3
    # The token the server checked is the one issued: the sign-in was XOAUTH2, not the password.
    assert len(token_server.issued) == 1 and token_server.introspected == token_server.issued
    assert imap_oauth2.count("INBOX") == 0 and imap_oauth2.count("Processed") == 2
    assert imap_oauth2.contents("Quarantine") == [corpus.not_an_email()]
    assert Delivery.objects.count() == 3 and MailMessage.objects.count() == 3
    health = mailbox_health()
    assert health.ok and health.sign_in == "an OAuth2 token from 127.0.0.1"


def test_the_token_is_kept_between_reads(imap_oauth2, token_server):
    imap_oauth2.append(corpus.with_forms("kept-1"))
    assert mailbox_ingest().ingested == 1
    imap_oauth2.append(corpus.with_forms("kept-2"))
    assert mailbox_ingest().ingested == 1
    assert len(token_server.issued) == 1 and len(token_server.introspected) == 2


def test_a_token_near_its_end_is_renewed_before_the_read(imap_oauth2, token_server):
    token_server.reset(lifetime=2)
    imap_oauth2.append(corpus.with_forms("short-1"))
    assert mailbox_ingest().ingested == 1
    time.sleep(1.6)  # past three quarters of its life: the server would still take it, briefly
    imap_oauth2.append(corpus.with_forms("short-2"))
    second = mailbox_ingest()
    assert second.error == "" and second.ingested == 1
    # Renewed before signing in: the server never saw a token it had to refuse.
    assert len(token_server.issued) == 2 and token_server.introspected == token_server.issued
    assert imap_oauth2.count("INBOX") == 0 and imap_oauth2.count("Processed") == 2


def test_a_token_that_ended_early_is_renewed_once_and_the_read_goes_on(imap_oauth2, token_server):
    imap_oauth2.append(corpus.with_forms("early-1"))
    assert mailbox_ingest().ingested == 1
    token_server.expire_all()  # revoked, or the server's clock ran ahead
    imap_oauth2.append(corpus.with_forms("early-2"))
    second = mailbox_ingest()
    assert second.error == "" and second.ingested == 1
    first_token, second_token = token_server.issued
    assert token_server.introspected == [first_token, first_token, second_token]
    assert imap_oauth2.count("INBOX") == 0 and imap_oauth2.count("Processed") == 2


def test_a_token_refused_again_after_renewal_is_shown_not_retried(imap_oauth2, token_server):
    """The token server answers for a mailbox the app may not open (Exchange: no mailbox
    permission): one renewal, then the refusal on the health panel, and the mail stays."""
    imap_oauth2.append(corpus.with_forms("refused"))
    assert mailbox_ingest().ingested == 1
    token_server.expire_all()
    token_server.username = "someone-else"
    try:
        imap_oauth2.append(corpus.with_forms("refused-2"))
        refused = mailbox_ingest()
    finally:
        token_server.username = imap_oauth2.server.USER
    assert refused.error.startswith("The mail server refused the sign-in token for detainers (")
    assert "Add-MailboxPermission" in refused.error
    assert len(token_server.issued) == 2 and len(token_server.introspected) == 3
    assert mailbox_health().last_error == refused.error
    assert Delivery.objects.count() == 1 and imap_oauth2.count("INBOX") == 1


def test_a_token_server_that_is_down_is_shown_and_loses_nothing(
    imap_oauth2, token_server, settings, page_as
):
    imap_oauth2.append(*(corpus.with_forms(f"down-{n}") for n in range(3)))
    token_server.stop()
    try:
        failed = mailbox_ingest()
        health = mailbox_health()
        page = page_as("supervisor").get(reverse("inbox")).content.decode()
    finally:
        token_server.start()
    assert failed.error.startswith(
        "The mailbox could not get a sign-in token from 127.0.0.1: the token server did not answer."
    )
    assert (failed.read, failed.moved) == (0, 0)
    state = MailboxState.objects.get()
    assert state.last_error == failed.error and state.running_until is None
    assert health.last_error == failed.error and not health.ok
    assert failed.error in page and settings.MAILBOX_OAUTH2_CLIENT_SECRET not in page
    assert Delivery.objects.count() == 0 and imap_oauth2.count("INBOX") == 3
    assert imap_oauth2.count("Processed") == 0 and imap_oauth2.count("Quarantine") == 0

    recovered = mailbox_ingest()
    assert recovered.error == "" and recovered.ingested == 3
    assert message_ids(imap_oauth2.contents("Processed")) == {
        f"<down-{n}@corpus.example>".encode() for n in range(3)
    }
    assert mailbox_health().last_error == ""


def test_a_wrong_client_secret_is_shown_without_the_secret(imap_oauth2, token_server, settings):
    imap_oauth2.append(corpus.with_forms("wrong-secret"))
    settings.MAILBOX_OAUTH2_CLIENT_SECRET = "an-expired-client-secret"  # noqa: S105
    failed = mailbox_ingest()
    assert failed.error.startswith(
        "The mailbox could not get a sign-in token from 127.0.0.1: the client secret was refused "
        "(invalid_client"
    )
    assert MailboxState.objects.get().last_error == failed.error
    assert "an-expired-client-secret" not in failed.error
    assert token_server.issued == [] and imap_oauth2.count("INBOX") == 1
