"""Finding requests by receipt number, identifier, the subject's name or the text of their documents.

Reads only, always through selectors.requests_visible_to, so a search never reaches further than
the lists do. The query is personal data (usually a name): it is never logged, and the page and the
API take it in a POST body, never in a URL.

PostgreSQL matches document text with full-text search ('simple' configuration: no stemming, so
names and identifiers match as written) on the GIN index detainers_extraction_text_fts, ranks by
ts_rank and cuts excerpts with ts_headline; names are matched without regard to case or accents
(lower(unaccent()), through the trigram index of migration 0013).
SQLite, the development default, falls back to substring matches (case-insensitive for ASCII only).
Whatever is typed, the text handed to PostgreSQL's query parser is rebuilt from words, "phrases",
-without and or (`websearch_text`): a query is searched or refused with a 400, never a 500.
"""

import re
import unicodedata
from dataclasses import dataclass

from django.contrib.postgres.search import SearchHeadline, SearchQuery, SearchRank, SearchVector
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import F, Func, Max, Q, QuerySet, TextField, Value
from django.db.models.functions import Greatest, Length, Lower, StrIndex, Substr
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from accounts.access import Role, has_role
from detainers.core.identifiers import (
    a_number_normalise,
    identifier_normalise,
    request_reference_parse,
)
from detainers.models import DetainerRequest, Extraction
from detainers.triage.selectors import requests_visible_to

QUERY_MIN = 2
QUERY_MAX = 200
RESULTS_MAX = 100
QUERY_LENGTH_MESSAGE = (
    f"Search for {QUERY_MIN} to {QUERY_MAX} characters: a name, a receipt number (DD-2026-000123), "
    "a Subject ID, an Event #, an A-number, or words from the documents."
)
QUERY_CONTROL_MESSAGE = "Search for letters, digits and punctuation only (no control characters)."
QUERY_WORDS_MAX = 40  # a long sentence from a form fits; 100 one-letter words do not
QUERY_WORDS_MESSAGE = (
    f"Search for at most {QUERY_WORDS_MAX} words or numbers: a name, an identifier or a short "
    "passage from the documents."
)

RECEIPT = "Receipt number"
SUBJECT_ID = "Subject ID"
EVENT_NUMBER = "Event #"
A_NUMBER = "A-number"
NAME = "Name"
DOCUMENT_TEXT = "Document text"

# DD-2026-000123, also typed as "dd 2026 123": the id is compared as a number.
RECEIPT_PATTERN = re.compile(r"DD[\s-]*(\d{4})[\s-]*(\d{1,12})", re.IGNORECASE)
# Only a query that is nothing but an optional A and digits is read as an A-number: normalising
# "Smith 1234567" would otherwise find the A-number 001234567.
A_NUMBER_PATTERN = re.compile(r"A?[\s.\-#:]*\d[\d\s.\-]*", re.IGNORECASE)
EXCERPT_CHARS = 80  # either side of the first match, on SQLite
# Marks around a match in a ts_headline excerpt: characters no document holds (Unicode private
# use), so the excerpt is escaped as plain text first and only these become <mark>.
MARK_START, MARK_STOP = "\ue000", "\ue001"
NO_EXCERPT = SafeString("")
# What is kept of a query for PostgreSQL's web search besides letters, digits and combining marks:
# the quote of a "phrase", the minus of -without, and what joins the parts of one word
# (Quixote-Marchetti, 012-345-678, j.doe@example.org). Anything else is a space: the parser reads
# ! & | ( ) < : * \ ' as operators, quotes or escapes.
WEB_SEARCH_PUNCTUATION = frozenset('"-_.@/')
# A term: its leading minus signs, then a "phrase" (the closing quote may be missing) or a word.
WEB_SEARCH_TERM = re.compile(r'(?P<without>-*)(?:"(?P<phrase>[^"]*)"?|(?P<word>[^\s"]+))')
WORD = re.compile(r"[^\W_]+")  # a run of letters or digits, as the word cap counts them


