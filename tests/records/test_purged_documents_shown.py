"""After a purge the request's page says the document was destroyed (its size and hash kept), and
its URL answers 410 Gone without recording a look at it."""

import pytest
from django.urls import reverse

from detainers.models import Event
from detainers.records.purge import purge_run

pytestmark = pytest.mark.django_db


@pytest.fixture
def purged(scene, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        purge_run()
    return scene


def test_the_request_page_says_the_document_was_destroyed(purged, page_as):
    document = purged.fax.documents.get()

    response = page_as("supervisor").get(reverse("inbox-item", args=[purged.first.pk]))

    assert response.status_code == 200
    shown = response.content.decode()
    assert "at the end of its retention period" in shown and document.sha256[:12] in shown
    assert reverse("document", args=[document.pk]) not in shown
    assert "personal fields were destroyed on" in shown


def test_the_document_url_answers_gone_and_records_no_look(purged, page_as):
    document = purged.fax.documents.get()
    views = Event.objects.filter(action="document_viewed").count()

    response = page_as("supervisor").get(reverse("document", args=[document.pk]))

    assert response.status_code == 410
    assert b"at the end of its retention period" in response.content
    assert Event.objects.filter(action="document_viewed").count() == views


def test_a_page_of_a_destroyed_fax_answers_gone(purged, page_as):
    document = purged.fax.documents.get()

    response = page_as("supervisor").get(reverse("document-page", args=[document.pk, 1]))

    assert response.status_code == 410
