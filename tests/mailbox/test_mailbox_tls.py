"""imaps:// against a real TLS server (a Dovecot with `ssl = required`, implicit TLS on a loopback
port, its certificate signed by a private CA made for the test run). The certificate is always
verified; an operator trusts a private CA the way OpenSSL lets any program do it, SSL_CERT_FILE
(set here as the `imap_tls` fixture does), and an untrusted one stops the run with a reason on the
health panel and nothing read or moved."""

import pytest

from detainers.mailbox import mailbox_health, mailbox_ingest
from detainers.models import Delivery, MailboxState
from tests import mail_corpus as corpus

pytestmark = [pytest.mark.imap, pytest.mark.django_db]


def test_it_reads_over_tls_when_the_private_ca_is_trusted(imap_tls, dovecot_tls, settings):
    assert settings.CENTRAL_MAILBOX_URL.startswith("imaps://")
    imap_tls.append(corpus.with_forms("tls-1"), corpus.with_forms("tls-2"))
    summary = mailbox_ingest()
    assert summary.error == "" and (summary.ingested, summary.moved) == (2, 2)
    assert imap_tls.count("INBOX") == 0 and imap_tls.count("Processed") == 2
    assert mailbox_health().ok


def test_an_untrusted_certificate_is_shown_and_loses_nothing(imap_tls, monkeypatch):
    imap_tls.append(corpus.with_forms("tls-untrusted"))
    monkeypatch.delenv("SSL_CERT_FILE")  # the system's CAs only: they never signed this server
    refused = mailbox_ingest()
    assert "certificate was not accepted" in refused.error and "SSL_CERT_FILE" in refused.error
    state = MailboxState.objects.get()
    assert state.last_error == refused.error and state.last_read_at is None
    assert state.running_until is None  # the lease is given back: the next run may try
    assert Delivery.objects.count() == 0 and imap_tls.count("INBOX") == 1

    monkeypatch.setenv("SSL_CERT_FILE", str(imap_tls.server.ca_file))
    trusted = mailbox_ingest()
    assert trusted.error == "" and trusted.ingested == 1
    assert imap_tls.count("INBOX") == 0 and mailbox_health().last_error == ""


def test_a_trusted_certificate_for_another_name_is_refused(imap_tls, dovecot_tls):
    """The certificate is for 127.0.0.1; reached as "localhost", the name does not match."""
    imap_tls.append(corpus.with_forms("tls-wrong-name"))
    summary = mailbox_ingest(url=dovecot_tls.url(host="localhost"))
    assert "certificate was not accepted" in summary.error
    assert "match" in summary.error.lower()
    assert Delivery.objects.count() == 0 and imap_tls.count("INBOX") == 1


def test_imaps_to_a_plain_imap_port_says_which_scheme_to_use(imap, dovecot_server):
    imap.append(corpus.with_forms("tls-plain-port"))
    summary = mailbox_ingest(url=dovecot_server.url().replace("imap://", "imaps://", 1))
    assert "TLS with the mail server failed" in summary.error and "imap://" in summary.error
    assert Delivery.objects.count() == 0 and imap.count("INBOX") == 1
