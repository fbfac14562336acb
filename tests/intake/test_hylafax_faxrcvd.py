"""HylaFAX: Debian's real faxrcvd, in a spool of the test's own, runs contrib/hylafax/FaxDispatch,
which reports each reception to the live app through POST /api/v1/faxes/ (docs/fax-lines.md).

Nothing is faked on the fax side: faxrcvd and faxinfo are hylafax-server's own; only a modem is
missing, so the test writes the received TIFF where faxgetty would (recvq/) and calls faxrcvd with
the arguments faxgetty passes: file devID commID error-msg CIDNUMBER CIDNAME.
"""

import hashlib
import shutil
import socket
import subprocess
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone

from detainers.models import Delivery, DetainerRequest, MissedFax, Source

from ..conftest import needs
from .fax_lines import (
    CONTRIB,
    QUEUE_PROGRAM,
    GatewayProxy,
    fax_tiff,
    gateway_key,
    hook_env,
    hooks_need_curl,
    until_sent,
)

pytestmark = pytest.mark.django_db(transaction=True)

HYLAFAX_BIN = Path("/var/spool/hylafax/bin")
HYLAFAX_ETC = Path("/etc/hylafax")  # Debian's spool etc/ (bound onto the spool at start)
CALLER = "+1 202 555 0147"
TSI = "DHS ICE ERO BOSTON"


@pytest.fixture
def spool(tmp_path):
    """A HylaFAX spool as faxsetup leaves it (bin/, etc/setup.cache, etc/templates), with our
    FaxDispatch and detainer-desk-queue installed as docs/fax-lines.md says, a modem ttyS0 whose
    FAXNumber is B-3's number, and mail (faxrcvd's notice to FaxMaster) caught in a file."""
    needs(
        "HylaFAX's faxrcvd and faxinfo (apt-get install hylafax-server)",
        (HYLAFAX_BIN / "faxrcvd").exists() and bool(shutil.which("faxinfo")),
    )
    hooks_need_curl()
    root = tmp_path / "spool"
    for folder in ("bin", "etc", "recvq", "log"):
        (root / folder).mkdir(parents=True)
    for program in HYLAFAX_BIN.iterdir():
        (root / "bin" / program.name).symlink_to(program)
    shutil.copy(QUEUE_PROGRAM, root / "bin" / "detainer-desk-queue")
    sendmail = tmp_path / "sendmail"
    sendmail.write_text(f'#!/bin/sh\ncat >> "{tmp_path / "mail.txt"}"\n')
    sendmail.chmod(0o755)
    setup = (HYLAFAX_ETC / "setup.cache").read_text()
    (root / "etc" / "setup.cache").write_text(
        "\n".join(
            f"SENDMAIL='{sendmail}'" if line.startswith("SENDMAIL=") else line
            for line in setup.splitlines()
        )
        + "\n"
    )
    (root / "etc" / "templates").symlink_to(HYLAFAX_ETC / "templates")
    shutil.copy(CONTRIB / "hylafax" / "FaxDispatch", root / "etc" / "FaxDispatch")
    (root / "etc" / "config.ttyS0").write_text(
        'ModemType:\tClass1\nFAXNumber:\t"+1.617.555.0133"\t# B-3\nLocalIdentifier:\t"BPD B-3"\n'
    )
    return root


def faxrcvd(spool: Path, env: dict, commid: str, qfile: str, error_msg: str = "") -> None:
    """faxrcvd as faxgetty calls it, from the spool; it must finish (FaxDispatch must not hold it)."""
    done = subprocess.run(
        ["bin/faxrcvd", qfile, "ttyS0", commid, error_msg, CALLER, "ICE ERO"],
        cwd=spool,
        env=env,
        capture_output=True,
        timeout=30,
    )
    assert done.returncode == 0, done.stderr.decode()


def local_now_to_the_second():
    return timezone.localtime().replace(microsecond=0) - timedelta(minutes=2)


