"""The central inbox pages and the document views: order, filters, flags, access, headers, audit."""

import io
from datetime import timedelta

import pytest
from django.core.paginator import Paginator
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from detainers.inbox import selectors
from detainers.intake.routing import delivery_route
from detainers.intake.services import IncomingFile, delivery_receive
from detainers.models import Channel, DetainerRequest, Disposition, Event, Source
from detainers.triage.services import request_triage
from precincts.services import fax_number_retire
from tests.factories import fax_received, foreign_scripts, image_bytes, pdf_bytes

pytestmark = pytest.mark.django_db

B3_LINE = "+16175550133"
C11_LINE = "+16175550151"
UNKNOWN_LINE = "+16175550199"


def routed(**kwargs) -> DetainerRequest:
    """A fax through the intake service, moved into the central inbox as the routing task would."""
    delivery = fax_received(**kwargs)
    delivery_route(delivery_id=delivery.pk)
    return delivery.requests.select_related("delivery").get()


def ago(**kwargs):
    return timezone.now() - timedelta(**kwargs)


def rows_of(response) -> list[int]:
    return [row.request.pk for row in response.context["rows"]]


def reviewed(item: DetainerRequest, by) -> DetainerRequest:
    return request_triage(
        request_id=item.pk, actor=by, changes={"disposition": Disposition.NOT_ACTED_UPON}
    )


# --- The list -------------------------------------------------------------------------------------


def test_it_lists_unreviewed_first_then_newest_first(b3, supervisor, page_as):
    reviewed_old = reviewed(routed(received_at=ago(days=5)), supervisor)
    reviewed_newer = reviewed(routed(received_at=ago(days=3)), supervisor)
    unreviewed_newest = routed(received_at=ago(hours=1))
    unreviewed_old = routed(received_at=ago(days=2))
    not_routed = fax_received(received_at=ago(days=9))

    response = page_as("supervisor").get(reverse("inbox"))

    assert response.status_code == 200
    assert rows_of(response) == [
        unreviewed_newest.pk,
        unreviewed_old.pk,
        reviewed_newer.pk,
        reviewed_old.pk,
    ]
    assert not_routed.requests.get().pk not in rows_of(response)


def test_it_filters_by_precinct_channel_and_status(b3, c11, supervisor, page_as):
    in_b3 = routed(to_number=B3_LINE)
    in_c11 = reviewed(routed(to_number=C11_LINE), supervisor)
    nowhere = routed(to_number=UNKNOWN_LINE)
    email = delivery_receive(
        channel=Channel.EMAIL,
        source=Source.MAILBOX,
        received_at=ago(hours=2),
        files=[IncomingFile("message.pdf", pdf_bytes())],
        from_address="agency@example.gov",
    ).delivery
    delivery_route(delivery_id=email.pk)
    by_email = email.requests.get()
    client = page_as("supervisor")

    def listed(**filters) -> set[int]:
        return set(rows_of(client.get(reverse("inbox"), filters)))

    assert listed() == {in_b3.pk, in_c11.pk, nowhere.pk, by_email.pk}
    assert listed(precinct=b3.pk) == {in_b3.pk}
    assert listed(precinct=c11.pk) == {in_c11.pk}
    assert listed(precinct="none") == {nowhere.pk, by_email.pk}
    assert listed(channel="email") == {by_email.pk}
    assert listed(channel="fax", precinct="none") == {nowhere.pk}
    assert listed(status="reviewed") == {in_c11.pk}
    assert listed(status="unreviewed") == {in_b3.pk, nowhere.pk, by_email.pk}
    assert listed(status="new") == set(), "the inbox holds only routed items"
    # A stale or hand-made link does not break the page: the filter is ignored.
    assert listed(precinct="999999", channel="pigeon") == {
        in_b3.pk,
        in_c11.pk,
        nowhere.pk,
        by_email.pk,
    }


def test_the_filter_form_works_without_javascript(b3, supervisor, page_as):
    routed()
    page = page_as("supervisor").get(reverse("inbox")).content.decode()
    assert '<form method="get"' in page
    assert '<option value="none">No precinct</option>' in page
    for name in ("precinct", "channel", "status"):
        assert f'name="{name}"' in page


