"""A large agency list is read a chunk at a time, never whole: through the API and the page it gives
the figures the bytes path gives; its encoding is decided on its first chunk and corrected when a
later chunk disagrees; a bad row far into the file is refused as before, with nothing written."""

import hashlib

import pytest
from django.core.files.base import File
from django.core.files.storage import FileSystemStorage
from django.core.files.uploadedfile import SimpleUploadedFile, TemporaryUploadedFile

from detainers.models import Reconciliation, ReconciliationRow
from detainers.reconcile import services
from detainers.reconcile.agency_csv import agency_file_read
from detainers.reconcile.csv_stream import CHUNK_BYTES
from tests.agency_list import UNKNOWN_FACILITY, agency_scene
from tests.reconcile.test_reconcile_upload import RENAMED, expected, nothing_written, totals

pytestmark = pytest.mark.django_db
PAGE = "/reports/reconcile/"
API = "/api/v1/reconciliations/"
LARGE_ROWS = 50_000
# Under RECONCILE_INLINE_ROWS, so reconciled in the request, yet several chunks long.
INLINE_ROWS = 1_900
FAR = "SUFFOLK COUNTY HOUSE OF CORRECTION – CÔTE D’IVOIRE DESK"  # names no precinct
API_FIGURES = {
    "agency_total": "agency",
    "matched": "matched",
    "agency_only": "agency_only",
    "ours_only": "ours_only",
    "ambiguous": "ambiguous",
    "fallback_unconfirmed": "fallback",
}


@pytest.fixture
def large(b3, c11):
    scene = agency_scene(year=2024, precincts=[b3, c11], units=3)
    scene.pad(LARGE_ROWS - len(scene.rows))
    return scene


@pytest.fixture
def several_chunks(b3, c11):
    scene = agency_scene(year=2024, precincts=[b3, c11], units=1)
    scene.pad(INLINE_ROWS - len(scene.rows))
    return scene


@pytest.fixture
def handed(monkeypatch) -> list:
    """What the page and the API hand the service as `content`."""
    seen = []
    upload = services.reconciliation_upload

    def noting(**kwargs):
        seen.append(kwargs["content"])
        return upload(**kwargs)

    monkeypatch.setattr(services, "reconciliation_upload", noting)
    return seen


class Trickle(File):
    """A file that notes the size of every read asked of it."""

    def __init__(self, file, name: str, reads: list):
        super().__init__(file, name)
        self.reads = reads

    def read(self, size=-1):
        self.reads.append(size)
        return self.file.read(size)


@pytest.fixture
def stored_reads(monkeypatch) -> list:
    """The size of every read of a stored list, as the worker and the pages read it."""
    reads: list = []
    opened = FileSystemStorage._open
    monkeypatch.setattr(
        FileSystemStorage,
        "_open",
        lambda storage, name, mode="rb": Trickle(opened(storage, name, mode), name, reads),
    )
    return reads


def upload_facts(reconciliation: Reconciliation) -> dict:
    fields = ("rows_total", "size", "sha256", "encoding", "delimiter", "columns", "mapping")
    return {name: getattr(reconciliation, name) for name in fields}


def test_a_large_list_through_the_api_gives_the_bytes_path_s_figures(
    api_as, large, supervisor, handed, django_capture_on_commit_callbacks, settings
):
    content = large.csv_bytes()
    assert len(content) > settings.FILE_UPLOAD_MAX_MEMORY_SIZE  # Django keeps it on disk
    client = api_as("supervisor")
    with django_capture_on_commit_callbacks(execute=False) as enqueued:
        response = client.post(
            API, {"year": 2024, "file": SimpleUploadedFile("list.csv", content)}, format="multipart"
        )

    assert response.status_code == 201, response.json()
    assert response.json()["status"] == "queued"
    assert isinstance(handed[0], TemporaryUploadedFile)  # the file on disk, not its bytes
    streamed = Reconciliation.objects.get(pk=response.json()["id"])
    assert streamed.rows_total == len(large.rows) == agency_file_read(content).rows_total
    assert (streamed.size, streamed.sha256) == (len(content), hashlib.sha256(content).hexdigest())
    assert streamed.file.read() == content
    with django_capture_on_commit_callbacks(execute=False):
        by_bytes = services.reconciliation_upload(
            year=2024, file_name="list.csv", content=content, actor=supervisor
        )
    assert upload_facts(streamed) == upload_facts(by_bytes)

    assert len(enqueued) == 1
    enqueued[0]()  # what the worker does (no broker in this test)
    done = client.get(f"{API}{streamed.pk}/").json()
    assert done["status"] == "done", done["error"]
    assert {name: done[name] for name in API_FIGURES} == {
        name: large.total(figure) for name, figure in API_FIGURES.items()
    }
    assert totals(streamed) == expected(large)


