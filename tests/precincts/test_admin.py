"""The Django admin for precincts, fax numbers and users: history is read-only, numbers are added
and retired through the services, nothing is deleted, and only admins get in."""

from datetime import timedelta

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.access import Role
from precincts.admin import FaxNumberAssignFormSet
from precincts.models import FaxNumber, Precinct
from precincts.services import fax_number_assign, fax_number_retire
from tests.conftest import local

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _boston_time(settings):
    """The times expected below are Boston's whatever TIME_ZONE the environment sets."""
    settings.TIME_ZONE = "America/New_York"


NUMBERS = "/admin/precincts/faxnumber/"
PRECINCTS = "/admin/precincts/precinct/"
USERS = "/admin/accounts/user/"


def b3_number() -> FaxNumber:
    return FaxNumber.objects.get(number="+16175550133")


def listed(response) -> list[FaxNumber]:
    return list(response.context["cl"].result_list)


def precinct_post(page, *new_rows: dict) -> dict:
    """The precinct change form as the browser would post it back, with `new_rows` typed in."""
    precinct = page.context["original"]
    data = {"code": precinct.code, "name": precinct.name, "neighbourhood": precinct.neighbourhood}
    if precinct.active:
        data["active"] = "on"
    for inline in page.context["inline_admin_formsets"]:
        formset = inline.formset
        rows = list(formset.initial_forms)
        if isinstance(formset, FaxNumberAssignFormSet):
            for index, row in enumerate(new_rows):
                data.update(
                    {f"{formset.prefix}-{index}-{name}": value for name, value in row.items()}
                )
            total = len(new_rows)
        else:
            total = len(rows)
        for index, form in enumerate(rows):
            data[f"{formset.prefix}-{index}-id"] = form.instance.pk
            data[f"{formset.prefix}-{index}-precinct"] = precinct.pk
        data.update(
            {
                f"{formset.prefix}-TOTAL_FORMS": total,
                f"{formset.prefix}-INITIAL_FORMS": len(rows),
                f"{formset.prefix}-MIN_NUM_FORMS": 0,
                f"{formset.prefix}-MAX_NUM_FORMS": 1000,
            }
        )
    return data


def new_row(number: str, day: str, at: str = "", kind: str = "station", note: str = "") -> dict:
    return {"number": number, "kind": kind, "active_from_0": day, "active_from_1": at, "note": note}


# --- Getting in --------------------------------------------------------------------------------
def test_it_opens_every_page_for_an_admin(page_as, b3):
    client = page_as("admin")
    number = b3_number()
    for url in [
        "/admin/",
        PRECINCTS,
        f"{PRECINCTS}add/",
        f"{PRECINCTS}{b3.pk}/change/",
        NUMBERS,
        f"{NUMBERS}add/",
        f"{NUMBERS}{number.pk}/change/",
        f"{NUMBERS}{number.pk}/retire/",
        USERS,
    ]:
        assert client.get(url).status_code == 200, url


@pytest.mark.parametrize("who", ["anonymous", "clerk", "supervisor", "gateway", "nobody"])
def test_it_sends_everyone_but_admins_to_the_admin_login(page_as, b3, who):
    """None of them is staff: the admin treats them as not signed in to it."""
    client = page_as(who)
    for url in [
        "/admin/",
        NUMBERS,
        f"{PRECINCTS}{b3.pk}/change/",
        f"{NUMBERS}{b3_number().pk}/retire/",
    ]:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith("/admin/login/?next=")


# --- Precincts ---------------------------------------------------------------------------------
def test_it_shows_a_precincts_whole_history_read_only(page_as, b3):
    old = fax_number_assign(precinct=b3, number="617-555-0170", active_from=local(2019, 1, 1))
    fax_number_retire(fax_number=old, active_until=local(2020, 1, 1))
    page = page_as("admin").get(f"{PRECINCTS}{b3.pk}/change/")
    history = page.context["inline_admin_formsets"][0]
    assert [form.form.instance.number for form in history] == ["+16175550170", "+16175550133"]
    assert not history.has_change_permission and not history.has_add_permission
    assert "(617) 555-0170" in page.content.decode() and "(617) 555-0133" in page.content.decode()
    assert "retired" in page.content.decode()


def test_it_lists_precincts_with_their_numbers_now(page_as, b3, c11):
    page = page_as("admin").get(PRECINCTS)
    assert "(617) 555-0133" in page.content.decode()
    found = page_as("admin").get(PRECINCTS, {"q": "617.555.0151"})
    assert [precinct.code for precinct in listed(found)] == ["C-11"]


