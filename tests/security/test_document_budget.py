"""Nothing sent to us can take us down: every document has a pixel budget, on every channel.

The hostile corpus (hostile_documents.py) is made by the tests: pixel bombs of a few hundred bytes
to a few KB in PDF (a 100-inch page, a huge image XObject, a huge inline image, a JPEG larger than
its dictionary says), TIFF (30,000 pixels square, a bomb on page 2, dpi 400 x 100), PNG and JPEG.
- The gateway's API and the clerk's page refuse each one, saying its size, and write nothing.
- The mailbox keeps each one; its reading fails with "Kept, too large to read: ..." and the next
  document in the same email is read; its request's page says "Kept, too large to show: ..." and
  the page itself answers 422 with the reason, never a 500.
- Each is read and shown in a process of its own limited to 512 MB (bounded_reading.py), and ends
  in that clear state rather than a MemoryError.
- The reading has a time limit (stopped, recorded, not retried), a document whose reading never
  finished three times is not read again, and each worker container has a memory cap.
"""

import io
import json
import os
import random
import shutil
import subprocess
import sys
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from email.message import EmailMessage
from pathlib import Path

import pytest
import yaml
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from detainers.demo.filled_forms import filled_form_random
from detainers.demo.pages import form_pdf_text_layer
from detainers.extraction import services
from detainers.extraction.tasks import extract_document
from detainers.intake import routing
from detainers.mailbox import Origin, message_ingest
from detainers.models import Delivery, Document, Event, Extraction, MailMessage
from tests.factories import fax_report, intake_form
from tests.security.hostile_documents import FAX_TYPES, HOSTILE, SHOWN, TIFF, tiff_bytes

REPO = Path(__file__).resolve().parents[2]
KEPT_UNREAD = "Kept, too large to read: "
KEPT_UNSHOWN = "Kept, too large to show: "


def a_form(seed: int = 13) -> bytes:
    return form_pdf_text_layer(filled_form_random(random.Random(seed)))


def email_with(*attachments: tuple[str, str, bytes]) -> bytes:
    """Agency mail with these (name, content type, bytes) attached, as it travels (CRLF)."""
    message = EmailMessage()
    message["From"] = "ERO Boston <ero.boston@ice.dhs.gov>"
    message["To"] = "detainers@police.example.gov"
    message["Subject"] = "Detainer"
    message["Message-ID"] = f"<budget-{uuid.uuid4().hex}@corpus.example>"
    message.set_content("Please find the detainer attached.\n")
    for name, content_type, content in attachments:
        maintype, subtype = content_type.split("/")
        message.add_attachment(content, maintype=maintype, subtype=subtype, filename=name)
    return message.as_bytes(policy=message.policy.clone(linesep="\r\n"))


def emailed(hostile_name: str) -> Delivery:
    """The hostile file and a real form after it, in one email through the mailbox, routed."""
    hostile = HOSTILE[hostile_name]
    raw = email_with(
        (hostile.name, hostile.content_type, hostile.content),
        ("detainer.pdf", "application/pdf", a_form()),
    )
    copy = message_ingest(raw=raw, origin=Origin(mailbox="file://budget"))
    assert copy.outcome == MailMessage.Outcome.INGESTED
    routing.delivery_route(delivery_id=copy.delivery_id)
    return copy.delivery


def nothing_written() -> None:
    assert not Delivery.objects.exists()
    assert not Document.objects.exists()
    media = Path(settings.MEDIA_ROOT)
    assert not media.exists() or not [path for path in media.rglob("*") if path.is_file()]


# --- Intake: the gateway and the clerk are refused, with the size said --------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("case", FAX_TYPES)
def test_it_refuses_each_pixel_bomb_the_gateway_posts(api_as, b3, case):
    hostile = HOSTILE[case]
    response = api_as("gateway").post("/api/v1/faxes/", fax_report(hostile.name, hostile.content))

    assert response.status_code == 400, response.content
    assert list(response.json()) == ["document"]
    message = response.json()["document"][0]
    assert "is too large to read" in message and hostile.says in message
    nothing_written()


