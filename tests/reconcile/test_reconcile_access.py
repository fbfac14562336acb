"""Who may reconcile: supervisors only, on every page and API operation."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from detainers.models import Reconciliation, ReconciliationRow
from detainers.reconcile import services
from tests.agency_list import agency_scene

pytestmark = pytest.mark.django_db
PEOPLE = ["anonymous", "clerk", "other_precinct_clerk", "admin", "gateway", "nobody", "supervisor"]


@pytest.fixture
def reconciliation(b3, c11, supervisor) -> Reconciliation:
    scene = agency_scene(year=2024, precincts=[b3, c11], units=1)
    return services.reconciliation_upload(
        year=2024, file_name="list.csv", content=scene.csv_bytes(), actor=supervisor
    )


def csv_file() -> SimpleUploadedFile:
    return SimpleUploadedFile(
        "list.csv", b"Detainer Prepare Date,EID Subject ID\r\n2024-01-02,S1\r\n"
    )


def pages(reconciliation: Reconciliation) -> list[tuple[str, str, dict, int]]:
    """(method, url, data, what a supervisor gets)."""
    base = f"/reports/reconcile/{reconciliation.pk}/"
    fallback = ReconciliationRow.objects.filter(
        reconciliation=reconciliation, result="fallback"
    ).first()
    return [
        ("get", "/reports/reconcile/", {}, 200),
        ("post", "/reports/reconcile/", {"year": 2024, "file": csv_file()}, 302),
        ("get", base, {}, 200),
        ("get", base + "?result=agency_only", {}, 200),
        ("get", base + "columns/", {}, 302),  # columns already chosen: to the results
        ("get", base + "export.csv?result=matched", {}, 200),
        ("post", base + f"rows/{fallback.pk}/decide/", {"decision": "confirm"}, 302),
        ("post", base + "restart/", {}, 302),
    ]


@pytest.mark.parametrize("who", PEOPLE)
def test_only_supervisors_use_the_pages(page_as, people, reconciliation, who):
    for method, url, data, supervisor_gets in pages(reconciliation):
        response = getattr(page_as(who), method)(url, data)
        if who == "anonymous":
            assert response.status_code == 302, url
            assert response["Location"].startswith("/accounts/login/"), url
        elif who == "supervisor":
            assert response.status_code == supervisor_gets, url
        else:
            assert response.status_code == 403, (who, url)
    decided = ReconciliationRow.objects.filter(reconciliation=reconciliation, decision="confirmed")
    assert decided.exists() == (who == "supervisor")


@pytest.mark.parametrize(
    ("who", "post_status", "get_status"),
    [
        ("anonymous", 401, 401),
        ("clerk", 403, 403),
        ("other_precinct_clerk", 403, 403),
        ("admin", 403, 403),
        ("gateway", 403, 403),
        ("nobody", 403, 403),
        ("supervisor", 201, 200),
    ],
)
def test_only_supervisors_use_the_api(api_as, reconciliation, who, post_status, get_status):
    client = api_as(who)
    posted = client.post(
        "/api/v1/reconciliations/", {"year": 2024, "file": csv_file()}, format="multipart"
    )
    assert posted.status_code == post_status
    assert client.get(f"/api/v1/reconciliations/{reconciliation.pk}/").status_code == get_status
    assert Reconciliation.objects.count() == (2 if who == "supervisor" else 1)
