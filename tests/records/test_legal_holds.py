"""Placing a legal hold from a request's page, a search's results or for a year, and releasing it:
each audited per request with the reason and who."""

import pytest
from django.urls import reverse

from detainers.models import Event, LegalHold

from .conftest import A_NUMBER, YEAR

pytestmark = pytest.mark.django_db


def place(client, **data):
    return client.post(reverse("records-hold-place"), data)


def test_the_request_page_offers_a_hold_and_placing_one_is_audited(scene, page_as, supervisor):
    client = page_as("supervisor")
    page = client.get(reverse("inbox-item", args=[scene.first.pk]))
    assert page.status_code == 200
    assert reverse("records-hold-place") in page.content.decode()

    response = place(client, scope="request", request=scene.first.pk, reason="Doe v. City")

    assert response.status_code == 302
    assert response["Location"] == reverse("inbox-item", args=[scene.first.pk])
    hold = LegalHold.objects.get()
    assert (hold.scope, hold.scope_description, hold.placed_by) == (
        "request",
        f"Request #{scene.first.pk}",
        supervisor,
    )
    assert list(hold.requests.all()) == [scene.first]
    event = Event.objects.get(action="legal_hold_placed")
    assert (event.request_id, event.actor, event.changes["reason"]) == (
        scene.first.pk,
        supervisor,
        [None, "Doe v. City"],
    )
    shown = client.get(reverse("inbox-item", args=[scene.first.pk])).content.decode()
    assert f"hold #{hold.pk}" in shown and "Doe v. City" in shown


def test_a_hold_without_a_reason_is_refused_with_how_to_fix_it(scene, page_as):
    response = place(page_as("supervisor"), scope="request", request=scene.first.pk, reason=" ")

    assert response.status_code == 400
    assert "This field is required." in response.content.decode()
    assert (
        not LegalHold.objects.exists()
        and not Event.objects.filter(action="legal_hold_placed").exists()
    )


def test_a_hold_on_a_request_that_does_not_exist_is_refused(scene, page_as):
    response = place(page_as("supervisor"), scope="search", request=[99999], reason="Claim")

    assert response.status_code == 400
    assert "do not exist" in response.content.decode()
    assert not LegalHold.objects.exists()


def test_a_search_offers_to_hold_its_results_without_keeping_the_words(scene, page_as, supervisor):
    client = page_as("supervisor")
    found = client.post(reverse("inbox-search"), {"q": A_NUMBER})
    assert found.status_code == 200
    shown = found.content.decode()
    assert f'name="request" value="{scene.first.pk}"' in shown
    assert f'name="request" value="{scene.duplicate.pk}"' in shown

    response = place(
        client,
        scope="search",
        request=[scene.first.pk, scene.duplicate.pk],
        reason="Public records request 24-117",
    )

    assert response.status_code == 302 and response["Location"] == reverse("records-holds")
    hold = LegalHold.objects.get()
    assert hold.scope_description == "2 requests found by a search"
    assert A_NUMBER not in str(LegalHold.objects.values())
    assert Event.objects.filter(action="legal_hold_placed").count() == 2


def test_a_year_is_held_from_the_holds_page_and_released_with_a_reason(scene, page_as, supervisor):
    client = page_as("supervisor")
    assert "Hold a whole year" in client.get(reverse("records-holds")).content.decode()

    place(client, scope="year", year=YEAR, reason="Audit of the year")

    hold = LegalHold.objects.get()
    assert hold.year == YEAR and hold.requests.count() == 3
    assert "Audit of the year" in client.get(reverse("records-holds")).content.decode()

    refused = client.post(reverse("records-hold-release", args=[hold.pk]), {"release_reason": ""})
    assert refused.status_code == 400
    assert LegalHold.objects.get(pk=hold.pk).is_active

    released = client.post(
        reverse("records-hold-release", args=[hold.pk]), {"release_reason": "Audit closed"}
    )

    assert released.status_code == 302
    hold.refresh_from_db()
    assert (hold.released_by, hold.release_reason) == (supervisor, "Audit closed")
    events = Event.objects.filter(action="legal_hold_released")
    assert sorted(events.values_list("request_id", flat=True)) == sorted(
        [scene.first.pk, scene.duplicate.pk, scene.emailed.pk]
    )
    assert {tuple(event.changes["reason"]) for event in events} == {(None, "Audit closed")}
    assert {event.actor for event in events} == {supervisor}
    # Released once: a second release finds no active hold.
    again = client.post(
        reverse("records-hold-release", args=[hold.pk]), {"release_reason": "Again"}
    )
    assert again.status_code == 404
