"""bench/webhooks: signed Telnyx fax.received events against POST /api/v1/faxes/ of the same fax.

    .venv/bin/python bench/webhooks/run.py [--requests N] [--concurrency 16] [--seconds S]

One command: a fresh PostgreSQL database (detainers_bench_webhooks), migrated, with precinct B-3 and
a fax gateway account; gunicorn on 127.0.0.1 with production settings (DEBUG off, Redis db 13 as
the broker, no worker: the fetch and routing tasks only queue) and a Telnyx public key whose
private half only this script holds. From `--concurrency` client threads it posts, in alternating
rounds, Telnyx-style `fax.received` events (each its own fax id, signed with Ed25519 over
"{timestamp}|{body}" as Telnyx does, pointing at the fax's document) to
/api/v1/fax-providers/telnyx/, and the same ~100 KB PDF with the same facts to /api/v1/faxes/.
It prints requests, errors, req/s, p50 and p99 and the server's CPU per request of each, the
webhook/faxes throughput ratio and the aim (>= 0.8), checks in SQL that every event answered
"created" is one pending event row (and every 201 one delivery), and drops the database.

Exit status: 0 when every request was answered as expected and the checks hold (a missed aim is
reported, not failed); 1 otherwise. Traffic goes to 127.0.0.1 only; every loop is bounded.
"""

import argparse
import base64
import http.client
import itertools
import json
import os
import resource
import shutil
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import psycopg  # noqa: E402
import redis  # noqa: E402
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey  # noqa: E402
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat  # noqa: E402

from bench.intake import run as intake  # noqa: E402 - its helpers: the PDF, gunicorn, CPU, output

HOST = intake.HOST
BENCH_DB = "detainers_bench_webhooks"
DATABASE_URL = f"postgresql://detainers:detainers@{HOST}:5432/{BENCH_DB}"
BROKER_DB = 13
BROKER_URL = f"redis://{HOST}:6379/{BROKER_DB}"
MEDIA_BASE = "https://media.provider.example/faxes/"  # never fetched: no worker runs
AIM_RATIO = 0.8
STOP = threading.Event()


class TelnyxEvents:
    """Signed fax.received events, one fax id each, as Telnyx posts them."""

    def __init__(self, received_at: str):
        self.key = Ed25519PrivateKey.generate()
        raw = self.key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        self.public_key = base64.b64encode(raw).decode()
        self.received_at = received_at

    def request(self, fax_id: str) -> tuple[bytes, dict]:
        body = json.dumps(
            {
                "data": {
                    "event_type": "fax.received",
                    "id": f"event-{fax_id}",
                    "occurred_at": self.received_at,
                    "record_type": "event",
                    "payload": {
                        "connection_id": "1453742805816968295",
                        "direction": "inbound",
                        "fax_id": fax_id,
                        "from": intake.SENDER_NUMBER,
                        "to": intake.PRECINCT_NUMBER,
                        "media_url": f"{MEDIA_BASE}{fax_id}.pdf",
                        "page_count": intake.PDF_PAGES,
                        "status": "received",
                    },
                },
                "meta": {"attempt": 1, "delivered_to": "bench"},
            }
        ).encode()
        stamp = str(int(time.time()))
        signature = base64.b64encode(self.key.sign(f"{stamp}|".encode() + body)).decode()
        return body, {
            "Content-Type": "application/json",
            "telnyx-timestamp": stamp,
            "telnyx-signature-ed25519": signature,
        }


class Endpoint:
    def __init__(self, label: str, path: str, expected: int, request_for):
        self.label, self.path, self.expected, self.request_for = label, path, expected, request_for


# --- Services --------------------------------------------------------------------------------------


def database(action: str) -> None:
    with psycopg.connect(intake.ADMIN_DSN, autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)")
        if action == "create":
            admin.execute(f"CREATE DATABASE {BENCH_DB} OWNER detainers")


def broker() -> redis.Redis:
    return redis.Redis(host=HOST, port=6379, db=BROKER_DB, socket_timeout=5)


def app_environment(media_root: Path, public_key: str) -> dict:
    return {
        **intake.app_environment(media_root),
        "DATABASE_URL": DATABASE_URL,
        "CELERY_BROKER_URL": BROKER_URL,
        "FAX_TELNYX_PUBLIC_KEY": public_key,
        "FAX_MEDIA_ALLOWED_URLS": MEDIA_BASE,
    }


def server_cpu(master: int) -> dict[tuple[str, int], float]:
    """As bench/intake's, for this bench's database."""
    workers = [int(entry.name) for entry in Path("/proc").iterdir() if entry.name.isdigit()]
    workers = [pid for pid in workers if intake._stat(pid)[1:2] == [str(master)]]
    with psycopg.connect(intake.ADMIN_DSN) as admin:
        backends = admin.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = %s", (BENCH_DB,)
        ).fetchall()
    own = resource.getrusage(resource.RUSAGE_SELF)
    return (
        {("app", pid): intake._cpu_seconds(pid) for pid in workers}
        | {("db", pid): intake._cpu_seconds(pid) for (pid,) in backends}
        | {("clients", 0): own.ru_utime + own.ru_stime, ("machine", 0): intake._machine_busy()}
    )


