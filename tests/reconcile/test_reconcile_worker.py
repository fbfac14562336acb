"""A list too large for the request is reconciled by a real Celery worker, with its progress."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from detainers.models import Reconciliation
from detainers.reconcile import services
from tests.agency_list import agency_scene
from tests.conftest import api_client_for
from tests.processes import wait_for

pytestmark = [pytest.mark.worker, pytest.mark.postgres]


def test_a_large_list_is_reconciled_by_the_worker(worker, settings, b3, c11, supervisor):
    # The worker reads the stored file from its own MEDIA_ROOT: store it there.
    settings.MEDIA_ROOT = worker.env["MEDIA_ROOT"]
    scene = agency_scene(year=2024, precincts=[b3, c11], units=10)
    scene.pad(services.RECONCILE_INLINE_ROWS + 500 - len(scene.rows))
    client = api_client_for(supervisor)

    response = client.post(
        "/api/v1/reconciliations/",
        {"year": 2024, "file": SimpleUploadedFile("list.csv", scene.csv_bytes())},
        format="multipart",
    )

    assert response.status_code == 201, response.content
    answer = response.json()
    assert answer["status"] == "queued"  # answered before the worker ran it
    assert answer["matched"] is None
    reconciliation = Reconciliation.objects.get(pk=answer["id"])
    assert reconciliation.rows_total == services.RECONCILE_INLINE_ROWS + 500
    wait_for(
        lambda: (
            client.get(f"/api/v1/reconciliations/{answer['id']}/").json()["status"]
            in ("done", "failed")
        ),
        60,
        what="reconciliation done by the worker",
    )
    done = client.get(f"/api/v1/reconciliations/{answer['id']}/").json()
    assert done["status"] == "done", done["error"]
    assert done["progress"] == 1.0
    assert {
        name: done[name]
        for name in (
            "agency_total",
            "matched",
            "agency_only",
            "ours_only",
            "ambiguous",
            "fallback_unconfirmed",
        )
    } == {
        "agency_total": scene.total("agency"),
        "matched": scene.total("matched"),
        "agency_only": scene.total("agency_only"),
        "ours_only": scene.total("ours_only"),
        "ambiguous": scene.total("ambiguous"),
        "fallback_unconfirmed": scene.total("fallback"),
    }
    assert "reconcile_run" in worker.log()
    page = client.get(done["url"])
    assert page.status_code == 200
    figures = page.context["figures"]
    assert figures.totals["agency_only"] == scene.total("agency_only")
