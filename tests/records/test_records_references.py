"""The records pages name requests by their receipt reference (DD-2026-000121), never "#<id>": the
requests of a purge waiting for approval, of the destruction log, and of a hold refused."""

import pytest
from django.urls import reverse

from detainers.models import DetainerRequest
from detainers.records.purge import purge_run

pytestmark = pytest.mark.django_db


@pytest.fixture
def low_threshold(settings):
    settings.PURGE_APPROVAL_THRESHOLD = 3


def test_a_waiting_purge_and_the_log_list_references(
    scene, low_threshold, page_as, django_capture_on_commit_callbacks
):
    approval = purge_run().requested
    ids = [pk for _, batch in approval.planned_kinds for pk in batch["request_ids"]]
    assert ids
    html = page_as("supervisor").get(reverse("records-purges")).content.decode()
    for request in DetainerRequest.objects.filter(pk__in=ids).select_related("delivery"):
        link = reverse("inbox-item", args=[request.pk])
        assert f'<a href="{link}">{request.reference}</a>' in html
        assert f">#{request.pk}<" not in html

    with django_capture_on_commit_callbacks(execute=True):
        page_as("supervisor").post(reverse("records-purge-approve", args=[approval.pk]))
    html = page_as("supervisor").get(reverse("records-purges")).content.decode()
    assert "What was destroyed" in html
    destroyed = DetainerRequest.objects.filter(pk__in=ids).select_related("delivery")
    assert all(request.reference in html for request in destroyed)


def test_a_refused_hold_lists_its_requests_by_reference(scene, page_as):
    request = DetainerRequest.objects.select_related("delivery").get(pk=scene.first.pk)
    response = page_as("supervisor").post(
        reverse("records-hold-place"), {"scope": "request", "request": [request.pk], "reason": ""}
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert f"Requests to hold: {request.reference}" in html
    assert f"#{request.pk}" not in html
