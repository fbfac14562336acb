"""Who may open what: every page, every read of the API and every document URL, for each person.

The table is the specification; each cell is one test. Writes (triage, close a year, reconcile,
retire a number...) are checked role by role in their own test files; here a POST checks only that
the door is shut to everyone who may not use it. The gateway uses its API token: to pages it is as
anonymous as anyone without a session.
"""

import pytest

from detainers.intake.receptions import fax_reception_record
from detainers.intake.routing import delivery_route
from detainers.intake.services import IncomingFile, delivery_receive
from detainers.models import Channel, Source
from tests.conftest import local
from tests.factories import fax_received, image_bytes, pdf_bytes

pytestmark = pytest.mark.django_db

PEOPLE = ["anonymous", "clerk", "other_precinct_clerk", "supervisor", "admin", "gateway", "nobody"]
LOGIN = 302  # anonymous page visitors are sent to the login page
SUPERVISORS_ONLY = [LOGIN, 403, 403, 200, 403, LOGIN, 403]

OPEN_DATA_URLS = [
    "/open-data/",
    "/open-data/datapackage.json",
    "/open-data/detainer-requests-2024.csv",
]
#                                       anonymous clerk other supervisor admin gateway nobody
PAGES = [
    ("/intake/", [LOGIN, 200, 200, 403, 403, LOGIN, 403]),
    ("/intake/log/", [LOGIN, 200, 200, 403, 403, LOGIN, 403]),  # each clerk's own faxes
    ("/inbox/", SUPERVISORS_ONLY),
    ("/inbox/search/", SUPERVISORS_ONLY),  # the empty form; searching is a POST (below)
    ("/inbox/{b3}/", SUPERVISORS_ONLY),
    ("/inbox/{c11}/", SUPERVISORS_ONLY),
    # Documents: supervisors, and clerks of the document's precinct; another precinct's clerk is
    # told nothing exists (404).
    ("/documents/{b3_pdf}/", [LOGIN, 200, 404, 200, 403, LOGIN, 403]),
    ("/documents/{b3_tiff}/page/1.png", [LOGIN, 200, 404, 200, 403, LOGIN, 403]),
    ("/documents/{c11_pdf}/", [LOGIN, 404, 200, 200, 403, LOGIN, 403]),
    ("/dashboard/", SUPERVISORS_ONLY),
    ("/dashboard/requests/?year_from=2024&year_to=2024", SUPERVISORS_ONLY),
    ("/dashboard/requests.csv?year_from=2024&year_to=2024", SUPERVISORS_ONLY),
    ("/dashboard/lines/", SUPERVISORS_ONLY),
    ("/inbox/missed/", SUPERVISORS_ONLY),
    ("/reports/", SUPERVISORS_ONLY),
    ("/reports/annual/2024/", SUPERVISORS_ONLY),
    ("/reports/annual/2024/?format=csv", SUPERVISORS_ONLY),
    ("/reports/annual/2024/?format=list-xlsx", SUPERVISORS_ONLY),
    ("/reports/annual/2024/filing.pdf", SUPERVISORS_ONLY),
    ("/reports/annual/2024/filing.pdf?profile=stated_reason", SUPERVISORS_ONLY),
    ("/reports/annual/2024/requests/?figure=civil.total", SUPERVISORS_ONLY),
    ("/reports/reconcile/", SUPERVISORS_ONLY),
    ("/reports/reconcile/sample.csv", SUPERVISORS_ONLY),
    ("/records/holds/", SUPERVISORS_ONLY),
    ("/records/purges/", SUPERVISORS_ONLY),
    # The session's time left (the page's warning): any session; 401, not a login page, to others.
    ("/accounts/session/", [401, 200, 200, 200, 200, 401, 200]),
    # Single sign-on's start and callback: nothing there while OIDC_ISSUER is unset (as here);
    # with it set, open to anyone like the login page (tests/accounts/test_oidc_access.py).
    ("/oidc/start/", [404] * 7),
    ("/oidc/callback/", [404] * 7),
    # Open data while OPEN_DATA_PUBLIC is off (as here): supervisors only, and to everyone else
    # it does not exist (404, even without a session). Published: OPEN_DATA_PAGES below.
    *((url, [404, 404, 404, 200, 404, 404, 404]) for url in OPEN_DATA_URLS),
]
# The admin site sends everyone but admins to its own login page.
ADMIN_LOGIN = "/admin/login/"
ADMIN_PAGES = [
    ("/admin/accounts/signinevent/", [ADMIN_LOGIN] * 4 + [200] + [ADMIN_LOGIN] * 2),
    ("/admin/detainers/retentionrule/", [ADMIN_LOGIN] * 4 + [200] + [ADMIN_LOGIN] * 2),
    ("/admin/detainers/destructionlog/", [ADMIN_LOGIN] * 4 + [200] + [ADMIN_LOGIN] * 2),
    ("/admin/", [ADMIN_LOGIN] * 4 + [200] + [ADMIN_LOGIN] * 2),
    ("/admin/accounts/apitoken/", [ADMIN_LOGIN] * 4 + [200] + [ADMIN_LOGIN] * 2),
    # Replacing a fax number in one step (tests/precincts/test_replace_number.py).
    (
        "/admin/precincts/precinct/{b3_precinct}/replace-number/",
        [ADMIN_LOGIN] * 4 + [200] + [ADMIN_LOGIN] * 2,
    ),
]
# The second-factor pages with the second factor on (a code owed by supervisors and admins, who
# have no app yet): 200, or where each is sent.
ENROL = "/accounts/mfa/enrol/"
SIGN_IN = "/accounts/login/"
SECOND_FACTOR_PAGES = [
    ("/accounts/mfa/", [SIGN_IN, "/", "/", ENROL, ENROL, SIGN_IN, "/"]),
    (ENROL, [SIGN_IN, "/accounts/mfa/", "/accounts/mfa/", 200, 200, SIGN_IN, "/accounts/mfa/"]),
]
API_READS = [
    ("/api/v1/requests/", [401, 200, 200, 200, 403, 200, 403]),
    ("/api/v1/requests/{b3}/", [401, 200, 404, 200, 403, 200, 403]),
    ("/api/v1/requests/{c11}/", [401, 404, 200, 200, 403, 404, 403]),
    ("/api/v1/stats/yearly/", [401, 403, 403, 200, 200, 403, 403]),
    ("/api/v1/missed-faxes/", [401, 403, 403, 200, 403, 403, 403]),
    ("/api/v1/precincts/", [401, 200, 200, 200, 200, 403, 403]),
]
# Reads sent as a POST, so that the query (often a name) is not in a URL: the same doors as GETs.
API_POST_READS = [
    ("/api/v1/requests/search/", [401, 200, 200, 200, 403, 200, 403]),
]
# POSTs: who may not is refused before anything is read.
WRITES = [
    ("/inbox/search/", "supervisor"),
    ("/inbox/{b3}/triage/", "supervisor"),
    ("/inbox/{b3}/undo-duplicate/", "supervisor"),
    ("/inbox/{b3}/precinct/", "supervisor"),
    ("/inbox/extraction/retry/", "supervisor"),
    ("/documents/{b3_pdf}/read-again/", "supervisor"),
    ("/reports/annual/2024/close/", "supervisor"),
    ("/inbox/missed/{missed}/asked/", "supervisor"),
    ("/inbox/missed/{missed}/unlink/", "supervisor"),
    ("/inbox/{b3}/resend-unlink/", "supervisor"),
    # A saved filter: saved and deleted by supervisors, each their own (tests/inbox/test_queue.py).
    ("/inbox/filters/", "supervisor"),
    ("/inbox/filters/1/delete/", "supervisor"),
    ("/reports/reconcile/", "supervisor"),
    # Refused before the hold or purge is looked up: no such row is needed here.
    ("/records/holds/place/", "supervisor"),
    ("/records/holds/1/release/", "supervisor"),
    ("/records/purges/1/approve/", "supervisor"),
    ("/intake/", "clerk"),
]


