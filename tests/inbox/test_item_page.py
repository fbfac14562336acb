"""A request's page as a workspace: save and next, a duplicate named by its receipt number, the
history in words, one look per opening of a document, automatic links and closed years."""

import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from detainers.inbox.documents import LOOK_SITTING
from detainers.inbox.forms import TriageForm
from detainers.inbox.history import SENTENCES, event_sentence
from detainers.intake.routing import delivery_route
from detainers.models import ClosedYear, DetainerRequest, Disposition, Event
from detainers.triage.services import request_triage
from tests.conftest import local
from tests.factories import fax_received, image_bytes

pytestmark = pytest.mark.django_db

C11_LINE = "+16175550151"


def routed(hours_ago: float = 1, **kwargs) -> DetainerRequest:
    received_at = kwargs.pop("received_at", timezone.now() - timedelta(hours=hours_ago))
    delivery = fax_received(received_at=received_at, **kwargs)
    delivery_route(delivery_id=delivery.pk)
    return delivery.requests.select_related("delivery").get()


def fresh(item: DetainerRequest) -> DetainerRequest:
    return DetainerRequest.objects.select_related("delivery").get(pk=item.pk)


def triage_post(client, item: DetainerRequest, **fields):
    return client.post(reverse("inbox-item-triage", args=[item.pk]), fields)


