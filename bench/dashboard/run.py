"""bench/dashboard: the dashboard and /api/v1/stats/yearly/ against the bare GROUP BY, at 10 thousand
and at N detainer requests.

    .venv/bin/python bench/dashboard/run.py [--rows N] [--repeats R] [--bare-repeats B] [--keep]

One command: it creates a fresh PostgreSQL database (detainers_bench_dash), migrates it, adds the
twelve districts with their fax lines and the demo supervisor (seed_demo --no-samples), then loads
detainer requests with COPY: 10,000 first, measured, then the rest up to N, measured again. At each
size it fills the summary table with counts_rebuild() (what `manage.py rebuild_counts` does) and
times, each as the median of several runs in this process:

  (a) GET /dashboard/ as the supervisor (django.test.Client: the whole page, session and template),
  (b) GET /api/v1/stats/yearly/,
  (c) the bare query: counted requests per local year of receipt, GROUP BY over the requests and
      their deliveries, which is what the page would cost without the summary.

It also times GET /dashboard/lines/ (line health) and its selector at both sizes. It checks that
yearly_stats() equals the bare query's per-year totals, prints the figures and the ratios against
the aims (dashboard >= 100x faster than the bare query at N; dashboard at N <= 2x its time at 10k;
line health page under 50 ms at N and at most 2x its time at 10k), and drops the database at the end, whatever happened (--keep leaves it).

Exit status: 0 when the figures agree (a missed aim is reported as MISS, not failed); 1 otherwise.
"""

import argparse
import io
import logging
import os
import random
import statistics
import sys
import time
from datetime import date, timedelta
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parents[2]
HOST = "127.0.0.1"
BENCH_DB = "detainers_bench_dash"
ADMIN_DSN = f"host={HOST} port=5432 user=postgres dbname=postgres"
LOAD_DSN = f"host={HOST} port=5432 user=postgres dbname={BENCH_DB}"
DATABASE_URL = f"postgres://detainers:detainers@{HOST}:5432/{BENCH_DB}"
SMALL = 10_000
YEARS = 10
CHUNK = 100_000  # rows per COPY write
AIM_SPEEDUP = 100.0
AIM_GROWTH = 2.0
AIM_LINES_MS = (
    50.0  # /dashboard/lines/ at --rows; its growth from 10 thousand is held to AIM_GROWTH
)
DELIVERY = "detainers_delivery"
REQUEST = "detainers_detainerrequest"
UNKNOWN_LINE = "+16175550999"

# What the requests look like: (value, weight). Disposition "duplicate" rows point at an earlier request.
CHANNELS = [("fax", 70), ("email", 30)]
FAX_LINES = [("owned", 95), ("unknown", 4), ("retired", 1)]
FORM_TYPES = [
    ("I-247A", 70),
    ("I-203", 5),
    ("I-200", 8),
    ("I-205", 5),
    ("judicial_warrant", 2),
    ("other", 3),
    ("", 7),
]
BASES = [
    ("final_order", 30),
    ("pending_proceedings", 20),
    ("biometric_match", 25),
    ("statements", 10),
    ("", 15),
]
DISPOSITIONS = [
    ("", 15),
    ("not_acted_upon", 40),
    ("not_in_custody", 10),
    ("released_before_arraignment", 8),
    ("transferred_to_court", 5),
    ("notification_no_information", 4),
    ("judicial_warrant_referred", 2),
    ("cancelled_by_agency", 4),
    ("duplicate", 8),
    ("not_a_detainer", 4),
]


def say(message: str) -> None:
    print(message, flush=True)


# --- The database ----------------------------------------------------------------------------------


def database_recreate() -> None:
    with psycopg.connect(ADMIN_DSN, autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)")
        admin.execute(f"CREATE DATABASE {BENCH_DB} OWNER detainers")


