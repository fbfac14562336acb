"""Two readers racing on one message (beat and a manual run, or two copies in two folders read at
once) still make one delivery: the database constraints decide, not luck. PostgreSQL only: SQLite
serialises writers, so there is no race to lose there."""

import threading

import pytest
from django.db import connection

from detainers.mailbox import Origin, message_ingest
from detainers.models import Delivery, MailMessage
from tests import mail_corpus as corpus

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_two_readers_of_the_same_message_make_one_delivery():
    raw = corpus.with_forms("race", forms=2)
    start = threading.Barrier(4)
    outcomes, errors = [], []

    def read(uid: int):
        try:
            start.wait()
            outcomes.append(
                message_ingest(raw=raw, origin=Origin("imap://x@h:143/INBOX", 1, uid)).outcome
            )
        except Exception as error:  # noqa: BLE001 - collected and asserted below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=read, args=(uid,)) for uid in (1, 2, 3, 4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert errors == []
    assert sorted(outcomes) == ["duplicate", "duplicate", "duplicate", "ingested"]
    assert Delivery.objects.count() == 1 and MailMessage.objects.count() == 4
    assert Delivery.objects.get().requests.count() == 2
