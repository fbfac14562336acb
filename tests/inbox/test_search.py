"""Search: by receipt number, identifier, the subject's name and document text; scope, validation,
and the query kept out of URLs and logs."""

import logging
import re
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from detainers.inbox import search
from detainers.inbox.search import requests_search
from detainers.intake.routing import delivery_route
from detainers.models import DetainerRequest, Extraction
from detainers.triage.services import request_triage
from tests.factories import fax_received

pytestmark = pytest.mark.django_db

B3_LINE = "+16175550133"
C11_LINE = "+16175550151"
API = "/api/v1/requests/search/"
PAGE = "/inbox/search/"
NAME = "Zelda Quixote-Marchetti"


def routed(*, days_ago: float = 1, **kwargs) -> DetainerRequest:
    """A fax through the intake service, moved into the central inbox as the routing task would."""
    received_at = timezone.now() - timedelta(days=days_ago)
    delivery = fax_received(received_at=received_at, **kwargs)
    delivery_route(delivery_id=delivery.pk)
    return delivery.requests.select_related("delivery").get()


def described(item: DetainerRequest, by, **fields) -> DetainerRequest:
    """What a reviewer typed into the triage form, stored as triage stores it."""
    return request_triage(request_id=item.pk, actor=by, changes=fields)


def reads(item: DetainerRequest, text: str) -> DetainerRequest:
    """The request's document as the extraction task would have read it."""
    Extraction.objects.update_or_create(
        document=item.delivery.documents.get(),
        defaults={"status": Extraction.Status.DONE, "text": text},
    )
    return item


def found(user, query: str, **options) -> list[int]:
    return [request.pk for request in requests_search(user=user, query=query, **options).requests]


def matched(user, query: str) -> dict[int, tuple[str, ...]]:
    return {hit.request.pk: hit.matched for hit in requests_search(user=user, query=query).hits}


