"""The year of a list taken from its dates, a file dated in other years refused, files that are not
a CSV refused in plain words, the sample CSV, and rows that say "No precinct" and name our requests
by their receipt reference."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from detainers.models import Reconciliation, ReconciliationRow
from detainers.reconcile.agency_csv import FIELDS, agency_file_read, columns_guess
from tests.agency_list import agency_scene
from tests.factories import image_bytes, pdf_bytes

pytestmark = pytest.mark.django_db
URL = "/reports/reconcile/"
SAMPLE_URL = "/reports/reconcile/sample.csv"


@pytest.fixture
def scene(b3, c11):
    return agency_scene(year=2024, precincts=[b3, c11], units=2)


def upload(client, content: bytes, year="", name="list.csv"):
    return client.post(URL, {"year": year, "file": SimpleUploadedFile(name, content, "text/csv")})


def refusal(response) -> str:
    assert response.status_code == 400
    assert not Reconciliation.objects.exists()
    return " ".join(
        response.context["form"].errors.get("year", [])
        + response.context["form"].errors.get("file", [])
    )


def test_without_a_year_the_files_own_year_is_taken(page_as, scene):
    response = upload(page_as("supervisor"), scene.csv_bytes())
    assert response.status_code == 302, response.content.decode()[:2000]
    reconciliation = Reconciliation.objects.get()
    assert (reconciliation.year, reconciliation.status) == (2024, Reconciliation.Status.DONE)
    # The one row of the file dated in another year is left out, as when 2024 is chosen.
    assert reconciliation.rows_outside_year == 1


def test_a_year_none_of_the_files_dates_is_in_is_refused(page_as, scene):
    message = refusal(upload(page_as("supervisor"), scene.csv_bytes(), year=2022))
    assert "None of the file's dates is in 2022" in message
    assert "choose 2024, or leave the year empty" in message


def test_a_year_the_file_is_partly_in_is_kept(page_as, scene):
    # The file's one stray row is dated December 2023: a person may reconcile that year on purpose.
    response = upload(page_as("supervisor"), scene.csv_bytes(), year=2023)
    assert response.status_code == 302
    assert Reconciliation.objects.get().year == 2023


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (pdf_bytes(), "This is a PDF document, not a CSV file"),
        (image_bytes("PNG"), "This is an image, not a CSV file"),
        (b"<!DOCTYPE html><html><body><table></table></body></html>", "a web page"),
        (b'{"detainers": []}', "This is a JSON file, not a CSV file"),
        (
            b"Dear colleague\nthe list is attached\nRegards\n",
            "its first line names a single column",
        ),
    ],
)
def test_a_file_that_is_not_a_csv_gets_a_plain_message(page_as, content, words):
    message = refusal(upload(page_as("supervisor"), content, year=2024))
    assert words in message
    assert "CSV UTF-8" in message


def test_the_sample_is_every_column_the_reader_knows_and_reads_as_a_list(page_as, b3, c11):
    response = page_as("supervisor").get(SAMPLE_URL)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    content = b"".join(response.streaming_content)
    sample = agency_file_read(content)
    assert columns_guess(sample.columns) == {fact: spec.aliases[0] for fact, spec in FIELDS.items()}
    assert sample.rows_total == 1 and sample.year == 2024
    # And uploaded as it is, it is reconciled: its year read from it.
    assert upload(page_as("supervisor"), content).status_code == 302
    reconciliation = Reconciliation.objects.get()
    assert (reconciliation.year, reconciliation.status) == (2024, Reconciliation.Status.DONE)


def test_the_page_links_the_sample(page_as):
    assert f'href="{SAMPLE_URL}"' in page_as("supervisor").get(URL).content.decode()


def test_rows_say_no_precinct_and_name_our_requests_by_reference(page_as, scene):
    client = page_as("supervisor")
    assert upload(client, scene.csv_bytes(), year=2024).status_code == 302
    reconciliation = Reconciliation.objects.get()
    page = client.get(f"{URL}{reconciliation.pk}/?result=ours_only&precinct=none")
    html = page.content.decode()
    assert '<span class="muted">No precinct</span></th>' in html
    assert '<span class="muted">None</span>' not in html
    rows = ReconciliationRow.objects.filter(
        reconciliation=reconciliation, result="ours_only", precinct__isnull=True
    ).select_related("request__delivery")
    assert rows
    for row in rows:
        assert f">{row.request.reference}</a>" in html
        assert f"#{row.request.pk}<" not in html
