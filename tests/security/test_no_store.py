"""No answer that may carry personal data is kept by a cache: `Cache-Control: private, no-store`
(config.middleware.PrivateNoStoreMiddleware).

Every answer to a signed-in person or a token says so, and every API answer, whatever the status:
a 403 or 404 is as private as a 200. A view that set its own Cache-Control keeps it. What anonymous
visitors get is as it was: the login page and /healthz say `never_cache`'s words, a page's redirect
to the login page says nothing (it holds nothing), and static files keep WhiteNoise's.
"""

import pytest
from django.http import HttpResponse
from django.utils.cache import add_never_cache_headers

from detainers.inbox.views.documents import PDF_POLICY, SANDBOXED
from detainers.intake.routing import delivery_route
from detainers.intake.services import IncomingFile, delivery_receive
from detainers.models import Channel, DetainerRequest, Source
from tests.conftest import local
from tests.factories import image_bytes, pdf_bytes

pytestmark = pytest.mark.django_db

SIGNED_IN = ["clerk", "other_precinct_clerk", "supervisor", "admin", "nobody"]

#             clerk other supervisor admin nobody (each signed in)
PAGES = [
    ("GET", "/inbox/{b3}/", [403, 403, 200, 403, 403]),
    ("GET", "/dashboard/", [403, 403, 200, 403, 403]),
    ("GET", "/intake/", [200, 200, 403, 403, 403]),
    ("POST", "/inbox/search/", [403, 403, 200, 403, 403]),
    ("GET", "/reports/annual/2024/?format=csv", [403, 403, 200, 403, 403]),
]
#             clerk other supervisor admin gateway (its token) nobody
API_PEOPLE = ["clerk", "other_precinct_clerk", "supervisor", "admin", "gateway", "nobody"]
API = [
    ("GET", "/api/v1/requests/{b3}/", [200, 404, 200, 403, 200, 403]),
    ("POST", "/api/v1/requests/search/", [200, 200, 200, 403, 200, 403]),
]


def never_cache_header() -> str:
    """What Django's `never_cache` writes: what the login page and /healthz said before."""
    response = HttpResponse()
    add_never_cache_headers(response)
    return response["Cache-Control"]


def directives(response) -> set[str]:
    return {part.strip() for part in response["Cache-Control"].split(",")}


@pytest.fixture
def scene(b3, gateway):
    """A routed B-3 fax (a PDF and a TIFF) whose request names its subject."""
    delivery = delivery_receive(
        channel=Channel.FAX,
        source=Source.GATEWAY,
        received_at=local(2024, 5, 5, 10),
        files=[IncomingFile("fax.pdf", pdf_bytes()), IncomingFile("fax.tif", image_bytes("TIFF"))],
        to_number="+16175550133",
        actor=gateway,
    ).delivery
    delivery_route(delivery_id=delivery.pk)
    request = delivery.requests.get()
    DetainerRequest.objects.filter(pk=request.pk).update(subject_name="Jane Roe")
    pdf, tiff = delivery.documents.order_by("pk")
    return {
        "b3": request.pk,
        "receipt": delivery.receipt_number,
        "pdf": pdf.pk,
        "tiff": tiff.pk,
    }


def cells(table, people):
    for method, url, codes in table:
        for who, code in zip(people, codes, strict=True):
            yield pytest.param(method, url, who, code, id=f"{method} {url} as {who}")


@pytest.mark.parametrize(("method", "url", "who", "expected"), list(cells(PAGES, SIGNED_IN)))
def test_it_says_private_no_store_on_every_page_to_a_signed_in_person(
    page_as, scene, method, url, who, expected
):
    client = page_as(who)
    url = url.format(**scene)
    if method == "POST":
        response = client.post(url, {"q": scene["receipt"]})
    else:
        response = client.get(url)

    assert response.status_code == expected
    assert {"private", "no-store"} <= directives(response)


def test_it_covers_the_item_page_that_names_the_subject(page_as, scene):
    # What the header is for: the page a cache would otherwise keep holds the person's name.
    response = page_as("supervisor").get(f"/inbox/{scene['b3']}/")

    assert response.status_code == 200
    assert "Jane Roe" in response.content.decode()
    assert response["Cache-Control"] == "private, no-store"


@pytest.mark.parametrize(("method", "url", "who", "expected"), list(cells(API, API_PEOPLE)))
def test_it_says_private_no_store_on_every_api_answer_to_a_session_or_token(
    api_as, scene, method, url, who, expected
):
    client = api_as(who)  # the gateway with its token, everyone else signed in
    url = url.format(**scene)
    if method == "POST":
        response = client.post(url, {"q": scene["receipt"]}, format="json")
    else:
        response = client.get(url)

    assert response.status_code == expected
    assert response["Cache-Control"] == "private, no-store"


@pytest.mark.parametrize(
    ("method", "url", "expected"),
    [
        ("GET", "/api/v1/requests/", 401),
        ("POST", "/api/v1/requests/search/", 401),
        ("GET", "/api/v1/no-such-endpoint/", 404),
    ],
)
def test_it_says_private_no_store_on_every_api_answer_even_to_no_one(
    api_as, scene, method, url, expected
):
    client = api_as("anonymous")
    response = client.post(url, {}, format="json") if method == "POST" else client.get(url)

    assert response.status_code == expected
    assert response["Cache-Control"] == "private, no-store"


@pytest.mark.parametrize(
    ("url", "policy"),
    [("/documents/{pdf}/", PDF_POLICY), ("/documents/{tiff}/page/1.png", SANDBOXED)],
)
def test_it_leaves_a_document_the_stricter_headers_its_view_set(page_as, scene, url, policy):
    response = page_as("supervisor").get(url.format(**scene))

    assert response.status_code == 200
    assert response["Cache-Control"] == "private, no-store"
    assert response["Content-Security-Policy"] == policy
    assert response["X-Content-Type-Options"] == "nosniff"


def test_it_leaves_the_search_page_its_never_cache(page_as, scene):
    response = page_as("supervisor").post("/inbox/search/", {"q": scene["receipt"]})

    assert response.status_code == 200
    assert scene["receipt"] in response.content.decode()
    assert response["Cache-Control"] == never_cache_header()


def test_it_leaves_the_login_page_as_before_for_anyone_not_signed_in(client):
    response = client.get("/accounts/login/")

    assert response.status_code == 200
    assert response["Cache-Control"] == never_cache_header()


def test_it_leaves_a_redirect_to_the_login_page_as_before(client, scene):
    # Nothing in it to keep: no Cache-Control, as before.
    response = client.get(f"/inbox/{scene['b3']}/")

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")
    assert "Cache-Control" not in response


@pytest.mark.parametrize("who", ["anonymous", "supervisor", "gateway"])
def test_it_leaves_healthz_as_before_for_anyone(api_as, who):
    response = api_as(who).get("/healthz")

    assert response.status_code == 200
    assert response.json()["database"] == "ok"
    assert response["Cache-Control"] == never_cache_header()


def test_it_leaves_static_files_whitenoises_headers_for_a_signed_in_person(page_as, settings):
    # Served from the source folders, as under `make run` (tests run no collectstatic).
    settings.WHITENOISE_USE_FINDERS = True
    response = page_as("supervisor").get("/static/css/app.css")

    assert response.status_code == 200
    assert "no-store" not in response["Cache-Control"]
    assert "public" in directives(response)
