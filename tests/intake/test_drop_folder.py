"""The drop folder (detainers.intake.folder): `manage.py ingest_folder PATH [--once]` and the beat
task on FAX_DROP_FOLDER take in each complete fax exactly once; what cannot be taken in goes to
quarantine/ with its reason; nothing is ever deleted (CONTRACT.md, "Fax lines").

Transactional: files move once the database has committed, so the tests need real commits.
"""

import _thread
import fcntl
import hashlib
import json
import os
import threading
import time
from collections import Counter
from datetime import datetime, timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from detainers.intake.tasks import ingest_drop_folder
from detainers.models import Delivery, DetainerRequest, MissedFax, Source
from tests.factories import image_bytes, pdf_bytes

pytestmark = pytest.mark.django_db(transaction=True)

WHEN = "2026-03-15T09:30:00-04:00"


@pytest.fixture
def drop(tmp_path):
    folder = tmp_path / "drop"
    folder.mkdir()
    return folder


def put(folder, name: str, content: bytes | str, age: float = 30):
    """A file the fax server finished writing `age` seconds ago."""
    path = folder / name
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    past = time.time() - age
    os.utime(path, (past, past))
    return path


def sidecar(**facts) -> str:
    return json.dumps(facts)


def once(folder) -> None:
    call_command("ingest_folder", str(folder), "--once")


def names(folder) -> set[str]:
    return {path.name for path in folder.iterdir()} if folder.is_dir() else set()