def shown_messages(client, response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


# --- Save, and save and next ----------------------------------------------------------------------


def test_save_and_next_opens_the_oldest_other_unreviewed_request(b3, supervisor, page_as):
    reviewed = routed(hours_ago=9)
    request_triage(
        request_id=reviewed.pk, actor=supervisor, changes={"disposition": "not_in_custody"}
    )
    oldest, item, newer = routed(hours_ago=6), routed(hours_ago=4), routed(hours_ago=2)
    client = page_as("supervisor")

    response = triage_post(client, item, disposition="not_acted_upon", then="next")

    assert response.status_code == 302
    assert response["Location"] == reverse("inbox-item", args=[oldest.pk]) + "#workspace"
    assert fresh(item).disposition == "not_acted_upon"
    assert shown_messages(client, response) == [f"{item.reference} saved."]
    # Once the oldest is done, the next is the newer one: never the one just saved.
    response = triage_post(client, oldest, disposition="not_acted_upon", then="next")
    assert response["Location"] == reverse("inbox-item", args=[newer.pk]) + "#workspace"


def test_save_and_next_goes_back_to_the_inbox_when_none_is_left(b3, supervisor, page_as):
    item = routed()
    client = page_as("supervisor")

    response = triage_post(client, item, disposition="not_acted_upon", then="next")

    assert response.status_code == 302
    assert response["Location"] == reverse("inbox")
    assert shown_messages(client, response) == [
        f"{item.reference} saved.",
        "No unreviewed request is left in the inbox.",
    ]


def test_a_plain_save_stays_on_the_request(b3, supervisor, page_as):
    item, _other = routed(hours_ago=3), routed(hours_ago=2)
    response = triage_post(page_as("supervisor"), item, disposition="not_acted_upon")
    assert response["Location"] == reverse("inbox-item", args=[item.pk])


def test_a_failed_save_lands_on_its_errors_at_the_top_of_the_form(b3, page_as):
    item, _other = routed(hours_ago=3), routed(hours_ago=2)
    response = triage_post(page_as("supervisor"), item, a_number="A 12", then="next")

    assert response.status_code == 400
    page = response.content.decode()
    assert f'action="{reverse("inbox-item-triage", args=[item.pk])}#triage-errors"' in page
    summary = page.index('id="triage-errors"')
    assert 'tabindex="-1" autofocus' in page[summary : summary + 80]
    assert summary < page.index('name="disposition"'), "the summary comes before the fields"
    assert "A-number:" in page[summary:]
    assert fresh(item).a_number == ""


# --- Naming the original of a duplicate by its receipt number ----------------------------------------


def test_a_duplicate_is_named_by_its_receipt_number_as_people_type_it(b3, supervisor, page_as):
    original, item = routed(hours_ago=5), routed(hours_ago=2)
    typed = original.reference.lower().replace("-", " ")  # "dd 2026 000001"

    response = triage_post(page_as("supervisor"), item, duplicate_of=typed)

    assert response.status_code == 302
    item = fresh(item)
    assert (item.duplicate_of, item.disposition) == (original, Disposition.DUPLICATE)
    page = page_as("supervisor").get(reverse("inbox-item", args=[item.pk])).content.decode()
    assert f'value="{original.reference}"' in page, "the form shows the link by its reference"
    assert f'">{original.reference}</a>' in page


def test_the_second_request_of_a_delivery_is_named_with_its_suffix(b3, supervisor, page_as):
    first = routed(hours_ago=5)
    second = DetainerRequest.objects.create(delivery=first.delivery, sequence=2)
    item = routed(hours_ago=2)

    response = triage_post(page_as("supervisor"), item, duplicate_of=f"{first.reference}-2")

    assert response.status_code == 302
    assert fresh(item).duplicate_of == second


def test_a_reference_that_names_no_request_is_refused_clearly(b3, page_as):
    item = routed()
    response = triage_post(page_as("supervisor"), item, duplicate_of="DD-2026-999999")

    assert response.status_code == 400
    assert response.context["form"].errors["duplicate_of"] == [
        "No request has the receipt number “DD-2026-999999”. Type it as on the earlier "
        "request's page, e.g. DD-2026-000121 or DD-2026-000121-2."
    ]
    assert fresh(item).duplicate_of is None
    assert not Event.objects.filter(action="triaged").exists()


def test_a_request_the_user_may_not_see_cannot_be_named(b3, c11, clerk):
    # The form names the original through request_by_reference, scoped to the person saving.
    own, item = routed(hours_ago=5), routed(hours_ago=2)
    elsewhere = routed(hours_ago=4, to_number=C11_LINE)

    seen = TriageForm.for_request(item, user=clerk, data={"duplicate_of": own.reference})
    unseen = TriageForm.for_request(item, user=clerk, data={"duplicate_of": elsewhere.reference})

    assert seen.is_valid(), seen.errors
    assert seen.cleaned_data["duplicate_of"] == own
    assert not unseen.is_valid()
    assert unseen.errors["duplicate_of"][0].startswith(
        f"No request has the receipt number “{elsewhere.reference}”"
    )


# --- The page names requests by their reference ----------------------------------------------------


def test_the_page_names_the_request_its_siblings_and_duplicates_by_reference(
    b3, supervisor, page_as
):
    item = routed(hours_ago=5)
    sibling = DetainerRequest.objects.create(delivery=item.delivery, sequence=2)
    later = routed(hours_ago=1)
    request_triage(request_id=later.pk, actor=supervisor, changes={"duplicate_of": item})

    page = page_as("supervisor").get(reverse("inbox-item", args=[item.pk])).content.decode()

    assert f"<h1>{item.reference}</h1>" in page
    assert f"<title>{item.reference} · Detainer Desk</title>" in page
    assert f">{sibling.reference}</a>" in page and sibling.reference.endswith("-2")
    assert f">{later.reference}</a>" in page
    assert "Request #" not in page and "request #" not in page


def test_an_automatic_link_says_so_rather_than_reviewed(b3, supervisor, page_as):
    earlier, later = routed(hours_ago=5), routed(hours_ago=2)
    request_triage(request_id=earlier.pk, actor=supervisor, changes={"event_number": "E-11"})
    request_triage(request_id=later.pk, actor=supervisor, changes={"event_number": "E-11"})
    later = fresh(later)
    assert later.duplicate_of_id == earlier.pk and later.linked_automatically

    page = page_as("supervisor").get(reverse("inbox-item", args=[later.pk])).content.decode()

    assert '<span class="flag">Linked automatically as a duplicate</span>' in page
    assert "Linked automatically as a duplicate of" in page
    assert "reviewed 20" not in page, "nobody reviewed it"


# --- History in words ------------------------------------------------------------------------------


def test_the_history_says_what_happened_in_words(b3, supervisor, page_as):
    original, item = routed(hours_ago=5), routed(hours_ago=2)
    request_triage(
        request_id=item.pk,
        actor=supervisor,
        changes={"form_type": "I-247A", "duplicate_of": original},
    )

    response = page_as("supervisor").get(reverse("inbox-item", args=[item.pk]))

    history = response.content.decode().split('id="history-heading"')[1]
    assert "Received and logged." in history
    assert "Put in the central inbox." in history
    assert "Changed in triage." in history
    assert "Form type" in history and "I-247A Immigration Detainer" in history
    linked = f'<span class="old">—</span> → <span class="new">{original.reference}</span>'
    assert f"Duplicate of</span>: {linked}" in history
    assert "1 file" in history
    document = item.delivery.documents.get()
    assert document.sha256 not in history, "no file hashes"
    for raw in ("triaged", "routed", "received", "form_type", "duplicate_of", "reviewed_by"):
        assert f">{raw}<" not in history and f"{raw}:" not in history


def test_every_action_the_code_records_has_a_sentence():
    root = Path(__file__).resolve().parents[2]
    written = set()
    for source in root.glob("detainers/**/*.py"):
        written |= set(re.findall(r'action="([a-z_]+)"', source.read_text()))
    written.discard("store_true")  # argparse, not an event
    written |= {"document_not_read"}  # action="document_read" if ... else "document_not_read"
    # detainers.records.purge writes f"{kind}_destroyed" for the kinds _documents_destroy takes.
    written |= {"documents_destroyed", "raw_email_destroyed"}
    assert written, "the search found the actions"
    assert written <= set(SENTENCES), written - set(SENTENCES)


def test_an_unknown_action_reads_as_words():
    assert event_sentence("something_new_happened") == "Something new happened."


# --- One look per opening ----------------------------------------------------------------------------


def test_opening_the_page_is_one_look_and_its_viewer_adds_none(b3, supervisor, page_as):
    item = routed(content=image_bytes("TIFF", pages=3))
    document = item.delivery.documents.get()
    client = page_as("supervisor")

    page = client.get(reverse("inbox-item", args=[item.pk])).content.decode()

    looks = Event.objects.filter(action="document_viewed")
    assert [(look.actor, look.changes) for look in looks.all()] == [
        (supervisor, {"document": [None, document.pk]})
    ]
    embedded = re.findall(rf'src="(/documents/{document.pk}/page/\d\.png\?pass=[^"]+)"', page)
    assert len(embedded) == 3
    for url in embedded:
        assert client.get(url.replace("&amp;", "&")).status_code == 200
    assert looks.all().count() == 1, "the viewer's pages are part of the page's look"
    # Opened on its own (the "Open the file" link, a page by its URL), it is a look again.
    assert client.get(reverse("document-page", args=[document.pk, 2])).status_code == 200
    assert client.get(reverse("document", args=[document.pk])).status_code == 200
    assert looks.all().count() == 3
    assert "page 2" in client.get(reverse("inbox-item", args=[item.pk])).content.decode()


def test_the_page_shown_again_in_the_same_sitting_is_the_same_look(b3, supervisor, page_as):
    item = routed(content=image_bytes("TIFF", pages=1))
    client = page_as("supervisor")
    client.get(reverse("inbox-item", args=[item.pk]))
    assert triage_post(client, item, a_number="A 12").status_code == 400  # shown with its error
    assert triage_post(client, item, disposition="not_acted_upon").status_code == 302
    client.get(reverse("inbox-item", args=[item.pk]))  # after the save
    looks = Event.objects.filter(action="document_viewed")
    assert looks.count() == 1
    # Once the sitting is over (LOOK_SITTING), opening the page again is a new look.
    looks.update(at=timezone.now() - LOOK_SITTING - timedelta(minutes=1))
    client.get(reverse("inbox-item", args=[item.pk]))
    assert looks.count() == 2


def test_a_pass_is_only_good_for_its_own_person_and_document(b3, supervisor, clerk, page_as):
    item = routed(content=image_bytes("TIFF", pages=1))
    other = routed(content=image_bytes("TIFF", pages=1))
    document, other_document = item.delivery.documents.get(), other.delivery.documents.get()
    page = page_as("supervisor").get(reverse("inbox-item", args=[item.pk])).content.decode()
    token = re.search(r"\?pass=([^\"]+)\"", page).group(1)
    before = Event.objects.filter(action="document_viewed").count()

    forged = page_as("supervisor").get(
        reverse("document-page", args=[other_document.pk, 1]) + f"?pass={token}"
    )
    clerks = page_as("clerk").get(
        reverse("document-page", args=[document.pk, 1]) + f"?pass={token}"
    )
    tampered = page_as("supervisor").get(
        reverse("document-page", args=[document.pk, 1]) + f"?pass={token}x"
    )

    assert (forged.status_code, clerks.status_code, tampered.status_code) == (200, 200, 200)
    looks = Event.objects.filter(action="document_viewed").order_by("pk")[before:]
    assert [(look.actor.username, look.changes["document"][1]) for look in looks] == [
        (supervisor.username, other_document.pk),
        (clerk.username, document.pk),
        (supervisor.username, document.pk),
    ]


# --- A closed year -----------------------------------------------------------------------------------


@pytest.fixture
def closed_2025_request(b3, supervisor) -> DetainerRequest:
    item = routed(received_at=local(2025, 6, 1, 10, 0))
    ClosedYear.objects.create(year=2025, figures=[], closed_by=supervisor)
    return item


def test_a_request_of_a_closed_year_says_so_above_the_form(closed_2025_request, page_as):
    page = page_as("supervisor").get(reverse("inbox-item", args=[closed_2025_request.pk]))
    text = page.content.decode()
    assert "The 2025 report was closed on" in text
    assert text.index('id="closed-year"') < text.index('name="disposition"')
    assert 'name="closed_year_confirmed"' in text


def test_a_change_to_a_closed_years_figures_needs_the_confirmation(closed_2025_request, page_as):
    client = page_as("supervisor")

    refused = triage_post(client, closed_2025_request, disposition="not_acted_upon")

    assert refused.status_code == 400
    error = refused.context["form"].errors["closed_year_confirmed"][0]
    assert error.startswith("Nothing was saved: the 2025 report was closed on")
    assert fresh(closed_2025_request).disposition == ""
    saved = triage_post(
        client, closed_2025_request, disposition="not_acted_upon", closed_year_confirmed="on"
    )
    assert saved.status_code == 302
    assert fresh(closed_2025_request).disposition == "not_acted_upon"


def test_a_change_that_no_figure_reads_saves_without_confirming(closed_2025_request, page_as):
    response = triage_post(page_as("supervisor"), closed_2025_request, subject_name="A. Person")
    assert response.status_code == 302
    assert fresh(closed_2025_request).subject_name == "A. Person"


def test_an_open_year_asks_for_no_confirmation(b3, page_as):
    item = routed()
    page = page_as("supervisor").get(reverse("inbox-item", args=[item.pk])).content.decode()
    assert "closed_year_confirmed" not in page and 'id="closed-year"' not in page
    assert triage_post(page_as("supervisor"), item, disposition="not_acted_upon").status_code == 302


def test_moving_a_closed_years_delivery_to_another_precinct_needs_the_confirmation(
    closed_2025_request, c11, page_as
):
    client = page_as("supervisor")
    url = reverse("inbox-item-precinct", args=[closed_2025_request.pk])
    moved = {"precinct": c11.pk, "reason": "Dialled the wrong line"}

    refused = client.post(url, moved)

    assert refused.status_code == 400
    assert (
        "the 2025 report was closed on"
        in refused.context["precinct_form"].errors["closed_year_confirmed"][0]
    )
    assert fresh(closed_2025_request).delivery.precinct.code == "B-3"
    assert client.post(url, {**moved, "closed_year_confirmed": "on"}).status_code == 302
    assert fresh(closed_2025_request).delivery.precinct == c11
