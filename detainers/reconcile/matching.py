"""Matching the agency's rows with our counted requests, in memory.

The rule, in the order it is applied:

1. **Identifiers.** An agency row whose Event #, Subject ID or A-number (in that order: an event is one
   detainer, a subject or an A-number is one person who may have several) equals one of our
   requests' is *matched*, confidence 1.0. Both sides are normalised as triage stores them
   (`A 012-345-678` and `012345678` are the same A-number). Each request matches one row at most;
   when a person has several requests, the one received closest to the agency's date is taken.
2. **Fallback**, for the rows left: our requests received within DATE_WINDOW_DAYS of the agency's
   prepare date, at the same precinct, are scored (points out of 100): the date (30 on the same day,
   5 fewer a day), the precinct (30), birth year (20), gender (10), citizenship (10). A request is
   ruled out when a fact known on both sides differs (another Subject ID, another birth year...).
   The precinct is required: with it unknown on either side no request can reach the threshold.
   A unique best candidate at FALLBACK_THRESHOLD points or more is *matched by fallback* and waits
   for a person to confirm it; when another candidate is within AMBIGUITY_GAP points of the best,
   the row is *ambiguous*. Rows are settled best score first, so a strong match is not taken away
   by a weak one that happens to come earlier in the file.
3. Agency rows still unmatched are *agency only* (the missed faxes); our requests of the year that
   no row matched, and that are no ambiguous row's candidate, are *ours only*.

**Precinct of an agency row.** The agency names a detention facility (and an area of
responsibility), not a precinct. The guess is the first of these rules that finds anything, and
only if what it finds is one precinct (two precincts named: no precinct):
settings.RECONCILE_FACILITY_PRECINCTS (optional, {facility text: precinct code}, e.g.
{"NASHUA STREET JAIL": "A-1"}) when its text appears in the row's facility, code or area; else a
precinct code appearing there as a word ("B-3", "B3", "B 3"); else a precinct's name ("Mattapan"),
longest names first so "West Roxbury" is not also read as "Roxbury". Nothing found: no precinct.
The *line* of such a row is the fax number that precinct had on the agency's date (a dedicated
detainer line before an e-fax before the station line).
"""

import re
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta

from detainers.reconcile.agency_csv import AgencyRow

DATE_WINDOW_DAYS = 3
DATE_POINTS = {0: 30, 1: 25, 2: 20, 3: 15}
PRECINCT_POINTS = 30
FACT_POINTS = {"birth_year": 20, "gender": 10, "citizenship": 10}
FALLBACK_THRESHOLD = 75
AMBIGUITY_GAP = 10
LINE_KINDS = ("detainer", "efax", "station")  # which of a precinct's numbers is "its line"


@dataclass(slots=True)
class OurRequest:
    """What the matching reads of one of our counted requests."""

    pk: int
    received_on: date  # local date
    in_year: bool  # False: in the few days' margin around the year, a candidate only
    precinct_id: int | None
    line: str
    subject_id: str = ""
    event_number: str = ""
    a_number: str = ""
    birth_year: int | None = None
    gender: str = ""
    citizenship: str = ""


@dataclass(slots=True)
class Outcome:
    result: str  # ReconciliationRow.Result values
    row: AgencyRow | None = None
    request: OurRequest | None = None
    rule: str = ""
    confidence: float | None = None
    precinct_id: int | None = None
    line: str = ""
    candidates: list[dict] = field(default_factory=list)


@dataclass(frozen=True)
class FaxLine:
    precinct_id: int
    number: str
    kind: str
    active_from: date
    active_until: date | None


class PrecinctGuide:
    """Which precinct an agency row's facility names, and that precinct's fax line on a day."""

    def __init__(
        self,
        precincts: Iterable[tuple[int, str, str]],
        lines: Iterable[FaxLine],
        facilities: dict[str, str] | None = None,
    ):
        precincts = list(precincts)
        by_code = {code.upper(): pk for pk, code, _ in precincts}
        self._facilities = [
            (_words(text), by_code[code.upper()])
            for text, code in (facilities or {}).items()
            if code.upper() in by_code
        ]
        self._codes = [(_code_pattern(code), pk) for pk, code, _ in precincts]
        named = sorted(precincts, key=lambda precinct: -len(precinct[2]))
        self._names = [
            (re.compile(rf"\b{re.escape(_words(name))}\b"), pk)
            for pk, _, name in named
            if name.strip()
        ]
        self._lines: dict[int, list[FaxLine]] = defaultdict(list)
        for line in sorted(
            lines,
            key=lambda line: (
                LINE_KINDS.index(line.kind) if line.kind in LINE_KINDS else 9,
                line.active_from,
            ),
        ):
            self._lines[line.precinct_id].append(line)
        self._seen: dict[str, int | None] = {}

    def precinct_for(self, place: str) -> int | None:
        if place not in self._seen:
            self._seen[place] = self._guess(_words(place))
        return self._seen[place]

    def _guess(self, text: str) -> int | None:
        if not text:
            return None
        for found in (
            {pk for words, pk in self._facilities if re.search(rf"\b{re.escape(words)}\b", text)},
            {pk for pattern, pk in self._codes if pattern.search(text)},
            self._named(text),
        ):
            if found:
                return found.pop() if len(found) == 1 else None
        return None

    def _named(self, text: str) -> set[int]:
        found = set()
        for pattern, pk in self._names:  # longest first; a name found is taken out of the text
            text, times = pattern.subn(" ", text)
            if times:
                found.add(pk)
        return found

    def line_for(self, precinct_id: int | None, day: date | None) -> str:
        if precinct_id is None or day is None:
            return ""
        for line in self._lines.get(precinct_id, ()):
            if line.active_from <= day and (line.active_until is None or day < line.active_until):
                return line.number
        return ""