def test_it_flags_no_precinct_retired_numbers_and_overdue_items(b3, supervisor, page_as):
    overdue = routed(received_at=ago(hours=25))
    recent = routed(received_at=ago(hours=23))
    reviewed_late = reviewed(routed(received_at=ago(hours=30)), supervisor)
    unknown_line = routed(to_number=UNKNOWN_LINE)
    fax_number_retire(fax_number=b3.fax_numbers.get(), active_until=ago(days=1))
    retired_line = routed(to_number=B3_LINE)

    response = page_as("supervisor").get(reverse("inbox"))
    rows = {row.request.pk: row for row in response.context["rows"]}
    page = response.content.decode()

    assert rows[overdue.pk].overdue
    assert not rows[recent.pk].overdue
    assert not rows[reviewed_late.pk].overdue
    assert page.count("Over 24 h target") == 1
    assert rows[unknown_line.pk].request.delivery.needs_precinct
    assert rows[retired_line.pk].request.delivery.number_match == "retired"
    assert page.count("No precinct</span>") == 2, "the unknown and the retired line"
    assert page.count("Retired number</span>") == 1
    assert rows[overdue.pk].age == "Over 24 h target: 25 h"
    assert rows[recent.pk].age == "23 h"
    assert rows[reviewed_late.pk].age == "30 h", "a reviewed request has no target left to miss"
    assert "Unreviewed" in page


def test_it_flags_duplicates_and_legal_review(b3, supervisor, page_as):
    original = routed(received_at=ago(hours=3))
    duplicate = routed(received_at=ago(hours=2))
    request_triage(request_id=original.pk, actor=supervisor, changes={"event_number": "E-1"})
    request_triage(
        request_id=duplicate.pk,
        actor=supervisor,
        changes={"event_number": "E-1", "legal_review": True},
    )
    page = page_as("supervisor").get(reverse("inbox")).content.decode()
    assert f"Duplicate of {original.reference}" in page
    assert reverse("inbox-item", args=[original.pk]) in page
    assert "Legal review" in page


def test_it_shows_ages_in_hours_then_days(b3, page_as):
    routed(received_at=ago(days=2, hours=3))
    routed(received_at=ago(minutes=50))
    response = page_as("supervisor").get(reverse("inbox"))
    assert [row.age for row in response.context["rows"]] == [
        "50 min",
        "Over 24 h target: 2 days",
    ]


def test_it_pages_fifty_at_a_time_keeping_the_filters(b3, page_as):
    for _ in range(51):
        routed()
    client = page_as("supervisor")
    first = client.get(reverse("inbox"), {"channel": "fax"})
    assert len(first.context["rows"]) == 50
    assert "?channel=fax&amp;page=2" in first.content.decode()
    second = client.get(reverse("inbox"), {"channel": "fax", "page": 2})
    assert len(second.context["rows"]) == 1


def test_pages_run_on_from_the_unreviewed_into_the_reviewed(b3, supervisor):
    old, new = routed(received_at=ago(days=2)), routed(received_at=ago(days=1))
    done = [reviewed(routed(received_at=ago(days=9 - n)), supervisor) for n in range(3)]

    pages = Paginator(selectors.inbox_requests(), 2)

    assert pages.count == 5
    assert [[item.pk for item in pages.page(n)] for n in pages.page_range] == [
        [new.pk, old.pk],
        [done[2].pk, done[1].pk],
        [done[0].pk],
    ]
    assert [item.pk for item in pages.page(1)] == [new.pk, old.pk]


def test_a_long_list_counts_to_the_cap_and_says_there_are_more(
    b3, supervisor, page_as, monkeypatch
):
    # Counting millions of requests costs more than the page: past the cap the list says "more".
    monkeypatch.setattr(selectors, "LIST_COUNT_CAP", 3)
    unreviewed = [routed(received_at=ago(days=5 - n)) for n in range(2)]
    done = [reviewed(routed(received_at=ago(days=9 - n)), supervisor) for n in range(3)]

    response = page_as("supervisor").get(reverse("inbox"))

    assert response.status_code == 200
    assert rows_of(response) == [unreviewed[1].pk, unreviewed[0].pk, done[2].pk]
    assert "More than 3 requests" in response.content.decode()
    monkeypatch.setattr(selectors, "LIST_COUNT_CAP", 5)
    exact = page_as("supervisor").get(reverse("inbox"))
    assert len(rows_of(exact)) == 5
    assert "5 requests: unreviewed first" in exact.content.decode()