def database_drop(tries: int = 30) -> None:
    """Drop the bench database; if the server is restarting (a fault test elsewhere), wait for it."""
    for attempt in range(tries):
        try:
            with psycopg.connect(ADMIN_DSN, autocommit=True, connect_timeout=5) as admin:
                admin.execute(f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)")
            return
        except psycopg.OperationalError:
            if attempt == tries - 1:
                say(
                    f"could not drop {BENCH_DB}: drop it by hand (DROP DATABASE {BENCH_DB} WITH (FORCE))"
                )
                raise
            time.sleep(2)


def django_setup() -> None:
    """The project's settings against the bench database, then migrate and seed the districts."""
    os.environ.update(
        DJANGO_SETTINGS_MODULE="config.settings", DJANGO_DEBUG="True", DATABASE_URL=DATABASE_URL
    )
    os.environ.pop("CELERY_BROKER_URL", None)  # nothing here enqueues; no broker needed
    sys.path.insert(0, str(ROOT))
    import django
    from django.core.management import call_command

    django.setup()
    logging.getLogger("axes").setLevel(logging.WARNING)  # one login per size; its log is noise here
    call_command("migrate", verbosity=0)
    call_command("seed_demo", "--no-samples", verbosity=0, stdout=io.StringIO())


# --- Loading with COPY -----------------------------------------------------------------------------