class NameFolded(Func):
    """lower(unaccent(text)) on PostgreSQL: the expression of the GIN trigram index
    detainers_request_name_trgm (migration 0013), so LIKE '%word%' on it is an index scan."""

    function = "detainers_name_folded"
    output_field = TextField()


@dataclass(frozen=True)
class SearchHit:
    request: DetainerRequest
    matched: tuple[str, ...]  # what matched, in words a reviewer reads: "Event #", "Name", ...
    excerpt: SafeString = NO_EXCERPT


@dataclass(frozen=True)
class SearchResults:
    hits: list[SearchHit]
    truncated: bool  # more requests matched than were returned: refine the search

    @property
    def requests(self) -> list[DetainerRequest]:
        return [hit.request for hit in self.hits]


def search_query_clean(raw: str) -> str:
    """The query as searched: trimmed, spaces collapsed, 2 to 200 characters, no control characters.

    The error never repeats the query: it may be a person's name."""
    # Tabs and line breaks come with a name pasted from a document or a table: they are spaces.
    query = " ".join(unicodedata.normalize("NFC", raw or "").split())
    if not QUERY_MIN <= len(query) <= QUERY_MAX:
        raise ValidationError(QUERY_LENGTH_MESSAGE, code="length")
    if any(unicodedata.category(char) == "Cc" for char in query):
        raise ValidationError(QUERY_CONTROL_MESSAGE, code="control")
    if len(WORD.findall(query)) > QUERY_WORDS_MAX:
        raise ValidationError(QUERY_WORDS_MESSAGE, code="words")
    return query


def websearch_text(query: str) -> str:
    """The query as PostgreSQL's websearch_to_tsquery may safely read it: words and "phrases",
    each negated at most once, 'or' between them; '' when nothing is left to search for.

    Each '-' before a word is a NOT on the parser's operator stack: 33 in a row ("------",
    "- - -", "!-!-") overflow it ("tsquery stack too small", a 500 for any input). So a term keeps
    one leading minus, a word none of its own, and a bare run of minus signs is dropped; inside a
    word a '-' is part of it and stays."""
    plain = "".join(char if _web_search_kept(char) else " " for char in query)
    terms = []
    for term in WEB_SEARCH_TERM.finditer(plain):
        phrase = term["phrase"]
        words = [
            word.lstrip("-")
            for word in (term["word"] if phrase is None else phrase).split()
            if WORD.search(word)  # punctuation alone is no lexeme: nothing to search for
        ]
        if not words:
            continue
        body = words[0] if phrase is None else '"' + " ".join(words) + '"'
        terms.append(("-" if term["without"] else "") + body)
    return " ".join(terms)


def _web_search_kept(char: str) -> bool:
    return char.isalnum() or char in WEB_SEARCH_PUNCTUATION or unicodedata.category(char)[0] == "M"


def requests_search(
    *, user, query: str, limit: int = RESULTS_MAX, excerpts: bool = False
) -> SearchResults:
    """Requests the user may see that match `query`: receipt number or identifier first, then the
    subject's name, then the text of their delivery's documents; newest first within each.

    The fax gateway's account reads neither names, identifiers nor documents, so for it only a
    receipt number matches: anything else would let it find out whom a fax is about.
    `excerpts` adds, for document-text matches, a short passage around the match (HTML, escaped)."""
    query = search_query_clean(query)
    visible = requests_visible_to(user)
    reads_subjects = has_role(user, Role.SUPERVISOR, Role.CLERK)
    found: dict[int, tuple[DetainerRequest, list[str]]] = {}
    groups = [_by_reference(visible, query, limit, reads_subjects)]
    if reads_subjects:
        groups += [_by_name(visible, query, limit), _by_document_text(visible, query, limit)]
    for group in groups:
        for request, labels in group:
            _request, matched = found.setdefault(request.pk, (request, []))
            matched.extend(label for label in labels if label not in matched)
    shown = list(found.values())[:limit]
    passages = (
        _excerpts([r.delivery_id for r, matched in shown if DOCUMENT_TEXT in matched], query)
        if excerpts
        else {}
    )
    hits = [
        SearchHit(request, tuple(matched), passages.get(request.delivery_id, NO_EXCERPT))
        for request, matched in shown
    ]
    return SearchResults(hits=hits, truncated=len(found) > limit)