@pytest.mark.parametrize("count", [1, 30])
def test_the_list_costs_the_same_queries_for_one_item_or_thirty(
    b3, page_as, django_assert_num_queries, count
):
    for _ in range(count):
        routed()
    client = page_as("supervisor")
    # session, user, user's groups, precincts for the filter, two counts (the unreviewed part and the
    # reviewed part, each up to the cap), the page of rows (one part: none is reviewed), and the
    # mailbox health panel's count of quarantined emails (one more, its state, once a mailbox is set),
    # and the reading panel's figures (one more, the failures, once a reading failed), and the count
    # of open missed faxes beside the link to them, the supervisor's saved filters, and the count of
    # unreviewed requests beside the navigation's link
    with django_assert_num_queries(12):
        response = client.get(reverse("inbox"))
    assert len(response.context["rows"]) == count


def test_markup_from_the_sender_or_a_reviewer_is_shown_as_text(b3, supervisor, page_as):
    item = routed(notes="<script>alert('notes')</script>")
    request_triage(
        request_id=item.pk,
        actor=supervisor,
        changes={"subject_name": "<script>alert('name')</script>"},
    )
    client = page_as("supervisor")
    for url in (reverse("inbox"), reverse("inbox-item", args=[item.pk])):
        page = client.get(url).content.decode()
        assert foreign_scripts(page) == []
        assert "&lt;script&gt;alert(&#x27;name&#x27;)&lt;/script&gt;" in page
    item_page = client.get(reverse("inbox-item", args=[item.pk])).content.decode()
    assert "&lt;script&gt;alert(&#x27;notes&#x27;)" in item_page


# --- One request's page ---------------------------------------------------------------------------


def test_the_item_page_shows_the_delivery_its_documents_and_history(b3, supervisor, page_as):
    item = routed(
        content=image_bytes("TIFF", pages=2), received_at=ago(hours=5), notes="Cover sheet missing"
    )
    request_triage(request_id=item.pk, actor=supervisor, changes={"form_type": "I-247A"})
    page = page_as("supervisor").get(reverse("inbox-item", args=[item.pk])).content.decode()
    delivery = item.delivery
    assert delivery.receipt_number in page
    assert "+16175550133" in page
    assert "A precinct&#x27;s number" in page
    assert "Cover sheet missing" in page
    document = delivery.documents.get()
    for n in (1, 2):
        assert f'src="/documents/{document.pk}/page/{n}.png?pass=' in page
        assert f'alt="Page {n} of the fax"' in page
    assert "/page/3.png" not in page
    assert "Changed in triage." in page and "supervisor" in page
    assert "Form type" in page and "I-247A" in page
    assert f'action="{reverse("inbox-item-triage", args=[item.pk])}#triage-errors"' in page
    assert "no “held”" in page.replace("&ldquo;", "“").replace("&rdquo;", "”")


def test_the_item_page_embeds_a_pdf_from_the_checked_document_view(b3, page_as):
    item = routed()
    document = item.delivery.documents.get()
    page = page_as("supervisor").get(reverse("inbox-item", args=[item.pk])).content.decode()
    assert f'<object data="/documents/{document.pk}/?pass=' in page
    assert 'type="application/pdf"' in page
    assert "/media/" not in page and "no-public-media" not in page


def test_the_item_page_lists_the_other_requests_of_the_delivery(b3, page_as):
    item = routed()
    sibling = DetainerRequest.objects.create(delivery=item.delivery, sequence=2)
    page = page_as("supervisor").get(reverse("inbox-item", args=[item.pk])).content.decode()
    assert f'href="/inbox/{sibling.pk}/">{item.delivery.receipt_number}-2</a> · Unreviewed' in page


