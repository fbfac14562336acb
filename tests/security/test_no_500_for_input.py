"""Nothing sent to us is a 500 (issue 13), and every error under /api/ is JSON.

Found by an attacker with production settings (DEBUG off, PostgreSQL):
- a search of 50 "-" overflowed PostgreSQL's tsquery operator stack ("tsquery stack too small");
- pages=2147483648 on POST /api/v1/faxes/ overflowed the integer column;
- an unhandled exception, or a body Django refuses to read, answered with an HTML page under /api/.
Here every web search operator and its runs is searched for through the API and the page, on
SQLite and (marked postgres) on PostgreSQL; every integer and moment the API takes is sent out of
range; and the error answers are read as a client would. pytest-django runs with DEBUG off.
"""

import logging
import re
from unittest import mock

import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import DatabaseError, connection, transaction
from django.test import RequestFactory
from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart

from config.urls import permission_denied
from detainers.inbox import search
from detainers.inbox.search import QUERY_WORDS_MAX, QUERY_WORDS_MESSAGE, websearch_text
from detainers.intake.routing import delivery_route
from detainers.models import Delivery, DetainerRequest, Extraction
from precincts.models import FaxNumber
from tests.factories import fax_received, pdf_bytes

pytestmark = pytest.mark.django_db

SEARCH_API = "/api/v1/requests/search/"
SEARCH_PAGE = "/inbox/search/"
FAXES = "/api/v1/faxes/"
NAME = "Zelda Quixote-Marchetti"

# Every character or word PostgreSQL's tsquery and web search parsers give a meaning to, and a few
# look-alikes: a run of any of them must be searched for or refused, never a 500.
OPERATORS = [
    "-", "|", "&", "!", ":", "*", "(", ")", "<", ">", "<->", "<2>", '"', "'", "\\", ":*", "!-",
    "-(", "-!", '-"', "@@", "~", "\u2212", "\uff0d",
]  # fmt: skip
WORD_OPERATORS = ["or", "OR", "-or", "and", "not"]


def runs(operator: str) -> list[str]:
    """Two, 33 (one past PostgreSQL's operator stack of 32), 50 (the attacker's) and 200
    characters of the operator, and 200 characters of it between spaces."""
    return [
        operator * 2,
        operator * 33,
        operator * 50,
        (operator * 200)[:200],
        ((operator + " ") * 200)[:200].strip(),
    ]


def hostile_queries() -> list[str]:
    queries = [run for operator in OPERATORS + WORD_OPERATORS for run in runs(operator)]
    return [query for query in queries if len(query.strip()) >= search.QUERY_MIN]


def around(run: str, word: str) -> list[str]:
    """The run before and after a word, within the 200 characters a query may have. A quote the
    run leaves open is dropped: it would make the word a phrase (after '-', one to exclude)."""
    run = run[: search.QUERY_MAX - len(word) - 1].strip()
    if run.count('"') % 2:
        run = run[: run.rindex('"')].strip()
    return [f"{word} {run}", f"{run} {word}"]


def words_in(query: str) -> int:
    return len(re.findall(r"[^\W_]+", query))


def only_without(query: str) -> bool:
    """Whether the query searches only for documents without something ("-or -or")."""
    terms = websearch_text(query).split()
    return bool(terms) and all(term.startswith("-") for term in terms)


def routed_reading(text: str) -> DetainerRequest:
    """A fax in the central inbox whose document reads `text`."""
    delivery = fax_received()
    delivery_route(delivery_id=delivery.pk)
    item = delivery.requests.get()
    Extraction.objects.update_or_create(
        document=item.delivery.documents.get(),
        defaults={"status": Extraction.Status.DONE, "text": text},
    )
    return item


