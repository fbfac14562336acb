"""bench/lists: search and the long lists at N detainer requests (10 million by default).

    .venv/bin/python bench/lists/run.py [--rows N] [--repeats R] [--keep] [--reuse]

One command: it loads N requests into a fresh PostgreSQL database (detainers_bench_lists) with
bench/dashboard's loader (COPY, indexes built once after the load), each with an invented subject
name (some accented), an A-number, a Subject ID and an Event #; then times, as the median of
--repeats runs in this process after two warm-ups (a second run over 2 s is reported alone):

  search (selectors): requests_search as the supervisor for a common surname, a rare one, an
      accented name typed without its accents, two words, an A-number, a Subject ID;
  pages (django.test.Client, the whole page): the inbox's first page, its first page filtered to
      one precinct, and drill-down lists behind dashboard figures (a year; a year and month;
      a year and precinct; a breakdown value over every year), first page and page 100.

Each is compared with the bare query it stands on, measured in the same run: the 50 newest
deliveries by primary key (an index walk, the least a list could cost). Aim: each under 100 ms
(PASS/MISS). Exit 1 when a result is wrong (a planted name not found). --keep leaves the
database; --reuse measures a database left by --keep without loading (after a migration, say).
"""

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from bench.dashboard import run as loader  # noqa: E402

BENCH_DB = "detainers_bench_lists"
loader.BENCH_DB = BENCH_DB
loader.LOAD_DSN = f"host={loader.HOST} port=5432 user=postgres dbname={BENCH_DB}"
loader.DATABASE_URL = f"postgres://detainers:detainers@{loader.HOST}:5432/{BENCH_DB}"
AIM_MS = 100.0
RARE = "Quixote-Marchetti"
RARE_EVERY = 1_000_003  # a planted rare surname: about 10 at 10 million
FIRST = (
    "José María Ana Luis Carlos Juan Rosa Pedro Lucía Jorge Miguel Sofía Elena Diego Pablo Andrés "
    "Mateo Camila Valentina Ramón Héctor Iván Nguyen Wei Li Fatima Omar Amir Olga Igor Chen Mei Ali "
    "Hassan Ahmed Yusuf Ingrid Björn Zoë François Anaïs Raúl Inés Jesús Álvaro Óscar Tomás Martín"
).split()
LAST = (
    "García Rodríguez Martínez Hernández López González Pérez Sánchez Ramírez Torres Flores Rivera "
    "Gómez Díaz Reyes Cruz Morales Ortiz Gutiérrez Chávez Ramos Ruiz Mendoza Álvarez Castillo "
    "Jiménez Moreno Romero Herrera Medina Aguilar Vargas Guzmán Muñoz Peña Castro Núñez Rojas "
    "Vásquez Salazar Nguyen Tran Pham Huynh Wang Zhang Liu Chen Kim Park Lee Singh Patel Khan "
    "Ahmed Ali Hussain Ivanov Petrov Kowalski Nowak Müller Schmidt Dubois Lefèvre Silva Santos "
    "Oliveira Souza Pereira Costa Ferreira Almeida Carvalho Rocha Barbosa Okafor Mensah Diallo "
    "Traoré Haile Tesfaye Abebe Mohamed Hassan Osman Yilmaz Kaya Demir Şahin Çelik Smith Johnson "
    "Williams Brown Jones Miller Davis Wilson Anderson Thomas Taylor Moore Jackson Martin Thompson"
).split()
EXTRA_COLUMNS = ["subject_name", "a_number", "subject_id", "event_number"]


class NamedScene(loader.Scene):
    """bench/dashboard's rows, each request with a subject and identifiers."""

    def request(self, pk: int) -> str:
        random_ = self.rng.random
        last = RARE if pk % RARE_EVERY == 0 else LAST[int(random_() * len(LAST))]
        name = f"{FIRST[int(random_() * len(FIRST))]} {last}"
        return (
            f"{super().request(pk)}\t{name}\tA{pk * 7 % 10**9:09d}\t{pk * 13 % 10**8:08d}"
            f"\tCHI-{pk:08d}"
        )


SLOW_S = 2.0  # a first run slower than this is reported as it is, not repeated