def test_a_missing_request_is_404(b3, page_as):
    assert page_as("supervisor").get(reverse("inbox-item", args=[999999])).status_code == 404


# --- Who may do what ------------------------------------------------------------------------------

DENIED = {"inbox": 403, "item": 403, "triage": 403, "undo": 403, "document": 403, "page": 403}
EXPECTED = {
    "anonymous": {name: 302 for name in DENIED},
    "clerk": {**DENIED, "document": 200, "page": 200},
    "other_precinct_clerk": {**DENIED, "document": 404, "page": 404},
    "supervisor": {
        "inbox": 200,
        "item": 200,
        "triage": 302,
        "undo": 302,
        "document": 200,
        "page": 200,
    },
    "admin": DENIED,
    "gateway": DENIED,
    "nobody": DENIED,
}


@pytest.mark.parametrize("person", list(EXPECTED))
def test_access_to_every_inbox_and_document_url(b3, c11, people, page_as, person):
    item = routed(to_number=B3_LINE, content=image_bytes("TIFF", pages=2))
    document = item.delivery.documents.get()
    client = page_as(person)
    answers = {
        "inbox": client.get(reverse("inbox")),
        "item": client.get(reverse("inbox-item", args=[item.pk])),
        "triage": client.post(
            reverse("inbox-item-triage", args=[item.pk]), {"disposition": "not_in_custody"}
        ),
        "undo": client.post(reverse("inbox-item-duplicate-undo", args=[item.pk])),
        "document": client.get(reverse("document", args=[document.pk])),
        "page": client.get(reverse("document-page", args=[document.pk, 1])),
    }
    assert {name: response.status_code for name, response in answers.items()} == EXPECTED[person]
    if person == "anonymous":
        assert all(r["Location"].startswith("/accounts/login/") for r in answers.values())
    item.refresh_from_db()
    assert (item.disposition == "not_in_custody") == (person == "supervisor")
    viewers = set(
        Event.objects.filter(action="document_viewed").values_list("actor__username", flat=True)
    )
    assert viewers == ({people[person].username} if EXPECTED[person]["document"] == 200 else set())


def test_pages_that_change_things_refuse_get(b3, page_as):
    item = routed()
    client = page_as("supervisor")
    assert client.get(reverse("inbox-item-triage", args=[item.pk])).status_code == 405
    assert client.get(reverse("inbox-item-duplicate-undo", args=[item.pk])).status_code == 405


# --- Documents ------------------------------------------------------------------------------------


def received_with_name(name: str, content: bytes, to_number: str = B3_LINE):
    delivery = delivery_receive(
        channel=Channel.FAX,
        source=Source.GATEWAY,
        received_at=ago(minutes=5),
        files=[IncomingFile(name, content)],
        to_number=to_number,
    ).delivery
    delivery_route(delivery_id=delivery.pk)
    return delivery


def test_a_document_is_served_inline_locked_down_and_audited(b3, supervisor, page_as):
    content = pdf_bytes(pages=2)
    delivery = received_with_name("Maria Lopez A012345678.pdf", content)
    document = delivery.documents.get()

    response = page_as("supervisor").get(reverse("document", args=[document.pk]))

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == content
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'inline; filename="{delivery.receipt_number}-1.pdf"'
    assert "Lopez" not in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cache-Control"] == "private, no-store"
    # Not `sandbox`, in which Chromium's PDF viewer refuses to start; see PDF_POLICY.
    policy = response["Content-Security-Policy"]
    assert "sandbox" not in policy and policy.startswith("default-src 'none';")
    assert response["X-Frame-Options"] == "SAMEORIGIN", "the inbox page frames it"
    event = Event.objects.get(action="document_viewed")
    assert event.actor == supervisor
    assert event.delivery == delivery
    assert event.changes == {"document": [None, document.pk]}