def answer_of(api, page, query: str) -> tuple[int, object, int, object]:
    """(status, JSON) from the API and (status, results or form errors) from the page."""
    api_answer = api.post(SEARCH_API, {"q": query}, format="json")
    page_answer = page.post(SEARCH_PAGE, {"q": query})
    if api_answer["Content-Type"] != "application/json":  # (the bug) a 500's HTML
        api_body = api_answer.content.decode()[:200]
    elif api_answer.status_code == 200:
        api_body = {**api_answer.json()}
        api_body["results"] = [hit["id"] for hit in api_body["results"]]
    else:
        api_body = api_answer.json()
    page_found = None  # a 500 page has neither results nor a form
    if page_answer.status_code == 200:
        page_found = [hit.request.pk for hit in page_answer.context["results"].hits]
    elif page_answer.status_code == 400:
        page_found = page_answer.context["form"].errors.get("q")
    return api_answer.status_code, api_body, page_answer.status_code, page_found


@pytest.fixture
def api(api_as, supervisor):
    client = api_as("supervisor")
    client.raise_request_exception = False  # a 500 is an answer to look at, not an exception
    return client


@pytest.fixture
def page(page_as, supervisor):
    client = page_as("supervisor")
    client.raise_request_exception = False
    return client


# --- Search: every operator and its runs ----------------------------------------------------------


def test_it_searches_or_refuses_every_operator_run_through_the_api_and_the_page(b3, api, page):
    item = routed_reading("Subject held at Nashua Street Jail.")
    # The search is live: the document is found, by the API and the page.
    found = [item.pk]
    assert answer_of(api, page, "nashua") == (
        200,
        {"results": found, "truncated": False},
        200,
        found,
    )

    on_postgresql = connection.vendor == "postgresql"
    wrong = []
    for query in hostile_queries():
        api_status, api_body, page_status, page_found = answer_of(api, page, query)
        if words_in(query) > QUERY_WORDS_MAX:
            expected = (400, {"q": [QUERY_WORDS_MESSAGE]}, 400, [QUERY_WORDS_MESSAGE])
        else:  # the document holds none of these runs; PostgreSQL's "-or" is "without 'or'"
            found = [item.pk] if on_postgresql and only_without(query) else []
            expected = (200, {"results": found, "truncated": False}, 200, found)
        if (api_status, api_body, page_status, page_found) != expected:
            wrong.append((query[:40], api_status, page_status))
    assert wrong == []


def test_it_refuses_more_words_than_the_cap_with_a_400_that_says_so(b3, api, page):
    item = routed_reading("Nashua " + "w " * 60)
    at_the_cap = "nashua" + " w" * (QUERY_WORDS_MAX - 1)
    over_it = at_the_cap + " w"

    taken = api.post(SEARCH_API, {"q": at_the_cap}, format="json")
    assert taken.status_code == 200 and [hit["id"] for hit in taken.json()["results"]] == [item.pk]
    refused = api.post(SEARCH_API, {"q": over_it}, format="json")
    assert refused.status_code == 400
    assert refused.json() == {"q": [QUERY_WORDS_MESSAGE]}
    shown = page.post(SEARCH_PAGE, {"q": over_it})
    assert shown.status_code == 400 and QUERY_WORDS_MESSAGE in shown.content.decode()


@pytest.mark.postgres
def test_on_postgresql_the_raw_runs_do_break_the_parser():
    # What the tests below guard against: without websearch_text these are 500s.
    for query in ("-" * 50, "- " * 40, "!-" * 40, "a " + "-(" * 40):
        with pytest.raises(DatabaseError, match="tsquery stack too small"):
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute("SELECT websearch_to_tsquery('simple', %s)", [query])


@pytest.mark.postgres
def test_on_postgresql_a_word_is_still_found_next_to_any_operator_run(b3, api, page):
    item = routed_reading("Subject held at Nashua Street Jail.")
    routed_reading("Subject held at South Bay.")  # found by no query: the match is on the word

    wrong = []
    # Operators without letters or digits: "<2>" holds the word "2", which the document has not.
    for operator in [operator for operator in OPERATORS if not re.search(r"[^\W_]", operator)]:
        for run in runs(operator):
            for query in around(run, "nashua"):
                api_status, api_body, page_status, page_found = answer_of(api, page, query)
                api_found = api_body["results"] if api_status == 200 else api_body
                if (api_status, api_found, page_status, page_found) != (200, [item.pk]) * 2:
                    wrong.append((query[:40], api_status, page_status))
    assert wrong == []