def median_ms(run, repeats: int) -> tuple[float, object]:
    run()  # a warm-up: the first page a process renders compiles templates and imports modules
    started = time.perf_counter()
    result = run()
    first = time.perf_counter() - started
    if first > SLOW_S:
        return first * 1000, result
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        result = run()
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000, result


def measure(args) -> int:
    from django.db import connection
    from django.test import Client

    from accounts.models import User
    from detainers.inbox.search import requests_search
    from precincts.models import Precinct

    supervisor = User.objects.get(username="supervisor")
    client = Client(HTTP_HOST=loader.HOST)
    client.force_login(supervisor)
    with connection.cursor() as cursor:
        cursor.execute("SELECT extract(year FROM max(received_at))::int FROM detainers_delivery")
        (year,) = cursor.fetchone()
    precinct = Precinct.objects.order_by("code").first()

    def bare():
        with connection.cursor() as cursor:
            cursor.execute("SELECT * FROM detainers_delivery ORDER BY id DESC LIMIT 50")
            return cursor.fetchall()

    def search(query: str):
        return lambda: requests_search(user=supervisor, query=query)

    def page(url: str):
        def get():
            response = client.get(url)
            assert response.status_code == 200, (url, response.status_code)
            return response.content

        return get

    bare_ms, _ = median_ms(bare, args.repeats)
    say = loader.say
    say(f"  bare query (50 newest deliveries by id): {bare_ms:.2f} ms")
    drill = "/dashboard/requests/?"
    cases = [
        ("search: common surname", search("Garcia"), None),
        ("search: first name + surname", search("Jose Rodriguez"), None),
        ("search: accented, typed plain", search("munoz"), None),
        (f"search: rare surname ({RARE})", search(RARE), "rare"),
        ("search: A-number", search("A 000 000 700"), None),
        ("search: Subject ID", search("00000130"), None),
        ("page: inbox, first page", page("/inbox/"), None),
        ("page: inbox, one precinct", page(f"/inbox/?precinct={precinct.pk}"), None),
        ("page: inbox, page 20 (its last)", page("/inbox/?page=20"), None),
        ("list: a year", page(f"{drill}year_from={year}&year_to={year}"), None),
        ("list: a year, page 100", page(f"{drill}year_from={year}&year_to={year}&page=100"), None),
        ("list: a year and month", page(f"{drill}year_from={year}&year_to={year}&month=3"), None),
        (
            "list: a year and precinct",
            page(f"{drill}year_from={year}&year_to={year}&precinct={precinct.code}"),
            None,
        ),
        (
            "list: a form type, every year",
            page(f"{drill}breakdown=form_type&value=judicial_warrant"),
            None,
        ),
    ]
    failed = 0
    say(f"{'what':<44} {'ms':>9} {'x bare':>8}   aim < {AIM_MS:.0f} ms")
    for label, run, check in cases:
        ms, result = median_ms(run, args.repeats)
        verdict = "PASS" if ms < AIM_MS else "MISS"
        say(f"{label:<44} {ms:>9.1f} {ms / bare_ms:>8.0f}   {verdict}")
        if check == "rare":
            expected = args.rows // RARE_EVERY
            if len(result.hits) != expected:
                say(f"  WRONG: {len(result.hits)} hits for {RARE}, expected {expected}")
                failed += 1
    return failed


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--reuse", action="store_true")
    args = parser.parse_args(argv)
    loader.REQUEST_COLUMNS = loader.REQUEST_COLUMNS + EXTRA_COLUMNS
    started = time.perf_counter()
    if not args.reuse:
        loader.database_recreate()
    try:
        loader.django_setup()
        if not args.reuse:
            import random

            from detainers.counting.rule import counts_rebuild

            loader.say(f"bench/lists: loading {args.rows:,} requests into {BENCH_DB}")
            loader.load_requests(NamedScene(random.Random(2024)), 1, args.rows)
            counts_rebuild()
        failed = measure(args)
        loader.say(f"total time {time.perf_counter() - started:.0f} s")
        return 1 if failed else 0
    finally:
        from django.db import connections

        connections.close_all()
        if args.keep or args.reuse:
            loader.say(f"kept the database {BENCH_DB} ({loader.DATABASE_URL})")
        else:
            loader.database_drop()


if __name__ == "__main__":
    sys.exit(main())