def _words(text: str) -> str:
    return " ".join(re.sub(r"[^A-Z0-9]+", " ", text.upper()).split())


def _code_pattern(code: str) -> re.Pattern:
    """B-3 as a word in any spelling: B-3, B3, B 3, B-03 (after punctuation became spaces)."""
    parts = re.findall(r"[A-Z]+|\d+", code.upper())
    spelled = " ?".join(
        f"0*{part.lstrip('0') or '0'}" if part.isdigit() else part for part in parts
    )
    return re.compile(rf"\b{spelled}\b")


class Matcher:
    """Holds our requests, indexed, and what has been matched so far."""

    def __init__(self, requests: Iterable[OurRequest], guide: PrecinctGuide):
        self.requests = list(requests)
        self.guide = guide
        self.taken: set[int] = set()
        self.contested: set[int] = set()  # candidates of an ambiguous row
        self._by = {rule: defaultdict(list) for rule in ("event_number", "subject_id", "a_number")}
        self._near: dict[tuple[int, date], list[OurRequest]] = defaultdict(list)
        for request in self.requests:
            for rule, index in self._by.items():
                key = getattr(request, rule)
                if key:
                    index[key].append(request)
            if request.precinct_id is not None:
                self._near[(request.precinct_id, request.received_on)].append(request)

    # --- 1. identifiers

    def by_identifiers(self, row: AgencyRow) -> Outcome | None:
        for rule, index in self._by.items():
            key = getattr(row, rule)
            free = (
                [request for request in index.get(key, ()) if request.pk not in self.taken]
                if key
                else []
            )
            if free:
                best = min(free, key=lambda request: (_days_apart(request, row), request.pk))
                return self._matched(row, best, rule, 1.0, "matched")
        return None

    def _matched(
        self, row, request: OurRequest, rule: str, confidence: float, result: str
    ) -> Outcome:
        self.taken.add(request.pk)
        return Outcome(result, row, request, rule, confidence, request.precinct_id, request.line)

    # --- 2. fallback

    def candidates(self, row: AgencyRow) -> list[tuple[int, OurRequest]]:
        """(points, request), best first, for requests free now and not ruled out."""
        precinct_id = self.guide.precinct_for(row.place)
        if precinct_id is None or row.prepare_date is None:
            return []
        scored = []
        for offset in range(-DATE_WINDOW_DAYS, DATE_WINDOW_DAYS + 1):
            for request in self._near.get(
                (precinct_id, row.prepare_date + timedelta(days=offset)), ()
            ):
                points = _points(row, request)
                if points is not None and request.pk not in self.taken:
                    scored.append((points, request))
        scored.sort(key=lambda pair: (-pair[0], pair[1].pk))
        # Only what can still matter: a match, or a rival within the gap of one.
        return [pair for pair in scored if pair[0] >= FALLBACK_THRESHOLD - AMBIGUITY_GAP]

    def by_fallback(
        self, rows: list[AgencyRow], progress: Callable[[int], None] = lambda done: None
    ) -> list[Outcome]:
        scored = []
        for done, row in enumerate(rows, start=1):
            scored.append((row, self.candidates(row)))
            if done % 1000 == 0:
                progress(done)
        progress(len(rows))
        scored.sort(key=lambda item: (-(item[1][0][0] if item[1] else 0), item[0].line_number))
        return [self._settle(row, candidates) for row, candidates in scored]

    def _settle(self, row: AgencyRow, candidates: list[tuple[int, OurRequest]]) -> Outcome:
        free = [(points, request) for points, request in candidates if request.pk not in self.taken]
        if not free or free[0][0] < FALLBACK_THRESHOLD:
            return self.agency_only(row)
        best = free[0][0]
        close = [(points, request) for points, request in free if best - points < AMBIGUITY_GAP]
        if len(close) > 1:
            self.contested.update(request.pk for _, request in close)
            outcome = self.agency_only(row)
            outcome.result = "ambiguous"
            outcome.candidates = [
                {"request": request.pk, "confidence": points / 100} for points, request in close
            ]
            return outcome
        return self._matched(row, close[0][1], "fallback", best / 100, "fallback")

    def agency_only(self, row: AgencyRow) -> Outcome:
        precinct_id = self.guide.precinct_for(row.place)
        return Outcome(
            "agency_only",
            row,
            precinct_id=precinct_id,
            line=self.guide.line_for(precinct_id, row.prepare_date),
        )

    # --- 3. ours only

    def ours_only(self) -> list[Outcome]:
        held = self.taken | self.contested
        return [
            Outcome(
                "ours_only", request=request, precinct_id=request.precinct_id, line=request.line
            )
            for request in self.requests
            if request.in_year and request.pk not in held
        ]


def _days_apart(request: OurRequest, row: AgencyRow) -> int:
    return abs((request.received_on - row.prepare_date).days) if row.prepare_date else 0


def _points(row: AgencyRow, request: OurRequest) -> int | None:
    """The fallback score of a request already at the row's precinct, or None when ruled out."""
    for fact in ("subject_id", "event_number", "a_number", "birth_year", "gender", "citizenship"):
        ours, theirs = getattr(request, fact), getattr(row, fact)
        if ours and theirs and ours != theirs:
            return None
    points = DATE_POINTS[_days_apart(request, row)] + PRECINCT_POINTS
    for fact, worth in FACT_POINTS.items():
        if getattr(row, fact) and getattr(row, fact) == getattr(request, fact):
            points += worth
    return points
