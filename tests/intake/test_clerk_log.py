"""My log (/intake/log/): the faxes a clerk logged at their precinct, latest received first, found
by receipt number in any spelling people use or by the day received, 25 a page, each linking to
its scan."""

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.access import Role
from detainers.intake.services import IncomingFile, clerk_fax_log
from detainers.models import Delivery
from tests.conftest import local, make_user
from tests.factories import fax_received, pdf_bytes

pytestmark = pytest.mark.django_db

URL = "/intake/log/"


def logged_by(clerk, precinct, received_at=None) -> Delivery:
    return clerk_fax_log(
        clerk=clerk,
        precinct=precinct,
        submission=uuid.uuid4().hex,
        scan=IncomingFile("scan.pdf", pdf_bytes()),
        received_at=received_at or timezone.now() - timedelta(hours=1),
        fax_number=precinct.fax_numbers.get(),
        late_reason="Found in the tray",  # for the faxes of days long past
    ).delivery


def shown(response) -> list[str]:
    assert response.status_code == 200
    return [delivery.receipt_number for delivery in response.context["page"].object_list]


def test_it_lists_the_clerks_own_faxes_latest_received_first_with_their_scans(
    page_as, b3, clerk, other_precinct_clerk
):
    older = logged_by(clerk, b3, timezone.now() - timedelta(days=2))
    newer = logged_by(clerk, b3, timezone.now() - timedelta(hours=3))
    logged_by(make_user("second-clerk", Role.CLERK, b3), b3)
    fax_received()  # the gateway's, at B-3

    response = page_as("clerk").get(URL)

    assert shown(response) == [newer.receipt_number, older.receipt_number]
    page = response.content.decode()
    for delivery in (newer, older):
        assert f'href="/documents/{delivery.documents.get().pk}/"' in page
    assert "2 logged" in page


def test_it_finds_a_fax_by_its_receipt_number_however_it_is_typed(page_as, b3, clerk):
    wanted = logged_by(clerk, b3)
    logged_by(clerk, b3)
    year = timezone.localtime(wanted.logged_at).year
    request_id = wanted.requests.get().pk
    client = page_as("clerk")
    for typed in (
        wanted.receipt_number,
        f"dd {year} {wanted.pk}",
        f" DD{year}-{wanted.pk:06d} ",
        f"#{request_id}",
    ):
        assert shown(client.get(URL, {"receipt": typed})) == [wanted.receipt_number], typed


def test_it_finds_nothing_for_a_receipt_of_another_clerk_or_year(page_as, b3, clerk):
    theirs = logged_by(make_user("second-clerk", Role.CLERK, b3), b3)
    mine = logged_by(clerk, b3)
    year = timezone.localtime(mine.logged_at).year
    client = page_as("clerk")
    assert shown(client.get(URL, {"receipt": mine.receipt_number})) == [mine.receipt_number]
    for typed in (theirs.receipt_number, f"DD-{year - 1}-{mine.pk:06d}"):
        response = client.get(URL, {"receipt": typed})
        assert shown(response) == [], typed
        assert "None of the faxes you logged matches" in response.content.decode()


def test_a_mistyped_receipt_number_says_how_to_write_it(page_as, b3, clerk):
    logged_by(clerk, b3)
    response = page_as("clerk").get(URL, {"receipt": "DD-20x6"})
    assert shown(response) == []
    assert "Enter a receipt number as written on the fax" in response.content.decode()


def test_it_finds_the_faxes_received_on_a_local_day(page_as, b3, clerk):
    # 23:30 in Boston on 2026-03-14 is already the 15th in UTC: the day is the local one.
    late_evening = logged_by(clerk, b3, local(2026, 3, 14, 23, 30))
    logged_by(clerk, b3, local(2026, 3, 15, 0, 30))
    response = page_as("clerk").get(URL, {"received_on": "2026-03-14"})
    assert shown(response) == [late_evening.receipt_number]
    assert "Found 1" in response.content.decode()


def test_it_shows_25_a_page(page_as, b3, clerk, django_assert_max_num_queries):
    for hours in range(26):
        logged_by(clerk, b3, timezone.now() - timedelta(hours=hours + 1))
    client = page_as("clerk")
    # session, user, roles, precinct, the count, the page (with its line and scan)
    with django_assert_max_num_queries(6):
        first = client.get(URL)
    assert len(shown(first)) == 25
    assert 'href="?page=2"' in first.content.decode()
    assert len(shown(client.get(URL, {"page": 2}))) == 1


@pytest.mark.parametrize("name", ["supervisor", "admin", "nobody", "gateway"])
def test_it_is_forbidden_to_everyone_but_clerks(page_as, b3, name):
    assert page_as(name).get(URL).status_code == 403


def test_it_sends_anonymous_visitors_to_the_login_page(page_as):
    response = page_as("anonymous").get(URL)
    assert (response.status_code, response["Location"]) == (302, f"/accounts/login/?next={URL}")