def _picker(rng: random.Random, choices: list[tuple[str, int]]):
    """A fast weighted choice: a table of 1000 values indexed by one random number."""
    table = [
        value
        for value, weight in choices
        for _ in range(weight * 1000 // sum(w for _, w in choices))
    ]
    size = len(table)
    return lambda: table[int(rng.random() * size)]


class Scene:
    """What every loaded row refers to: the precincts' current lines and a retired one."""

    def __init__(self, rng: random.Random):
        from precincts.models import FaxNumber

        today = date.today()
        self.rng = rng
        self.days = [
            (today - timedelta(days=YEARS * 365 - i)).isoformat() for i in range(YEARS * 365)
        ]
        self.seconds = [f"{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}" for s in range(86400)]
        current = FaxNumber.objects.filter(active_until__isnull=True).order_by("pk")
        self.lines = [(str(n.precinct_id), str(n.pk), n.number) for n in current]
        retired = FaxNumber.objects.filter(active_until__isnull=False).first()
        self.retired_number = retired.number if retired else UNKNOWN_LINE
        self.channel = _picker(rng, CHANNELS)
        self.fax_line = _picker(rng, FAX_LINES)
        self.form_type = _picker(rng, FORM_TYPES)
        self.basis = _picker(rng, BASES)
        self.disposition = _picker(rng, DISPOSITIONS)

    def moment(self) -> str:
        random_ = self.rng.random
        day = self.days[int(random_() * len(self.days))]
        return f"{day} {self.seconds[int(random_() * 86400)]}+00"

    def delivery(self, pk: int) -> str:
        """id, channel, source, received_at, logged_at, routed_at, precinct_id, fax_number_id,
        to_number, number_match (the other columns are constants appended by the caller)."""
        at = self.moment()
        if self.channel() == "email":
            return f"{pk}\temail\tmailbox\t{at}\t{at}\t{at}\t\\N\t\\N\t\t"
        match = self.fax_line()
        if match == "owned":
            precinct, line, number = self.lines[int(self.rng.random() * len(self.lines))]
            return f"{pk}\tfax\tgateway\t{at}\t{at}\t{at}\t{precinct}\t{line}\t{number}\towned"
        number = self.retired_number if match == "retired" else UNKNOWN_LINE
        return f"{pk}\tfax\tgateway\t{at}\t{at}\t{at}\t\\N\t\\N\t{number}\t{match}"

    def request(self, pk: int) -> str:
        """id, delivery_id, form_type, probable_cause, disposition, duplicate_of_id, duplicate_reason."""
        disposition = self.disposition()
        if disposition == "duplicate" and pk > 1:
            original = 1 + int(self.rng.random() * (pk - 1))
            link = f"{original}\tSame Event # as request {original}"
        else:
            disposition = "" if disposition == "duplicate" else disposition
            link = "\\N\t"
        return f"{pk}\t{pk}\t{self.form_type()}\t{self.basis()}\t{disposition}\t{link}"


DELIVERY_COLUMNS = [
    "id",
    "channel",
    "source",
    "received_at",
    "logged_at",
    "routed_at",
    "precinct_id",
    "fax_number_id",
    "to_number",
    "number_match",
]
REQUEST_COLUMNS = [
    "id",
    "delivery_id",
    "form_type",
    "probable_cause",
    "disposition",
    "duplicate_of_id",
    "duplicate_reason",
]
# Required columns that every row has the same value in, by type; found in the schema so that a
# field added later does not break the bench.
CONSTANTS = {
    "boolean": "f",
    "jsonb": "[]",
    "text": "",
    "character varying": "",
    "integer": "0",
    "bigint": "0",
}


def _constant_columns(
    load: psycopg.Connection, table: str, given: list[str]
) -> list[tuple[str, str]]:
    rows = load.execute(
        "SELECT column_name, data_type FROM information_schema.columns "
        "WHERE table_name = %s AND is_nullable = 'NO' AND column_default IS NULL AND is_identity = 'NO' "
        "ORDER BY ordinal_position",
        [table],
    ).fetchall()
    missing = [(name, kind) for name, kind in rows if name not in given]
    unknown = [name for name, kind in missing if kind not in CONSTANTS]
    if unknown:
        raise SystemExit(
            f"bench/dashboard: no constant for required column(s) {unknown} of {table}"
        )
    return [(name, CONSTANTS[kind]) for name, kind in missing]


def _copy(
    load: psycopg.Connection, table: str, columns: list[str], line, first: int, count: int
) -> None:
    constants = _constant_columns(load, table, columns)
    names = ", ".join(columns + [name for name, _ in constants])
    suffix = "".join(f"\t{value}" for _, value in constants) + "\n"
    with load.cursor().copy(f"COPY {table} ({names}) FROM STDIN") as copy:
        for start in range(first, first + count, CHUNK):
            end = min(start + CHUNK, first + count)
            copy.write("".join([line(pk) + suffix for pk in range(start, end)]))
            if count >= 10 * CHUNK and (end - first) % 1_000_000 == 0:
                say(f"    {table}: {end - first:,} of {count:,} rows")


def _indexes_off(load: psycopg.Connection, tables: list[str]) -> list[str]:
    """Drop the secondary indexes (a bulk load then rebuilds each once); return their definitions."""
    rows = load.execute(
        "SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE i.tablename = ANY(%s) AND NOT EXISTS "
        "(SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)",
        [tables],
    ).fetchall()
    for name, _ in rows:
        load.execute(f'DROP INDEX "{name}"')
    return [definition for _, definition in rows]


def load_requests(scene: Scene, first: int, count: int) -> float:
    """COPY `count` deliveries and their requests (ids from `first`); returns the seconds it took.

    Loaded as the superuser with session_replication_role = replica, so the foreign keys are not
    checked row by row (every reference is made valid above); for a large load the secondary
    indexes are dropped and built again once. Then VACUUM ANALYZE, as after any bulk load.
    """
    started = time.perf_counter()
    with psycopg.connect(LOAD_DSN) as load:
        load.execute("SET session_replication_role = replica")
        load.execute("SET synchronous_commit = off")
        load.execute("SET maintenance_work_mem = '512MB'")
        bulk = count > 100_000
        indexes = _indexes_off(load, [DELIVERY, REQUEST]) if bulk else []
        _copy(load, DELIVERY, DELIVERY_COLUMNS, scene.delivery, first, count)
        _copy(load, REQUEST, REQUEST_COLUMNS, scene.request, first, count)
        copied = time.perf_counter()
        for definition in indexes:
            load.execute(definition)
        for table in (DELIVERY, REQUEST):
            load.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"
            )
        load.commit()
        indexed = time.perf_counter()
        load.autocommit = True
        load.execute(f"VACUUM ANALYZE {DELIVERY}, {REQUEST}")
    done = time.perf_counter()
    say(
        f"    {2 * count:,} rows copied in {copied - started:.1f} s, {len(indexes)} indexes built again"
        f" in {indexed - copied:.1f} s, VACUUM ANALYZE {done - indexed:.1f} s"
    )
    return done - started


