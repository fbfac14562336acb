"""Open data: a de-identified table of counted detainer requests for each ended local year, as CSV,
with a Frictionless data package descriptor (datapackage.json) that states its schema.

One row per combination of year, month, precinct, channel, form type, probable-cause basis and
disposition that at least one counted request has (detainers.counting.rule), with how many. Nothing
else: no names, identifiers, dates, documents or free text, only the codes below.

Small cells (settings.OPEN_DATA_MIN_CELL, 5 by default) are withheld: their count is left empty.
An empty count never means 0 (a combination no request has is not a row); it means "withheld", and
the descriptor says so (the schema's missingValues and the field's description). The table has no
totals, and cells are withheld in pairs: in every group of cells that a published total could cover
(the year, and every margin of one or two columns within it, such as the annual report's civil
requests by precinct or by month), either no cell or at least two are withheld. A lone withheld cell
of such a group would otherwise be that total minus the cells shown; so the smallest shown cell of
the group is withheld with it. (Two withheld cells with a known sum are not found out one by one,
only bounded; that is the usual limit of this method.)

Only ended years are published: a table that changed from one day to the next would show, to anyone
comparing the two, the month, precinct, form, basis and outcome of the one request that came in.

Cost: the summary table (CountCell) keeps each breakdown on its own, not their combination, so the
table is one grouped query over the year's counted requests (the annual report's own query, plus
the channel). Its time grows with the requests: measured on bench/dashboard's data at 1 million
requests (88,000 in the year; 19,785 cells), 1.3 s for the query and 1.3 s for the withholding on a
busy 2-core machine; at 10 million the query scans the deliveries like bench/dashboard's bare
GROUP BY (about 5 s). So the result is cached for an hour under a fingerprint of the year's summary
cells (one small query), which changes with nearly every correction: public traffic does not repeat
the query, and a correction shows at once.
"""

import csv
import hashlib
import io
from collections import defaultdict
from dataclasses import astuple, dataclass, fields
from itertools import combinations

from django.core.cache import cache
from django.db.models import Count
from django.db.models.functions import ExtractMonth
from django.utils import timezone

from detainers.counting.exports import cell_safe
from detainers.counting.rule import KEY_FIELDS, NOT_COUNTED
from detainers.counting.selectors import CountFilter, counted_requests, precinct_codes
from detainers.models import Channel, CountCell, Disposition, FormType, ProbableCause

NOT_RECORDED = "not_recorded"
NO_PRECINCT = "none"
CACHE_SECONDS = 60 * 60
DIMENSIONS = ("month", "precinct", "channel", "form_type", "basis", "disposition")
# The groups a published total could cover: the year, and each margin of one or two dimensions.
MARGINS = [(), *((d,) for d in range(len(DIMENSIONS))), *combinations(range(len(DIMENSIONS)), 2)]


@dataclass(frozen=True, order=True)
class OpenDataRow:
    year: int
    month: int
    precinct: str
    channel: str
    form_type: str
    basis: str
    disposition: str
    count: int | None  # None: withheld


COLUMNS = [field.name for field in fields(OpenDataRow)]


def open_data_years() -> list[int]:
    """The ended local years with at least one counted request, oldest first (from the summary)."""
    this_year = timezone.localtime().year
    years = (
        CountCell.objects.filter(breakdown="month", total__gt=0, year__lt=this_year)
        .values_list("year", flat=True)
        .distinct()
        .order_by("year")
    )
    return list(years)


def _cells(year: int) -> dict[tuple, int]:
    """{(month, precinct, channel, form type, basis, disposition): counted requests}: one query."""
    local = timezone.get_default_timezone()
    codes = precinct_codes()
    rows = (
        counted_requests(counts=CountFilter(year_from=year, year_to=year))
        .annotate(month=ExtractMonth("delivery__received_at", tzinfo=local))
        .values_list(
            "month",
            "delivery__precinct_id",
            "delivery__channel",
            "form_type",
            "probable_cause",
            "disposition",
        )
        .annotate(total=Count("id"))
        .order_by()
    )
    cells: dict[tuple, int] = defaultdict(int)
    for month, precinct_id, channel, form_type, basis, disposition, total in rows:
        precinct = (
            cell_safe(codes.get(precinct_id, str(precinct_id))) if precinct_id else NO_PRECINCT
        )
        key = (month, precinct, channel, form_type or NOT_RECORDED, basis or NOT_RECORDED)
        cells[(*key, disposition or NOT_RECORDED)] += total
    return dict(cells)


def _group(key: tuple, margin: tuple[int, ...]) -> tuple:
    return tuple(key[dimension] for dimension in margin)