def _newest_first(requests: QuerySet[DetainerRequest]) -> QuerySet[DetainerRequest]:
    return requests.order_by("-delivery__received_at", "-pk")


def _receipt(query: str) -> tuple[str, int, int | None] | None:
    """("DD-2026-000123", 123, None) for a receipt number (every request of that delivery), or
    ("DD-2026-000123", 123, 2) for one request's reference, "DD-2026-000123-2"."""
    typed = RECEIPT_PATTERN.fullmatch(query)
    if typed is not None:
        delivery_id = int(typed.group(2))
        return f"DD-{typed.group(1)}-{delivery_id:06d}", delivery_id, None
    reference = request_reference_parse(query)
    if reference is None or reference.delivery_id is None:  # "121" may be a Subject ID
        return None
    receipt = f"DD-{reference.year}-{reference.delivery_id:06d}"
    return receipt, reference.delivery_id, reference.sequence


def _a_number(query: str) -> str:
    if not A_NUMBER_PATTERN.fullmatch(query):
        return ""
    try:
        return a_number_normalise(query)
    except ValidationError:  # not 7 to 9 digits: not an A-number, maybe another identifier
        return ""


def _by_reference(
    visible: QuerySet[DetainerRequest], query: str, limit: int, reads_subjects: bool
) -> list[tuple[DetainerRequest, list[str]]]:
    receipt = _receipt(query)
    identifier = identifier_normalise(query)
    a_number = _a_number(query)
    wanted = Q(pk__in=[])
    if receipt is not None:
        _, delivery_id, sequence = receipt
        wanted |= Q(delivery_id=delivery_id, **({} if sequence is None else {"sequence": sequence}))
    if reads_subjects:
        wanted |= Q(subject_id=identifier) | Q(event_number=identifier)
        if a_number:
            wanted |= Q(a_number=a_number)
    matches = []
    for request in _newest_first(visible.filter(wanted))[: limit + 1]:
        labels = []
        # The receipt number's year is the local year of logging: checked here, on the row.
        if receipt is not None and request.delivery.receipt_number == receipt[0]:
            labels.append(RECEIPT)
        if reads_subjects:
            labels += [SUBJECT_ID] if request.subject_id == identifier else []
            labels += [EVENT_NUMBER] if request.event_number == identifier else []
            labels += [A_NUMBER] if a_number and request.a_number == a_number else []
        if labels:
            matches.append((request, labels))
    return matches


def _by_name(
    visible: QuerySet[DetainerRequest], query: str, limit: int
) -> list[tuple[DetainerRequest, list[str]]]:
    """Every word of the query somewhere in the subject's name."""
    words = query.split()
    if connection.vendor == "postgresql":
        # The word is folded by the same function as the name: a constant the planner computes
        # once, so the pattern is known and the trigram index serves it.
        visible = visible.annotate(plain_name=NameFolded("subject_name"))
        wanted = [Q(plain_name__contains=NameFolded(Value(word))) for word in words]
    else:
        wanted = [Q(subject_name__icontains=word) for word in words]
    named = _newest_first(visible.exclude(subject_name="").filter(*wanted))
    return [(request, [NAME]) for request in named[: limit + 1]]


def _search_query(text: str) -> SearchQuery:
    """`text` is what websearch_text made of the query, never the query as typed."""
    return SearchQuery(text, config="simple", search_type="websearch")


def _document_vector() -> SearchVector:
    # Exactly the expression of the GIN index detainers_extraction_text_fts (migration 0007).
    return SearchVector("text", config="simple")