# --- Measuring -------------------------------------------------------------------------------------


def bare_sql() -> str:
    """Counted requests per local year of receipt, straight from the requests (the rule of
    detainers.counting.rule, written out)."""
    from django.conf import settings

    return (
        f"SELECT extract(year FROM d.received_at AT TIME ZONE '{settings.TIME_ZONE}')::int AS year, count(*) "
        f"FROM {REQUEST} r JOIN {DELIVERY} d ON d.id = r.delivery_id "
        "WHERE r.duplicate_of_id IS NULL AND r.disposition NOT IN ('duplicate', 'not_a_detainer') "
        "GROUP BY 1 ORDER BY 1"
    )


def median_seconds(run, repeats: int, warm: int = 2) -> float:
    for _ in range(warm):
        run()
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def measure(label: str, rows: int, load_s: float, args) -> dict:
    from django.db import connection
    from django.test import Client

    from accounts.models import User
    from detainers.counting.line_traffic import line_traffic_rebuild
    from detainers.counting.rule import counts_rebuild
    from detainers.counting.selectors import line_health, yearly_stats
    from detainers.models import CountCell

    say(f"  {label}: rebuilding the summaries (counts_rebuild, line_traffic_rebuild)")
    started = time.perf_counter()
    counts_rebuild()
    line_traffic_rebuild()  # the rows were loaded by COPY, past intake, which keeps both
    rebuild_s = time.perf_counter() - started
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {CountCell._meta.db_table}")
    client = Client(HTTP_HOST=HOST)
    client.force_login(User.objects.get(username="supervisor"))

    def page(url: str):
        def get():
            response = client.get(url)
            assert response.status_code == 200, (url, response.status_code)
            response.content  # noqa: B018 - the whole answer, rendered

        return get

    def bare() -> list[tuple[int, int]]:
        with connection.cursor() as cursor:
            cursor.execute(bare_sql())
            return cursor.fetchall()

    say(f"  {label}: timing the dashboard, the API and the bare query")
    figures = {
        "rows": rows,
        "load_s": load_s,
        "rebuild_s": rebuild_s,
        "cells": CountCell.objects.count(),
        "dashboard": median_seconds(page("/dashboard/"), args.repeats),
        "api": median_seconds(page("/api/v1/stats/yearly/"), args.repeats),
        "bare": median_seconds(bare, args.repeats if rows <= SMALL else args.bare_repeats, warm=1),
    }
    # Line health: the whole page, and its selector alone (the page less the template).
    figures["lines_page"] = median_seconds(page("/dashboard/lines/"), args.repeats)
    figures["lines"] = median_seconds(line_health, args.repeats)
    summary = {entry["year"]: entry["total"] for entry in yearly_stats()}
    figures["agree"] = summary == dict(bare())
    figures["counted"] = sum(summary.values())
    figures["years"] = len(summary)
    if not figures["agree"]:
        say(f"  MISMATCH at {rows:,} rows: yearly_stats {summary} != bare {dict(bare())}")
    return figures