@pytest.fixture
def scene(b3, c11, gateway):
    """A B-3 fax reported by the gateway (with a PDF and a TIFF), and a C-11 fax."""
    b3_fax = delivery_receive(
        channel=Channel.FAX,
        source=Source.GATEWAY,
        received_at=local(2024, 5, 5, 10),
        files=[
            IncomingFile("fax.pdf", pdf_bytes()),
            IncomingFile("fax.tif", image_bytes("TIFF", pages=2)),
        ],
        to_number="+16175550133",
        actor=gateway,
    ).delivery
    c11_fax = fax_received(to_number="+16175550151", received_at=local(2024, 6, 6, 10))
    for delivery in (b3_fax, c11_fax):
        delivery_route(delivery_id=delivery.pk)
    b3_docs = list(b3_fax.documents.order_by("pk"))
    return {
        "b3": b3_fax.requests.get().pk,
        "c11": c11_fax.requests.get().pk,
        "b3_pdf": b3_docs[0].pk,
        "b3_tiff": b3_docs[1].pk,
        "c11_pdf": c11_fax.documents.get().pk,
        "b3_precinct": b3.pk,
        "missed": fax_reception_record(
            source=Source.GATEWAY,
            status="failed",
            received_at=local(2024, 6, 7, 10),
            to_number="+16175550133",
        ).missed_fax.pk,
    }


