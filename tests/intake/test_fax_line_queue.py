"""contrib/detainer-desk-queue, which the HylaFAX and Asterisk hooks hand their reports to: a report
the app has not answered stays queued (and `flush` sends it later); a report the app refuses is
kept in refused/ with the answer, and logged, not retried. Nothing is dropped either way."""

import socket
import subprocess

import pytest

from detainers.models import Delivery, MissedFax

from ..processes import free_port, wait_for
from .fax_lines import (
    QUEUE_PROGRAM,
    GatewayProxy,
    fax_tiff,
    gateway_key,
    hook_env,
    hooks_need_curl,
    queue_pending,
)

pytestmark = pytest.mark.django_db(transaction=True)

FAILED_CALL = [
    "gateway_id=test-line:0001",
    "status=failed",
    "to_number=+16175550133",
    "from_number=+12025550147",
    "received_at=2026-12-07T09:30:00-05:00",
    "error=Sender hung up",
]


def queue(*arguments: str, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(
        [QUEUE_PROGRAM, *arguments], env=env, capture_output=True, timeout=60, text=True
    )


@pytest.fixture
def key(gateway):
    hooks_need_curl()
    return gateway_key(gateway)


def test_a_report_nobody_answered_stays_queued_until_flush_sends_it(key, tmp_path, live_server, b3):
    spool = tmp_path / "queue"
    nobody = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    added = queue("add", *FAILED_CALL, env=hook_env(url=nobody, token=key, queue=spool, delays="1"))
    assert added.returncode == 0, added.stderr

    # Two attempts (the first and one retry), then it gives up for now and keeps the report.
    wait_for(lambda: "stays pending" in _log(spool), 30, what="the sender to give up for now")
    assert len(queue_pending(spool)) == 1
    assert MissedFax.objects.count() == 0

    flushed = queue("flush", env=hook_env(url=live_server.url, token=key, queue=spool))

    assert flushed.returncode == 0, flushed.stderr
    missed = MissedFax.objects.get()
    assert missed.external_id == "test-line:0001"
    assert missed.error == "Sender hung up"
    assert queue_pending(spool) == []


def test_a_refused_report_is_kept_with_the_answer_and_not_retried(key, tmp_path, live_server, b3):
    spool = tmp_path / "queue"
    document = tmp_path / "fax000000031.tif"
    fax_tiff(document, pages=1)
    report = [
        f"document={document}",
        f"gateway_id=hylafax:{socket.gethostname()}:000000031",
        "status=received",
        "to_number=+16175550133",
        "received_at=2026-12-07T09:30:00",  # no offset: the API refuses it (400), for good
    ]
    with GatewayProxy(live_server.url, plan=[]) as proxy:
        added = queue("add", *report, env=hook_env(url=proxy.url, token=key, queue=spool))
        assert added.returncode == 0, added.stderr

        refused = wait_for(
            lambda: list((spool / "refused").iterdir()), 30, what="the report in refused/"
        )

    assert [code for _, code in proxy.posts] == [400]
    assert queue_pending(spool) == []
    (kept,) = refused
    assert (kept / "document").read_bytes() == document.read_bytes()
    assert "offset" in (kept / "answer").read_text()
    assert "refused (HTTP 400)" in _log(spool)
    assert Delivery.objects.count() == 0
    assert document.exists()  # the fax server's own file is never touched


def test_it_reads_the_url_and_token_from_the_defaults_file(key, tmp_path, live_server, b3):
    spool = tmp_path / "queue"
    env = hook_env(url="", token="", queue=spool)
    defaults = tmp_path / "detainer-desk"
    defaults.write_text(
        "# /etc/default/detainer-desk\n"
        f"DETAINER_DESK_URL={live_server.url}\n"
        f'export DETAINER_DESK_TOKEN="{key}"\n'
    )
    env["DETAINER_DESK_DEFAULTS"] = str(defaults)

    added = queue("add", *FAILED_CALL, env=env)

    assert added.returncode == 0, added.stderr
    wait_for(lambda: not queue_pending(spool), 30, what="the report answered")
    assert MissedFax.objects.get().external_id == "test-line:0001"


def test_it_refuses_a_report_without_an_id_or_a_status(tmp_path):
    hooks_need_curl()
    env = hook_env(url="http://127.0.0.1:9", token="x", queue=tmp_path / "queue")

    no_id = queue("add", "status=received", env=env)
    bad_status = queue("add", "gateway_id=x:1", "status=maybe", env=env)

    assert no_id.returncode == 2 and "gateway_id is required" in no_id.stderr
    assert bad_status.returncode == 2 and "received, partial or failed" in bad_status.stderr
    assert queue_pending(tmp_path / "queue") == []


def _log(spool) -> str:
    log = spool / "log"
    return log.read_text() if log.exists() else ""