# --- The load --------------------------------------------------------------------------------------


def _client(port, endpoint, prefix, next_index, count, seconds, start_line) -> list:
    """One client posting until the round's count or time is used up (bench/intake's loop, with a
    body and headers made for each request: a signature covers one body only)."""
    connection = http.client.HTTPConnection(HOST, port, timeout=30)
    results = []
    try:
        try:
            connection.connect()
        finally:
            start_line.wait()
        deadline = time.monotonic() + seconds
        while not STOP.is_set() and time.monotonic() < deadline:
            index = next(next_index)
            if index >= count:
                break
            body, headers = endpoint.request_for(f"{prefix}-{index:06d}")
            started = time.perf_counter()
            try:
                connection.request("POST", endpoint.path, body=body, headers=headers)
                answer = connection.getresponse()
                text, status = answer.read(), answer.status
            except (OSError, http.client.HTTPException) as exc:
                status, text = 0, repr(exc).encode()
                connection.close()
            results.append((time.perf_counter() - started, status, text))
    finally:
        connection.close()
    return results


def run_round(port, endpoint, prefix, count, concurrency, seconds):
    next_index = itertools.count()
    start_line = threading.Barrier(concurrency + 1)
    with ThreadPoolExecutor(concurrency) as pool:
        futures = [
            pool.submit(_client, port, endpoint, prefix, next_index, count, seconds, start_line)
            for _ in range(concurrency)
        ]
        try:
            start_line.wait(timeout=10)
            started = time.perf_counter()
            results = [item for future in futures for item in future.result()]
        except BaseException:
            STOP.set()
            raise
        elapsed = time.perf_counter() - started
    return results, elapsed


def record(tally: intake.Tally, endpoint: Endpoint, results, elapsed, count, cpu) -> int:
    """Add a round to `tally`; returns how many answers said a new item was stored."""
    for kind, seconds in cpu.items():
        tally.cpu[kind] += seconds
    created = 0
    for latency, status, text in results:
        tally.latencies.append(latency)
        if status == endpoint.expected and (status == 201 or b'"created":true' in text):
            created += 1
        else:
            summary = " ".join(text.decode(errors="replace").split())[:200]
            tally.errors.append(f"HTTP {status}: {summary}" if status else summary)
    tally.elapsed += elapsed
    tally.round_rates.append(len(results) / elapsed)
    tally.truncated += len(results) < count
    return created


def measure(master, port, endpoints, args):
    """Warm both up, then alternate them (faxes, webhook; webhook, faxes; ...)."""
    tallies = {key: intake.Tally() for key in endpoints}
    created = dict.fromkeys(endpoints, 0)
    plan = [(key, "warm", max(64, 4 * args.concurrency), 15.0) for key in endpoints]
    per_round = args.seconds / (2 * args.rounds)
    for number in range(args.rounds):
        order = ["faxes", "webhook"] if number % 2 == 0 else ["webhook", "faxes"]
        plan += [(key, f"r{number}", args.requests, per_round) for key in order]
    for key, name, count, seconds in plan:
        before = server_cpu(master)
        results, elapsed = run_round(
            port, endpoints[key], f"bench-{key}-{name}", count, args.concurrency, seconds
        )
        cpu = intake.cpu_used(before, server_cpu(master))
        tally = tallies[key] if name != "warm" else intake.Tally(errors=tallies[key].errors)
        created[key] += record(tally, endpoints[key], results, elapsed, count, cpu)
    return tallies, created


# --- Checks and output -----------------------------------------------------------------------------


def verify(created: dict[str, int]) -> list[str]:
    with psycopg.connect(DATABASE_URL) as db:
        [(events, pending)] = db.execute(
            "SELECT count(*), count(*) FILTER (WHERE state = 'pending') "
            "FROM detainers_providerevent WHERE provider = 'telnyx' AND fax_id LIKE 'bench-%%'"
        ).fetchall()
        [(deliveries,)] = db.execute(
            "SELECT count(*) FROM detainers_delivery WHERE external_id LIKE 'bench-faxes-%%'"
        ).fetchall()
    problems = []
    if events != created["webhook"] or pending != events:
        problems.append(f"{events} events ({pending} pending) for {created['webhook']} stored")
    if deliveries != created["faxes"]:
        problems.append(f"{deliveries} deliveries for {created['faxes']} answers 201")
    if not problems:
        print(
            f"check: {created['webhook']} events answered created = {events} pending events; "
            f"{created['faxes']} answers 201 = {deliveries} deliveries"
        )
    queued = broker().llen("celery")
    print(f"tasks queued in Redis db {BROKER_DB} (fetches and routing; no worker runs): {queued}")
    return problems