def cells(table):
    for url, codes in table:
        for who, code in zip(PEOPLE, codes, strict=True):
            yield pytest.param(url, who, code, id=f"{url} as {who}")


@pytest.mark.parametrize(("url", "who", "expected"), list(cells(PAGES)))
def test_every_page_and_document_lets_in_exactly_who_the_table_says(
    page_as, scene, url, who, expected
):
    response = page_as("anonymous" if who == "gateway" else who).get(url.format(**scene))
    assert response.status_code == expected
    if expected == LOGIN:
        assert response["Location"].startswith("/accounts/login/?next=")


# With OPEN_DATA_PUBLIC on, the open data is everyone's, signed in or not.
OPEN_DATA_PAGES = [(url, [200] * 7) for url in OPEN_DATA_URLS]


@pytest.mark.parametrize(("url", "who", "expected"), list(cells(OPEN_DATA_PAGES)))
def test_published_open_data_is_everyones(page_as, scene, settings, url, who, expected):
    settings.OPEN_DATA_PUBLIC = True
    response = page_as("anonymous" if who == "gateway" else who).get(url)
    assert response.status_code == expected


@pytest.mark.parametrize(("url", "who", "expected"), list(cells(API_READS)))
def test_every_api_read_lets_in_exactly_who_the_table_says(api_as, scene, url, who, expected):
    assert api_as(who).get(url.format(**scene)).status_code == expected


@pytest.mark.parametrize(("url", "who", "expected"), list(cells(API_POST_READS)))
def test_every_api_read_by_post_lets_in_exactly_who_the_table_says(
    api_as, scene, url, who, expected
):
    response = api_as(who).post(url.format(**scene), {"q": "DD-2024-000001"}, format="json")
    assert response.status_code == expected


def refused_cells():
    for url, allowed in WRITES:
        allowed_people = {allowed, "other_precinct_clerk"} if allowed == "clerk" else {allowed}
        for who in PEOPLE:
            if who not in allowed_people:  # what the allowed may do is tested with the feature
                yield pytest.param(url, who, id=f"POST {url} as {who}")


@pytest.mark.parametrize(("url", "who"), list(refused_cells()))
def test_every_form_is_shut_to_those_who_may_not_use_it(page_as, scene, url, who):
    response = page_as("anonymous" if who == "gateway" else who).post(url.format(**scene), {})
    assert response.status_code == (LOGIN if who in ("anonymous", "gateway") else 403)


@pytest.mark.parametrize(("url", "who", "expected"), list(cells(ADMIN_PAGES)))
def test_every_admin_page_lets_in_exactly_who_the_table_says(page_as, scene, url, who, expected):
    response = page_as("anonymous" if who == "gateway" else who).get(url.format(**scene))
    if expected == ADMIN_LOGIN:
        assert response.status_code == 302
        assert response["Location"].startswith(f"{ADMIN_LOGIN}?next=")
    else:
        assert response.status_code == expected


@pytest.mark.parametrize(("url", "who", "expected"), list(cells(SECOND_FACTOR_PAGES)))
def test_the_second_factor_pages_serve_exactly_who_the_table_says(
    page_as, settings, url, who, expected
):
    settings.MFA_REQUIRED = True
    response = page_as("anonymous" if who == "gateway" else who).get(url)
    if expected == 200:
        assert response.status_code == 200
    else:
        assert response.status_code == 302
        assert response["Location"].split("?")[0] == expected