@pytest.mark.postgres
def test_on_postgresql_the_web_search_syntax_still_works(b3, supervisor):
    both = routed_reading("Held at Nashua Street Jail; transferred from Plymouth.")
    nashua = routed_reading("Held at Nashua Street Jail.")
    hyphened = routed_reading(f"Subject: {NAME}, A 012-345-678.")

    def found(query: str) -> list[int]:
        return [hit.request.pk for hit in search.requests_search(user=supervisor, query=query).hits]

    assert sorted(found('"street jail"')) == sorted([both.pk, nashua.pk])
    assert found("nashua -plymouth") == [nashua.pk]
    assert found("nashua ---plymouth") == [nashua.pk]  # one minus, however many were typed
    assert found('nashua -"from plymouth"') == [nashua.pk]
    assert sorted(found("plymouth or quixote")) == sorted([both.pk, hyphened.pk])
    assert found("quixote-marchetti") == [hyphened.pk]
    assert found("012-345-678") == [hyphened.pk]
    assert found("(plymouth) & !jail") == [both.pk]  # operators it does not know are spaces


def test_the_web_search_text_keeps_its_syntax_and_drops_the_rest():
    assert websearch_text('"street jail" -plymouth or nashua') == (
        '"street jail" -plymouth or nashua'
    )
    assert websearch_text("Quixote-Marchetti 012-345-678 j.doe@example.org") == (
        "Quixote-Marchetti 012-345-678 j.doe@example.org"
    )
    assert websearch_text("José Muñoz") == "José Muñoz"
    assert websearch_text("---nashua") == "-nashua"
    assert websearch_text('-"a -b c"') == '-"a b c"'
    assert websearch_text('"unclosed -x') == '"unclosed x"'
    assert websearch_text("a<->b (c|d) e:* f\\g o'brien") == "a b c d e f g o brien"
    assert websearch_text("-" * 50) == ""
    assert websearch_text("- " * 100) == ""
    assert websearch_text('-"-"-"') == ""


def test_the_web_search_text_never_puts_two_minus_signs_before_a_word():
    # One term: an optional minus, then a word that does not start with one, or a "phrase".
    term = re.compile(r'-?(?:[^\s"-][^\s"]*|"[^\s"-][^\s"]*(?: [^\s"-][^\s"]*)*")')
    texts = [websearch_text(query) for query in hostile_queries()]
    texts += [websearch_text(query) for run in hostile_queries() for query in around(run, "x")]

    assert "x" in texts and "-x" not in texts  # the word survives every run around it
    bad = [text for text in texts if text and not all(map(term.fullmatch, text.split(" ")))]
    assert bad == []


# --- Integers and moments: out of range is a 400 that names the range -------------------------------


def fax_form(**fields) -> dict:
    return {
        "document": SimpleUploadedFile("fax.pdf", pdf_bytes()),
        "to_number": "+1 617 555 0133",
        "from_number": "",
        "received_at": "2024-03-15T09:30:00-04:00",
        **fields,
    }


def test_it_refuses_a_page_count_out_of_range_and_stores_nothing(api_as, b3):
    gateway = api_as("gateway")
    gateway.raise_request_exception = False
    message = "Give the pages as a whole number from 1 to 10000, or leave it out."

    taken = gateway.post(FAXES, fax_form(pages="10000", gateway_id="largest"))
    assert taken.status_code == 201, taken.content
    assert Delivery.objects.get().pages == 10000

    for pages in ("2147483648", "10001", "9" * 30, "9" * 2000, "0", "-1", "1.5", "ten"):
        refused = gateway.post(FAXES, fax_form(pages=pages))
        assert (refused.status_code, refused.json()) == (400, {"pages": [message]}), pages
    assert Delivery.objects.count() == 1  # the one with 10000 pages


