"""Reviewing a request: the triage service and its page, the audit trail, the duplicate rules."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from detainers.intake.routing import delivery_route
from detainers.models import DetainerRequest, Disposition, Event
from detainers.triage.services import request_duplicate_undo, request_triage
from tests.factories import fax_received

pytestmark = pytest.mark.django_db

MARCH_15 = date(2024, 3, 15)


def routed(*, hours_ago: float = 1) -> DetainerRequest:
    delivery = fax_received(received_at=timezone.now() - timedelta(hours=hours_ago))
    delivery_route(delivery_id=delivery.pk)
    return delivery.requests.get()


def triaged(item: DetainerRequest, actor, **changes) -> DetainerRequest:
    request_triage(request_id=item.pk, actor=actor, changes=changes)
    return DetainerRequest.objects.get(pk=item.pk)


def fresh(item: DetainerRequest) -> DetainerRequest:
    return DetainerRequest.objects.get(pk=item.pk)


def refused(item: DetainerRequest, actor, **changes) -> dict:
    with pytest.raises(ValidationError) as caught:
        request_triage(request_id=item.pk, actor=actor, changes=changes)
    return caught.value.message_dict


# --- The service ----------------------------------------------------------------------------------


def test_setting_a_disposition_records_the_reviewer_and_an_event(b3, supervisor):
    item = routed()
    before = timezone.now()
    item = triaged(item, supervisor, disposition=Disposition.NOT_IN_CUSTODY)
    assert item.reviewed_by == supervisor
    assert item.reviewed_at >= before
    assert item.status == DetainerRequest.Status.REVIEWED
    event = Event.objects.get(action="triaged", request=item)
    assert event.actor == supervisor
    assert event.delivery_id == item.delivery_id
    assert event.changes["disposition"] == ["", "not_in_custody"]
    assert event.changes["reviewed_by"] == [None, supervisor.pk]
    assert event.changes["reviewed_at"][0] is None


def test_changing_a_disposition_records_old_and_new(b3, supervisor):
    item = triaged(routed(), supervisor, disposition=Disposition.NOT_IN_CUSTODY)
    triaged(item, supervisor, disposition=Disposition.RELEASED)
    last = Event.objects.filter(action="triaged", request=item).last()
    assert last.changes["disposition"] == ["not_in_custody", "released_before_arraignment"]


def test_a_change_to_nothing_writes_no_event(b3, supervisor):
    item = triaged(routed(), supervisor, subject_id="S1")
    triaged(item, supervisor, subject_id=" s1 ")
    assert Event.objects.filter(action="triaged", request=item).count() == 1


@pytest.mark.parametrize("value", ["held", "transferred_to_ice", "DUPLICATE"])
def test_a_disposition_outside_the_list_is_refused(b3, supervisor, value):
    item = routed()
    assert "disposition" in refused(item, supervisor, disposition=value)
    assert fresh(item).disposition == ""
    assert not Event.objects.filter(action="triaged").exists()


def test_the_same_event_number_links_the_later_request_to_the_earlier(b3, supervisor):
    earlier, later = routed(hours_ago=5), routed(hours_ago=2)
    triaged(earlier, supervisor, event_number="E-100")
    later = triaged(later, supervisor, event_number="e-100")
    assert later.duplicate_of == earlier
    assert later.disposition == Disposition.DUPLICATE
    assert "Event #" in later.duplicate_reason and "E-100" in later.duplicate_reason
    assert Event.objects.filter(action="duplicate_linked", request=later).exists()
    assert fresh(earlier).duplicate_of is None


def test_same_subject_id_form_type_and_form_date_are_linked(b3, supervisor):
    earlier, later = routed(hours_ago=5), routed(hours_ago=2)
    triaged(earlier, supervisor, subject_id="S-42", form_type="I-247A", form_date=MARCH_15)
    later = triaged(later, supervisor, subject_id="S-42", form_type="I-247A", form_date=MARCH_15)
    assert later.duplicate_of == earlier
    assert "Subject ID" in later.duplicate_reason


def test_same_subject_id_with_another_form_date_is_not_linked(b3, supervisor):
    earlier, later = routed(hours_ago=5), routed(hours_ago=2)
    triaged(earlier, supervisor, subject_id="S-42", form_type="I-247A", form_date=MARCH_15)
    later = triaged(
        later,
        supervisor,
        subject_id="S-42",
        form_type="I-247A",
        form_date=MARCH_15 + timedelta(days=1),
    )
    assert later.duplicate_of is None
    assert later.disposition == ""


def test_an_a_number_in_any_punctuation_is_normalised_and_matched(b3, supervisor):
    earlier, later = routed(hours_ago=5), routed(hours_ago=2)
    earlier = triaged(
        earlier, supervisor, a_number="A012345678", form_type="I-247A", form_date=MARCH_15
    )
    later = triaged(
        later, supervisor, a_number="A 012-345-678", form_type="I-247A", form_date=MARCH_15
    )
    assert later.a_number == "A012345678"
    assert later.duplicate_of == earlier


def test_an_a_number_with_too_few_digits_is_refused_with_how_to_fix_it(b3, supervisor):
    assert "e.g. A012345678" in refused(routed(), supervisor, a_number="A 123")["a_number"][0]


def test_the_earlier_received_request_stays_the_original_when_triaged_second(b3, supervisor):
    earlier, later = routed(hours_ago=5), routed(hours_ago=2)
    triaged(later, supervisor, event_number="E-7")
    earlier = triaged(earlier, supervisor, event_number="E-7")
    assert earlier.duplicate_of is None
    assert fresh(later).duplicate_of == earlier
    assert fresh(later).disposition == Disposition.DUPLICATE


def test_received_at_not_the_id_decides_which_is_the_original(b3, supervisor):
    # Logged second, but received first (a clerk found it in the tray).
    logged_first, received_first = routed(hours_ago=2), routed(hours_ago=30)
    triaged(logged_first, supervisor, event_number="E-8")
    triaged(received_first, supervisor, event_number="E-8")
    assert fresh(logged_first).duplicate_of_id == received_first.pk
    assert fresh(received_first).duplicate_of_id is None


def test_undo_unlinks_records_an_event_and_is_not_linked_again(b3, supervisor):
    earlier, later = routed(hours_ago=5), routed(hours_ago=2)
    triaged(earlier, supervisor, event_number="E-9")
    triaged(later, supervisor, event_number="E-9")

    request_duplicate_undo(request_id=later.pk, actor=supervisor)

    later = fresh(later)
    assert (later.duplicate_of, later.duplicate_reason, later.disposition) == (None, "", "")
    assert later.reviewed_by is None and later.reviewed_at is None
    event = Event.objects.get(action="duplicate_undone")
    assert event.actor == supervisor and event.request == later
    assert event.changes["duplicate_of"] == [earlier.pk, None]
    # Triage of either one again, identifiers included, does not bring the link back.
    triaged(later, supervisor, subject_id="S-9", event_number="E-9 ")
    triaged(earlier, supervisor, subject_id="S-9")
    assert fresh(later).duplicate_of is None


def test_undo_of_a_request_that_is_no_duplicate_is_refused(b3, supervisor):
    with pytest.raises(ValidationError):
        request_duplicate_undo(request_id=routed().pk, actor=supervisor)


def test_disposition_duplicate_without_an_original_is_refused(b3, supervisor):
    item = routed()
    assert "duplicate_of" in refused(item, supervisor, disposition=Disposition.DUPLICATE)
    assert fresh(item).disposition == ""


def test_clearing_the_link_of_a_duplicate_without_another_disposition_is_refused(b3, supervisor):
    original, item = routed(hours_ago=3), routed()
    triaged(item, supervisor, duplicate_of=original.pk)
    assert "duplicate_of" in refused(item, supervisor, duplicate_of=None)
    item = triaged(item, supervisor, duplicate_of=None, disposition=Disposition.NOT_ACTED_UPON)
    assert (item.duplicate_of, item.disposition) == (None, Disposition.NOT_ACTED_UPON)


def test_another_disposition_unlinks_a_duplicate(b3, supervisor):
    original, item = routed(hours_ago=3), routed()
    triaged(item, supervisor, duplicate_of=original.pk)
    item = triaged(item, supervisor, disposition=Disposition.NOT_IN_CUSTODY)
    assert (item.duplicate_of, item.duplicate_reason) == (None, "")


def test_a_request_cannot_duplicate_itself(b3, supervisor):
    item = routed()
    assert "itself" in refused(item, supervisor, duplicate_of=item.pk)["duplicate_of"][0]


def test_a_request_cannot_duplicate_its_own_duplicate(b3, supervisor):
    original, copy = routed(hours_ago=3), routed()
    triaged(copy, supervisor, duplicate_of=original.pk)
    assert "duplicate_of" in refused(original, supervisor, duplicate_of=copy.pk)


def test_a_missing_original_is_refused(b3, supervisor):
    assert "duplicate_of" in refused(routed(), supervisor, duplicate_of=999999)


def test_a_link_to_a_duplicate_points_at_its_root(b3, supervisor):
    root, middle, last = routed(hours_ago=3), routed(hours_ago=2), routed()
    triaged(middle, supervisor, duplicate_of=root.pk)
    last = triaged(last, supervisor, duplicate_of=middle.pk)
    assert last.duplicate_of == root
    assert last.disposition == Disposition.DUPLICATE


def test_when_a_root_becomes_a_duplicate_its_duplicates_move_to_the_new_root(b3, supervisor):
    new_root, old_root, follower = routed(hours_ago=9), routed(hours_ago=3), routed()
    triaged(follower, supervisor, duplicate_of=old_root.pk)
    triaged(old_root, supervisor, duplicate_of=new_root.pk)
    assert fresh(follower).duplicate_of == new_root
    moved = Event.objects.get(action="duplicate_linked", request=follower)
    assert moved.changes == {"duplicate_of": [old_root.pk, new_root.pk]}
    assert moved.actor == supervisor


def test_automatic_links_also_end_at_the_root(b3, supervisor):
    first, second, third = routed(hours_ago=9), routed(hours_ago=3), routed()
    triaged(third, supervisor, duplicate_of=second.pk)
    triaged(second, supervisor, event_number="E-5")
    triaged(first, supervisor, event_number="E-5")  # received first: `second` becomes its duplicate
    assert fresh(second).duplicate_of == first
    assert fresh(third).duplicate_of == first
    assert not DetainerRequest.objects.filter(duplicate_of__duplicate_of__isnull=False).exists()


def test_a_form_date_in_the_future_is_refused(b3, supervisor):
    tomorrow = timezone.localdate() + timedelta(days=1)
    assert "form_date" in refused(routed(), supervisor, form_date=tomorrow)


# --- The page -------------------------------------------------------------------------------------


def form_of(item: DetainerRequest, **changes) -> dict:
    """What the browser posts: every field as the page showed it, with `changes` typed in."""
    shown = {
        "form_type": item.form_type,
        "form_date": item.form_date.isoformat() if item.form_date else "",
        "subject_id": item.subject_id,
        "event_number": item.event_number,
        "a_number": item.a_number,
        "subject_name": item.subject_name,
        "date_of_birth": "",
        "citizenship": item.citizenship,
        "sex": item.sex,
        "probable_cause": item.probable_cause,
        "notify_before_release": "unknown",
        "hold_up_to_48_hours": "unknown",
        "disposition": item.disposition,
        "duplicate_of": item.duplicate_of_id or "",
        "legal_review_note": item.legal_review_note,
    }
    if item.legal_review:
        shown["legal_review"] = "on"
    return {**shown, **changes}


def test_the_page_saves_a_disposition_and_redirects_with_a_message(b3, supervisor, page_as):
    item = triaged(routed(), supervisor, subject_name="Someone Else")
    client = page_as("supervisor")
    response = client.post(
        reverse("inbox-item-triage", args=[item.pk]), form_of(item, disposition="not_acted_upon")
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("inbox-item", args=[item.pk])
    item = fresh(item)
    assert (item.disposition, item.reviewed_by) == ("not_acted_upon", supervisor)
    event = Event.objects.filter(action="triaged", request=item).last()
    assert set(event.changes) == {"disposition", "reviewed_by", "reviewed_at"}, (
        "only what was changed"
    )
    page = client.get(response["Location"]).content.decode()
    assert f"{item.reference} saved." in page


def test_the_page_saves_every_field(b3, supervisor, page_as):
    item = routed()
    response = page_as("supervisor").post(
        reverse("inbox-item-triage", args=[item.pk]),
        form_of(
            item,
            form_type="I-247A",
            form_date="2024-03-15",
            subject_id="s 77",
            event_number="ev-1",
            a_number="A 012-345-678",
            subject_name="Ana Example",
            date_of_birth="1990-01-02",
            citizenship="Nowhere",
            sex="F",
            probable_cause="biometric_match",
            notify_before_release="true",
            hold_up_to_48_hours="false",
            legal_review="on",
            legal_review_note="Held overnight by mistake",
        ),
    )
    assert response.status_code == 302
    item = fresh(item)
    assert item.a_number == "A012345678"
    assert (item.subject_id, item.event_number) == ("S77", "EV-1")
    assert (item.notify_before_release, item.hold_up_to_48_hours) == (True, False)
    assert item.legal_review and item.legal_review_note == "Held overnight by mistake"
    assert item.form_date == MARCH_15 and item.date_of_birth == date(1990, 1, 2)
    assert item.disposition == "", "nothing reviewed until a disposition is chosen"


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"disposition": "held"}, "disposition", "Select a valid choice"),
        ({"disposition": "duplicate"}, "duplicate_of", "Say which earlier request"),
        ({"a_number": "A 12"}, "a_number", "7 to 9 digits"),
        ({"form_date": "15/03/2024x"}, "form_date", "Enter a valid date"),
    ],
)
def test_the_page_refuses_bad_input_with_400_next_to_the_field(
    b3, supervisor, page_as, changes, field, message
):
    item = routed()
    response = page_as("supervisor").post(
        reverse("inbox-item-triage", args=[item.pk]), form_of(item, **changes)
    )
    assert response.status_code == 400
    assert message in response.context["form"].errors[field][0]
    assert f'id="id_{field}_error"' in response.content.decode()
    assert "Nothing was saved" in response.content.decode()
    assert fresh(item).disposition == ""
    assert not Event.objects.filter(action="triaged").exists()


def test_the_page_refuses_a_request_duplicating_itself(b3, page_as):
    item = routed()
    response = page_as("supervisor").post(
        reverse("inbox-item-triage", args=[item.pk]), form_of(item, duplicate_of=item.pk)
    )
    assert response.status_code == 400
    assert "cannot duplicate itself" in response.content.decode()


def test_the_page_marks_a_duplicate_by_number(b3, supervisor, page_as):
    original, item = routed(hours_ago=3), routed()
    response = page_as("supervisor").post(
        reverse("inbox-item-triage", args=[item.pk]), form_of(item, duplicate_of=original.pk)
    )
    assert response.status_code == 302
    item = fresh(item)
    assert (item.duplicate_of, item.disposition) == (original, Disposition.DUPLICATE)


def test_a_duplicate_shows_why_and_links_to_the_original_and_the_undo_button(
    b3, supervisor, page_as
):
    earlier, later = routed(hours_ago=5), routed(hours_ago=2)
    triaged(earlier, supervisor, event_number="E-11")
    later = triaged(later, supervisor, event_number="E-11")
    page = page_as("supervisor").get(reverse("inbox-item", args=[later.pk])).content.decode()
    assert later.duplicate_reason in page
    assert f'href="{reverse("inbox-item", args=[earlier.pk])}"' in page
    assert f'action="{reverse("inbox-item-duplicate-undo", args=[later.pk])}"' in page
    assert "Not a duplicate — undo" in page
    original_page = (
        page_as("supervisor").get(reverse("inbox-item", args=[earlier.pk])).content.decode()
    )
    assert "Not a duplicate — undo" not in original_page
    assert f'href="{reverse("inbox-item", args=[later.pk])}"' in original_page


def test_the_undo_button_unlinks_through_the_service(b3, supervisor, page_as):
    earlier, later = routed(hours_ago=5), routed(hours_ago=2)
    triaged(earlier, supervisor, event_number="E-12")
    triaged(later, supervisor, event_number="E-12")
    client = page_as("supervisor")
    response = client.post(reverse("inbox-item-duplicate-undo", args=[later.pk]))
    assert response.status_code == 302
    later = fresh(later)
    assert later.duplicate_of is None and later.duplicate_check_dismissed
    assert Event.objects.get(action="duplicate_undone").actor == supervisor
    page = client.get(response["Location"]).content.decode()
    assert "will not be linked automatically again" in page


def test_the_undo_button_on_a_request_that_is_no_duplicate_says_so(b3, page_as):
    item = routed()
    client = page_as("supervisor")
    response = client.post(reverse("inbox-item-duplicate-undo", args=[item.pk]), follow=True)
    assert "not marked as a duplicate" in response.content.decode()
    assert not Event.objects.filter(action="duplicate_undone").exists()


def test_the_page_explains_why_there_is_no_held_disposition(b3, page_as):
    item = routed()
    response = page_as("supervisor").get(reverse("inbox-item", args=[item.pk]))
    choices = [value for value, _ in response.context["form"].fields["disposition"].choices]
    assert choices[0] == "" and "held" not in choices
    assert "Needs legal review" in response.content.decode()
    assert 'aria-describedby="id_disposition_helptext"' in response.content.decode()


def test_an_a_number_without_digits_is_refused_not_dropped(b3, supervisor):
    from django.core.exceptions import ValidationError

    item = routed()
    with pytest.raises(ValidationError) as caught:
        request_triage(request_id=item.pk, actor=supervisor, changes={"a_number": "Maria Example"})
    assert "a_number" in caught.value.message_dict