def test_a_large_list_through_the_page_gives_the_bytes_path_s_figures(
    page_as, large, supervisor, handed, django_capture_on_commit_callbacks
):
    content = large.csv_bytes(delimiter=";")
    with django_capture_on_commit_callbacks(execute=False) as enqueued:
        response = page_as("supervisor").post(
            PAGE, {"year": 2024, "file": SimpleUploadedFile("list.csv", content, "text/csv")}
        )

    streamed = Reconciliation.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"{PAGE}{streamed.pk}/"
    assert isinstance(handed[0], TemporaryUploadedFile)
    assert len(enqueued) == 1
    assert (streamed.status, streamed.delimiter) == (Reconciliation.Status.QUEUED, ";")
    assert streamed.rows_total == len(large.rows)
    with django_capture_on_commit_callbacks(execute=False):
        by_bytes = services.reconciliation_upload(
            year=2024, file_name="list.csv", content=content, actor=supervisor
        )
    assert upload_facts(streamed) == upload_facts(by_bytes)


def test_an_upload_and_its_stored_copy_are_read_a_chunk_at_a_time(
    several_chunks, supervisor, stored_reads
):
    content = several_chunks.csv_bytes()
    assert len(content) > CHUNK_BYTES
    upload_reads: list = []
    upload = Trickle(SimpleUploadedFile("list.csv", content), "list.csv", upload_reads)

    reconciliation = services.reconciliation_upload(
        year=2024, file_name="list.csv", content=upload, actor=supervisor
    )

    assert reconciliation.status == Reconciliation.Status.DONE, reconciliation.error
    assert totals(reconciliation) == expected(several_chunks)
    for reads in (upload_reads, stored_reads):  # the upload checked and stored; the stored run
        assert sum(size for size in reads if size > 0) >= len(content)  # read to its end...
        assert all(0 < size <= CHUNK_BYTES for size in reads)  # ...never whole


def test_the_columns_page_reads_only_the_first_rows_of_a_large_list(page_as, large, stored_reads):
    content = large.csv_bytes(columns=RENAMED)
    client = page_as("supervisor")
    client.post(PAGE, {"year": 2024, "file": SimpleUploadedFile("list.csv", content)})
    reconciliation = Reconciliation.objects.get()
    assert reconciliation.status == Reconciliation.Status.MAPPING
    assert stored_reads == []  # nothing read back from storage at the upload

    page = client.get(f"{PAGE}{reconciliation.pk}/columns/")

    assert page.status_code == 200
    assert page.context["preview"][0][0] == large.rows[0]["Detainer Prepare Date"]
    assert len(page.context["preview"]) == 10
    assert 0 < sum(stored_reads) <= 2 * CHUNK_BYTES < len(content)


@pytest.mark.parametrize(
    ("encoding", "detected"),
    [
        ("utf-8-sig", "utf-8-sig"),  # Excel's "CSV UTF-8": a byte-order mark
        ("utf-8", "utf-8-sig"),
        ("cp1252", "cp1252"),  # the first chunk is ASCII, so it looks like UTF-8 there
        ("utf-16", "utf-16"),
    ],
)
def test_a_character_beyond_the_first_chunk_is_read_in_the_file_s_encoding(
    page_as, several_chunks, encoding, detected
):
    several_chunks.rows[-1]["Detention Facility"] = FAR
    content = several_chunks.csv_bytes(encoding=encoding)
    first_chunk = content[:CHUNK_BYTES].decode(encoding)
    assert FAR not in first_chunk and FAR in content.decode(encoding)  # beyond the first chunk
    assert first_chunk.isascii() or encoding == "utf-16"  # UTF-8 there, whatever the encoding

    response = page_as("supervisor").post(
        PAGE, {"year": 2024, "file": SimpleUploadedFile("list.csv", content)}
    )

    assert response.status_code == 302
    reconciliation = Reconciliation.objects.get()
    assert reconciliation.encoding == detected
    assert reconciliation.status == Reconciliation.Status.DONE, reconciliation.error
    assert totals(reconciliation) == expected(several_chunks)
    last = ReconciliationRow.objects.get(
        reconciliation=reconciliation, line_number=len(several_chunks.rows) + 1
    )
    assert last.agency_row["Detention Facility"] == FAR


def test_a_character_cut_in_two_by_the_first_chunk_s_end_is_still_utf_8(page_as, several_chunks):
    content = several_chunks.csv_bytes()
    # The last row to start well inside the first chunk (a pad row, at a facility of no precinct):
    # its facility is lengthened until a two-byte character straddles the chunk's end.
    starts = [0, *(at + 2 for at in range(len(content)) if content.startswith(b"\r\n", at))]
    start = max(at for at in starts if at <= CHUNK_BYTES - 100)
    row = several_chunks.rows[starts.index(start) - 1]
    assert row["Detention Facility"] == UNKNOWN_FACILITY
    facility_at = start + len(row["Detainer Prepare Date"]) + 1
    row["Detention Facility"] = "x" * (CHUNK_BYTES - 1 - facility_at) + "É " + UNKNOWN_FACILITY
    content = several_chunks.csv_bytes()
    assert content[CHUNK_BYTES - 1 : CHUNK_BYTES + 1] == "É".encode()
    with pytest.raises(UnicodeDecodeError):
        content[:CHUNK_BYTES].decode("utf-8")  # the first chunk alone is not UTF-8

    response = page_as("supervisor").post(
        PAGE, {"year": 2024, "file": SimpleUploadedFile("list.csv", content)}
    )

    assert response.status_code == 302
    reconciliation = Reconciliation.objects.get()
    assert reconciliation.encoding == "utf-8-sig"
    assert reconciliation.status == Reconciliation.Status.DONE, reconciliation.error
    stored = ReconciliationRow.objects.get(
        reconciliation=reconciliation, line_number=starts.index(start) + 1
    )
    assert stored.agency_row["Detention Facility"] == row["Detention Facility"]


