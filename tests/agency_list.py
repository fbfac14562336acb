"""A made-up agency list of detainers with known answers, against a scene of our requests.

`agency_scene(year=2024, precincts=[b3, c11], units=10)` writes our requests to the database and returns
the agency's list (CSV bytes in any encoding or delimiter) with the figures a correct reconciliation
must give, in total, per precinct and per fax line. For each precinct and unit it makes:

- matched on Subject ID (3), on Event # written differently (3: "ev 2024 0001" vs "EV20240001"), on an
  A-number written differently (2: "A 012-345-678" vs "012345678" or "A012345678");
- matched only by the fallback rule (2): no identifiers anywhere, the agency's date two days before
  ours, the same precinct, the same birth year and gender (and for one of them, citizenship);
- ambiguous (1): two of ours received on the same day, with the same person facts;
- agency only, never received (`missed[precinct]`, default 2): on that precinct's line, half with
  identifiers we do not have, half with person facts none of ours share;
- ours only (2): one with identifiers the agency does not list, one without.

And once: agency-only rows at a facility that names no precinct (3); a row dated in another year (left
out); a detainer prepared on 31 December that we received at 00:30 on 1 January (matched: the margin);
a request received at 23:30 on 31 December local time, already the next year in UTC (ours only); one of
ours that came by email (ours only, on no fax line); a fax to a number of no precinct (ours only); and
requests that must not count: a duplicate, a "not a detainer", one received in the margin after the
year with nothing matching it.

Person facts are drawn so that no two fallback, ambiguous or agency-only groups of a precinct share
them (beyond 132 groups a precinct, the agency's fallback rows name citizenship too), and the other
requests carry none: so the expected answers hold whatever the dates, at any size.
"""

import csv
import io
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.utils import timezone

from detainers.models import Channel, Delivery, DetainerRequest, Disposition, NumberMatch, Source
from precincts.models import FaxNumber, Precinct

COLUMNS = [
    "Detainer Prepare Date",
    "Detention Facility",
    "Area of Responsibility",
    "Detainer Type",
    "EID Subject ID",
    "Event Number",
    "Alien File Number",
    "Birth Year",
    "Gender",
    "Citizenship Country",
    "Detainer Lift Reason",
]
COUNTRIES = ["MEXICO", "GUATEMALA", "HONDURAS", "EL SALVADOR", "BRAZIL", "HAITI", "CHINA", "INDIA",
             "DOMINICAN REPUBLIC", "COLOMBIA", "ECUADOR", "VENEZUELA", "CAPE VERDE", "PERU", "JAMAICA",
             "VIETNAM", "NIGERIA", "GHANA", "PORTUGAL", "IRELAND"]  # fmt: skip
UNKNOWN_FACILITY = "SUFFOLK COUNTY HOUSE OF CORRECTION"
FIGURES = ("agency", "matched", "fallback", "agency_only", "ours_only", "ambiguous")
AGENCY_RESULTS = ("matched", "fallback", "agency_only", "ambiguous")


def local(*args) -> datetime:
    return timezone.make_aware(datetime(*args), timezone.get_default_timezone())


