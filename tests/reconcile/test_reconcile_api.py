"""POST /api/v1/reconciliations/ and GET /api/v1/reconciliations/{id}/ as CONTRACT.md has them."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from detainers.models import Reconciliation
from detainers.reconcile import services
from tests.agency_list import agency_scene
from tests.reconcile.test_reconcile_upload import RENAMED

pytestmark = pytest.mark.django_db
URL = "/api/v1/reconciliations/"
FIGURES = {
    "agency_total": "agency",
    "matched": "matched",
    "agency_only": "agency_only",
    "ours_only": "ours_only",
    "ambiguous": "ambiguous",
    "fallback_unconfirmed": "fallback",
}


@pytest.fixture
def scene(b3, c11):
    return agency_scene(year=2024, precincts=[b3, c11], units=3)


def post(client, content: bytes, year=2024):
    return client.post(
        URL, {"year": year, "file": SimpleUploadedFile("list.csv", content)}, format="multipart"
    )


def test_it_reconciles_a_list_and_answers_the_contract_shape(api_as, scene):
    response = post(api_as("supervisor"), scene.csv_bytes())

    assert response.status_code == 201, response.json()
    answer = response.json()
    reconciliation = Reconciliation.objects.get()
    assert answer["id"] == reconciliation.pk
    assert answer["year"] == 2024
    assert answer["url"] == f"http://testserver/reports/reconcile/{reconciliation.pk}/"
    assert answer["status"] == "done"
    assert answer["progress"] == 1.0
    assert {name: answer[name] for name in FIGURES} == {
        name: scene.total(figure) for name, figure in FIGURES.items()
    }
    assert api_as("supervisor").get(f"{URL}{reconciliation.pk}/").json() == answer


def test_a_large_list_answers_at_once_with_null_figures(
    api_as, scene, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(services, "RECONCILE_INLINE_ROWS", 50)
    client = api_as("supervisor")
    with django_capture_on_commit_callbacks(execute=False) as enqueued:
        response = post(client, scene.csv_bytes())

    assert response.status_code == 201
    answer = response.json()
    assert answer["status"] == "queued"
    assert answer["progress"] == 0.0
    assert all(answer[name] is None for name in FIGURES)
    enqueued[0]()  # what the worker does (no broker in this test)
    done = client.get(f"{URL}{answer['id']}/").json()
    assert done["status"] == "done"
    assert done["matched"] == scene.total("matched")


def test_unknown_columns_are_refused_naming_what_is_missing_and_what_was_found(
    api_as, scene, settings
):
    response = post(api_as("supervisor"), scene.csv_bytes(columns=RENAMED))

    assert response.status_code == 400
    body = response.json()
    assert "the date the detainer was prepared" in body["file"][0]
    assert "Prep Dt" in body["file"][0]
    assert len(body["missing_columns"]) == 2  # the date; an identifier or a person fact
    assert body["columns_found"][:3] == ["Prep Dt", "Detention Facility", "Area of Responsibility"]
    assert not Reconciliation.objects.exists()


@pytest.mark.parametrize(
    ("content", "year", "field"),
    [
        (b"", 2024, "file"),
        (b"Detainer Prepare Date,EID Subject ID\r\nyesterday,S1\r\n", 2024, "file"),
        (b"Detainer Prepare Date,EID Subject ID\r\n2024-01-02,S1\r\n", 1999, "year"),
        (b"Detainer Prepare Date,EID Subject ID\r\n2024-01-02,S1\r\n", 2999, "year"),
    ],
)
def test_a_refused_upload_says_which_field(api_as, content, year, field):
    response = post(api_as("supervisor"), content, year=year)
    assert response.status_code == 400
    assert list(response.json()) == [field]
    assert not Reconciliation.objects.exists()


def test_an_unknown_reconciliation_is_not_found(api_as):
    assert api_as("supervisor").get(f"{URL}999/").status_code == 404


def test_the_schema_names_both_operations(api_as):
    schema = api_as("supervisor").get("/api/schema/", {"format": "json"}).json()
    post_operation = schema["paths"][URL]["post"]
    assert list(post_operation["requestBody"]["content"]) == ["multipart/form-data"]
    assert {"201", "400", "401", "403"} <= set(post_operation["responses"])
    answer = schema["components"]["schemas"]["Reconciliation"]["properties"]
    assert {"id", "year", "url", "status", "progress", *FIGURES} <= set(answer)
    assert {"200", "404"} <= set(schema["paths"][URL + "{id}/"]["get"]["responses"])
