"""The central inbox as a queue: its order, the review target, the count in the navigation, saved
filters, and configuration messages in plain words."""

import re
from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils import timezone

from accounts.access import Role
from accounts.models import SavedFilter
from detainers.inbox import selectors
from detainers.intake.routing import delivery_route
from detainers.models import Disposition
from detainers.triage.services import request_triage
from tests.conftest import make_user
from tests.factories import fax_received

pytestmark = pytest.mark.django_db


def routed(**kwargs):
    delivery = fax_received(**kwargs)
    delivery_route(delivery_id=delivery.pk)
    return delivery.requests.select_related("delivery").get()


def ago(**kwargs):
    return timezone.now() - timedelta(**kwargs)


def rows_of(response) -> list[int]:
    return [row.request.pk for row in response.context["rows"]]


def review(item, by):
    request_triage(
        request_id=item.pk, actor=by, changes={"disposition": Disposition.NOT_ACTED_UPON}
    )


# --- The order ------------------------------------------------------------------------------------


@pytest.fixture
def four(b3, supervisor):
    """Logged in order a, b, c, d (receipt numbers rising) but received in the order c, a, d, b;
    b and d reviewed."""
    a = routed(received_at=ago(hours=3))
    b = routed(received_at=ago(hours=1))
    c = routed(received_at=ago(hours=4))
    d = routed(received_at=ago(hours=2))
    review(b, supervisor)
    review(d, supervisor)
    return a, b, c, d


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        (None, "a c b d"),  # newest first, unreviewed first
        ("-received", "a c b d"),
        ("received", "c a d b"),
        ("-receipt", "c a d b"),
        ("receipt", "a c b d"),
        ("sideways", "a c b d"),  # a stale or hand-made link: the default order
    ],
)
def test_it_sorts_each_part_by_the_chosen_column(four, page_as, sort, expected):
    names = dict(zip("abcd", (item.pk for item in four), strict=True))
    query = {} if sort is None else {"sort": sort}
    response = page_as("supervisor").get(reverse("inbox"), query)
    assert response.status_code == 200
    assert rows_of(response) == [names[name] for name in expected.split()]


def test_the_column_headings_say_their_order_and_link_to_the_other(four, page_as):
    page = page_as("supervisor").get(reverse("inbox"), {"status": "unreviewed"}).content.decode()
    received = re.search(r'<th scope="col" aria-sort="(\w+)"><a href="([^"]+)"[^>]*>Received', page)
    receipt = re.search(r'<th scope="col" aria-sort="(\w+)"><a href="([^"]+)"[^>]*>Receipt', page)
    assert received.groups() == ("descending", "?status=unreviewed&amp;sort=received")
    assert receipt.groups() == ("none", "?status=unreviewed&amp;sort=-receipt")
    assert "unreviewed first, then newest first" in page

    page = page_as("supervisor").get(reverse("inbox"), {"sort": "received"}).content.decode()
    assert 'aria-sort="ascending"><a href="?sort=-received"' in page
    assert "unreviewed first, then oldest first" in page


def test_a_request_is_named_by_its_reference(b3, page_as):
    item = routed()
    page = page_as("supervisor").get(reverse("inbox")).content.decode()
    assert f'<a href="/inbox/{item.pk}/">{item.reference}</a>' in page
    assert f"#{item.pk}<" not in page


# --- The review target ----------------------------------------------------------------------------


def test_the_age_says_the_target_only_once_it_is_past(b3, page_as, settings):
    settings.INBOX_SLA_HOURS = 2
    late = routed(received_at=ago(hours=3))
    on_time = routed(received_at=ago(minutes=90))
    response = page_as("supervisor").get(reverse("inbox"))
    ages = {row.request.pk: row.age for row in response.context["rows"]}
    assert ages == {late.pk: "Over 2 h target: 3 h", on_time.pk: "1 h"}
    page = response.content.decode()
    assert page.count("Over 2 h target") == 1
    assert "Review target: 2 h." in page


# --- The count in the navigation ------------------------------------------------------------------