@dataclass
class Scene:
    year: int
    rows: list[dict[str, str]] = field(default_factory=list)
    # figure -> Counter(precinct code or "none" -> rows); and figure -> Counter((code, line) -> rows)
    by_precinct: dict[str, Counter] = field(default_factory=lambda: {f: Counter() for f in FIGURES})
    by_line: dict[str, Counter] = field(default_factory=lambda: {f: Counter() for f in FIGURES})
    request_ids: dict[str, list[int]] = field(default_factory=dict)
    outside_year: int = 0

    def total(self, figure: str) -> int:
        return sum(self.by_precinct[figure].values())

    def expect(self, result: str, code: str, line: str) -> None:
        for figure in (result, "agency") if result in AGENCY_RESULTS else (result,):
            self.by_precinct[figure][code] += 1
            self.by_line[figure][(code, line)] += 1

    def pad(self, rows: int) -> None:
        """More of the agency's rows, at a facility that names no precinct, that none of ours match:
        a list as long as needed (above the size processed in the request) with the same answers."""
        for serial in range(rows):
            day = date(self.year, 1, 1) + timedelta(days=serial % 365)
            self.rows.append({
                "Detainer Prepare Date": f"{day:%m/%d/%Y}",
                "Detention Facility": UNKNOWN_FACILITY,
                "EID Subject ID": f"PAD{serial:07d}",
            })  # fmt: skip
            self.expect("agency_only", "none", "")

    def csv_bytes(
        self,
        *,
        encoding: str = "utf-8",
        delimiter: str = ",",
        columns: dict[str, str] | None = None,
    ) -> bytes:
        """The list as the agency would publish it; `columns` renames headers {ours: theirs}."""
        out = io.StringIO(newline="")
        writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n")
        writer.writerow([(columns or {}).get(column, column) for column in COLUMNS])
        for row in self.rows:
            writer.writerow([row.get(column, "") for column in COLUMNS])
        return out.getvalue().encode(encoding)


@dataclass
class _Ours:
    """One of our requests to create."""

    received_at: datetime
    precinct: Precinct | None
    number: FaxNumber | None
    channel: str = Channel.FAX
    to_number: str = ""
    fields: dict = field(default_factory=dict)
    category: str = ""
    duplicate_of: "_Ours | None" = None


