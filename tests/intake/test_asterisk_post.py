"""Asterisk: contrib/asterisk/detainer-desk-post, run the way the `h` extension of
extensions-detainer-desk.conf runs it (System() with the call's variables as NAME=value
arguments, or from the environment), reports the call to the live app (docs/fax-lines.md).

Asterisk itself is not in Debian 12's archive and is not run here: what these tests cover is the
script and everything after it (the queue, curl, the API, the rows).
"""

import socket
import subprocess
import time

import pytest
from django.utils import timezone

from detainers.models import Delivery, DetainerRequest, MissedFax, Source

from .fax_lines import (
    CONTRIB,
    GatewayProxy,
    fax_tiff,
    gateway_key,
    hook_env,
    hooks_need_curl,
    until_sent,
)

pytestmark = pytest.mark.django_db(transaction=True)

POST = CONTRIB / "asterisk" / "detainer-desk-post"


def h_extension(*arguments: str, env: dict) -> None:
    """What System() does: run the script and wait for it (it must return at once)."""
    started = time.monotonic()
    done = subprocess.run([POST, *arguments], env=env, capture_output=True, timeout=30)
    assert done.returncode == 0, done.stderr.decode()
    assert time.monotonic() - started < 10


@pytest.fixture
def line(tmp_path, gateway):
    hooks_need_curl()
    return {"queue": tmp_path / "queue", "key": gateway_key(gateway)}


def call_arguments(uniqueid: str, faxfile, status: str, pages: int, error: str, epoch: int):
    return [
        f"UNIQUEID={uniqueid}",
        f"FAXFILE={faxfile}",
        f"FAXSTATUS={status}",
        f"FAXERROR={error}",
        f"FAXPAGES={pages}",
        "REMOTESTATIONID=DHS ICE ERO",
        "CALLERID=+12025550147",
        "DIALLED=+16175550133",
        f"EPOCH={epoch}",
    ]


def test_it_reports_a_received_fax(line, tmp_path, live_server, gateway, b3):
    faxfile = tmp_path / "1733580000.42.tif"
    digest = fax_tiff(faxfile, pages=2)
    epoch = int(time.time()) - 90
    env = hook_env(url=live_server.url, token=line["key"], queue=line["queue"])

    h_extension(*call_arguments("1733580000.42", faxfile, "SUCCESS", 2, "NO_ERROR", epoch), env=env)

    until_sent(line["queue"])
    delivery = Delivery.objects.get()
    assert delivery.source == Source.GATEWAY
    assert delivery.external_id == f"asterisk:{socket.gethostname()}:1733580000.42"
    assert delivery.precinct == b3
    assert delivery.from_address == "+12025550147"
    assert delivery.sender_id == "DHS ICE ERO"
    assert delivery.pages == 2
    assert delivery.partial is False
    assert delivery.received_at.timestamp() == epoch
    assert [document.sha256 for document in delivery.documents.all()] == [digest]
    assert faxfile.exists()  # left where ReceiveFAX wrote it


def test_it_reports_a_failed_call_as_a_missed_fax_with_faxerror(
    line, tmp_path, live_server, gateway, b3
):
    # Variables from the environment this time (the script takes either).
    env = hook_env(
        url=live_server.url,
        token=line["key"],
        queue=line["queue"],
        UNIQUEID="1733580001.43",
        FAXSTATUS="FAILED",
        FAXERROR="The call dropped prematurely",
        FAXPAGES="0",
        CALLERID="+12025550147",
        DIALLED="+16175550133",
    )

    h_extension(f"FAXFILE={tmp_path / 'never-written.tif'}", env=env)

    until_sent(line["queue"])
    missed = MissedFax.objects.get()
    assert missed.source == Source.GATEWAY
    assert missed.external_id == f"asterisk:{socket.gethostname()}:1733580001.43"
    assert missed.error == "The call dropped prematurely"
    assert missed.precinct == b3
    assert missed.from_address == "+12025550147"
    assert abs((missed.received_at - timezone.now()).total_seconds()) < 60
    assert Delivery.objects.count() == 0
    assert DetainerRequest.objects.count() == 0


def test_a_retried_report_is_one_fax(line, tmp_path, live_server, gateway, b3):
    faxfile = tmp_path / "1733580002.44.tif"
    fax_tiff(faxfile, pages=1)
    # Refused once before the app sees it, then stored with its answer lost, then answered.
    with GatewayProxy(live_server.url, plan=["refuse", "lose"]) as proxy:
        env = hook_env(url=proxy.url, token=line["key"], queue=line["queue"])

        h_extension(
            *call_arguments("1733580002.44", faxfile, "SUCCESS", 1, "", int(time.time())),
            env=env,
        )

        until_sent(line["queue"])

    gateway_id = f"asterisk:{socket.gethostname()}:1733580002.44"
    assert proxy.posts == [(gateway_id, 503), (gateway_id, 503), (gateway_id, 200)]
    assert Delivery.objects.count() == 1
    assert DetainerRequest.objects.count() == 1


def test_it_keeps_the_pages_of_a_call_that_failed_part_way(
    line, tmp_path, live_server, gateway, b3
):
    faxfile = tmp_path / "1733580003.45.tif"
    fax_tiff(faxfile, pages=1)
    env = hook_env(url=live_server.url, token=line["key"], queue=line["queue"])

    h_extension(
        *call_arguments(
            "1733580003.45", faxfile, "FAILED", 1, "The call dropped prematurely", int(time.time())
        ),
        env=env,
    )

    until_sent(line["queue"])
    delivery = Delivery.objects.get()
    assert delivery.partial is True
    assert "The call dropped prematurely" in delivery.notes
    assert MissedFax.objects.count() == 0