def test_it_refuses_filters_and_ids_out_of_range_with_their_range(b3, api, supervisor):
    item = routed_reading("Held at Nashua Street Jail.")
    big = "2147483648"

    listed = api.get("/api/v1/requests/", {"year": big})
    assert (listed.status_code, listed.json()) == (
        400,
        {"year": ["Give a year from 1900 to 9998."]},
    )
    counted = api.get("/api/v1/stats/yearly/", {"year_from": "9" * 30})
    assert counted.status_code == 400
    assert counted.json() == {"year_from": ["Give a year from 1990 to 2200."]}
    triaged = api.patch(f"/api/v1/requests/{item.pk}/", {"duplicate_of": 2**63}, format="json")
    assert triaged.status_code == 400
    assert triaged.json() == {
        "duplicate_of": [
            f"Give the id of the earlier request, from 1 to {2**63 - 1}, or null.",
        ]
    }
    assert DetainerRequest.objects.get(pk=item.pk).duplicate_of_id is None
    uploaded = api.post(
        "/api/v1/reconciliations/",
        {"year": big, "file": SimpleUploadedFile("list.csv", b"a,b\n1,2\n")},
    )
    assert uploaded.status_code == 400 and list(uploaded.json()) == ["year"]
    assert uploaded.json()["year"][0].startswith("Choose a year from 2000 to ")


def test_it_refuses_a_moment_outside_the_years_it_can_hold(api_as, b3, admin_user):
    reader = api_as("supervisor")
    reader.raise_request_exception = False
    admin = api_as("admin")
    admin.raise_request_exception = False
    message = ["Give a date from the years 1900 to 9998."]

    within = reader.get(
        "/api/v1/fax-numbers/resolve/", {"number": "617 555 0133", "at": "2024-03-15"}
    )
    assert within.status_code == 200 and within.json()["precinct"] == "B-3"
    for moment in ("9999-12-31T23:59:59-12:00", "0001-01-01T00:00:00+14:00", "0001-01-01"):
        resolved = reader.get(
            "/api/v1/fax-numbers/resolve/", {"number": "617 555 0133", "at": moment}
        )
        assert (resolved.status_code, resolved.json()) == (400, {"at": message}), moment
        given = admin.post(
            "/api/v1/fax-numbers/",
            {"precinct": "B-3", "number": "617 555 0177", "active_from": moment},
            format="json",
        )
        assert (given.status_code, given.json()) == (400, {"active_from": message}), moment
    assert not FaxNumber.objects.filter(number="+16175550177").exists()


def test_a_page_number_past_the_end_is_a_json_404_on_the_api_and_the_last_page_on_a_page(
    b3, api, page
):
    item = routed_reading("Held at Nashua Street Jail.")
    first = api.get("/api/v1/requests/", {"page": "1"})
    assert [row["id"] for row in first.json()["results"]] == [item.pk]

    for number in ("2147483648", "9" * 30, "9" * 5000, "1e309", "-1", "0"):
        past = api.get("/api/v1/requests/", {"page": number})
        assert (past.status_code, past.json()) == (404, {"detail": "Invalid page."}), number
        inbox = page.get("/inbox/", {"page": number})
        assert inbox.status_code == 200 and item.delivery.receipt_number in inbox.content.decode()


# --- Errors under /api/ are JSON ------------------------------------------------------------------


def everything_logged(records: list[logging.LogRecord]) -> str:
    formatter = logging.Formatter()
    return "\n".join(
        record.getMessage()
        + (formatter.formatException(record.exc_info) if record.exc_info else "")
        for record in records
    )


def test_an_unhandled_error_under_the_api_is_json_with_an_id_logged_with_its_traceback(
    b3, api, caplog
):
    assert settings.DEBUG is False  # as in production: Django's handler500 answers
    caplog.set_level(logging.DEBUG)
    with mock.patch.object(search, "requests_search", side_effect=RuntimeError("search broke")):
        broken = api.post(SEARCH_API, {"q": NAME}, format="json")

    assert broken.status_code == 500 and broken["Content-Type"] == "application/json"
    error_id = re.fullmatch(r"Server error \(id ([0-9a-f]{12})\)\.", broken.json()["detail"])[1]
    errors = [record for record in caplog.records if record.levelno >= logging.ERROR]
    assert [record.getMessage() for record in errors] == [f"Internal Server Error: {SEARCH_API}"]
    logged = everything_logged(caplog.records)
    assert "RuntimeError: search broke" in logged and f"Server error id {error_id}" in logged
    # The body, a person's name, is neither logged nor answered.
    assert not [part for part in NAME.lower().split("-") + ["zelda"] if part in logged.lower()]
    assert "zelda" not in broken.content.decode().lower()