def test_it_gives_a_precinct_a_number_through_the_service(page_as, people, b3):
    client = page_as("admin")
    page = client.get(f"{PRECINCTS}{b3.pk}/change/")
    row = new_row("(617) 555-0177", "2025-01-01", kind="detainer", note="New line")
    response = client.post(f"{PRECINCTS}{b3.pk}/change/", precinct_post(page, row))
    assert response.status_code == 302
    added = FaxNumber.objects.get(number="+16175550177")
    assert (added.precinct, added.kind, added.note) == (b3, "detainer", "New line")
    assert added.active_from == local(2025, 1, 1)  # a date alone is local midnight
    assert added.created_by == people["admin"]


def test_it_refuses_a_number_another_precinct_owns_and_writes_nothing(page_as, b3, c11):
    client = page_as("admin")
    page = client.get(f"{PRECINCTS}{c11.pk}/change/")
    response = client.post(
        f"{PRECINCTS}{c11.pk}/change/",
        precinct_post(page, new_row("617.555.0133", "2025-01-01", "09:30")),
    )
    assert response.status_code == 200
    assigned = response.context["inline_admin_formsets"][1].formset.forms[0]
    assert "already belongs to B-3" in assigned.errors["number"][0]
    assert FaxNumber.objects.filter(number="+16175550133").count() == 1


def test_it_refuses_two_new_rows_with_the_same_number(page_as, b3):
    client = page_as("admin")
    page = client.get(f"{PRECINCTS}{b3.pk}/change/")
    rows = [new_row("617-555-0177", "2025-01-01"), new_row("6175550177", "2025-02-01")]
    response = client.post(f"{PRECINCTS}{b3.pk}/change/", precinct_post(page, *rows))
    assert response.status_code == 200
    second = response.context["inline_admin_formsets"][1].formset.forms[1]
    assert "already belongs to B-3" in second.errors["number"][0]
    assert not FaxNumber.objects.filter(number="+16175550177").exists()


def test_it_says_why_a_number_is_unreadable(page_as, b3):
    client = page_as("admin")
    page = client.get(f"{PRECINCTS}{b3.pk}/change/")
    response = client.post(
        f"{PRECINCTS}{b3.pk}/change/", precinct_post(page, new_row("123", "2025-01-01"))
    )
    assigned = response.context["inline_admin_formsets"][1].formset.forms[0]
    assert "wrong number of digits" in assigned.errors["number"][0]


def test_a_new_precinct_is_saved_before_it_gets_numbers(page_as, db):
    client = page_as("admin")
    assert client.get(f"{PRECINCTS}add/").context["inline_admin_formsets"] == []
    response = client.post(f"{PRECINCTS}add/", {"code": "D-4", "name": "South End", "active": "on"})
    assert response.status_code == 302
    assert Precinct.objects.filter(code="D-4").exists()


# --- Fax numbers: list, search, filters --------------------------------------------------------
@pytest.mark.parametrize("typed", ["(617) 555-0133", "617.555.0133", "+1 617 555 0133", "555-0133"])
def test_it_finds_a_number_however_it_is_typed(page_as, b3, c11, typed):
    response = page_as("admin").get(NUMBERS, {"q": typed})
    assert [number.number for number in listed(response)] == ["+16175550133"]


def test_it_still_searches_by_precinct_code(page_as, b3, c11):
    response = page_as("admin").get(NUMBERS, {"q": "C-11"})
    assert [number.number for number in listed(response)] == ["+16175550151"]


def test_it_shows_the_columns_an_admin_needs(page_as, b3):
    content = page_as("admin").get(NUMBERS).content.decode()
    for expected in ["(617) 555-0133", "B-3", "Station line", "Status now", "active"]:
        assert expected in content


def test_it_filters_by_status_now(page_as, b3, c11):
    now = timezone.now()
    retired = fax_number_assign(precinct=b3, number="617-555-0171", active_from=local(2019, 1, 1))
    fax_number_retire(fax_number=retired, active_until=local(2020, 1, 1))
    fax_number_assign(precinct=b3, number="617-555-0172", active_from=now + timedelta(days=30))
    client = page_as("admin")

    def numbers(status):
        return [number.number for number in listed(client.get(NUMBERS, {"status": status}))]

    assert numbers("active") == ["+16175550133", "+16175550151"]
    assert numbers("retired") == ["+16175550171"]
    assert numbers("upcoming") == ["+16175550172"]


