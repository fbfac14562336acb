"""The sign-in record in the admin: admins read it, filtered by kind, method, dates and user name;
nobody can add, change or delete an event."""

import pytest

from accounts.models import SignInEvent
from accounts.signin_audit import signin_event_record
from tests.conftest import local

pytestmark = pytest.mark.django_db

LIST = "/admin/accounts/signinevent/"


@pytest.fixture
def events(clerk, supervisor):
    made = {
        "clerk_in": signin_event_record(kind="sign_in", user=clerk, method="password"),
        "typo": signin_event_record(kind="sign_in_failed", username="supervisr", method="password"),
        "sup_sso": signin_event_record(kind="sign_in", user=supervisor, method="sso"),
        "old": signin_event_record(kind="locked_out", username="clerk", method="password"),
    }
    # Moved in time by update: the model lets nobody edit an event, and nor does the admin.
    SignInEvent.objects.filter(pk=made["old"].pk).update(at=local(2024, 3, 10, 23, 30))
    SignInEvent.objects.filter(pk=made["clerk_in"].pk).update(at=local(2024, 3, 12, 0, 30))
    return made


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client


def listed(response) -> set[int]:
    assert response.status_code == 200
    return {event.pk for event in response.context["cl"].result_list}


def test_an_admin_sees_every_event(admin_client, events):
    assert listed(admin_client.get(LIST)) >= {event.pk for event in events.values()}
    assert "supervisr (no such account)" in admin_client.get(LIST).content.decode()


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"kind__exact": "sign_in"}, {"clerk_in", "sup_sso"}),
        ({"method": "sso"}, {"sup_sso"}),
        ({"q": "supervis"}, {"typo", "sup_sso"}),
        ({"q": "clerk"}, {"clerk_in", "old"}),
        # Local days, both included: 10 March 23:30 New York is 11 March in UTC.
        ({"at_from": "2024-03-10", "at_to": "2024-03-10"}, {"old"}),
        ({"at_from": "2024-03-11", "at_to": "2024-03-12"}, {"clerk_in"}),
        ({"at_to": "2024-12-31", "kind__exact": "locked_out"}, {"old"}),
    ],
)
def test_it_filters(admin_client, events, query, expected):
    mine = {event.pk: name for name, event in events.items()}
    found = {mine[pk] for pk in listed(admin_client.get(LIST, query)) if pk in mine}
    assert found == expected


def test_a_date_that_is_not_one_is_not_a_server_error(admin_client, events):
    response = admin_client.get(LIST, {"at_from": "yesterday"})
    assert response.status_code == 302  # the admin's "?e=1": the filter is dropped
    assert "e=1" in response["Location"]


def test_nobody_can_add_change_or_delete_an_event(admin_client, admin_user, events):
    event = events["clerk_in"]
    assert admin_client.get(f"{LIST}add/").status_code == 403
    page = admin_client.get(f"{LIST}{event.pk}/change/")
    assert page.status_code == 200  # shown read-only
    assert 'name="kind"' not in page.content.decode()
    assert admin_client.post(f"{LIST}{event.pk}/change/", {"kind": "sign_out"}).status_code == 403
    assert admin_client.post(f"{LIST}{event.pk}/delete/", {"post": "yes"}).status_code == 403
    admin_user.is_superuser = True
    admin_user.save()
    assert admin_client.post(f"{LIST}{event.pk}/delete/", {"post": "yes"}).status_code == 403
    event.refresh_from_db()
    assert event.kind == "sign_in"


def test_the_list_costs_the_same_queries_for_few_or_many(
    admin_client, events, clerk, django_assert_num_queries
):
    admin_client.get(LIST)
    for _ in range(30):
        signin_event_record(kind="sign_in", user=clerk, method="password")
    # session, user, permissions (2), count, rows with their users (one join), roles (the nav),
    # the date drill-down (range, years), the methods for the method filter
    with django_assert_num_queries(10):
        assert admin_client.get(LIST).status_code == 200
