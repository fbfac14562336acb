"""A server that keeps every folder under a personal namespace prefix ("INBOX." with "." between
levels: Courier, Cyrus, many hosted Dovecots) refuses a bare `Processed`. The reader asks the
server's NAMESPACE and files read mail in `INBOX.Processed` and `INBOX.Quarantine` there; the same
code keeps `Processed` on a server without a prefix (tests/mailbox/test_mailbox_imap.py)."""

import pytest

from detainers.mailbox import imap as imap_module
from detainers.mailbox import mailbox_ingest
from detainers.models import Delivery, MailboxState, MailMessage
from tests import mail_corpus as corpus

pytestmark = pytest.mark.django_db


@pytest.mark.imap
def test_it_files_read_mail_under_the_servers_prefix(imap_prefixed):
    imap_prefixed.append(corpus.with_forms("prefixed-1"), corpus.not_an_email())
    summary = mailbox_ingest()
    assert summary.error == "" and (summary.ingested, summary.quarantined) == (1, 1)
    assert imap_prefixed.count("INBOX") == 0
    assert imap_prefixed.count("INBOX.Processed") == 1
    assert imap_prefixed.contents("INBOX.Quarantine") == [corpus.not_an_email()]
    assert sorted(MailMessage.objects.values_list("moved_to", flat=True)) == [
        "INBOX.Processed",
        "INBOX.Quarantine",
    ]
    assert MailboxState.objects.get().last_error == ""


@pytest.mark.imap
def test_a_second_run_uses_the_folders_the_first_made(imap_prefixed):
    imap_prefixed.append(corpus.with_forms("prefixed-first"))
    mailbox_ingest()
    imap_prefixed.append(corpus.with_forms("prefixed-second"))
    summary = mailbox_ingest()
    assert summary.error == "" and summary.ingested == 1
    assert imap_prefixed.count("INBOX.Processed") == 2 and Delivery.objects.count() == 2


@pytest.mark.imap
def test_a_folder_named_as_the_server_lists_it_is_read(imap_prefixed, dovecot_prefixed):
    imap_prefixed.append(corpus.with_forms("prefixed-archive"), folder="INBOX.Archive")
    summary = mailbox_ingest(url=dovecot_prefixed.url("INBOX.Archive"))
    assert summary.error == "" and summary.ingested == 1
    assert imap_prefixed.count("INBOX.Archive") == 0
    assert imap_prefixed.count("INBOX.Processed") == 1


@pytest.mark.imap
def test_without_move_it_copies_under_the_prefix_and_expunges_only_those(
    imap_prefixed, monkeypatch
):
    imap_prefixed.append(*(corpus.with_forms(f"prefixed-copy-{n}") for n in range(3)))
    connect = imap_module._connect

    def without_move(address):
        box = connect(address)
        box.client.capabilities = tuple(c for c in box.client.capabilities if c != "MOVE")
        return box

    monkeypatch.setattr(imap_module, "_connect", without_move)
    summary = mailbox_ingest()
    assert summary.error == "" and summary.moved == 3
    assert imap_prefixed.count("INBOX") == 0 and imap_prefixed.count("INBOX.Processed") == 3


class _Answers:
    """A box whose server answers NAMESPACE with `answer`: forms Dovecot cannot be made to send."""

    def __init__(self, answer, capabilities=("IMAP4REV1", "NAMESPACE")):
        self.client = self
        self.capabilities = capabilities
        self.answer = answer

    def namespace(self):
        return "OK", [self.answer]


@pytest.mark.parametrize(
    "answer, prefix",
    [
        (b'(("INBOX." ".")) NIL NIL', "INBOX."),
        (b'(("" "/")) NIL (("Shared/" "/"))', ""),
        (b'(("INBOX" ".")) NIL NIL', "INBOX."),  # the delimiter left off the prefix
        (b'(("INBOX." "." "X-PARAM" ("FLAG1")) ("" "/")) NIL NIL', "INBOX."),
        (b"NIL NIL NIL", ""),
        (b'(("" NIL)) NIL NIL', ""),
    ],
)
def test_it_reads_the_prefix_from_the_first_personal_namespace(answer, prefix):
    folders = imap_module._folders_on(_Answers(answer))
    assert folders == {"Processed": f"{prefix}Processed", "Quarantine": f"{prefix}Quarantine"}


def test_a_server_without_namespace_keeps_folders_at_the_top():
    box = _Answers(b'(("INBOX." ".")) NIL NIL', capabilities=("IMAP4REV1",))
    assert imap_module._folders_on(box) == {"Processed": "Processed", "Quarantine": "Quarantine"}