def test_it_lists_without_a_query_per_row(page_as, b3):
    client = page_as("admin")
    lists = [NUMBERS, PRECINCTS, USERS]

    def queries() -> dict[str, int]:
        counted = {}
        for url in lists:
            with CaptureQueriesContext(connection) as captured:
                assert client.get(url).status_code == 200
            counted[url] = len(captured)
        return counted

    queries()  # the first request warms the session and the content types
    few = queries()
    for n in range(10):
        precinct = Precinct.objects.create(code=f"Z-{n}", name=f"Zone {n}")
        fax_number_assign(
            precinct=precinct, number=f"617-555-01{80 + n}", active_from=local(2024, 1, 1)
        )
    assert queries() == few


# --- Fax numbers: add, change, history ---------------------------------------------------------
def add_post(precinct: Precinct, number: str, day: str = "2025-01-01", at: str = "") -> dict:
    return {"precinct": precinct.pk, **new_row(number, day, at)}


def test_it_adds_a_number_from_its_own_page_through_the_service(page_as, people, b3):
    response = page_as("admin").post(f"{NUMBERS}add/", add_post(b3, "617 555 0178", at="07:45"))
    assert response.status_code == 302
    added = FaxNumber.objects.get(number="+16175550178")
    assert (added.precinct, added.active_from, added.created_by) == (
        b3,
        local(2025, 1, 1, 7, 45),
        people["admin"],
    )
    assert LogEntry.objects.filter(object_id=str(added.pk)).exists()


def test_it_refuses_an_overlap_on_the_add_page_and_writes_nothing(page_as, b3, c11):
    response = page_as("admin").post(f"{NUMBERS}add/", add_post(c11, "(617) 555-0133"))
    assert response.status_code == 200
    assert "already belongs to B-3" in response.context["adminform"].form.errors["number"][0]
    assert FaxNumber.objects.filter(number="+16175550133").count() == 1


def test_a_number_taken_while_the_form_was_checked_is_refused_with_a_message(
    page_as, b3, c11, monkeypatch
):
    """The rehearsal saw the number free; by the time of saving the service refuses it."""
    monkeypatch.setattr(
        "precincts.services.fax_number_assign_rehearse", lambda *, assignments: [None]
    )
    client = page_as("admin")
    response = client.post(f"{NUMBERS}add/", add_post(c11, "(617) 555-0133"), follow=True)
    assert "The number was not added" in response.content.decode()
    assert FaxNumber.objects.filter(number="+16175550133").count() == 1
    assert not LogEntry.objects.exists()


def test_only_the_note_of_a_period_can_be_changed(page_as, b3):
    number = b3_number()
    client = page_as("admin")
    form = client.get(f"{NUMBERS}{number.pk}/change/").context["adminform"].form
    assert list(form.fields) == ["note"]
    tampered = {
        "note": "Front desk",
        "number": "+16175550999",
        "precinct": "",
        "active_from_0": "2030-01-01",
    }
    assert client.post(f"{NUMBERS}{number.pk}/change/", tampered).status_code == 302
    number.refresh_from_db()
    assert (number.note, number.number, number.precinct, number.active_from) == (
        "Front desk",
        "+16175550133",
        b3,
        local(2020, 1, 1),
    )


def test_a_numbers_page_shows_its_history_in_every_precinct(page_as, b3, c11):
    fax_number_retire(fax_number=b3_number(), active_until=local(2024, 6, 1))
    moved = fax_number_assign(precinct=c11, number="617 555 0133", active_from=local(2024, 7, 1))
    content = page_as("admin").get(f"{NUMBERS}{moved.pk}/change/").content.decode()
    assert "B-3" in content and "C-11" in content
    assert "2020-01-01 00:00 EST" in content and "2024-06-01 00:00 EDT" in content
    assert "2024-07-01 00:00 EDT" in content


# --- Retiring instead of deleting --------------------------------------------------------------
def retire_post(number: FaxNumber, day: str, at: str = "") -> dict:
    return {
        "action": "retire_selected",
        "_selected_action": [number.pk],
        "apply": "yes",
        "active_until_0": day,
        "active_until_1": at,
    }