def test_the_navigation_counts_the_unreviewed(b3, supervisor, page_as):
    first, second = routed(), routed()
    review(routed(), supervisor)
    fax_received()  # not routed yet: not in the inbox
    page = page_as("supervisor").get(reverse("dashboard")).content.decode()
    assert (
        '<a href="/inbox/" aria-label="Central inbox, 2 unreviewed">Central inbox '
        '<span class="nav-count">2</span></a>'
    ) in page
    review(first, supervisor)
    review(second, supervisor)
    page = page_as("supervisor").get(reverse("dashboard")).content.decode()
    assert '<a href="/inbox/">Central inbox</a>' in page
    assert "nav-count" not in page


def test_the_count_stops_at_the_cap(b3, page_as, monkeypatch):
    monkeypatch.setattr(selectors, "LIST_COUNT_CAP", 2)
    for _ in range(3):
        routed()
    page = page_as("supervisor").get(reverse("dashboard")).content.decode()
    assert 'aria-label="Central inbox, 2+ unreviewed"' in page


def test_others_pages_run_no_count(b3, clerk, page_as):
    routed()
    client = page_as("clerk")
    client.get(reverse("intake"))  # the session settles (its first request may write)
    response = client.get(reverse("intake"))
    assert response.status_code == 200
    assert "inbox_unreviewed" not in response.context
    assert "nav-count" not in response.content.decode()


# --- Saved filters --------------------------------------------------------------------------------


def test_a_supervisor_saves_the_filters_and_finds_them_beside_the_form(b3, supervisor, page_as):
    client = page_as("supervisor")
    response = client.post(
        reverse("inbox-filter-save"),
        # The search box's words are no filter: they are never kept.
        {"name": "  Unreviewed  faxes ", "status": "unreviewed", "channel": "fax", "q": "Smith"},
    )
    assert response.status_code == 302
    assert response["Location"] == "/inbox/?channel=fax&status=unreviewed"
    saved = SavedFilter.objects.get()
    assert (saved.user, saved.name, saved.query) == (
        supervisor,
        "Unreviewed faxes",
        "channel=fax&status=unreviewed",
    )
    page = client.get(response["Location"]).content.decode()
    assert (
        'href="/inbox/?channel=fax&amp;status=unreviewed" aria-current="true">Unreviewed faxes'
        in (page)
    )
    assert "Filter “Unreviewed faxes” saved." in page


def test_saving_a_name_again_replaces_its_filters(b3, page_as):
    client = page_as("supervisor")
    client.post(reverse("inbox-filter-save"), {"name": "Mine", "status": "unreviewed"})
    client.post(reverse("inbox-filter-save"), {"name": "Mine", "sort": "received", "x": "1"})
    assert list(SavedFilter.objects.values_list("name", "query")) == [("Mine", "sort=received")]


def test_a_filter_needs_a_name(b3, page_as):
    response = page_as("supervisor").post(reverse("inbox-filter-save"), {"status": "reviewed"})
    assert response.status_code == 400
    assert response.context["save_form"].errors["name"] == ["This field is required."]
    assert SavedFilter.objects.count() == 0


def test_saved_filters_are_each_persons_own(b3, supervisor, page_as):
    other = make_user("other-supervisor", Role.SUPERVISOR)
    theirs = SavedFilter.objects.create(user=other, name="Their list", query="status=reviewed")
    mine = SavedFilter.objects.create(user=supervisor, name="My list", query="channel=email")
    client = page_as("supervisor")

    page = client.get(reverse("inbox")).content.decode()
    assert "My list" in page and "Their list" not in page

    refused = client.post(reverse("inbox-filter-delete", args=[theirs.pk]))
    assert refused.status_code == 404
    deleted = client.post(reverse("inbox-filter-delete", args=[mine.pk]))
    assert deleted.status_code == 302
    assert list(SavedFilter.objects.all()) == [theirs]


# --- Configuration in plain words -----------------------------------------------------------------


def test_supervisors_read_plain_words_and_admins_the_setting(b3, supervisor, page_as, settings):
    settings.CENTRAL_MAILBOX_URL = ""
    page = page_as("supervisor").get(reverse("inbox")).content.decode()
    assert "The central mailbox is not connected; an administrator sets it up." in page
    assert "CENTRAL_MAILBOX_URL" not in page

    supervisor.groups.add(Group.objects.get(name=Role.ADMIN.value))
    page = page_as("supervisor").get(reverse("inbox")).content.decode()
    assert "The central mailbox is not connected" in page
    assert "For administrators: set CENTRAL_MAILBOX_URL" in page
