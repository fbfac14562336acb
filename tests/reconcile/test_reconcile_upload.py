"""Uploading the agency's list: column names we do not know (chosen on a preview), encodings and
delimiters, malformed files refused with a message and nothing written, the page while it runs."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from detainers.models import Reconciliation, ReconciliationRow
from detainers.reconcile import services
from tests.agency_list import COLUMNS, agency_scene

pytestmark = pytest.mark.django_db
URL = "/reports/reconcile/"
# Another release of the agency's data, with names of its own.
RENAMED = {
    "Detainer Prepare Date": "Prep Dt",
    "EID Subject ID": "Subj Key",
    "Event Number": "Evt",
    "Alien File Number": "AFN",
    "Birth Year": "YOB",
    "Gender": "Sx",
    "Citizenship Country": "Ctzn",
}


@pytest.fixture
def scene(b3, c11):
    return agency_scene(year=2024, precincts=[b3, c11], units=3)


def post(client, content: bytes, year: int = 2024, name: str = "list.csv"):
    return client.post(URL, {"year": year, "file": SimpleUploadedFile(name, content, "text/csv")})


def totals(reconciliation: Reconciliation) -> dict:
    rows = ReconciliationRow.objects.filter(reconciliation=reconciliation)
    return {
        result: rows.filter(result=result).count() for result in ReconciliationRow.Result.values
    }


def expected(scene) -> dict:
    return {r: scene.total(r) for r in ReconciliationRow.Result.values}


def nothing_written(settings) -> bool:
    stored = settings.MEDIA_ROOT / "reconciliations"
    return not Reconciliation.objects.exists() and not (stored.exists() and any(stored.rglob("*")))


def test_it_shows_the_upload_form(page_as):
    response = page_as("supervisor").get(URL)
    assert response.status_code == 200
    assert b'type="file"' in response.content
    # No year chosen for the person: left empty, the file's own year is taken.
    assert response.context["form"]["year"].initial is None
    assert "Leave it empty to take the year the file" in response.content.decode()


def test_unknown_column_names_are_chosen_on_a_preview(page_as, scene):
    client = page_as("supervisor")
    response = post(client, scene.csv_bytes(columns=RENAMED))

    reconciliation = Reconciliation.objects.get()
    assert reconciliation.status == Reconciliation.Status.MAPPING
    assert response["Location"] == f"{URL}{reconciliation.pk}/columns/"
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert len(page.context["preview"]) == 10
    assert page.context["preview"][0] == [scene.rows[0].get(column, "") for column in COLUMNS]
    # What the names told: the facility and area were known, the rest is to choose.
    assert page.context["form"]["facility"].initial == "Detention Facility"
    assert page.context["form"]["prepare_date"].initial == ""
    # The results page sends the user back here until the columns are chosen.
    assert (
        client.get(f"{URL}{reconciliation.pk}/")["Location"] == f"{URL}{reconciliation.pk}/columns/"
    )

    chosen = {
        "prepare_date": "Prep Dt",
        "facility": "Detention Facility",
        "subject_id": "Subj Key",
        "event_number": "Evt",
        "a_number": "AFN",
        "birth_year": "YOB",
        "gender": "Sx",
        "citizenship": "Ctzn",
    }
    response = client.post(response["Location"], chosen)

    assert response["Location"] == f"{URL}{reconciliation.pk}/"
    reconciliation.refresh_from_db()
    assert reconciliation.status == Reconciliation.Status.DONE
    assert reconciliation.mapping == chosen
    assert totals(reconciliation) == expected(scene)


def test_a_mapping_without_a_date_is_refused_with_what_is_missing(page_as, scene):
    client = page_as("supervisor")
    post(client, scene.csv_bytes(columns=RENAMED))
    reconciliation = Reconciliation.objects.get()

    response = client.post(f"{URL}{reconciliation.pk}/columns/", {"subject_id": "Subj Key"})

    assert response.status_code == 400
    assert "Choose a column for the date the detainer was prepared" in response.content.decode()
    reconciliation.refresh_from_db()
    assert reconciliation.status == Reconciliation.Status.MAPPING


def test_a_column_that_is_not_a_date_is_refused_naming_the_line(page_as, scene):
    client = page_as("supervisor")
    post(client, scene.csv_bytes(columns=RENAMED))
    reconciliation = Reconciliation.objects.get()

    response = client.post(
        f"{URL}{reconciliation.pk}/columns/", {"prepare_date": "Detention Facility", "gender": "Sx"}
    )

    assert response.status_code == 400
    assert (
        "Line 2: Detention Facility: “BPD MATTAPAN STATION LOCKUP” is not a date"
        in response.content.decode()
    )
    assert not ReconciliationRow.objects.exists()


@pytest.mark.parametrize(
    ("encoding", "delimiter", "detected"),
    [
        ("utf-8-sig", ",", "utf-8-sig"),  # Excel's "CSV UTF-8" starts with a byte-order mark
        ("utf-8", ";", "utf-8-sig"),  # a European spreadsheet's semicolons
        ("cp1252", ",", "cp1252"),  # Excel's plain "CSV" on Windows
        ("cp1252", "\t", "cp1252"),
        ("utf-16", "\t", "utf-16"),  # Excel's "Unicode text"
    ],
)
def test_it_reads_the_encodings_and_delimiters_spreadsheets_write(
    page_as, scene, encoding, delimiter, detected
):
    scene.rows[0]["Detention Facility"] = "BPD MATTAPAN – CÔTE D’IVOIRE DESK"
    response = post(page_as("supervisor"), scene.csv_bytes(encoding=encoding, delimiter=delimiter))

    assert response.status_code == 302
    reconciliation = Reconciliation.objects.get()
    assert (reconciliation.encoding, reconciliation.delimiter) == (detected, delimiter)
    assert reconciliation.status == Reconciliation.Status.DONE
    assert totals(reconciliation) == expected(scene)
    first = ReconciliationRow.objects.get(reconciliation=reconciliation, line_number=2)
    assert first.agency_row["Detention Facility"] == "BPD MATTAPAN – CÔTE D’IVOIRE DESK"
    assert "Detainer Prepare Date" in reconciliation.mapping.values()  # no BOM left in the name


HEADER = b"Detainer Prepare Date,Detention Facility,EID Subject ID\r\n"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "The file is empty"),
        (HEADER, "a header row but no detainers"),
        (
            HEADER + b"2024-03-01,BPD B-3,S1\r\n2024-03-02,BPD B-3\r\n",
            "Line 3 has 2 values; the header names 3 columns",
        ),
        (HEADER + b'2024-03-01,"BPD B-3,S1\r\n', "a quote opened and not closed"),
        (
            HEADER + b"2024-03-01,BPD B-3,S1\r\n31/31/2024,BPD B-3,S2\r\n",
            "Line 3: Detainer Prepare Date: “31/31/2024” is not a date",
        ),
        (b"PK\x03\x04" + b"\x00" * 40, "Excel workbook"),
        (b"\x00\x01\x02binary\x00", "not a text file"),
    ],
)
def test_a_malformed_file_is_refused_with_a_message_and_nothing_written(
    page_as, settings, content, message
):
    response = post(page_as("supervisor"), content)

    assert response.status_code == 400
    assert message in response.content.decode()
    assert nothing_written(settings)


def test_a_file_over_the_size_limit_is_refused(page_as, settings):
    settings.MAX_DOCUMENT_BYTES = 100
    response = post(page_as("supervisor"), HEADER + b"2024-03-01,BPD B-3,S1\r\n" * 10)
    assert response.status_code == 400
    assert "the limit is" in response.content.decode()
    assert nothing_written(settings)


def test_a_year_in_the_future_is_refused(page_as, settings):
    response = post(page_as("supervisor"), HEADER + b"2024-03-01,BPD B-3,S1\r\n", year=2999)
    assert response.status_code == 400
    assert nothing_written(settings)


def test_a_large_file_waits_for_the_worker_with_a_progress_bar(
    page_as, scene, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(services, "RECONCILE_INLINE_ROWS", 50)
    client = page_as("supervisor")
    with django_capture_on_commit_callbacks(execute=False) as enqueued:
        response = post(client, scene.csv_bytes())
    reconciliation = Reconciliation.objects.get()
    assert reconciliation.status == Reconciliation.Status.QUEUED
    assert len(enqueued) == 1  # the task, once the upload is committed

    page = client.get(response["Location"])
    assert page["Refresh"] == "3"
    assert b"<progress" in page.content
    assert page.context.get("figures") is None

    enqueued[0]()  # no broker in this test: the task runs in-process
    reconciliation.refresh_from_db()
    assert reconciliation.status == Reconciliation.Status.DONE
    page = client.get(response["Location"])
    assert not page.has_header("Refresh")
    assert page.context["figures"].totals["matched"] == scene.total("matched")


def test_a_failed_list_can_be_started_again(page_as, scene, supervisor):
    reconciliation = services.reconciliation_upload(
        year=2024, file_name="list.csv", content=scene.csv_bytes(), actor=supervisor
    )
    Reconciliation.objects.filter(pk=reconciliation.pk).update(status="failed", error="boom")
    ReconciliationRow.objects.filter(reconciliation=reconciliation).delete()

    client = page_as("supervisor")
    assert "Start it again" in client.get(f"{URL}{reconciliation.pk}/").content.decode()
    client.post(f"{URL}{reconciliation.pk}/restart/")

    reconciliation.refresh_from_db()
    assert reconciliation.status == Reconciliation.Status.DONE
    assert totals(reconciliation) == expected(scene)
    # Done: nothing to restart, and nothing is done twice.
    response = client.post(f"{URL}{reconciliation.pk}/restart/", follow=True)
    assert "nothing to restart" in response.content.decode()
    assert totals(reconciliation) == expected(scene)


def test_running_a_list_twice_writes_its_rows_once(supervisor, scene):
    reconciliation = services.reconciliation_upload(
        year=2024, file_name="list.csv", content=scene.csv_bytes(), actor=supervisor
    )
    assert services.reconciliation_run(reconciliation_id=reconciliation.pk) is False
    assert totals(reconciliation) == expected(scene)


def test_progress_is_written_as_the_rows_are_done(supervisor, scene, monkeypatch):
    monkeypatch.setattr(services, "WRITE_BATCH", 20)
    seen = []
    original = services._Progress.set

    def noting(progress, done):
        original(progress, done)
        seen.append(Reconciliation.objects.get(pk=progress.reconciliation_id).rows_done)

    monkeypatch.setattr(services._Progress, "set", noting)
    reconciliation = services.reconciliation_upload(
        year=2024, file_name="list.csv", content=scene.csv_bytes(), actor=supervisor
    )

    assert reconciliation.status == Reconciliation.Status.DONE
    steps = sorted(set(seen) - {0})
    assert len(steps) >= 3  # written in batches as it went, not only at the end
    assert steps[-1] <= reconciliation.rows_total
