"""Replacing a precinct's fax number in one step: the old line ends and the new one begins at the
same instant, through one service, from the precinct's admin page."""

from datetime import timedelta

import pytest
from django.contrib.admin.models import LogEntry
from django.core.exceptions import ValidationError
from django.utils import timezone

from detainers.models import Delivery, NumberMatch
from precincts.models import FaxNumber
from precincts.selectors import fax_number_owner_at
from precincts.services import fax_number_replace, fax_number_retire
from tests.conftest import local
from tests.factories import fax_received

pytestmark = pytest.mark.django_db

OLD, NEW = "+16175550133", "+16175550199"
PRECINCTS = "/admin/precincts/precinct/"


@pytest.fixture(autouse=True)
def _boston_time(settings):
    settings.TIME_ZONE = "America/New_York"


def old_line() -> FaxNumber:
    return FaxNumber.objects.get(number=OLD)


# --- The service ---------------------------------------------------------------------------------
def test_it_ends_the_old_line_and_starts_the_new_one_at_the_same_instant(b3, admin_user):
    at = local(2024, 6, 1, 8, 30)
    new = fax_number_replace(
        fax_number=old_line(), number="(617) 555-0199", at=at, actor=admin_user
    )

    old = old_line()
    assert (old.active_until, old.retired_by) == (at, admin_user)
    assert (new.number, new.precinct, new.active_from, new.active_until) == (NEW, b3, at, None)
    assert (new.kind, new.created_by) == (old.kind, admin_user)
    assert new.note == "Replaced (617) 555-0133."


def test_a_fax_at_the_exact_instant_lands_on_the_new_line_and_none_falls_between(b3):
    at = local(2024, 6, 1, 8, 30)
    fax_number_replace(fax_number=old_line(), number=NEW, at=at)

    assert fax_number_owner_at(number=NEW, at=at).precinct == b3
    assert fax_number_owner_at(number=OLD, at=at) is None
    just_before = at - timedelta(microseconds=1)
    assert fax_number_owner_at(number=OLD, at=just_before).precinct == b3
    assert fax_number_owner_at(number=NEW, at=just_before) is None
    on_the_new_line = fax_received(to_number=NEW, received_at=at)
    assert (on_the_new_line.precinct, on_the_new_line.number_match) == (b3, NumberMatch.OWNED)


def test_past_faxes_stay_counted_on_the_old_number(b3):
    before = [fax_received(received_at=local(2024, month, 2)) for month in (1, 3, 5)]
    old = old_line()
    assert Delivery.objects.filter(fax_number=old).count() == 3

    new = fax_number_replace(fax_number=old, number=NEW, at=local(2024, 6, 1))

    assert Delivery.objects.filter(fax_number=old).count() == 3
    assert Delivery.objects.filter(fax_number=new).count() == 0
    assert {
        delivery.precinct for delivery in Delivery.objects.filter(pk__in=[d.pk for d in before])
    } == {b3}
    late = fax_received(to_number=OLD, received_at=local(2024, 7, 1))
    assert (late.precinct, late.number_match) == (None, NumberMatch.RETIRED)


def test_a_kind_and_a_note_can_be_given(b3):
    new = fax_number_replace(
        fax_number=old_line(),
        number=NEW,
        at=local(2024, 6, 1),
        kind=FaxNumber.Kind.DETAINER,
        note="New detainer line.",
    )
    assert (new.kind, new.note) == (FaxNumber.Kind.DETAINER, "New detainer line.")


def test_a_new_number_someone_owns_is_refused_and_the_old_line_stays(b3, c11):
    with pytest.raises(ValidationError) as caught:
        fax_number_replace(fax_number=old_line(), number="+1 617 555 0151", at=local(2024, 6, 1))
    assert "already belongs to C-11" in caught.value.message_dict["number"][0]
    assert old_line().active_until is None  # the retirement was rolled back with it
    assert FaxNumber.objects.filter(number="+16175550151").count() == 1


@pytest.mark.parametrize(
    ("number", "field", "reason"),
    [
        ("fax me", "number", "is not a phone number"),
        ("617.555.0133", "number", "is the number being replaced"),
    ],
)
def test_it_says_which_field_is_wrong(b3, number, field, reason):
    with pytest.raises(ValidationError) as caught:
        fax_number_replace(fax_number=old_line(), number=number, at=local(2024, 6, 1))
    assert reason in caught.value.message_dict[field][0]
    assert FaxNumber.objects.count() == 1 and old_line().active_until is None


def test_a_moment_before_the_old_line_began_is_refused(b3):
    with pytest.raises(ValidationError) as caught:
        fax_number_replace(fax_number=old_line(), number=NEW, at=local(2019, 6, 1))
    assert "must come after" in caught.value.message_dict["at"][0]
    assert not FaxNumber.objects.filter(number=NEW).exists()


def test_a_retired_line_cannot_be_replaced(b3):
    fax_number_retire(fax_number=old_line(), active_until=local(2024, 1, 1))
    with pytest.raises(ValidationError) as caught:
        fax_number_replace(fax_number=old_line(), number=NEW, at=local(2024, 6, 1))
    assert "already retired" in caught.value.message_dict["fax_number"][0]
    assert not FaxNumber.objects.filter(number=NEW).exists()