@pytest.mark.django_db
@pytest.mark.parametrize("case", HOSTILE)
def test_it_refuses_each_pixel_bomb_a_clerk_uploads(page_as, b3, case):
    hostile = HOSTILE[case]
    response = page_as("clerk").post("/intake/", intake_form(b3, hostile.name, hostile.content))

    assert response.status_code == 200
    errors = " ".join(response.context["form"].errors.get("scan", []))
    assert "is too large to read" in errors and hostile.says in errors, errors
    assert "Scan or export it again" in errors
    nothing_written()


# --- The mailbox keeps everything; the reading and the page say why not -------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("case", HOSTILE)
def test_the_mailbox_keeps_each_bomb_and_the_next_document_is_still_read(case):
    hostile = HOSTILE[case]
    delivery = emailed(case)
    kept = delivery.documents.get(name=hostile.name)
    with kept.file.open("rb") as stored:
        assert stored.read() == hostile.content  # kept as received, byte for byte
    assert delivery.quarantine_reason == ""

    for extraction in Extraction.objects.filter(document__delivery=delivery).order_by("pk"):
        services.document_extract(extraction_id=extraction.pk)

    bomb = Extraction.objects.get(document=kept)
    assert bomb.status == Extraction.Status.FAILED
    assert bomb.error.startswith(KEPT_UNREAD) and hostile.says in bomb.error, bomb.error
    assert bomb.attempts == 1  # failed for a reason, not retried
    form = Extraction.objects.get(document__delivery=delivery, document__name="detainer.pdf")
    assert form.status == Extraction.Status.DONE and form.fields


@pytest.mark.django_db
@pytest.mark.parametrize("case", SHOWN)
def test_a_page_too_large_to_show_is_422_and_its_request_page_says_why(page_as, case):
    hostile = HOSTILE[case]
    delivery = emailed(case)
    kept = delivery.documents.get(name=hostile.name)
    bad_page = 2 if "page 2" in hostile.says else 1
    client = page_as("supervisor")

    item = client.get(reverse("inbox-item", args=[delivery.requests.first().pk]))

    assert item.status_code == 200
    page = item.content.decode()
    assert f"{KEPT_UNSHOWN}page {bad_page} " in page
    assert f'href="/documents/{kept.pk}/">Download the file</a>' in page
    assert f'src="/documents/{kept.pk}/' not in page  # no page or scan drawn
    if hostile.content_type != TIFF:  # the scan itself is downloaded, not drawn in a tab
        served = client.get(reverse("document", args=[kept.pk]))
        assert served.status_code == 200
        assert served["Content-Disposition"].startswith("attachment;")
    else:
        answer = client.get(reverse("document-page", args=[kept.pk, bad_page]))
        assert answer.status_code == 422
        assert answer.content.decode().startswith(KEPT_UNSHOWN)
        assert answer["Content-Security-Policy"] == "sandbox"
        viewed = Event.objects.filter(action="document_viewed", changes__page__isnull=False)
        assert not viewed.exists()  # nothing was shown, so nothing was looked at


@pytest.mark.django_db
def test_a_dpi_ratio_beyond_4_to_1_is_drawn_as_stored_and_a_fax_is_stretched(api_as, page_as, b3):
    # 486 bytes at 1000 x 1000 and dpi 200 x 1 drew a page 200,000 pixels tall (321 MB).
    trick = tiff_bytes([(1000, 1000, (200, 1)), (1728, 1100, (204, 98))])
    response = api_as("gateway").post("/api/v1/faxes/", fax_report("fax.tif", trick))
    assert response.status_code == 201, response.content
    document = Document.objects.get()
    client = page_as("supervisor")

    pages = [client.get(reverse("document-page", args=[document.pk, n])) for n in (1, 2)]

    assert [page.status_code for page in pages] == [200, 200]
    sizes = [Image.open(io.BytesIO(page.content)).size for page in pages]
    assert sizes == [(1000, 1000), (1728, 2290)]  # 1100 rows x 204 / 98: square pixels