def _by_document_text(
    visible: QuerySet[DetainerRequest], query: str, limit: int
) -> list[tuple[DetainerRequest, list[str]]]:
    """Requests whose delivery has a document whose text matches: by rank on PostgreSQL."""
    deliveries = visible.values("delivery_id")
    if connection.vendor != "postgresql":
        words = [word.strip('"') for word in query.split() if word.strip('"')]
        if not words:  # only quotes: a filter with no condition would match every document
            return []
        texts = Extraction.objects.filter(*[Q(text__icontains=word) for word in words])
        matched = visible.filter(delivery_id__in=texts.values("document__delivery_id"))
        return [(request, [DOCUMENT_TEXT]) for request in _newest_first(matched)[: limit + 1]]
    text = websearch_text(query)
    if not text:
        return []
    search = _search_query(text)
    ranked = (
        Extraction.objects.annotate(vector=_document_vector())
        .filter(vector=search, document__delivery_id__in=deliveries)
        .values("document__delivery_id", "document__delivery__received_at")
        .annotate(rank=Max(SearchRank(F("vector"), search)))
        .order_by("-rank", "-document__delivery__received_at", "-document__delivery_id")
    )
    rank_of = {row["document__delivery_id"]: row["rank"] for row in ranked[: limit + 1]}
    requests = visible.filter(delivery_id__in=rank_of)
    ordered = sorted(
        requests,
        key=lambda request: (
            -rank_of[request.delivery_id],
            -request.delivery.received_at.timestamp(),
            -request.pk,
        ),
    )
    return [(request, [DOCUMENT_TEXT]) for request in ordered[: limit + 1]]


def _excerpts(delivery_ids: list[int], query: str) -> dict[int, SafeString]:
    """A short passage around the match in the best-matching document of each delivery."""
    if not delivery_ids:
        return {}
    if connection.vendor == "postgresql":
        return _headlines(delivery_ids, query)
    return _passages(delivery_ids, query)


def _passages(delivery_ids: list[int], query: str) -> dict[int, SafeString]:
    """SQLite: the text around the first word of the query, cut in the database (a document's
    text may be long)."""
    words = [word.strip('"').lower() for word in query.split() if word.strip('"')]
    if not words:
        return {}
    at = StrIndex(Lower("text"), Value(words[0]))
    rows = (
        Extraction.objects.filter(document__delivery_id__in=delivery_ids)
        .annotate(at=at)
        .filter(at__gt=0)
        .annotate(
            start=Greatest(F("at") - EXCERPT_CHARS, 1),
            passage=Substr("text", Greatest(F("at") - EXCERPT_CHARS, 1), 2 * EXCERPT_CHARS),
            length=Length("text"),
        )
        .order_by("pk")
        .values_list("document__delivery_id", "start", "passage", "length")
    )
    passages = {}
    for delivery_id, start, passage, length in rows:
        if delivery_id not in passages:
            before = "…" if start > 1 else ""
            after = "…" if start + len(passage) <= length else ""
            passages[delivery_id] = mark_safe(  # noqa: S308 - escaped here
                before + escape(" ".join(passage.split())) + after
            )
    return passages


def _headlines(delivery_ids: list[int], query: str) -> dict[int, SafeString]:
    search = _search_query(websearch_text(query))
    rows = (
        Extraction.objects.annotate(vector=_document_vector())
        .filter(vector=search, document__delivery_id__in=delivery_ids)
        .annotate(
            rank=SearchRank(F("vector"), search),
            headline=SearchHeadline(
                "text",
                search,
                config="simple",
                start_sel=MARK_START,
                stop_sel=MARK_STOP,
                max_words=25,
                min_words=10,
            ),
        )
        .order_by("document__delivery_id", "-rank", "pk")
        .values_list("document__delivery_id", "headline")
    )
    passages = {}
    for delivery_id, headline in rows:
        if delivery_id not in passages:
            marked = escape(" ".join(headline.split()))
            marked = marked.replace(MARK_START, "<mark>").replace(MARK_STOP, "</mark>")
            passages[delivery_id] = mark_safe(marked)  # noqa: S308 - escaped above
    return passages