def cells_withheld(cells: dict[tuple, int], min_cell: int) -> set[tuple]:
    """The cells below `min_cell`, and as many more (the smallest) as it takes that no group of
    MARGINS holds exactly one withheld cell beside cells that are shown."""
    withheld = {key for key, total in cells.items() if total < min_cell}
    # Each cell's group in every margin, each group's cells smallest first, and how many of each
    # group's cells are withheld: built once, then kept as cells are added.
    groups_of = {key: [_group(key, margin) for margin in MARGINS] for key in cells}
    members: list[dict[tuple, list[tuple]]] = [defaultdict(list) for _ in MARGINS]
    for key in sorted(cells, key=lambda key: (cells[key], key)):
        for margin, group in enumerate(groups_of[key]):
            members[margin][group].append(key)
    hidden: list[dict[tuple, int]] = [defaultdict(int) for _ in MARGINS]
    for key in withheld:
        for margin, group in enumerate(groups_of[key]):
            hidden[margin][group] += 1
    lonely = [(m, group) for m in range(len(MARGINS)) for group, n in hidden[m].items() if n == 1]
    while lonely:
        margin, group = lonely.pop()
        if hidden[margin][group] != 1:
            continue  # a partner came with another group's
        partner = next((key for key in members[margin][group] if key not in withheld), None)
        if partner is None:
            continue  # the group is this one cell: no total of it is ours to protect
        withheld.add(partner)
        for other, its_group in enumerate(groups_of[partner]):
            hidden[other][its_group] += 1
            if hidden[other][its_group] == 1:
                lonely.append((other, its_group))
    return withheld


def _fingerprint(year: int) -> str:
    cells = CountCell.objects.filter(year=year).order_by(*KEY_FIELDS)
    digest = hashlib.sha256()
    for cell in cells.values_list(*KEY_FIELDS, "total"):
        digest.update(repr(cell).encode())
    return digest.hexdigest()


def open_data_table(*, year: int, min_cell: int) -> list[OpenDataRow]:
    """The year's de-identified rows, small cells withheld (count None), in column order."""
    cache_key = f"open-data:{year}:{min_cell}:{_fingerprint(year)}"
    rows = cache.get(cache_key)
    if rows is None:
        cells = _cells(year)
        withheld = cells_withheld(cells, min_cell)
        rows = sorted(
            OpenDataRow(year, *key, None if key in withheld else total)
            for key, total in cells.items()
        )
        cache.set(cache_key, rows, CACHE_SECONDS)
    return rows


def open_data_csv(rows: list[OpenDataRow]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    for row in rows:
        values = astuple(row)
        writer.writerow([*values[:-1], "" if row.count is None else row.count])
    return out.getvalue()


def open_data_filename(year: int) -> str:
    return f"detainer-requests-{year}.csv"


def _schema(year: int, min_cell: int, precincts: list[str]) -> dict:
    def choice(name: str, values: list[str], description: str) -> dict:
        constraints = {"required": True, "enum": values}
        return {
            "name": name,
            "type": "string",
            "description": description,
            "constraints": constraints,
        }

    counted = [value for value in Disposition.values if value not in NOT_COUNTED]
    return {
        "fields": [
            {
                "name": "year",
                "type": "integer",
                "description": "Local year the request was received.",
                "constraints": {"required": True, "minimum": year, "maximum": year},
            },
            {
                "name": "month",
                "type": "integer",
                "description": "Local month received, 1 to 12.",
                "constraints": {"required": True, "minimum": 1, "maximum": 12},
            },
            choice(
                "precinct",
                precincts,
                f"The precinct whose fax line received it; {NO_PRECINCT!r}: none (emailed, or an unknown number).",
            ),
            choice("channel", list(Channel.values), "How it arrived."),
            choice("form_type", [*FormType.values, NOT_RECORDED], "The agency's form."),
            choice(
                "basis",
                [*ProbableCause.values, NOT_RECORDED],
                "The probable-cause box ticked on the I-247A.",
            ),
            choice(
                "disposition",
                [*counted, NOT_RECORDED],
                f"What the department did; {NOT_RECORDED!r}: not yet reviewed.",
            ),
            {
                "name": "count",
                "type": "integer",
                "description": f"Counted requests. Empty: withheld, because it is under {min_cell} or "
                "because another withheld cell could otherwise be worked out from a published total. "
                "Never 0: a combination no request has is not a row.",
                "constraints": {"minimum": min_cell},
            },
        ],
        "missingValues": [""],
        "primaryKey": [name for name in COLUMNS if name != "count"],
    }


def open_data_package(*, years: list[int], min_cell: int) -> dict:
    """The Frictionless (Tabular) Data Package descriptor: one CSV resource a year."""
    precincts = sorted(
        {cell_safe(code) for code in precinct_codes().values() if code} | {NO_PRECINCT}
    )
    return {
        "profile": "tabular-data-package",
        "name": "detainer-requests",
        "title": "Immigration detainer requests received by the police department",
        "description": (
            "Counted detainer requests (duplicates and documents that are not detainer requests "
            "left out) by local year, month, precinct, channel, form, probable-cause basis and "
            f"disposition. Counts under {min_cell} are withheld (empty), and so are others where "
            "needed so that none can be worked out from a published total; no totals are included."
        ),
        "resources": [
            {
                "profile": "tabular-data-resource",
                "name": f"detainer-requests-{year}",
                "path": open_data_filename(year),
                "format": "csv",
                "mediatype": "text/csv",
                "encoding": "utf-8",
                "schema": _schema(year, min_cell, precincts),
            }
            for year in years
        ],
    }