def sha256(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def test_it_takes_in_a_fax_with_its_sidecar_and_moves_both_to_processed(drop, b3):
    content = pdf_bytes(pages=2)
    put(drop, "fax-0001.pdf", content)
    put(
        drop,
        "fax-0001.json",
        sidecar(
            to_number="+1 617 555 0133",
            from_number="+1 202 555 0147",
            received_at=WHEN,
            sender_id="DHS ICE ERO",
            pages=2,
        ),
    )

    once(drop)

    delivery = Delivery.objects.get()
    assert delivery.source == Source.FOLDER
    assert delivery.external_id == f"sha256:{sha256(content)}"
    assert delivery.precinct == b3
    assert delivery.from_address == "+1 202 555 0147"
    assert delivery.sender_id == "DHS ICE ERO"
    assert delivery.received_at == datetime.fromisoformat(WHEN)
    assert [document.sha256 for document in delivery.documents.all()] == [sha256(content)]
    assert names(drop / "processed") == {"fax-0001.pdf", "fax-0001.json"}
    assert (drop / "processed" / "fax-0001.pdf").read_bytes() == content
    assert names(drop) == {"processed", ".detainer-desk.lock"}


def test_it_reads_a_growing_file_only_once_it_is_complete(drop, b3):
    """The command polls until interrupted; a writer appends to the file meanwhile."""
    content = pdf_bytes(pages=3)
    chunks = [content[start : start + 150] for start in range(0, len(content), 150)]
    path = drop / "growing.pdf"
    done = []

    def fax_server_writes():
        with open(path, "wb") as out:
            for chunk in chunks:
                out.write(chunk)
                out.flush()
                time.sleep(0.3)  # shorter than the settle time: never "complete" in between
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not (drop / "processed" / "growing.pdf").exists():
            time.sleep(0.1)
        done.append(True)
        _thread.interrupt_main()  # Ctrl-C: the command stops

    writer = threading.Thread(target=fax_server_writes)
    writer.start()
    call_command("ingest_folder", str(drop), "--every", "0.2", "--settle", "1")
    writer.join()

    assert len(chunks) > 2  # it really was written in pieces
    delivery = Delivery.objects.get()
    assert [document.sha256 for document in delivery.documents.all()] == [sha256(content)]
    assert delivery.pages == 3
    assert (drop / "processed" / "growing.pdf").read_bytes() == content
    assert names(drop / "quarantine") == set()
    # No sidecar: the fax came in all the same, with no precinct (never lost).
    assert delivery.precinct is None
    assert delivery.to_number == ""


def test_the_same_fax_dropped_twice_under_two_names_is_one_delivery(drop, b3):
    content = pdf_bytes()
    put(drop, "a.pdf", content)
    put(drop, "a.json", sidecar(to_number="+1 617 555 0133", received_at=WHEN))
    put(drop, "b (copy).pdf", content)

    once(drop)

    delivery = Delivery.objects.get()
    assert DetainerRequest.objects.count() == 1
    assert delivery.precinct == b3  # the first copy, with its sidecar
    assert names(drop / "processed") == {
        "a.pdf",
        "a.json",
        "b (copy).pdf",
        "b (copy).pdf.repeat.txt",
    }
    note = (drop / "processed" / "b (copy).pdf.repeat.txt").read_text()
    assert f"delivery {delivery.pk}" in note

    put(drop, "a.pdf", content)  # and a third time, under a name processed/ holds already
    once(drop)

    assert Delivery.objects.count() == 1
    assert {"a.2.pdf", "a.2.pdf.repeat.txt", "a.pdf"} <= names(drop / "processed")
    assert (drop / "processed" / "a.pdf").read_bytes() == content  # not overwritten


@pytest.mark.parametrize(
    "received_at, reason",
    [
        ("15/03/2026 09:30", "is not an ISO 8601 date"),
        ("2026-03-15T09:30:00", "has no offset"),
    ],
)
def test_a_sidecar_with_a_bad_date_is_quarantined_with_its_reason(drop, b3, received_at, reason):
    content = pdf_bytes()
    put(drop, "fax.pdf", content)
    put(drop, "fax.json", sidecar(to_number="+1 617 555 0133", received_at=received_at))

    once(drop)

    assert Delivery.objects.count() == 0
    assert names(drop / "quarantine") == {"fax.pdf", "fax.json", "fax.pdf.reason.txt"}
    written = (drop / "quarantine" / "fax.pdf.reason.txt").read_text()
    assert "fax.json" in written and "received_at" in written and reason in written
    assert (drop / "quarantine" / "fax.pdf").read_bytes() == content


def test_a_file_that_is_not_a_pdf_or_tiff_is_quarantined(drop, b3):
    put(drop, "fax.pdf", "This is a text file named like a PDF.\n")

    once(drop)

    assert Delivery.objects.count() == 0
    assert names(drop / "quarantine") == {"fax.pdf", "fax.pdf.reason.txt"}
    assert "not a PDF or TIFF" in (drop / "quarantine" / "fax.pdf.reason.txt").read_text()


def test_a_lone_failed_sidecar_is_a_missed_fax_once(drop, b3):
    call = sidecar(
        status="failed",
        to_number="+1 617 555 0133",
        from_number="+1 202 555 0147",
        received_at=WHEN,
        error="Sender hung up after page 1",
    )
    put(drop, "call-0042.json", call)

    once(drop)
    put(drop, "call-0042 again.json", call)  # the fax server wrote it again
    once(drop)

    missed = MissedFax.objects.get()
    assert missed.source == Source.FOLDER
    assert missed.error == "Sender hung up after page 1"
    assert missed.precinct == b3
    assert missed.received_at == datetime.fromisoformat(WHEN)
    assert Delivery.objects.count() == 0
    assert names(drop / "processed") == {
        "call-0042.json",
        "call-0042 again.json",
        "call-0042 again.json.repeat.txt",
    }


def test_a_rightfax_xml_export_gives_the_line_and_sender(drop, b3):
    content = image_bytes("TIFF", pages=2)
    put(drop, "RF0001.tif", content)
    put(
        drop,
        "RF0001.xml",
        "<?xml version='1.0'?><Fax><ToFaxNumber>6175550133</ToFaxNumber>"
        "<RemoteID>DHS ICE ERO</RemoteID><ReceivedTime>2026-03-15T09:30:00-04:00</ReceivedTime>"
        "<NumPages>2</NumPages></Fax>",
    )

    once(drop)

    delivery = Delivery.objects.get()
    assert delivery.precinct == b3
    assert delivery.sender_id == "DHS ICE ERO"
    assert delivery.received_at == datetime.fromisoformat(WHEN)
    assert names(drop / "processed") == {"RF0001.tif", "RF0001.xml"}


def test_a_file_locked_by_its_writer_waits_for_the_next_pass(drop, b3):
    path = put(drop, "fax.pdf", pdf_bytes())
    with open(path, "rb+") as writer:
        fcntl.flock(writer, fcntl.LOCK_EX)  # as a Samba or a fax server's writer holds it
        once(drop)
        assert Delivery.objects.count() == 0
        assert names(drop) == {"fax.pdf", ".detainer-desk.lock"}

    once(drop)

    assert Delivery.objects.count() == 1
    assert names(drop / "processed") == {"fax.pdf"}


def test_nothing_is_deleted_every_file_ends_in_processed_or_quarantine(drop, b3):
    dropped = {
        "good.pdf": pdf_bytes(pages=2),
        "good.json": sidecar(to_number="+1 617 555 0133", received_at=WHEN).encode(),
        "plain.tif": image_bytes("TIFF"),
        "broken.pdf": pdf_bytes(pages=3),
        "broken.json": b"{not json",
        "notes.txt": b"call the sender back",
        "missed.json": sidecar(status="failed", received_at=WHEN).encode(),
        "cut.tif": image_bytes("TIFF", pages=2)[:300],
    }
    for name, content in dropped.items():
        put(drop, name, content)

    once(drop)

    kept = Counter(
        sha256(path.read_bytes())
        for folder in ("processed", "quarantine")
        for path in (drop / folder).iterdir()
        if not path.name.endswith((".reason.txt", ".repeat.txt"))
    )
    assert kept == Counter(sha256(content) for content in dropped.values())
    assert names(drop) == {"processed", "quarantine", ".detainer-desk.lock"}
    assert Delivery.objects.count() == 2
    assert MissedFax.objects.count() == 1
    assert names(drop / "quarantine") == {
        "broken.pdf",
        "broken.json",
        "broken.pdf.reason.txt",
        "notes.txt",
        "notes.txt.reason.txt",
        "cut.tif",
        "cut.tif.reason.txt",
    }
    assert "Intake refused it" in (drop / "quarantine" / "cut.tif.reason.txt").read_text()


def test_once_on_an_empty_folder_does_nothing(drop, capsys):
    once(drop)

    assert "0 taken in" in capsys.readouterr().out
    assert Delivery.objects.count() == 0
    assert names(drop) == {".detainer-desk.lock"}


def test_a_missing_folder_is_a_clear_error(tmp_path):
    with pytest.raises(CommandError, match="There is no folder at"):
        once(tmp_path / "nowhere")


def test_the_beat_task_reads_fax_drop_folder_when_set(drop, b3, settings):
    content = pdf_bytes()
    put(drop, "fax.pdf", content)
    put(drop, "fax.json", sidecar(to_number="+1 617 555 0133", received_at=WHEN))

    settings.FAX_DROP_FOLDER = ""
    assert ingest_drop_folder.delay().get() == 0
    assert names(drop) == {"fax.pdf", "fax.json"}  # unset: not read

    settings.FAX_DROP_FOLDER = str(drop)
    assert ingest_drop_folder.delay().get() == 1

    delivery = Delivery.objects.get()
    assert delivery.precinct == b3
    assert delivery.source == Source.FOLDER
    assert names(drop / "processed") == {"fax.pdf", "fax.json"}


def test_a_sidecar_waiting_for_its_document_is_left_then_quarantined(drop, b3):
    put(drop, "late.json", sidecar(to_number="+1 617 555 0133"), age=5)
    once(drop)
    assert names(drop) == {"late.json", ".detainer-desk.lock"}  # its fax may still come

    an_hour_ago = (timezone.now() - timedelta(hours=1)).timestamp()
    os.utime(drop / "late.json", (an_hour_ago, an_hour_ago))
    once(drop)

    assert names(drop / "quarantine") == {"late.json", "late.json.reason.txt"}
    assert "No document came" in (drop / "quarantine" / "late.json.reason.txt").read_text()
