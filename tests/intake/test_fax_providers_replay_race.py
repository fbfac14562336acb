"""The same provider event delivered twice at the same moment (providers retry on a timeout while
the first request is still running): one event, one missed fax, and both requests answered."""

import threading

import pytest
from django.db import connection
from django.test import Client

from detainers.models import MissedFax, ProviderEvent
from tests.fax_provider import TelnyxSigner, telnyx_event, telnyx_post

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_two_copies_at_once_store_one_event(b3, settings):
    signer = TelnyxSigner()
    settings.FAX_TELNYX_PUBLIC_KEY = signer.public_key
    body = telnyx_event("fax.failed", fax_id="race-1", failure_reason="call_dropped")
    start = threading.Barrier(2)
    answers = []

    def deliver():
        try:
            start.wait(5)
            answers.append(telnyx_post(Client(), signer, body))
        finally:
            connection.close()  # each thread's own connection

    copies = [threading.Thread(target=deliver) for _ in range(2)]
    for copy in copies:
        copy.start()
    for copy in copies:
        copy.join(30)

    assert [answer.status_code for answer in answers] == [200, 200]
    assert sorted(answer.json()["created"] for answer in answers) == [False, True]
    assert len({answer.json()["event_id"] for answer in answers}) == 1
    assert ProviderEvent.objects.count() == 1
    assert MissedFax.objects.count() == 1
