"""Several readers of the central mailbox side by side (MAILBOX_READERS): each takes the copies
whose UID leaves its remainder, under its own lease, and together they read everything once. The
health panel answers for all of them."""

import threading
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from detainers.mailbox import mailbox_address_parse, mailbox_health, mailbox_ingest, tasks
from detainers.mailbox.lease import reader_key
from detainers.models import Delivery, MailboxState, MailMessage
from tests import mail_corpus as corpus

KEY = "imaps://central@mail.example.org:993/INBOX"


@pytest.mark.imap
@pytest.mark.django_db
def test_each_reader_takes_its_share_of_the_uids_and_together_they_take_all(imap):
    imap.append(*(corpus.with_forms(f"share-{n}") for n in range(6)))  # six UIDs in a row
    first = mailbox_ingest(part=0, parts=2)
    assert (first.ingested, first.moved) == (3, 3)
    uids = list(MailMessage.objects.values_list("uid", flat=True))
    assert len(uids) == 3 and all(uid % 2 == 0 for uid in uids)
    assert imap.count("INBOX") == 3
    second = mailbox_ingest(part=1, parts=2)
    assert (second.ingested, second.moved) == (3, 3)
    assert imap.count("INBOX") == 0 and imap.count("Processed") == 6
    assert Delivery.objects.count() == 6
    keys = set(MailboxState.objects.values_list("mailbox", flat=True))
    mailbox = mailbox_address_parse(imap.server.url()).key
    assert keys == {f"{mailbox} reader 1 of 2", f"{mailbox} reader 2 of 2"}
    with pytest.raises(ValueError, match="part 2 of 2"):
        mailbox_ingest(part=2, parts=2)


@pytest.mark.imap
@pytest.mark.django_db
def test_the_periodic_task_reads_every_share(imap, settings):
    """Tasks run in-process here (make run): the other share's task runs before the task's own."""
    settings.MAILBOX_READERS = 3
    imap.append(*(corpus.with_forms(f"task-{n}") for n in range(7)))
    own = tasks.ingest_mailbox.apply().get()
    assert imap.count("INBOX") == 0 and Delivery.objects.count() == 7
    uids = list(MailMessage.objects.values_list("uid", flat=True))
    assert own == sum(uid % 3 == 0 for uid in uids) and own in (2, 3)  # its share: UIDs 3k
    assert mailbox_health().last_read_at is not None


@pytest.mark.imap
@pytest.mark.django_db
def test_the_command_reads_each_share_in_turn(imap, settings, capsys):
    settings.MAILBOX_READERS = 2
    imap.append(*(corpus.with_forms(f"command-{n}") for n in range(4)))
    call_command("ingest_mailbox", "--once")
    out = capsys.readouterr().out
    assert "Reader 1 of 2: 2 ingested" in out and "Reader 2 of 2: 2 ingested" in out
    assert imap.count("INBOX") == 0 and Delivery.objects.count() == 4


@pytest.mark.imap
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_readers_at_once_read_each_message_once_even_one_present_in_both_shares(imap):
    """The same message at two UIDs in a row lands with both readers at the same moment: the database's
    constraints make it one delivery, and both copies leave the folder."""
    twice = corpus.with_forms("in-both-shares", forms=2)
    imap.append(twice, twice, *(corpus.with_forms(f"parallel-{n}") for n in range(118)))
    start = threading.Barrier(2)
    summaries, errors = [], []

    def read(part: int):
        try:
            start.wait()
            summaries.append(mailbox_ingest(part=part, parts=2))
        except Exception as error:  # noqa: BLE001 - collected and asserted below
            errors.append(error)
        finally:
            connection.close()

    readers = [threading.Thread(target=read, args=(part,)) for part in (0, 1)]
    for reader in readers:
        reader.start()
    for reader in readers:
        reader.join(120)
    assert errors == [] and all(summary.error == "" for summary in summaries)
    assert sum(summary.ingested for summary in summaries) == 119
    assert sum(summary.duplicates for summary in summaries) == 1
    assert imap.count("INBOX") == 0 and imap.count("Processed") == 120
    assert Delivery.objects.count() == 119 and MailMessage.objects.count() == 120
    assert Delivery.objects.get(external_id="<in-both-shares@corpus.example>").requests.count() == 2


@pytest.mark.django_db
def test_the_health_panel_answers_for_the_least_recent_reader_and_any_error(settings):
    settings.CENTRAL_MAILBOX_URL = "imaps://central:s3cret@mail.example.org/INBOX"
    settings.MAILBOX_READERS = 2
    now = timezone.now()
    MailboxState.objects.create(mailbox=reader_key(KEY, 0, 2), last_read_at=now, waiting=5)
    health = mailbox_health()
    assert health.last_read_at is None and health.overdue  # reader 2 has never read
    MailboxState.objects.create(
        mailbox=reader_key(KEY, 1, 2),
        last_read_at=now - timedelta(minutes=20),
        waiting=7,
        last_error="MailboxLoginError: NO",
        last_error_at=now,
    )
    MailboxState.objects.create(mailbox=KEY, last_read_at=now, last_error="an old single reader")
    health = mailbox_health()
    assert health.last_read_at == now - timedelta(minutes=20) and health.overdue
    assert (health.waiting, health.last_error) == (7, "MailboxLoginError: NO")
    settings.MAILBOX_READERS = 1
    assert mailbox_health().last_error == "an old single reader"