@pytest.mark.django_db
def test_a_tiff_of_more_than_1000_pages_is_refused_at_intake_and_kept_unshown_by_mail(
    api_as, page_as, b3
):
    many = tiff_bytes([(1728, 40, (204, 98))] * 1001)
    refused = api_as("gateway").post("/api/v1/faxes/", fax_report("fax.tif", many))
    assert refused.status_code == 400
    assert "more than 1000 pages" in refused.json()["document"][0]
    nothing_written()

    copy = message_ingest(
        raw=email_with(("fax.tif", TIFF, many)), origin=Origin(mailbox="file://budget")
    )
    kept = copy.delivery.documents.get(content_type=TIFF)
    request = copy.delivery.requests.first()
    item = page_as("supervisor").get(reverse("inbox-item", args=[request.pk]))

    assert copy.outcome == MailMessage.Outcome.INGESTED
    assert kept.pages is None  # counted no further than 1001 frames: unknown, not guessed
    assert f"{KEPT_UNSHOWN}it has more than 1,000 pages." in item.content.decode()
    assert f'src="/documents/{kept.pk}/page/' not in item.content.decode()


# --- Workers that one file cannot take down ----------------------------------------------------------


def routed_form_and_a_second_one():
    raw = email_with(
        ("first.pdf", "application/pdf", a_form(1)), ("second.pdf", "application/pdf", a_form(2))
    )
    copy = message_ingest(raw=raw, origin=Origin(mailbox="file://budget"))
    routing.delivery_route(delivery_id=copy.delivery_id)
    return [
        Extraction.objects.get(document__delivery=copy.delivery, document__name=name)
        for name in ("first.pdf", "second.pdf")
    ]


@pytest.mark.django_db
def test_a_reading_past_its_time_limit_is_recorded_failed_and_the_next_is_read(monkeypatch):
    first, second = routed_form_and_a_second_one()
    real = services.document_text
    with first.document.file.open("rb") as stored:
        slow = stored.read()

    def slow_for_the_first(*, content, content_type):
        if content == slow:
            raise SoftTimeLimitExceeded()  # what Celery raises in the task at its soft limit
        return real(content=content, content_type=content_type)

    monkeypatch.setattr(services, "document_text", slow_for_the_first)

    extract_document.apply(args=[first.pk])
    extract_document.apply(args=[second.pk])

    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == Extraction.Status.FAILED
    assert first.error.startswith("Reading took longer than 180 seconds and was stopped.")
    assert first.attempts == 1  # not retried: the same file would take as long again
    assert second.status == Extraction.Status.DONE
    event = Event.objects.get(action="document_not_read")
    assert event.changes["document"] == [None, first.document_id]


@pytest.mark.django_db
def test_a_time_limit_between_the_readings_steps_is_recorded_by_the_task(monkeypatch):
    first, _ = routed_form_and_a_second_one()
    Extraction.objects.filter(pk=first.pk).update(claimed_at=timezone.now(), attempts=1)

    def stopped_after_the_claim(*, extraction_id):
        raise SoftTimeLimitExceeded()

    monkeypatch.setattr(services, "document_extract", stopped_after_the_claim)
    extract_document.apply(args=[first.pk])

    first.refresh_from_db()
    assert first.status == Extraction.Status.FAILED
    assert "took longer than 180 seconds" in first.error
    assert services.extraction_stopped(extraction_id=first.pk) is False  # recorded once


@pytest.mark.django_db
def test_a_document_whose_reading_never_finished_three_times_is_not_read_again(monkeypatch):
    first, _ = routed_form_and_a_second_one()
    # Three claims, none recorded: each worker was killed (out of memory) while reading it.
    lapsed = timezone.now() - services.LEASE - timedelta(minutes=1)
    Extraction.objects.filter(pk=first.pk).update(claimed_at=lapsed, attempts=3)

    def must_not_read(**kwargs):
        raise AssertionError("the document was read a fourth time")

    monkeypatch.setattr(services, "document_text", must_not_read)

    assert services.document_extract(extraction_id=first.pk) is True
    first.refresh_from_db()
    assert first.status == Extraction.Status.FAILED
    assert first.error.startswith("Reading was started 3 times and never finished")
    assert first.attempts == 4