class _Builder:
    def __init__(self, year: int, precincts: list[Precinct]):
        self.year = year
        self.scene = Scene(year)
        self.ours: list[_Ours] = []
        self.lines = {
            precinct.pk: FaxNumber.objects.filter(precinct=precinct).order_by("active_from").first()
            for precinct in precincts
        }
        self.serial = 0
        self.facts_used: Counter = Counter()  # per precinct

    def next_serial(self) -> int:
        self.serial += 1
        return self.serial

    def day(self) -> date:
        # Spread over the year, away from its edges (the edges have their own cases).
        return date(self.year, 1, 1) + timedelta(days=5 + (self.serial * 37) % 350)

    def facts(self, precinct: Precinct) -> dict[str, str]:
        """Person facts no other group of this precinct has."""
        k = self.facts_used[precinct.pk]
        self.facts_used[precinct.pk] += 1
        if k >= 66 * 2 * len(COUNTRIES):
            raise ValueError("Too many groups for one precinct: add precincts.")
        return {
            "birth_year": 1940 + k % 66,
            "gender": "MF"[(k // 66) % 2],
            "citizenship": COUNTRIES[(k // 132) % len(COUNTRIES)],
            # Birth year and gender alone tell the first 132 groups of a precinct apart.
            "unique_without_citizenship": k < 132,
        }

    def facility(self, precinct: Precinct, serial: int) -> str:
        if serial % 2:
            return f"BOSTON POLICE DEPARTMENT DISTRICT {precinct.code}"
        return f"BPD {precinct.name.upper()} STATION LOCKUP"

    def agency(self, prepared: date, precinct: Precinct | None, **values) -> dict[str, str]:
        serial = self.next_serial()
        row = {
            "Detainer Prepare Date": f"{prepared:%Y-%m-%d} 00:00:00",
            "Detention Facility": self.facility(precinct, serial) if precinct else UNKNOWN_FACILITY,
            "Area of Responsibility": "BOSTON AREA",
            "Detainer Type": "I-247A",
            **values,
        }
        self.scene.rows.append(row)
        return row

    def our(self, received: datetime, precinct: Precinct | None, category: str, **fields) -> _Ours:
        number = self.lines[precinct.pk] if precinct else None
        ours = _Ours(received, precinct, number, to_number=number.number if number else "",
                     fields=fields, category=category)  # fmt: skip
        self.ours.append(ours)
        return ours

    def received(self, day: date, hour: int = 10) -> datetime:
        return local(day.year, day.month, day.day, hour, self.serial % 60)

    def line(self, precinct: Precinct | None) -> tuple[str, str]:
        if precinct is None:
            return "none", ""
        return precinct.code, self.lines[precinct.pk].number

    # --- categories, each making agency rows, our requests and the answer they must give

    def by_subject_id(self, precinct: Precinct) -> None:
        serial = self.next_serial()
        day = self.day()
        self.agency(
            day - timedelta(days=serial % 5), precinct, **{"EID Subject ID": f"s{serial:07d}"}
        )
        self.our(self.received(day), precinct, "subject_id", subject_id=f"S{serial:07d}")
        self.scene.expect("matched", *self.line(precinct))

    def by_event_number(self, precinct: Precinct) -> None:
        serial = self.next_serial()
        day = self.day()
        self.agency(day, precinct, **{"Event Number": f"ev {self.year} {serial:06d}"})
        self.our(
            self.received(day), precinct, "event_number", event_number=f"EV{self.year}{serial:06d}"
        )
        self.scene.expect("matched", *self.line(precinct))

    def by_a_number(self, precinct: Precinct) -> None:
        serial = self.next_serial()
        digits = f"{10_000_000 + serial:09d}"
        written = f"A {digits[:3]}-{digits[3:6]}-{digits[6:]}"
        ours = (
            digits if serial % 2 else "A" + digits
        )  # stored raw by an older import, or normalised
        day = self.day()
        self.agency(day - timedelta(days=1), precinct, **{"Alien File Number": written})
        self.our(self.received(day), precinct, "a_number", a_number=ours)
        self.scene.expect("matched", *self.line(precinct))

    def by_fallback(self, precinct: Precinct, with_citizenship: bool) -> None:
        self.next_serial()
        facts = self.facts(precinct)
        day = self.day()
        with_citizenship = with_citizenship or not facts["unique_without_citizenship"]
        self.agency(day - timedelta(days=2), precinct, **_agency_facts(facts, with_citizenship))
        self.our(self.received(day), precinct, "fallback", date_of_birth=date(facts["birth_year"], 6, 1),
                 sex={"M": "male", "F": "Female"}[facts["gender"]], citizenship=facts["citizenship"].title())  # fmt: skip
        self.scene.expect("fallback", *self.line(precinct))

    def ambiguous(self, precinct: Precinct) -> None:
        self.next_serial()
        facts = self.facts(precinct)
        day = self.day()
        self.agency(day - timedelta(days=1), precinct, **_agency_facts(facts, False))
        for hour in (9, 15):
            self.our(self.received(day, hour), precinct, "ambiguous", sex=facts["gender"],
                     date_of_birth=date(facts["birth_year"], 1, 1), citizenship=facts["citizenship"])  # fmt: skip
        self.scene.expect("ambiguous", *self.line(precinct))

    def agency_only(self, precinct: Precinct | None) -> None:
        serial = self.next_serial()
        if precinct is None or serial % 2:
            values = {"EID Subject ID": f"X{serial:07d}", "Event Number": f"XEV{serial:06d}"}
        else:
            values = _agency_facts(self.facts(precinct), True)
        self.agency(self.day(), precinct, **values)
        self.scene.expect("agency_only", *self.line(precinct))

    def ours_only(self, precinct: Precinct) -> None:
        serial = self.next_serial()
        fields = {"subject_id": f"OURS{serial:06d}"} if serial % 2 else {}
        self.our(self.received(self.day()), precinct, "ours_only", **fields)
        self.scene.expect("ours_only", *self.line(precinct))

    def edges(self, first: Precinct, no_precinct_number: str) -> None:
        year = self.year
        self.agency(date(year - 1, 12, 1), first, **{"EID Subject ID": "OLD0001"})
        self.scene.outside_year += 1
        # Prepared on 31 December, received at 00:30 on 1 January: matched across the year's edge.
        self.agency(date(year, 12, 31), first, **{"Event Number": "EDGE0001"})
        self.our(local(year + 1, 1, 1, 0, 30), first, "edge", event_number="EDGE0001")
        self.scene.expect("matched", *self.line(first))
        # 23:30 on 31 December local time is this year, whatever UTC says.
        self.our(local(year, 12, 31, 23, 30), first, "late", subject_id="LATE0001")
        self.scene.expect("ours_only", *self.line(first))
        email = self.our(local(year, 6, 3, 11), first, "email")
        email.channel, email.number, email.to_number = Channel.EMAIL, None, ""
        self.scene.expect("ours_only", first.code, "")
        unknown = self.our(local(year, 7, 9, 11), None, "no_precinct")
        unknown.to_number = no_precinct_number
        self.scene.expect("ours_only", "none", no_precinct_number)
        for _ in range(3):
            self.agency_only(None)
        # Not counted, so never "ours only": a duplicate, a "not a detainer", and the next year's.
        original = self.our(local(year, 8, 8, 9), first, "original", subject_id="DUP0001")
        self.agency(date(year, 8, 7), first, **{"EID Subject ID": "DUP0001"})
        self.scene.expect("matched", *self.line(first))
        copy = self.our(local(year, 8, 8, 10), first, "not_counted", subject_id="DUP0001",
                        disposition=Disposition.DUPLICATE)  # fmt: skip
        copy.duplicate_of = original
        self.our(local(year, 9, 9, 9), first, "not_counted", subject_id="SPAM0001",
                 disposition=Disposition.NOT_A_DETAINER)  # fmt: skip
        self.our(local(year + 1, 1, 2, 9), first, "not_counted", subject_id="NEXT0001")

    def save(self) -> None:
        deliveries = Delivery.objects.bulk_create(
            Delivery(
                channel=ours.channel,
                source=Source.GATEWAY if ours.channel == Channel.FAX else Source.MAILBOX,
                received_at=ours.received_at,
                precinct=ours.precinct,
                fax_number=ours.number,
                to_number=ours.to_number,
                number_match=(NumberMatch.OWNED if ours.number else NumberMatch.UNKNOWN)
                if ours.channel == Channel.FAX
                else "",
                from_address="+12025550100",
            )
            for ours in self.ours
        )
        first = [ours for ours in self.ours if ours.duplicate_of is None]
        made = DetainerRequest.objects.bulk_create(
            DetainerRequest(delivery=delivery, **ours.fields)
            for ours, delivery in zip(self.ours, deliveries, strict=True)
            if ours.duplicate_of is None
        )
        pk_of = {id(ours): request.pk for ours, request in zip(first, made, strict=True)}
        copies = [
            (ours, d) for ours, d in zip(self.ours, deliveries, strict=True) if ours.duplicate_of
        ]
        for ours, request in zip(
            [ours for ours, _ in copies],
            DetainerRequest.objects.bulk_create(
                DetainerRequest(delivery=d, duplicate_of_id=pk_of[id(o.duplicate_of)], **o.fields)
                for o, d in copies
            ),
            strict=True,
        ):
            pk_of[id(ours)] = request.pk
        for ours in self.ours:
            self.scene.request_ids.setdefault(ours.category, []).append(pk_of[id(ours)])


def _agency_facts(facts: dict, with_citizenship: bool) -> dict[str, str]:
    values = {
        "Birth Year": str(facts["birth_year"]),
        "Gender": {"M": "Male", "F": "Female"}[facts["gender"]],
    }
    if with_citizenship:
        values["Citizenship Country"] = facts["citizenship"]
    return values


def agency_scene(
    *,
    year: int,
    precincts: list[Precinct],
    units: int = 10,
    missed: dict[str, int] | None = None,
    no_precinct_number: str = "+16175550199",
) -> Scene:
    """Our requests in the database, and the agency's list with the answers (see the module)."""
    build = _Builder(year, precincts)
    for _ in range(units):
        for precinct in precincts:
            for _ in range(3):
                build.by_subject_id(precinct)
                build.by_event_number(precinct)
            for _ in range(2):
                build.by_a_number(precinct)
                build.ours_only(precinct)
            build.by_fallback(precinct, with_citizenship=True)
            build.by_fallback(precinct, with_citizenship=False)
            build.ambiguous(precinct)
            for _ in range((missed or {}).get(precinct.code, 2)):
                build.agency_only(precinct)
    build.edges(precincts[0], no_precinct_number)
    build.save()
    return build.scene