# --- The admin page ------------------------------------------------------------------------------
def replace_url(precinct) -> str:
    return f"{PRECINCTS}{precinct.pk}/replace-number/"


def replace_post(old: FaxNumber, number: str, day: str, at: str = "", **more) -> dict:
    return {"fax_number": old.pk, "number": number, "at_0": day, "at_1": at, **more}


def test_the_precincts_page_links_to_the_replacement(page_as, b3):
    page = page_as("admin").get(f"{PRECINCTS}{b3.pk}/change/")
    assert replace_url(b3) in page.content.decode()


def test_the_numbers_page_links_to_the_replacement_with_the_number_chosen(page_as, b3):
    client = page_as("admin")
    page = client.get(f"/admin/precincts/faxnumber/{old_line().pk}/change/")
    link = f"{replace_url(b3)}?fax_number={old_line().pk}"
    assert link in page.content.decode()
    assert client.get(link).context["form"]["fax_number"].value() == str(old_line().pk)


def test_the_page_offers_the_precincts_line_and_now(page_as, b3, c11):
    form = page_as("admin").get(replace_url(b3)).context["form"]
    assert list(form.fields["fax_number"].queryset) == [old_line()]  # not C-11's line
    assert form["fax_number"].value() == old_line().pk  # the only one, so chosen already
    assert abs(form["at"].value() - timezone.now()) < timedelta(minutes=2)


def test_an_admin_replaces_a_number_in_one_step(page_as, people, b3):
    client = page_as("admin")
    response = client.post(
        replace_url(b3), replace_post(old_line(), "(617) 555-0199", "2024-06-01", "08:30")
    )

    assert response.status_code == 302
    assert response["Location"] == f"{PRECINCTS}{b3.pk}/change/"
    at = local(2024, 6, 1, 8, 30)
    assert old_line().active_until == at
    new = FaxNumber.objects.get(number=NEW)
    assert (new.precinct, new.active_from, new.created_by) == (b3, at, people["admin"])
    page = client.get(response["Location"])
    done = "(617) 555-0133 replaced by (617) 555-0199 at 2024-06-01 08:30 EDT."
    assert done in page.content.decode()


def test_the_precincts_history_shows_the_replacement_and_retirements(page_as, b3):
    client = page_as("admin")
    client.post(replace_url(b3), replace_post(old_line(), NEW, "2024-06-01"))
    new = FaxNumber.objects.get(number=NEW)
    client.post(
        "/admin/precincts/faxnumber/",
        {
            "action": "retire_selected",
            "_selected_action": [new.pk],
            "apply": "yes",
            "active_until_0": "2025-01-01",
            "active_until_1": "",
        },
    )
    history = client.get(f"{PRECINCTS}{b3.pk}/history/").content.decode()
    assert "(617) 555-0133 replaced by (617) 555-0199 at 2024-06-01 00:00 EDT." in history
    assert "(617) 555-0199 (B-3) retired at 2025-01-01 00:00 EST." in history
    logged = LogEntry.objects.filter(object_id__in=[str(old_line().pk), str(new.pk)])
    assert logged.filter(content_type__model="faxnumber").count() == 3  # retired, added, retired


def test_a_refusal_is_shown_on_the_form_and_nothing_is_written(page_as, b3, c11):
    response = page_as("admin").post(
        replace_url(b3), replace_post(old_line(), "617-555-0151", "2024-06-01")
    )
    assert response.status_code == 200
    assert "already belongs to C-11" in " ".join(response.context["form"].errors["number"])
    assert "Nothing was changed" in response.content.decode()
    assert old_line().active_until is None
    assert not LogEntry.objects.exists()


def test_a_number_of_another_precinct_cannot_be_chosen(page_as, b3, c11):
    c11_line = FaxNumber.objects.get(number="+16175550151")
    response = page_as("admin").post(replace_url(b3), replace_post(c11_line, NEW, "2024-06-01"))
    assert response.status_code == 200
    assert response.context["form"].errors["fax_number"]
    c11_line.refresh_from_db()
    assert c11_line.active_until is None


@pytest.mark.parametrize("who", ["anonymous", "clerk", "supervisor", "gateway", "nobody"])
def test_only_admins_get_in(page_as, people, b3, who):
    client = page_as("anonymous" if who == "gateway" else who)
    for response in (
        client.get(replace_url(b3)),
        client.post(replace_url(b3), replace_post(old_line(), NEW, "2024-06-01")),
    ):
        assert response.status_code == 302
        assert response["Location"].startswith("/admin/login/?next=")
    assert old_line().active_until is None


def test_a_precinct_without_a_number_in_use_is_told_so(page_as, b3):
    fax_number_retire(fax_number=old_line(), active_until=local(2024, 1, 1))
    content = page_as("admin").get(replace_url(b3)).content.decode()
    assert "B-3 has no number in use to replace" in content
    assert "Replace the number" not in content  # no form to send