def test_every_worker_is_capped_in_memory_and_the_reading_in_time():
    compose = yaml.safe_load((REPO / "docker-compose.yml").read_text())["services"]

    assert 0 < settings.CELERY_WORKER_MAX_MEMORY_PER_CHILD <= 1_000_000  # KiB
    assert extract_document.soft_time_limit == settings.EXTRACTION_SOFT_TIME_LIMIT
    assert extract_document.time_limit > extract_document.soft_time_limit
    # A claim outlives the reading: no second worker takes a document still being read.
    assert extract_document.time_limit < services.LEASE.total_seconds()
    for worker in ("worker", "extraction-worker"):
        assert compose[worker]["mem_limit"].endswith("1536m}")
        assert compose[worker]["memswap_limit"] == compose[worker]["mem_limit"]


# --- Read and shown under 512 MB, each in a process of its own ------------------------------------

CONTROLS = {
    "control-text-layer-form": ("detainer.pdf", "application/pdf", a_form),
    "control-fax-page": ("fax.tif", TIFF, lambda: tiff_bytes([(1728, 2200, (204, 196))] * 2)),
}


@pytest.fixture(scope="module")
def bounded_runs(tmp_path_factory):
    """Every hostile file and each control, read and shown by bounded_reading.py; two at a time."""
    folder = tmp_path_factory.mktemp("bounded")
    env = {key: value for key, value in os.environ.items() if not key.startswith("CELERY_")}
    env.update(DJANGO_DEBUG="True", DATABASE_URL=f"sqlite:///{folder / 'template.sqlite3'}")
    migrated = subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v0"],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert migrated.returncode == 0, migrated.stderr
    cases = {name: (h.name, h.content_type, lambda h=h: h.content) for name, h in HOSTILE.items()}
    cases.update(CONTROLS)

    def run(name: str) -> subprocess.CompletedProcess:
        file_name, content_type, make = cases[name]
        (folder / name).mkdir()
        email = folder / name / "message.eml"
        email.write_bytes(email_with((file_name, content_type, make())))
        database = folder / name / "db.sqlite3"
        shutil.copy(folder / "template.sqlite3", database)
        command = [sys.executable, "-m", "tests.security.bounded_reading", str(email)]
        command += [str(database), str(folder / name / "media")]
        return subprocess.run(command, cwd=REPO, env=env, capture_output=True, timeout=120)

    with ThreadPoolExecutor(max_workers=2) as pool:
        return dict(zip(cases, pool.map(run, cases), strict=True))


def state_of(run: subprocess.CompletedProcess) -> dict:
    assert run.returncode == 0, run.stderr.decode()[-3000:]  # a MemoryError ends here
    return json.loads(run.stdout.decode().strip().splitlines()[-1])


@pytest.mark.parametrize("case", HOSTILE)
def test_each_bomb_ends_in_a_clear_state_within_512_mb(bounded_runs, case):
    hostile = HOSTILE[case]
    state = state_of(bounded_runs[case])

    assert state["outcome"] == MailMessage.Outcome.INGESTED
    status, error = state["readings"][hostile.content_type]
    assert status == Extraction.Status.FAILED
    assert error.startswith(KEPT_UNREAD) and hostile.says in error, error
    assert state["item_page"] == 200
    assert (KEPT_UNSHOWN in state["item_text"]) is hostile.shown_by_us
    if hostile.content_type == TIFF:
        bad = 1 if "page 1" in hostile.says else 2
        answers = dict(zip((1, 2), state["tiff_pages"], strict=True))
        assert answers[bad][0] == 422 and answers[bad][1].startswith(KEPT_UNSHOWN)


def test_the_same_process_reads_and_shows_honest_documents_within_512_mb(bounded_runs):
    # Without this, a harness that failed everything would pass the test above.
    form = state_of(bounded_runs["control-text-layer-form"])
    fax = state_of(bounded_runs["control-fax-page"])

    assert form["readings"]["application/pdf"] == ["done", ""]
    assert fax["readings"][TIFF][0] == "done"
    # 204 x 196 dpi: 2200 rows drawn as 2290, square pixels.
    assert fax["tiff_pages"] == [[200, [1728, 2290]], [200, [1728, 2290]]]
    assert KEPT_UNSHOWN not in form["item_text"] + fax["item_text"]