def test_an_unhandled_error_on_a_page_is_the_apps_page_with_an_id(b3, page):
    with mock.patch.object(search, "requests_search", side_effect=RuntimeError("search broke")):
        broken = page.post(SEARCH_PAGE, {"q": "nashua"})

    assert broken.status_code == 500 and broken["Content-Type"].startswith("text/html")
    assert "Something went wrong" in broken.content.decode()  # templates/500.html
    assert re.search(r'class="error-id">[0-9a-f]{12}<', broken.content.decode())
    assert "nashua" not in broken.content.decode()


@pytest.mark.parametrize(
    ("fields", "detail"),
    [
        (
            {f"field{n}": "1" for n in range(settings.DATA_UPLOAD_MAX_NUMBER_FIELDS + 1)},
            "The request has too many fields.",
        ),
        (
            {
                f"file{n}": SimpleUploadedFile(f"{n}.pdf", b"%PDF")
                for n in range(settings.DATA_UPLOAD_MAX_NUMBER_FILES + 1)
            },
            "The request has too many files.",
        ),
        (
            {"to_number": "1" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)},
            "The request body is too large.",
        ),
    ],
)
def test_a_body_django_will_not_read_is_a_json_400_under_the_api(api_as, b3, fields, detail):
    gateway = api_as("gateway")
    gateway.raise_request_exception = False
    refused = gateway.post(
        FAXES, encode_multipart(BOUNDARY, fields), content_type=MULTIPART_CONTENT
    )

    assert (refused.status_code, refused["Content-Type"]) == (400, "application/json")
    assert refused.json() == {"detail": detail}
    assert Delivery.objects.count() == 0


def test_a_body_django_will_not_read_is_its_own_page_elsewhere(page_as, clerk):
    client = page_as("clerk")
    fields = {f"field{n}": "1" for n in range(settings.DATA_UPLOAD_MAX_NUMBER_FIELDS + 1)}
    refused = client.post("/intake/", fields)  # multipart, as a browser sends the form

    assert refused.status_code == 400 and refused["Content-Type"].startswith("text/html")
    assert "The request could not be read" in refused.content.decode()  # templates/400.html


def test_djangos_own_refusal_is_json_under_the_api_and_a_page_elsewhere():
    factory = RequestFactory()
    api_refusal = permission_denied(factory.get("/api/v1/requests/"), PermissionDenied())
    page_refusal = permission_denied(factory.get("/inbox/"), PermissionDenied())

    assert (api_refusal.status_code, api_refusal["Content-Type"]) == (403, "application/json")
    assert page_refusal.status_code == 403 and page_refusal["Content-Type"].startswith("text/html")


@pytest.mark.parametrize(
    ("send", "status", "detail"),
    [
        (lambda api: api.delete(SEARCH_API), 405, 'Method "DELETE" not allowed.'),
        (
            lambda api: api.post(SEARCH_API, "q=nashua", content_type="text/plain"),
            415,
            'Unsupported media type "text/plain" in request.',
        ),
        (
            lambda api: api.post(SEARCH_API, '{"q": "nash', content_type="application/json"),
            400,
            "JSON parse error",
        ),
        (lambda api: api.get("/api/v1/no-such-endpoint/"), 404, "Not found."),
    ],
)
def test_drfs_own_errors_under_the_api_are_json(b3, api, send, status, detail):
    answer = send(api)
    assert (answer.status_code, answer["Content-Type"]) == (status, "application/json")
    assert answer.json()["detail"].startswith(detail)