def test_a_tiff_page_is_rendered_as_png_checked_and_audited(b3, clerk, page_as):
    delivery = received_with_name("scan.tif", image_bytes("TIFF", pages=2))
    document = delivery.documents.get()
    client = page_as("clerk")

    response = client.get(reverse("document-page", args=[document.pk, 2]))

    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert (
        response["Content-Disposition"]
        == f'inline; filename="{delivery.receipt_number}-1-page-2.png"'
    )
    assert response["Content-Security-Policy"] == "sandbox"
    assert response["Cache-Control"] == "private, no-store"
    assert response["X-Content-Type-Options"] == "nosniff"
    with Image.open(io.BytesIO(response.content)) as page:
        assert page.format == "PNG"
        assert page.width == 1728
    event = Event.objects.get(action="document_viewed")
    assert (event.actor, event.delivery) == (clerk, delivery)
    assert event.changes == {"document": [None, document.pk], "page": [None, 2]}


@pytest.mark.parametrize("n", [0, 3, 99])
def test_a_tiff_page_out_of_range_is_404_and_not_audited(b3, page_as, n):
    document = received_with_name("scan.tif", image_bytes("TIFF", pages=2)).documents.get()
    assert (
        page_as("supervisor").get(reverse("document-page", args=[document.pk, n])).status_code
        == 404
    )
    assert not Event.objects.filter(action="document_viewed").exists()


def test_a_pdf_has_no_png_pages(b3, page_as):
    document = received_with_name("fax.pdf", pdf_bytes()).documents.get()
    assert (
        page_as("supervisor").get(reverse("document-page", args=[document.pk, 1])).status_code
        == 404
    )


def test_a_clerk_opens_their_precincts_documents_and_no_others(b3, c11, page_as):
    own = received_with_name("fax.pdf", pdf_bytes(), to_number=B3_LINE).documents.get()
    other = received_with_name("fax.pdf", pdf_bytes(), to_number=C11_LINE).documents.get()
    nowhere = received_with_name("fax.pdf", pdf_bytes(), to_number=UNKNOWN_LINE).documents.get()
    client = page_as("clerk")
    assert client.get(reverse("document", args=[own.pk])).status_code == 200
    assert client.get(reverse("document", args=[other.pk])).status_code == 404
    assert client.get(reverse("document", args=[nowhere.pk])).status_code == 404
    assert (
        page_as("other_precinct_clerk").get(reverse("document", args=[other.pk])).status_code == 200
    )


def test_a_scanned_image_is_served_with_its_own_type(b3, page_as):
    delivery = received_with_name("photo.jpg", image_bytes("JPEG"))
    document = delivery.documents.get()
    response = page_as("supervisor").get(reverse("document", args=[document.pk]))
    assert response["Content-Type"] == "image/jpeg"
    assert response["Content-Disposition"] == f'inline; filename="{delivery.receipt_number}-1.jpg"'


def test_a_file_the_inbox_cannot_show_is_downloaded_not_opened(b3, page_as):
    from django.core.files.base import ContentFile

    from detainers.models import Document

    delivery = received_with_name("fax.pdf", pdf_bytes())
    raw = Document(delivery=delivery, name="Re: Maria.eml", content_type="message/rfc822", size=5)
    raw.file.save("x", ContentFile(b"From:"), save=False)
    raw.save()
    response = page_as("supervisor").get(reverse("document", args=[raw.pk]))
    assert response.status_code == 200
    assert response["Content-Disposition"] == (
        f'attachment; filename="{delivery.receipt_number}-2.eml"'
    )
    assert response["Content-Security-Policy"] == "sandbox"


def test_the_history_reads_in_words_and_local_times(b3, supervisor, page_as):
    item = routed(received_at=ago(hours=2))
    request_triage(
        request_id=item.pk,
        actor=supervisor,
        changes={"disposition": Disposition.NOT_IN_CUSTODY, "form_type": "I-247A"},
    )
    page = page_as("supervisor").get(reverse("inbox-item", args=[item.pk])).content.decode()
    assert "Subject not in custody when received" in page
    assert "I-247A Immigration Detainer" in page
    routed_at = timezone.localtime(DetainerRequest.objects.get(pk=item.pk).delivery.routed_at)
    assert f"{routed_at:%Y-%m-%d %H:%M %Z}" in page
    assert "+00:00" not in page.split("<h2>History</h2>")[-1]