def report(small: dict, large: dict) -> None:
    say("")
    say(
        f"{'requests':>12} {'load s':>8} {'rebuild s':>9} {'cells':>7} {'dashboard ms':>13} {'api ms':>8} {'bare ms':>10}"
        f" {'bare/dash':>10} {'bare/api':>9}"
    )
    for row in (small, large):
        say(
            f"{row['rows']:>12,} {row['load_s']:>8.1f} {row['rebuild_s']:>9.2f} {row['cells']:>7,}"
            f" {row['dashboard'] * 1000:>13.2f} {row['api'] * 1000:>8.2f} {row['bare'] * 1000:>10.1f}"
            f" {row['bare'] / row['dashboard']:>9.0f}x {row['bare'] / row['api']:>8.0f}x"
        )
    speedup = large["bare"] / large["dashboard"]
    growth = large["dashboard"] / small["dashboard"]
    say(
        f"dashboard vs bare GROUP BY at {large['rows']:,}: {speedup:,.0f}x faster   aim >= {AIM_SPEEDUP:.0f}x   "
        + ("OK" if speedup >= AIM_SPEEDUP else "MISS")
    )
    say(
        f"dashboard at {large['rows']:,} / at {small['rows']:,}: {growth:.2f}x   aim <= {AIM_GROWTH:.0f}x   "
        + ("OK" if growth <= AIM_GROWTH else "MISS")
    )
    say(f"api at {large['rows']:,} / at {small['rows']:,}: {large['api'] / small['api']:.2f}x")
    lines_ms, lines_growth = large["lines_page"] * 1000, large["lines_page"] / small["lines_page"]
    say(
        f"line health page at {large['rows']:,}: {lines_ms:.1f} ms   aim < {AIM_LINES_MS:.0f} ms   "
        + ("PASS" if lines_ms < AIM_LINES_MS else "MISS")
        + f"   (at {small['rows']:,}: {small['lines_page'] * 1000:.1f} ms)"
    )
    say(
        f"line health page at {large['rows']:,} / at {small['rows']:,}: {lines_growth:.2f}x   aim <= "
        f"{AIM_GROWTH:.0f}x   " + ("PASS" if lines_growth <= AIM_GROWTH else "MISS")
    )
    say(
        f"line_health() alone: {small['lines'] * 1000:.1f} ms at {small['rows']:,},"
        f" {large['lines'] * 1000:.1f} ms at {large['rows']:,}"
    )
    for row in (small, large):
        verdict = "equal" if row["agree"] else "DIFFERENT"
        say(
            f"check at {row['rows']:,}: yearly_stats per year {verdict} to the bare GROUP BY"
            f" ({row['years']} years, {row['counted']:,} counted requests)"
        )


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--rows", type=int, default=10_000_000, help="requests at the large size (10,000,000)"
    )
    parser.add_argument(
        "--repeats", type=int, default=20, help="timed runs of the page and the API (20)"
    )
    parser.add_argument(
        "--bare-repeats", type=int, default=3, help="timed runs of the bare query at --rows (3)"
    )
    parser.add_argument("--keep", action="store_true", help=f"leave the database {BENCH_DB} behind")
    args = parser.parse_args(argv)
    if args.rows <= SMALL:
        parser.error(f"--rows must be more than {SMALL:,}")
    started = time.perf_counter()
    say(f"bench/dashboard: {SMALL:,} then {args.rows:,} detainer requests in {BENCH_DB}")
    database_recreate()
    try:
        django_setup()
        scene = Scene(random.Random(2024))
        say(f"  loading {SMALL:,} requests")
        small = measure("10k", SMALL, load_requests(scene, 1, SMALL), args)
        say(f"  loading {args.rows - SMALL:,} more requests")
        large = measure(
            f"{args.rows:,}", args.rows, load_requests(scene, SMALL + 1, args.rows - SMALL), args
        )
        report(small, large)
        say(f"total time {time.perf_counter() - started:.0f} s")
        return 0 if small["agree"] and large["agree"] else 1
    finally:
        from django.db import DatabaseError, connections

        try:
            connections.close_all()
        except DatabaseError:
            pass  # the server went away (restarted); the drop below waits for it
        if args.keep:
            say(f"kept the database {BENCH_DB} ({DATABASE_URL})")
        else:
            database_drop()


if __name__ == "__main__":
    sys.exit(main())