def test_it_retires_through_the_action_at_the_given_moment(page_as, people, b3):
    client = page_as("admin")
    number = b3_number()
    asked = client.post(
        NUMBERS, {"action": "retire_selected", "_selected_action": [number.pk], "index": 0}
    )
    assert asked.status_code == 200
    default = asked.context["form"]["active_until"].value()
    assert abs(default - timezone.now()) < timedelta(minutes=2)
    assert default.utcoffset() == timezone.localtime().utcoffset()  # shown in local time

    response = client.post(NUMBERS, retire_post(number, "2024-06-01", "08:30"), follow=True)
    assert "retired at 2024-06-01 08:30 EDT" in response.content.decode()
    number.refresh_from_db()
    assert (number.active_until, number.retired_by) == (local(2024, 6, 1, 8, 30), people["admin"])


def test_it_refuses_to_retire_twice_and_says_why(page_as, b3):
    client = page_as("admin")
    number = b3_number()
    client.post(NUMBERS, retire_post(number, "2024-06-01"))
    response = client.post(NUMBERS, retire_post(number, "2025-01-01"))
    assert response.status_code == 200
    assert "already retired" in " ".join(response.context["form"].non_field_errors())
    number.refresh_from_db()
    assert number.active_until == local(2024, 6, 1)


def test_it_retires_from_the_numbers_own_page(page_as, b3):
    client = page_as("admin")
    number = b3_number()
    url = f"{NUMBERS}{number.pk}/retire/"
    assert url in client.get(f"{NUMBERS}{number.pk}/change/").content.decode()
    early = client.post(url, {"apply": "yes", "active_until_0": "2019-01-01", "active_until_1": ""})
    assert "must come after" in " ".join(early.context["form"].non_field_errors())
    response = client.post(
        url, {"apply": "yes", "active_until_0": "2024-06-01", "active_until_1": ""}
    )
    assert response.status_code == 302
    assert response["Location"] == f"{NUMBERS}{number.pk}/change/"
    number.refresh_from_db()
    assert number.active_until == local(2024, 6, 1)
    assert url not in client.get(f"{NUMBERS}{number.pk}/change/").content.decode()


def test_nothing_can_be_deleted(page_as, b3):
    client = page_as("admin")
    number = b3_number()
    assert client.get(f"{NUMBERS}{number.pk}/delete/").status_code == 403
    assert client.get(f"{PRECINCTS}{b3.pk}/delete/").status_code == 403
    action_form = client.get(NUMBERS).context["action_form"]
    assert [name for name, _ in action_form.fields["action"].choices if name] == ["retire_selected"]
    assert client.get(PRECINCTS).context["action_form"] is None  # no actions at all, so no delete
    client.post(
        NUMBERS,
        {"action": "delete_selected", "_selected_action": [number.pk], "index": 0, "post": "yes"},
    )
    assert FaxNumber.objects.filter(pk=number.pk).exists()


# --- Users -------------------------------------------------------------------------------------
def user_post(user, groups: list[Role], precinct: Precinct | None) -> dict:
    return {
        "username": user.username,
        "is_active": "on",
        "date_joined_0": "2024-01-01",
        "date_joined_1": "09:00:00",
        "groups": [Group.objects.get(name=role.value).pk for role in groups],
        "precinct": precinct.pk if precinct else "",
    }


def test_it_refuses_a_clerk_without_a_precinct(page_as, people, b3):
    client = page_as("admin")
    nobody = people["nobody"]
    response = client.post(f"{USERS}{nobody.pk}/change/", user_post(nobody, [Role.CLERK], None))
    assert response.status_code == 200
    assert "choose the precinct" in response.context["adminform"].form.errors["precinct"][0]
    assert not nobody.groups.exists()

    response = client.post(f"{USERS}{nobody.pk}/change/", user_post(nobody, [Role.CLERK], b3))
    assert response.status_code == 302
    nobody.refresh_from_db()
    assert nobody.precinct == b3 and nobody.groups.get().name == "Clerk"


def test_it_refuses_to_create_a_clerk_without_a_precinct(page_as, people):
    clerk = Group.objects.get(name="Clerk").pk
    new_user = {
        "username": "new-clerk",
        "usable_password": "false",
        "groups": [clerk],
        "precinct": "",
    }
    response = page_as("admin").post(f"{USERS}add/", new_user)
    assert response.status_code == 200
    assert "choose the precinct" in response.context["adminform"].form.errors["precinct"][0]
    assert not people["admin"].__class__.objects.filter(username="new-clerk").exists()


def test_it_lists_users_with_their_roles(page_as, people):
    content = page_as("admin").get(USERS).content.decode()
    for role in ["Clerk", "Supervisor", "Admin", "Fax gateway"]:
        assert f">{role}<" in content