def api_ids(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [item["id"] for item in response.json()["results"]]


# --- What matches ---------------------------------------------------------------------------------


def test_it_finds_a_delivery_by_its_receipt_number_however_typed(b3, supervisor):
    item = routed()
    other = routed()
    receipt = item.delivery.receipt_number  # DD-<local year>-<id, six digits>
    year, number = receipt.split("-")[1], item.delivery_id

    for typed in (receipt, receipt.lower(), f"DD {year} {number}", f" dd-{year}-{number} "):
        assert matched(supervisor, typed) == {item.pk: ("Receipt number",)}, typed
    assert other.pk not in found(supervisor, receipt)
    # The same id in another year is another receipt number.
    assert found(supervisor, f"DD-{int(year) - 1}-{number:06d}") == []


def test_it_finds_an_a_number_written_any_way(b3, supervisor):
    item = described(routed(), supervisor, a_number="A 012-345-678")
    assert item.a_number == "A012345678"

    for typed in ("A012345678", "a 012-345-678", "012345678", "12345678", "A-012.345.678"):
        assert matched(supervisor, typed) == {item.pk: ("A-number",)}, typed
    # Digits inside other words are not read as an A-number.
    assert found(supervisor, "Smith 012345678") == []


def test_it_finds_a_subject_id_and_an_event_number_normalised_as_triage_stores_them(b3, supervisor):
    by_subject = described(routed(), supervisor, subject_id="bpd 77 1234")
    by_event = described(routed(), supervisor, event_number="i 2024 000 318")

    assert matched(supervisor, "BPD771234") == {by_subject.pk: ("Subject ID",)}
    assert matched(supervisor, "bpd 771 234") == {by_subject.pk: ("Subject ID",)}
    assert matched(supervisor, "I2024 000318") == {by_event.pk: ("Event #",)}
    # Identifiers match whole, not in part.
    assert found(supervisor, "bpd77") == []


def test_it_finds_a_name_by_every_word_in_any_case(b3, supervisor):
    zelda = described(routed(), supervisor, subject_name=NAME)
    described(routed(), supervisor, subject_name="Zelda Smith")

    assert matched(supervisor, "marchetti ZELDA") == {zelda.pk: ("Name",)}
    assert found(supervisor, "quixote") == [zelda.pk]
    assert found(supervisor, "Zelda Jones") == []


@pytest.mark.postgres
def test_on_postgresql_a_name_matches_without_its_accents(b3, supervisor):
    jose = described(routed(), supervisor, subject_name="José Muñoz Łukasz")
    assert found(supervisor, "jose munoz") == [jose.pk]
    assert found(supervisor, "JOSÉ lukasz") == [jose.pk]
    assert found(supervisor, "Muñoz") == [jose.pk]


def test_it_finds_words_of_a_document(b3, supervisor):
    item = reads(
        routed(),
        "DEPARTMENT OF HOMELAND SECURITY. Immigration detainer. Subject held at "
        "Nashua Street Jail, Boston. " + "Further text of the form. " * 40,
    )
    reads(routed(), "Another form about somebody held in Plymouth.")

    hits = requests_search(user=supervisor, query="nashua street", excerpts=True).hits

    assert [(hit.request.pk, hit.matched) for hit in hits] == [(item.pk, ("Document text",))]
    assert "Nashua" in hits[0].excerpt
    assert len(hits[0].excerpt) < 400  # a passage, not the document
    assert found(supervisor, "nashua plymouth") == []


def test_an_excerpt_is_escaped(b3, supervisor):
    reads(routed(), "Held at <script>alert(1)</script> Nashua Street & Co, cell 3 < 4")
    hit = requests_search(user=supervisor, query="nashua", excerpts=True).hits[0]
    # PostgreSQL's ts_headline drops what looks like a tag; whatever is left is shown as text.
    assert "<" not in re.sub(r"</?mark>", "", hit.excerpt)
    assert "&amp; Co" in hit.excerpt and "3 &lt; 4" in hit.excerpt


@pytest.mark.postgres
def test_on_postgresql_the_excerpt_marks_the_match_and_web_search_syntax_works(b3, supervisor):
    item = reads(routed(), "Subject held at Nashua Street Jail; transferred from Plymouth.")
    reads(routed(), "Subject held at Nashua Street Jail.")

    hit = requests_search(user=supervisor, query="nashua", excerpts=True).hits[0]
    assert "<mark>Nashua</mark>" in hit.excerpt
    assert found(supervisor, '"street jail" plymouth') == [item.pk]
    assert item.pk not in found(supervisor, "nashua -plymouth")


@pytest.mark.postgres
def test_on_postgresql_document_matches_are_ranked(b3, supervisor):
    once = reads(routed(days_ago=1), "Nashua. " + "Other words here. " * 30)
    often = reads(routed(days_ago=5), "Nashua Nashua Nashua street. Nashua.")
    assert found(supervisor, "nashua") == [often.pk, once.pk]


def test_identifiers_come_first_then_names_then_document_text_newest_first_within(b3, supervisor):
    by_text = reads(routed(days_ago=0.5), "Held at the Nashua Street Jail.")
    old_name = described(routed(days_ago=3), supervisor, subject_name="Tom Nashua")
    new_name = described(routed(days_ago=2), supervisor, subject_name="Ann Nashua")
    by_id = described(routed(days_ago=9), supervisor, subject_id="nashua")
    both = reads(described(routed(days_ago=4), supervisor, subject_name="Nashua Lee"), "Nashua")

    hits = requests_search(user=supervisor, query="Nashua").hits

    assert [hit.request.pk for hit in hits] == [
        by_id.pk,
        new_name.pk,
        old_name.pk,
        both.pk,
        by_text.pk,
    ]
    assert hits[3].matched == ("Name", "Document text")


def test_a_search_that_finds_too_much_says_so(b3, supervisor, page_as, monkeypatch):
    for _ in range(3):
        described(routed(), supervisor, subject_name="Ann Example")

    results = requests_search(user=supervisor, query="example", limit=2)
    assert len(results.hits) == 2 and results.truncated
    assert not requests_search(user=supervisor, query="example", limit=3).truncated

    monkeypatch.setattr(search, "RESULTS_MAX", 2)
    page = page_as("supervisor").post(PAGE, {"q": "example"})
    assert len(page.context["results"].hits) == 2
    assert "The first 2 matches are shown; refine the search" in page.content.decode()


# --- Validation -----------------------------------------------------------------------------------


@pytest.mark.parametrize("query", ["", "   ", " a ", "x" * 201, "ab\x07cd", "ab\x00cd"])
def test_a_query_too_short_too_long_or_with_control_characters_is_refused(supervisor, query):
    with pytest.raises(ValidationError):
        requests_search(user=supervisor, query=query)


def test_a_query_is_trimmed_and_its_spaces_are_spaces(b3, supervisor):
    item = described(routed(), supervisor, subject_name=NAME)
    assert found(supervisor, "  zelda \t") == [item.pk]
    assert found(supervisor, "zelda\n\tquixote") == [item.pk]  # pasted from a table
    assert found(supervisor, "  " + "x" * 200 + "  ") == []


def test_a_number_beyond_any_id_finds_nothing_rather_than_failing(b3, supervisor):
    routed()
    assert found(supervisor, "DD-2026-999999999999") == []
    assert found(supervisor, "9" * 30) == []


@pytest.mark.parametrize(
    "body",
    [{}, {"q": ""}, {"q": " z "}, {"q": "x" * 201}, {"q": None}, {"q": "ab\x00cd"}, {"q": ["ab"]}],
)
def test_the_api_refuses_a_bad_query_with_a_400_naming_q(api_as, body):
    response = api_as("supervisor").post(API, body, format="json")
    assert response.status_code == 400
    assert list(response.json()) == ["q"]


def test_the_api_explains_how_to_fix_a_short_query(api_as):
    response = api_as("supervisor").post(API, {"q": "z"}, format="json")
    assert response.json() == {"q": [search.QUERY_LENGTH_MESSAGE]}


def test_the_page_shows_what_to_fix(page_as):
    response = page_as("supervisor").post(PAGE, {"q": " z "})
    assert response.status_code == 400
    assert "Search for 2 to 200 characters" in response.content.decode()
    assert response.context["results"] is None


# --- Who may search what --------------------------------------------------------------------------


@pytest.fixture
def two_precincts(b3, c11, gateway, supervisor):
    """Zelda in a B-3 fax (reported by the gateway) and in a C-11 one, found by name and text."""
    in_b3 = described(routed(to_number=B3_LINE, actor=gateway), supervisor, subject_name=NAME)
    in_c11 = described(routed(to_number=C11_LINE), supervisor, subject_name=NAME)
    reads(in_b3, "Detainer for Zelda, Nashua Street")
    reads(in_c11, "Detainer for Zelda, Nashua Street")
    return {"b3": in_b3, "c11": in_c11}


@pytest.mark.parametrize(
    ("who", "sees"),
    [
        ("supervisor", {"b3", "c11"}),
        ("clerk", {"b3"}),
        ("other_precinct_clerk", {"c11"}),
        # The gateway reads no names: a name must not tell it whom its fax is about.
        ("gateway", set()),
    ],
)
def test_the_api_finds_only_what_the_account_may_see(api_as, two_precincts, who, sees):
    expected = {two_precincts[key].pk for key in sees}
    for query in ("zelda quixote", "nashua street"):
        response = api_as(who).post(API, {"q": query}, format="json")
        assert set(api_ids(response)) == expected, query


def test_the_gateway_finds_its_own_fax_by_receipt_number_without_personal_fields(
    api_as, two_precincts, supervisor
):
    mine, not_mine = two_precincts["b3"], two_precincts["c11"]
    answer = api_as("gateway").post(API, {"q": mine.delivery.receipt_number}, format="json")
    assert api_ids(answer) == [mine.pk]
    assert "subject_name" not in answer.json()["results"][0]
    answer = api_as("gateway").post(API, {"q": not_mine.delivery.receipt_number}, format="json")
    assert api_ids(answer) == []
    # Nor by identifier, which it may not read.
    described(mine, supervisor, event_number="E-1")
    assert api_ids(api_as("gateway").post(API, {"q": "E-1"}, format="json")) == []


@pytest.mark.parametrize(("who", "expected"), [("anonymous", 401), ("admin", 403), ("nobody", 403)])
def test_the_api_is_refused_to_those_without_a_reading_role(api_as, two_precincts, who, expected):
    assert api_as(who).post(API, {"q": "zelda"}, format="json").status_code == expected


def test_the_api_answers_as_the_request_list_does(api_as, two_precincts):
    item = two_precincts["b3"]
    found_item = api_as("supervisor").post(API, {"q": "quixote"}, format="json").json()
    listed = api_as("supervisor").get(f"/api/v1/requests/{item.pk}/").json()
    assert found_item["truncated"] is False
    assert [one for one in found_item["results"] if one["id"] == item.pk] == [listed]


def test_the_api_takes_the_same_queries_for_one_result_or_ten(
    api_as, b3, supervisor, django_assert_num_queries
):
    client = api_as("supervisor")
    described(routed(), supervisor, subject_name="Ann Example")
    client.post(API, {"q": "example"}, format="json")  # the session and roles, loaded once
    with CaptureQueriesContext(connection) as one:
        assert len(api_ids(client.post(API, {"q": "example"}, format="json"))) == 1
    for _ in range(9):
        described(routed(), supervisor, subject_name="Ann Example")
    with django_assert_num_queries(len(one.captured_queries)):
        assert len(api_ids(client.post(API, {"q": "example"}, format="json"))) == 10


@pytest.mark.parametrize(
    ("who", "expected"),
    [("anonymous", 302), ("clerk", 403), ("admin", 403), ("gateway", 302), ("nobody", 403)],
)
def test_the_page_is_for_supervisors_only(page_as, two_precincts, who, expected):
    client = page_as("anonymous" if who == "gateway" else who)
    assert client.get(PAGE).status_code == expected
    response = client.post(PAGE, {"q": "zelda"})
    assert response.status_code == expected
    if expected == 302:
        # The login page is told where to come back to: the search's URL, without the query.
        assert response["Location"] == "/accounts/login/?next=/inbox/search/"


def test_the_page_lists_what_matched_with_links_to_the_requests(page_as, two_precincts):
    response = page_as("supervisor").post(PAGE, {"q": "zelda"})
    page = response.content.decode()
    assert response.status_code == 200
    for item in two_precincts.values():
        assert f'href="{reverse("inbox-item", args=[item.pk])}"' in page
        assert item.delivery.receipt_number in page
    assert "Name" in page and "Document text" in page
    assert response["Cache-Control"].startswith("max-age=0")


# --- The query stays out of URLs and logs ---------------------------------------------------------


def test_the_search_forms_post_to_a_url_without_the_query(page_as, two_precincts):
    client = page_as("supervisor")
    for page in (client.get("/inbox/"), client.get(PAGE), client.post(PAGE, {"q": "zelda"})):
        form = re.search(
            r'<form method="post" action="/inbox/search/"[^>]*>', page.content.decode()
        )
        assert form is not None
        assert 'name="csrfmiddlewaretoken"' in page.content.decode()
    result_page = client.post(PAGE, {"q": "zelda"}).content.decode()
    links = re.findall(r'(?:href|action)="([^"]*)"', result_page)
    assert links and not [link for link in links if "zelda" in link.lower()]


def test_results_come_only_from_a_post(page_as, two_precincts):
    response = page_as("supervisor").get(PAGE, {"q": "zelda"})
    assert response.status_code == 200
    assert response.context["results"] is None
    assert NAME not in response.content.decode()


def test_the_api_takes_the_query_only_in_a_post_body(api_as, two_precincts):
    client = api_as("supervisor")
    assert client.get(API, {"q": "zelda"}).status_code == 405
    assert client.post(f"{API}?q=zelda", {}, format="json").status_code == 400


def test_the_query_is_never_logged(page_as, api_as, two_precincts, caplog):
    caplog.set_level(logging.DEBUG)
    statuses = [
        page_as("supervisor").post(PAGE, {"q": "Quixote"}).status_code,
        page_as("supervisor").post(PAGE, {"q": "Quixote" * 40}).status_code,  # refused: too long
        page_as("clerk").post(PAGE, {"q": "Quixote"}).status_code,  # refused: 403
    ]
    client = api_as("supervisor")
    answer = client.post(API, {"q": "Quixote"}, format="json")
    statuses += [
        answer.status_code,
        client.post(API, {"q": "Quixote" * 40}, format="json").status_code,
        client.post(API, "Quixote", content_type="application/json").status_code,  # not JSON
        api_as("anonymous").post(API, {"q": "Quixote"}, format="json").status_code,
    ]

    assert statuses == [200, 400, 403, 200, 400, 400, 401]
    assert set(api_ids(answer)) == {item.pk for item in two_precincts.values()}
    # Logins log records too: these are the refusals' own, which name only the path.
    refusals = [record.getMessage() for record in caplog.records if record.name == "django.request"]
    assert refusals == [
        f"Bad Request: {PAGE}",
        f"Forbidden (Permission denied): {PAGE}",
        f"Bad Request: {API}",
        f"Bad Request: {API}",
        f"Unauthorized: {API}",
    ], "the refusals are logged (their paths only)"
    for record in caplog.records:
        logged = record.getMessage() + repr(record.args)
        assert "quixote" not in logged.lower(), record.name


# --- PostgreSQL: the full-text query uses the GIN index -------------------------------------------


@pytest.mark.postgres
def test_on_postgresql_document_text_is_searched_through_the_gin_index(b3, supervisor):
    for n in range(30):
        reads(routed(), f"Form number {n}. Held at Nashua Street Jail." if n == 7 else "Other.")
    with CaptureQueriesContext(connection) as queries:
        assert len(found(supervisor, "nashua street")) == 1
    full_text = [q["sql"] for q in queries.captured_queries if "websearch_to_tsquery" in q["sql"]]
    assert full_text, "the search ran a full-text query"
    with connection.cursor() as cursor:
        # The question is whether the query's expression matches the GIN index, not which plan
        # the planner prefers for 30 rows: with plain scans off, a filter on another index (the
        # planner took the unique document_id index once, after other tests left other table
        # statistics) is no way out, and only the GIN index can answer the @@ condition.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_indexscan = off")
        for sql in full_text:
            cursor.execute(f"EXPLAIN {sql}")
            plan = "\n".join(row[0] for row in cursor.fetchall())
            assert "detainers_extraction_text_fts" in plan, plan


@pytest.mark.postgres
def test_on_postgresql_a_name_is_searched_through_the_trigram_index(b3, supervisor):
    zelda = described(routed(), supervisor, subject_name="Zelda Quixote-Márchetti")
    for n in range(30):
        described(routed(), supervisor, subject_name=f"Other Person {n}")
    with CaptureQueriesContext(connection) as queries:
        assert found(supervisor, "MARCHETTI") == [zelda.pk]
    named = [q["sql"] for q in queries.captured_queries if "detainers_name_folded" in q["sql"]]
    assert named, "the search folded the names"
    with connection.cursor() as cursor:
        # As above: whether the expression matches the index (migration 0013), not which plan
        # the planner prefers for 31 rows.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_indexscan = off")
        for sql in named:
            cursor.execute(f"EXPLAIN {sql}")
            plan = "\n".join(row[0] for row in cursor.fetchall())
            assert "detainers_request_name_trgm" in plan, plan


# --- What a result shows, and a request's own reference ---------------------------------------------


def test_results_show_the_reference_and_the_subjects_name(b3, supervisor, page_as):
    item = described(routed(), supervisor, subject_name=NAME)
    page = page_as("supervisor").post(PAGE, {"q": "Quixote"}).content.decode()
    assert f'<a href="/inbox/{item.pk}/">{item.reference}</a></td>\n      <td>{NAME}</td>' in page
    assert f"#{item.pk}<" not in page


def test_a_requests_own_reference_finds_it_alone(b3, supervisor):
    first = routed()
    second = DetainerRequest.objects.create(delivery=first.delivery, sequence=2)
    receipt = first.delivery.receipt_number
    assert set(found(supervisor, receipt)) == {first.pk, second.pk}  # the whole delivery
    assert found(supervisor, f"{receipt}-2") == [second.pk]
    assert found(supervisor, f"{receipt.lower().replace('-', ' ')} 2") == [second.pk]
    assert found(supervisor, f"{receipt}-3") == []


def test_the_search_box_is_the_same_on_the_inbox_and_the_search_page(b3, page_as):
    client = page_as("supervisor")
    box = re.compile(
        r'<form method="post" action="/inbox/search/" class="inbox-search card".*?</form>', re.S
    )

    def search_box(url: str) -> str:
        page = client.get(url).content.decode()
        return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", box.search(page).group(0))

    assert search_box(reverse("inbox")) == search_box(PAGE)
    assert 'type="search"' in search_box(PAGE)