HEADER = "Detainer Prepare Date,Detention Facility,EID Subject ID\r\n"


def far_file(bad: str, *, rows: int = 3_000) -> bytes:
    """A good file of `rows` rows with `bad` after them, then one more good row."""
    good = "".join(f"2024-03-01,BPD B-3,S{serial:07d}\r\n" for serial in range(rows))
    return (HEADER + good + bad + "2024-03-02,BPD B-3,S1\r\n").encode()


BAD_LINE = 3_002  # the header, then 3,000 good rows


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ("2024-03-02,BPD B-3\r\n", f"Line {BAD_LINE} has 2 values; the header names 3 columns"),
        ('2024-03-02,"BPD B-3,S1\r\n', "a quote opened and not closed"),
        ("31/31/2024,BPD B-3,S2\r\n", f"Line {BAD_LINE}: Detainer Prepare Date: “31/31/2024”"),
        ("2024-03-02,BPD\x00,S2\r\n", "not a text file"),
    ],
)
def test_a_bad_row_far_into_the_file_is_refused_with_nothing_written(
    api_as, settings, bad, message
):
    content = far_file(bad)
    assert content.index(bad.encode()) > CHUNK_BYTES

    response = api_as("supervisor").post(
        API, {"year": 2024, "file": SimpleUploadedFile("list.csv", content)}, format="multipart"
    )

    assert response.status_code == 400
    assert message in " ".join(response.json()["file"])
    assert nothing_written(settings)


def test_a_later_chunk_that_is_neither_utf_8_nor_windows_1252_refuses_the_file(page_as, settings):
    content = far_file("2024-03-02,BPD B-3,S2\r\n") + b"2024-03-03,\x81,S3\r\n"

    response = page_as("supervisor").post(
        PAGE, {"year": 2024, "file": SimpleUploadedFile("list.csv", content)}
    )

    assert response.status_code == 400
    assert "not a text file" in response.content.decode()
    assert nothing_written(settings)


def test_problems_far_apart_are_listed_five_at_a_time(page_as, settings):
    bad = "".join(
        f"2024-03-{day:02d}\r\n" + "2024-03-01,BPD B-3,S1\r\n" * 800 for day in range(1, 13)
    )
    content = far_file(bad, rows=10)
    assert len(content) > 3 * CHUNK_BYTES  # the twelve short rows in four chunks

    response = page_as("supervisor").post(
        PAGE, {"year": 2024, "file": SimpleUploadedFile("list.csv", content)}
    )

    assert response.status_code == 400
    page = response.content.decode()
    assert "Line 12 has 1 values; the header names 3 columns." in page
    assert "… and 7 more." in page
    assert nothing_written(settings)


def test_a_date_far_into_the_file_refuses_the_columns_chosen(page_as, several_chunks):
    several_chunks.rows[-1]["Detainer Prepare Date"] = "31/31/2024"
    content = several_chunks.csv_bytes(columns=RENAMED)
    assert content.index(b"31/31/2024") > CHUNK_BYTES
    client = page_as("supervisor")
    client.post(
        PAGE,
        {"year": 2024, "file": SimpleUploadedFile("list.csv", content)},
    )
    reconciliation = Reconciliation.objects.get()
    assert reconciliation.status == Reconciliation.Status.MAPPING
    chosen = {"prepare_date": "Prep Dt", "subject_id": "Subj Key", "gender": "Sx"}

    response = client.post(f"{PAGE}{reconciliation.pk}/columns/", chosen)

    assert response.status_code == 400
    line = len(several_chunks.rows) + 1
    assert f"Line {line}: Prep Dt: “31/31/2024” is not a date" in response.content.decode()
    reconciliation.refresh_from_db()
    assert reconciliation.status == Reconciliation.Status.MAPPING
    assert not ReconciliationRow.objects.exists()


def test_a_list_whose_row_cannot_be_saved_leaves_no_file(
    supervisor, several_chunks, monkeypatch, settings
):
    def failing(reconciliation, *args, **kwargs):
        assert reconciliation.file.storage.exists(reconciliation.file.name)  # stored by now
        raise RuntimeError("the database went away")

    monkeypatch.setattr(Reconciliation, "save", failing)
    with pytest.raises(RuntimeError):
        services.reconciliation_upload(
            year=2024, file_name="list.csv", content=several_chunks.csv_bytes(), actor=supervisor
        )

    stored = settings.MEDIA_ROOT / "reconciliations"
    assert stored.exists()
    assert not [path for path in stored.rglob("*") if path.is_file()]