def report(tallies: dict, endpoints: dict) -> float:
    print(
        f"{'endpoint':<34}{'requests':>9}{'errors':>7}{'req/s':>8}{'p50 ms':>8}{'p99 ms':>8}"
        f"   CPU ms/request: {'app':>5}{'db':>5}"
    )
    for key, tally in tallies.items():
        print(
            f"{endpoints[key].label:<34}{tally.requests:>9}{len(tally.errors):>7}"
            f"{tally.rate:>8.1f}{tally.percentile_ms(0.50):>8.1f}{tally.percentile_ms(0.99):>8.1f}"
            f"{'':>19}{tally.cpu_ms('app'):>5.1f}{tally.cpu_ms('db'):>5.1f}"
        )
    for key, tally in tallies.items():
        rates = " / ".join(f"{rate:.0f}" for rate in tally.round_rates)
        cut = f" ({tally.truncated} rounds stopped by the time cap)" if tally.truncated else ""
        print(f"  {endpoints[key].label} req/s per round: {rates}{cut}")
        print(f"    {intake.cores_busy(tally)}")
    faxes = tallies["faxes"].rate
    ratio = tallies["webhook"].rate / faxes if faxes else 0.0
    valid = not any(tally.errors for tally in tallies.values())
    print(f"ratio webhook/faxes throughput: {ratio:5.2f}     aim >= {AIM_RATIO:.2f}    ", end="")
    print(intake.verdict(ratio >= AIM_RATIO, valid))
    return ratio


def parse_args(argv=None) -> argparse.Namespace:
    cores = os.cpu_count() or 1
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=600, help="requests per round and endpoint")
    parser.add_argument("--concurrency", type=int, default=16, help="concurrent clients")
    parser.add_argument("--seconds", type=float, default=60, help="time cap of the measured rounds")
    parser.add_argument("--rounds", type=int, default=3, help="measured rounds per endpoint")
    parser.add_argument("--workers", type=int, default=2 * cores + 1, help="gunicorn workers")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    moment = datetime.now(ZoneInfo("America/New_York")) - timedelta(minutes=1)
    received_at = moment.replace(microsecond=0).isoformat()
    pdf = intake.fax_pdf()
    fax = intake.FaxBody(pdf, received_at)
    events = TelnyxEvents(received_at)
    scratch = Path(tempfile.mkdtemp(prefix="bench-webhooks-"))
    env = app_environment(scratch / "media", events.public_key)
    server = None
    try:
        database("create")
        broker().flushdb()
        intake.manage(env, "migrate", "--noinput")
        fixture = intake.FIXTURE.format(number=intake.PRECINCT_NUMBER)
        token = intake.manage(env, "shell", "-c", fixture).split()[-1]
        port = intake.free_port()
        server = intake.gunicorn_start(env, port, args.workers, 1, scratch / "gunicorn.log")
        intake.wait_healthy(server, port, scratch / "gunicorn.log")
        faxes_headers = {"Authorization": f"Token {token}", "Content-Type": fax.content_type}
        endpoints = {
            "faxes": Endpoint(
                "POST /api/v1/faxes/",
                "/api/v1/faxes/",
                201,
                lambda fax_id: (fax.with_id(fax_id), faxes_headers),
            ),
            "webhook": Endpoint(
                "POST /api/v1/fax-providers/telnyx/",
                "/api/v1/fax-providers/telnyx/",
                200,
                events.request,
            ),
        }
        print(
            f"bench/webhooks: signed fax.received events ({len(events.request('x')[0])} bytes) "
            f"against the {len(pdf) / 1000:.0f} KB PDF they name, {args.concurrency} clients, "
            f"{args.rounds} alternating rounds of up to {args.requests} requests each\n"
            f"server: gunicorn config.wsgi, {args.workers} sync workers, DEBUG off, PostgreSQL "
            f"{BENCH_DB}, broker {BROKER_URL}; {os.cpu_count()} cores, clients included"
        )
        tallies, created = measure(server.pid, port, endpoints, args)
        report(tallies, endpoints)
        problems = verify(created)
        intake.print_errors(tallies, scratch / "gunicorn.log")
        for problem in problems:
            print(f"  problem: {problem}", file=sys.stderr)
        return 1 if problems or any(tally.errors for tally in tallies.values()) else 0
    except KeyboardInterrupt:
        print("interrupted: stopping gunicorn and dropping the bench database", file=sys.stderr)
        return 130
    finally:
        STOP.set()
        if server is not None:
            intake.gunicorn_stop(server)
        if not args.keep:
            database("drop")
            shutil.rmtree(scratch, ignore_errors=True)
        else:
            print(f"kept: database {BENCH_DB}, gunicorn.log in {scratch}")
        broker().flushdb()


if __name__ == "__main__":
    sys.exit(main())