def test_it_reports_a_received_fax_with_its_tiff_line_caller_and_sender(
    spool, tmp_path, live_server, gateway, b3
):
    received = local_now_to_the_second()
    tiff = spool / "recvq" / "fax000000017.tif"
    digest = fax_tiff(tiff, sender_id=TSI, received=received, pages=2)
    queue = tmp_path / "queue"
    env = hook_env(
        url=live_server.url, token=gateway_key(gateway), queue=queue, TZ=settings.TIME_ZONE
    )

    faxrcvd(spool, env, "000000017", "recvq/fax000000017.tif")

    until_sent(queue)
    delivery = Delivery.objects.get()
    assert delivery.source == Source.GATEWAY
    assert delivery.external_id == f"hylafax:{socket.gethostname()}:000000017"
    assert delivery.precinct == b3
    assert delivery.to_number == "+16175550133"
    assert delivery.from_address == CALLER
    assert delivery.sender_id == TSI
    assert delivery.pages == 2
    assert delivery.partial is False
    assert delivery.received_at == received  # faxinfo's local time, sent with its offset
    assert delivery.logged_by == gateway
    assert [document.sha256 for document in delivery.documents.all()] == [digest]
    assert DetainerRequest.objects.filter(delivery=delivery).count() == 1
    # The spool is left alone: the TIFF is where faxgetty put it, unchanged.
    assert hashlib.sha256(tiff.read_bytes()).hexdigest() == digest
    # faxrcvd went on to its own notice after FaxDispatch.
    assert "Fax received" in (tmp_path / "mail.txt").read_text()


def test_it_reports_a_failed_reception_as_a_missed_fax(spool, tmp_path, live_server, gateway, b3):
    queue = tmp_path / "queue"
    env = hook_env(url=live_server.url, token=gateway_key(gateway), queue=queue)
    error = "RSPREC error/got DCN (sender abort)"

    # faxgetty names a file it never wrote: nothing arrived.
    faxrcvd(spool, env, "000000018", "recvq/fax000000018.tif", error_msg=error)

    until_sent(queue)
    missed = MissedFax.objects.get()
    assert missed.source == Source.GATEWAY
    assert missed.external_id == f"hylafax:{socket.gethostname()}:000000018"
    assert missed.error == error
    assert missed.precinct == b3
    assert missed.to_number == "+16175550133"
    assert missed.from_address == CALLER
    assert abs(missed.received_at - timezone.now()) < timedelta(minutes=1)
    assert Delivery.objects.count() == 0
    assert DetainerRequest.objects.count() == 0


def test_it_keeps_the_pages_of_a_reception_that_ended_in_an_error(
    spool, tmp_path, live_server, gateway, b3
):
    tiff = spool / "recvq" / "fax000000019.tif"
    digest = fax_tiff(tiff, sender_id=TSI, received=local_now_to_the_second(), pages=1)
    queue = tmp_path / "queue"
    env = hook_env(url=live_server.url, token=gateway_key(gateway), queue=queue)
    error = "Missing EOL after 5 seconds (section 3.2/T.4)"

    faxrcvd(spool, env, "000000019", "recvq/fax000000019.tif", error_msg=error)

    until_sent(queue)
    delivery = Delivery.objects.get()
    assert delivery.partial is True
    assert error in delivery.notes
    assert [document.sha256 for document in delivery.documents.all()] == [digest]
    assert MissedFax.objects.count() == 0


def test_it_does_not_hold_up_faxrcvd_and_a_retry_after_a_lost_answer_is_not_a_second_fax(
    spool, tmp_path, live_server, gateway, b3
):
    tiff = spool / "recvq" / "fax000000020.tif"
    fax_tiff(tiff, sender_id=TSI, received=local_now_to_the_second())
    queue = tmp_path / "queue"
    # The first post reaches the app, which stores the fax, but its answer is lost (503).
    with GatewayProxy(live_server.url, plan=["lose"], hold_first=True) as proxy:
        env = hook_env(url=proxy.url, token=gateway_key(gateway), queue=queue)

        faxrcvd(spool, env, "000000020", "recvq/fax000000020.tif")
        # faxrcvd has returned while its post is still waiting for an answer.
        assert proxy.held.wait(10)
        assert proxy.posts == []
        proxy.release.set()

        until_sent(queue)

    gateway_id = f"hylafax:{socket.gethostname()}:000000020"
    assert proxy.posts == [(gateway_id, 503), (gateway_id, 200)]  # 200: "you sent this before"
    assert Delivery.objects.count() == 1
    assert DetainerRequest.objects.count() == 1
