"""bench/intake: throughput and p99 of POST /api/v1/faxes/ against a bare view inserting one row.

    .venv/bin/python bench/intake/run.py [--requests N] [--concurrency 16] [--seconds S]

One command: it creates a fresh PostgreSQL database (detainers_bench), migrates it, adds precinct
B-3 and a fax gateway account with a token, starts gunicorn on 127.0.0.1 with bench.intake.settings
(production settings, DEBUG off, real Redis db 14 as the broker), and posts the same ~100 KB PDF to
both endpoints in alternating rounds from `--concurrency` client threads, each with its own
connection. It prints requests, errors, req/s, p50 and p99 and the server's CPU per request for each
endpoint, the api/bare throughput ratio, a web worker's peak RSS and the aims (ratio >= 0.4, api p99
< 150 ms, peak RSS < 200 MB). It then checks in SQL that every 201 from the API is one delivery with
its document on disk, and drops the database, whatever happened.

Exit status: 0 when every request was answered 201 and the checks hold (a missed aim is reported,
not failed); 1 otherwise. Traffic goes to 127.0.0.1 only; every loop is bounded in count and time.
"""

import argparse
import hashlib
import http.client
import io
import itertools
import math
import os
import random
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import psycopg
import redis
from pypdf import PdfReader

ROOT = Path(__file__).resolve().parents[2]
PYTHON = ROOT / ".venv" / "bin" / "python"
GUNICORN = ROOT / ".venv" / "bin" / "gunicorn"
HOST = "127.0.0.1"
BENCH_DB = "detainers_bench"
ADMIN_DSN = f"host={HOST} port=5432 user=postgres dbname=postgres"
DATABASE_URL = f"postgresql://detainers:detainers@{HOST}:5432/{BENCH_DB}"
BROKER_DB = 14
BROKER_URL = f"redis://{HOST}:6379/{BROKER_DB}"
PRECINCT_NUMBER = "+16175550133"
SENDER_NUMBER = "+12025550100"
PDF_PAGES = 4
PDF_BYTES = 100_000
AIM_RATIO = 0.4
AIM_P99_MS = 150.0
AIM_WORKER_RSS_MB = 200.0
CPU_KINDS = ("app", "db", "clients", "machine")
STOP = threading.Event()  # set on Ctrl-C or an error: every client loop stops at its next request

# Run by `manage.py shell -c` against the bench database; prints the gateway's token last.
FIXTURE = """
from datetime import datetime, timezone
from django.contrib.auth.models import Group
from accounts.access import Role
from accounts.models import User
from accounts.tokens import api_token_create
from precincts.models import Precinct
from precincts.services import fax_number_assign
precinct = Precinct.objects.create(code="B-3", name="Mattapan", neighbourhood="Mattapan")
opened = datetime(2020, 1, 1, tzinfo=timezone.utc)
fax_number_assign(precinct=precinct, number="{number}", active_from=opened)
user = User.objects.create_user(username="bench-gateway")
user.groups.add(Group.objects.get(name=Role.GATEWAY.value))
print(api_token_create(user=user)[1])
"""


@dataclass(frozen=True)
class Endpoint:
    label: str
    path: str
    id_prefix: str
    headers: dict


@dataclass
class Tally:
    """What one endpoint's measured rounds produced."""

    latencies: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    elapsed: float = 0.0
    round_rates: list[float] = field(default_factory=list)
    truncated: int = 0
    cpu: dict[str, float] = field(default_factory=lambda: dict.fromkeys(CPU_KINDS, 0.0))

    @property
    def requests(self) -> int:
        return len(self.latencies)

    @property
    def rate(self) -> float:
        return self.requests / self.elapsed if self.elapsed else 0.0

    def cpu_ms(self, kind: str) -> float:
        return 1000 * self.cpu[kind] / self.requests if self.requests else float("nan")

    def percentile_ms(self, q: float) -> float:
        ordered = sorted(self.latencies)
        return 1000 * ordered[max(0, math.ceil(q * len(ordered)) - 1)] if ordered else float("nan")


# --- The document and the request body ------------------------------------------------------------


def _pdf_stream(dictionary: str, data: bytes) -> bytes:
    return f"<<{dictionary}/Length {len(data)}>>stream\n".encode() + data + b"\nendstream"


def fax_pdf(pages: int = PDF_PAGES, size: int = PDF_BYTES) -> bytes:
    """A valid PDF of `pages` scanned-looking pages (one grey image each), about `size` bytes."""
    rng = random.Random(2024)
    width = 400
    height = (size // pages - 400) // width
    kids = " ".join(f"{3 + 3 * page} 0 R" for page in range(pages))
    bodies = [
        b"<</Type/Catalog/Pages 2 0 R>>",
        f"<</Type/Pages/Kids[{kids}]/Count {pages}>>".encode(),
    ]
    for page in range(pages):
        image = 5 + 3 * page
        bodies.append(
            f"<</Type/Page/Parent 2 0 R/MediaBox[0 0 612 792]/Contents {image - 1} 0 R"
            f"/Resources<</XObject<</Im0 {image} 0 R>>>>>>".encode()
        )
        bodies.append(_pdf_stream("", b"q 612 0 0 792 0 0 cm /Im0 Do Q"))
        bodies.append(
            _pdf_stream(
                f"/Type/XObject/Subtype/Image/Width {width}/Height {height}"
                "/ColorSpace/DeviceGray/BitsPerComponent 8",
                rng.randbytes(width * height),
            )
        )
    return _pdf_file(bodies)


def _pdf_file(bodies: list[bytes]) -> bytes:
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(bodies, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(bodies) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{offset:010d} 00000 n \n".encode() for offset in offsets)
    out += f"trailer\n<</Size {len(bodies) + 1}/Root 1 0 R>>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


class FaxBody:
    """The multipart body a gateway posts; only the last field, `gateway_id`, is new each time."""

    BOUNDARY = "bench-intake-boundary-7d41c0"

    def __init__(self, pdf: bytes, received_at: str):
        fields = {
            "to_number": PRECINCT_NUMBER,
            "from_number": SENDER_NUMBER,
            "received_at": received_at,
            "pages": str(PDF_PAGES),
        }
        parts = [self._part(f'name="{name}"', value.encode()) for name, value in fields.items()]
        document = self._part(
            'name="document"; filename="fax.pdf"', pdf, "Content-Type: application/pdf\r\n"
        )
        self.head = document + b"".join(parts)
        self.head += f"--{self.BOUNDARY}\r\n".encode()
        self.head += b'Content-Disposition: form-data; name="gateway_id"\r\n\r\n'
        self.tail = f"\r\n--{self.BOUNDARY}--\r\n".encode()
        self.content_type = f"multipart/form-data; boundary={self.BOUNDARY}"

    def _part(self, disposition: str, value: bytes, extra: str = "") -> bytes:
        head = f"--{self.BOUNDARY}\r\nContent-Disposition: form-data; {disposition}\r\n{extra}\r\n"
        return head.encode() + value + b"\r\n"

    def with_id(self, gateway_id: str) -> bytes:
        return self.head + gateway_id.encode() + self.tail


# --- Services: the database, the broker, gunicorn -------------------------------------------------


def database_recreate() -> None:
    with psycopg.connect(ADMIN_DSN, autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)")
        admin.execute(f"CREATE DATABASE {BENCH_DB} OWNER detainers")


def database_drop() -> None:
    with psycopg.connect(ADMIN_DSN, autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)")


def broker_purge() -> None:
    redis.Redis(host=HOST, port=6379, db=BROKER_DB, socket_timeout=5).flushdb()


def broker_queued() -> int:
    return redis.Redis(host=HOST, port=6379, db=BROKER_DB, socket_timeout=5).llen("celery")


def app_environment(media_root: Path) -> dict:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench.intake.settings",
        "DJANGO_DEBUG": "False",
        "DJANGO_SECRET_KEY": "bench-only",
        "DJANGO_ALLOWED_HOSTS": HOST,
        "DJANGO_SECURE_SSL_REDIRECT": "False",
        "DATABASE_URL": DATABASE_URL,
        "CELERY_BROKER_URL": BROKER_URL,
        "MEDIA_ROOT": str(media_root),
    }


def manage(env: dict, *args: str) -> str:
    done = subprocess.run(
        [str(PYTHON), "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    if done.returncode != 0:
        raise RuntimeError(f"manage.py {args[0]} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def gunicorn_start(env: dict, port: int, workers: int, threads: int, log: Path) -> subprocess.Popen:
    command = [
        str(GUNICORN),
        "config.wsgi",
        "--env",
        "DJANGO_SETTINGS_MODULE=bench.intake.settings",
        "--bind",
        f"{HOST}:{port}",
        "--workers",
        str(workers),
        "--worker-class",
        "gthread" if threads > 1 else "sync",
        "--threads",
        str(threads),
        "--timeout",
        "30",
    ]
    with log.open("wb") as out:
        # Its own session: a Ctrl-C reaches this script, which then stops gunicorn in order.
        return subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=out, stderr=out, start_new_session=True
        )


def gunicorn_stop(server: subprocess.Popen) -> None:
    if server.poll() is not None:
        return
    os.killpg(server.pid, signal.SIGTERM)
    try:
        server.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait(timeout=5)


def wait_healthy(server: subprocess.Popen, port: int, log: Path, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"gunicorn exited ({server.returncode}):\n{log.read_text()[-3000:]}")
        try:
            connection = http.client.HTTPConnection(HOST, port, timeout=5)
            connection.request("GET", "/healthz")
            answer = connection.getresponse()
            answer.read()
            connection.close()
            if answer.status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError(
        f"/healthz did not answer 200 within {timeout:.0f} s:\n{log.read_text()[-3000:]}"
    )


# --- Server CPU: what each request costs, whatever else the machine is doing ----------------------

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def _stat(pid: int | str) -> list[str]:
    """Fields of /proc/<pid>/stat after the command name ([1] is the parent, [11:13] CPU ticks)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:  # gone, or not Linux
        return []


def _cpu_seconds(pid: int) -> float:
    fields = _stat(pid)
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS if fields else 0.0


def server_cpu(master: int) -> dict[tuple[str, int], float]:
    """CPU seconds used so far by each gunicorn worker and each backend of the bench database."""
    workers = [int(entry.name) for entry in Path("/proc").iterdir() if entry.name.isdigit()]
    workers = [pid for pid in workers if _stat(pid)[1:2] == [str(master)]]
    with psycopg.connect(ADMIN_DSN) as admin:
        backends = admin.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = %s", (BENCH_DB,)
        ).fetchall()
    own = resource.getrusage(resource.RUSAGE_SELF)
    return (
        {("app", pid): _cpu_seconds(pid) for pid in workers}
        | {("db", pid): _cpu_seconds(pid) for (pid,) in backends}
        | {("clients", 0): own.ru_utime + own.ru_stime, ("machine", 0): _machine_busy()}
    )


def _machine_busy() -> float:
    """CPU seconds all processes on the machine spent busy (the first line of /proc/stat)."""
    try:
        ticks = [int(tick) for tick in Path("/proc/stat").read_text().split("\n")[0].split()[1:9]]
    except OSError:
        return 0.0
    user, nice, system, _idle, _iowait, irq, softirq, steal = ticks
    return (user + nice + system + irq + softirq + steal) / CLOCK_TICKS


def cpu_used(before: dict, after: dict) -> dict[str, float]:
    used = dict.fromkeys(CPU_KINDS, 0.0)
    for (kind, pid), seconds in after.items():
        used[kind] += seconds - before.get((kind, pid), 0.0)
    return used


# --- The load -------------------------------------------------------------------------------------


def _client(port, endpoint, body, next_index, count, seconds, start_line) -> list:
    """One client posting until the round's count or time is used up.

    Its connection is reused while the server keeps it open (gthread); gunicorn's sync workers close
    it after each answer, and http.client then opens a new one for the next request."""
    connection = http.client.HTTPConnection(HOST, port, timeout=30)
    headers = {**endpoint.headers, "Content-Type": body.content_type}
    results = []
    try:
        try:
            connection.connect()
        finally:
            start_line.wait()  # even when connecting failed, so the round is not left waiting
        deadline = time.monotonic() + seconds
        while not STOP.is_set() and time.monotonic() < deadline:
            index = next(next_index)
            if index >= count:
                break
            payload = body.with_id(f"{endpoint.id_prefix}-{index:06d}")
            started = time.perf_counter()
            try:
                connection.request("POST", endpoint.path, body=payload, headers=headers)
                answer = connection.getresponse()
                text = answer.read()
                status = answer.status
            except (OSError, http.client.HTTPException) as exc:
                status, text = 0, repr(exc).encode()
                connection.close()  # the next request reconnects
            results.append((time.perf_counter() - started, status, text))
    finally:
        connection.close()
    return results


def run_round(
    port: int, endpoint: Endpoint, body: FaxBody, count: int, concurrency: int, seconds: float
):
    """`count` requests (or `seconds`, whichever ends first) from `concurrency` clients.

    Returns (results, elapsed): the clock starts once every client has its connection open."""
    next_index = itertools.count()  # next() on it is atomic under the GIL
    start_line = threading.Barrier(concurrency + 1)
    with ThreadPoolExecutor(concurrency) as pool:
        futures = [
            pool.submit(_client, port, endpoint, body, next_index, count, seconds, start_line)
            for _ in range(concurrency)
        ]
        try:
            start_line.wait(timeout=10)
            started = time.perf_counter()
            results = [item for future in futures for item in future.result()]
        except BaseException:  # Ctrl-C or a broken client: the others stop at their next request
            STOP.set()
            raise
        elapsed = time.perf_counter() - started
    return results, elapsed


def record(tally: Tally, results: list, elapsed: float, count: int, cpu: dict) -> int:
    """Add a measured round to `tally`; returns how many were answered 201."""
    for kind, seconds in cpu.items():
        tally.cpu[kind] += seconds
    created = 0
    for latency, status, text in results:
        tally.latencies.append(latency)
        if status == 201:
            created += 1
        else:
            summary = " ".join(text.decode(errors="replace").split())[:200]
            tally.errors.append(f"HTTP {status}: {summary}" if status else summary)
    tally.elapsed += elapsed
    tally.round_rates.append(len(results) / elapsed)
    tally.truncated += len(results) < count
    return created


# --- Checks after the run -------------------------------------------------------------------------


def bench_query(sql: str, prefix: str) -> list[tuple]:
    """Rows of `sql` in the bench database, with %s bound to the LIKE pattern for `prefix`."""
    with psycopg.connect(DATABASE_URL) as db:
        return db.execute(sql, (prefix + "-%",)).fetchall()


def check_rows(prefix: str, expected: int) -> list[str]:
    """Problems with the deliveries whose external_id starts with `prefix` (none: an empty list)."""
    [(rows,)] = bench_query(
        "SELECT count(*) FROM detainers_delivery WHERE source = 'gateway' AND external_id LIKE %s",
        prefix,
    )
    if rows != expected:
        return [f"{rows} deliveries {prefix}-* in the database, but {expected} answers were 201"]
    return []


def check_documents(prefix: str, expected: int, media: Path, pdf: bytes) -> tuple[list[str], int]:
    """Every API delivery has its precinct, one request and one document, stored whole on disk."""
    joined = "JOIN detainers_delivery d ON d.id = x.delivery_id WHERE d.external_id LIKE %s"
    [(unresolved,)] = bench_query(
        "SELECT count(*) FROM detainers_delivery WHERE external_id LIKE %s AND precinct_id IS NULL",
        prefix,
    )
    [(requests,)] = bench_query(
        f"SELECT count(*) FROM detainers_detainerrequest x {joined}", prefix
    )
    documents = bench_query(
        f"SELECT x.file, x.size, x.sha256 FROM detainers_document x {joined}", prefix
    )
    problems = [f"{unresolved} deliveries without precinct B-3"] if unresolved else []
    if requests != expected or len(documents) != expected:
        problems.append(
            f"{requests} requests, {len(documents)} documents for {expected} deliveries"
        )
    digest = hashlib.sha256(pdf).hexdigest()
    missing = sum(
        1
        for name, size, sha256 in documents
        if size != len(pdf) or sha256 != digest or not _whole(media / name, len(pdf))
    )
    if missing:
        problems.append(f"{missing} documents missing or incomplete on disk")
    return problems, len(documents) - missing


def _whole(path: Path, size: int) -> bool:
    return path.is_file() and path.stat().st_size == size


# --- Output ---------------------------------------------------------------------------------------


def report(tallies: dict[str, Tally], endpoints: dict[str, Endpoint]) -> tuple[float, float]:
    print(
        f"{'endpoint':<22}{'requests':>9}{'errors':>7}{'req/s':>8}{'p50 ms':>8}{'p99 ms':>8}"
        f"   CPU ms/request: {'app':>5}{'db':>5}"
    )
    for key, tally in tallies.items():
        print(
            f"{endpoints[key].label:<22}{tally.requests:>9}{len(tally.errors):>7}{tally.rate:>8.1f}"
            f"{tally.percentile_ms(0.50):>8.1f}{tally.percentile_ms(0.99):>8.1f}"
            f"{'':>19}{tally.cpu_ms('app'):>5.1f}{tally.cpu_ms('db'):>5.1f}"
        )
    for key, tally in tallies.items():
        rates = " / ".join(f"{rate:.0f}" for rate in tally.round_rates)
        cut = f" ({tally.truncated} rounds stopped by the time cap)" if tally.truncated else ""
        print(f"  {endpoints[key].label} req/s per round: {rates}{cut}")
        print(f"    {cores_busy(tally)}")
    cpu = {key: tally.cpu_ms("app") + tally.cpu_ms("db") for key, tally in tallies.items()}
    if cpu["api"] > 0:
        print(
            f"  server CPU per request, bare/api: {cpu['bare'] / cpu['api']:.2f} (the throughput "
            "ratio a CPU-bound server would reach, whatever else the machine runs)"
        )
    ratio = tallies["api"].rate / tallies["bare"].rate if tallies["bare"].rate else 0.0
    p99 = tallies["api"].percentile_ms(0.99)
    valid = not any(tally.errors for tally in tallies.values())
    print(f"ratio api/bare throughput: {ratio:5.2f}     aim >= {AIM_RATIO:.2f}    ", end="")
    print(verdict(ratio >= AIM_RATIO, valid))
    print(f"api p99:                 {p99:5.0f} ms  aim < {AIM_P99_MS:.0f} ms  ", end="")
    print(verdict(p99 < AIM_P99_MS, valid))
    return ratio, p99


def workers_peak_rss_mb(master: int) -> list[float]:
    """Each gunicorn worker's peak resident memory so far (VmHWM), in MB."""
    peaks = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and _stat(entry.name)[1:2] == [str(master)]:
            try:
                status = (entry / "status").read_text()
            except OSError:
                continue
            for line in status.splitlines():
                if line.startswith("VmHWM:"):
                    peaks.append(int(line.split()[1]) / 1024)
    return sorted(peaks)


def rss_report(master: int) -> None:
    peaks = workers_peak_rss_mb(master)
    if not peaks:
        print("web worker peak RSS: not measured (no /proc)")
        return
    each = " / ".join(f"{peak:.0f}" for peak in peaks)
    print(
        f"web worker peak RSS:     {peaks[-1]:5.0f} MB  aim < {AIM_WORKER_RSS_MB:.0f} MB  "
        f"{'PASS' if peaks[-1] < AIM_WORKER_RSS_MB else 'MISS'}   (each worker: {each} MB)"
    )


def cores_busy(tally: Tally) -> str:
    """Where the machine's CPU went during the rounds: a busy neighbour shows up as `other`."""
    if not tally.elapsed:
        return ""
    cores = {kind: seconds / tally.elapsed for kind, seconds in tally.cpu.items()}
    other = max(0.0, cores["machine"] - cores["app"] - cores["db"] - cores["clients"])
    return (
        f"cores busy: gunicorn {cores['app']:.2f}, PostgreSQL {cores['db']:.2f}, clients "
        f"{cores['clients']:.2f}, other processes {other:.2f} (of {os.cpu_count()})"
    )


def verdict(met: bool, valid: bool) -> str:
    if not valid:
        return "NOT MEASURED (errors)"
    return "PASS" if met else "MISS"


def print_errors(tallies: dict[str, Tally], log: Path) -> None:
    """Each distinct error once with its count, then the server's last traceback."""
    sys.stdout.flush()
    for key, tally in tallies.items():
        for error, count in Counter(tally.errors).most_common(5):
            print(f"  {key}: {count} x {error}", file=sys.stderr)
    text = log.read_text(errors="replace") if log.exists() else ""
    if any(tally.errors for tally in tallies.values()) and "Traceback" in text:
        last = text[text.rindex("Traceback") :].splitlines()
        print("  gunicorn's last traceback ends:", *last[-6:], sep="\n    ", file=sys.stderr)


# --- The run --------------------------------------------------------------------------------------


def parse_args(argv=None) -> argparse.Namespace:
    cores = os.cpu_count() or 1
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=600, help="requests per round and endpoint")
    parser.add_argument("--concurrency", type=int, default=16, help="concurrent clients")
    parser.add_argument(
        "--seconds", type=float, default=60, help="time cap for all measured rounds together"
    )
    parser.add_argument("--rounds", type=int, default=3, help="measured rounds per endpoint")
    # One worker per core: the request is CPU-bound, so more workers than cores only take turns
    # (on 2 cores, 5 workers gave less throughput and a worse p99 than 2; bench/README.md).
    parser.add_argument("--workers", type=int, default=cores, help="gunicorn workers")
    # Sync workers, as in production (Dockerfile, docker-compose.yml): this request is CPU-bound,
    # and gthread's threads only added GIL hand-offs (a worse p99) without more throughput.
    parser.add_argument(
        "--threads", type=int, default=1, help="threads per worker (1: sync worker, else gthread)"
    )
    parser.add_argument(
        "--keep", action="store_true", help="keep the database and media afterwards"
    )
    return parser.parse_args(argv)


def prepare(env: dict) -> str:
    """A migrated bench database with precinct B-3 and the gateway account; returns its token."""
    database_recreate()
    broker_purge()
    manage(env, "migrate", "--noinput")
    return manage(env, "shell", "-c", FIXTURE.format(number=PRECINCT_NUMBER)).split()[-1]


def endpoints_for(token: str) -> dict[str, Endpoint]:
    return {
        "bare": Endpoint("bare insert view", "/bench/bare-insert/", "bench-bare", {}),
        "api": Endpoint(
            "POST /api/v1/faxes/",
            "/api/v1/faxes/",
            "bench-api",
            {"Authorization": f"Token {token}"},
        ),
    }


def measure(
    master: int, port: int, endpoints: dict, body: FaxBody, args
) -> tuple[dict[str, Tally], dict[str, int]]:
    """Warm up both, then alternate them (bare, api; api, bare; ...) so drift hits both alike."""
    tallies = {key: Tally() for key in endpoints}
    created = dict.fromkeys(endpoints, 0)
    plan = [(key, "warm", max(64, 4 * args.concurrency), 15.0) for key in endpoints]
    per_round = args.seconds / (2 * args.rounds)
    for number in range(args.rounds):
        order = ["bare", "api"] if number % 2 == 0 else ["api", "bare"]
        plan += [(key, f"r{number}", args.requests, per_round) for key in order]
    for key, name, count, seconds in plan:
        endpoint = endpoints[key]
        this_round = Endpoint(
            endpoint.label, endpoint.path, f"{endpoint.id_prefix}-{name}", endpoint.headers
        )
        before = server_cpu(master)
        results, elapsed = run_round(port, this_round, body, count, args.concurrency, seconds)
        cpu = cpu_used(before, server_cpu(master))
        # A warm-up round's requests are checked like any other, but not counted in the figures.
        tally = tallies[key] if name != "warm" else Tally(errors=tallies[key].errors)
        created[key] += record(tally, results, elapsed, count, cpu)
    return tallies, created


def verify(created: dict[str, int], media_root: Path, pdf: bytes) -> list[str]:
    problems = check_rows("bench-bare", created["bare"]) + check_rows("bench-api", created["api"])
    document_problems, stored = check_documents("bench-api", created["api"], media_root, pdf)
    problems += document_problems
    if not problems:
        print(
            f"check: {created['api']} answers 201 from the api = {created['api']} deliveries, "
            f"{stored} documents whole on disk; {created['bare']} from the bare view = "
            f"{created['bare']} deliveries"
        )
    else:
        print("check: FAILED (the problems are listed below)")
    print(f"routing messages queued in Redis db {BROKER_DB} (no worker runs): {broker_queued()}")
    return problems


def setting(args: argparse.Namespace, pdf: bytes) -> str:
    worker_class = f"gthread, {args.threads} threads" if args.threads > 1 else "sync"
    return (
        f"bench/intake: {len(pdf) / 1000:.0f} KB PDF ({PDF_PAGES} pages), {args.concurrency} "
        f"clients, {args.rounds} alternating rounds of up to {args.requests} requests each\n"
        f"server: gunicorn config.wsgi, {args.workers} workers ({worker_class}), DEBUG off, "
        f"PostgreSQL {BENCH_DB}, broker {BROKER_URL}; {os.cpu_count()} cores, clients included"
    )


def main(argv=None) -> int:
    args = parse_args(argv)
    pdf = fax_pdf()
    assert len(PdfReader(io.BytesIO(pdf), strict=True).pages) == PDF_PAGES
    moment = datetime.now(ZoneInfo("America/New_York")) - timedelta(minutes=1)
    body = FaxBody(pdf, moment.replace(microsecond=0).isoformat())
    scratch = Path(tempfile.mkdtemp(prefix="bench-intake-"))
    env = app_environment(scratch / "media")
    server = None
    try:
        token = prepare(env)
        port = free_port()
        server = gunicorn_start(env, port, args.workers, args.threads, scratch / "gunicorn.log")
        wait_healthy(server, port, scratch / "gunicorn.log")
        endpoints = endpoints_for(token)
        print(setting(args, pdf))
        tallies, created = measure(server.pid, port, endpoints, body, args)
        report(tallies, endpoints)
        rss_report(server.pid)
        problems = verify(created, scratch / "media", pdf)
        print_errors(tallies, scratch / "gunicorn.log")
        for problem in problems:
            print(f"  problem: {problem}", file=sys.stderr)
        failed = problems or any(tally.errors for tally in tallies.values())
        return 1 if failed else 0
    except KeyboardInterrupt:
        print("interrupted: stopping gunicorn and dropping the bench database", file=sys.stderr)
        return 130
    finally:
        STOP.set()
        if server is not None:
            gunicorn_stop(server)
        if not args.keep:
            database_drop()
            shutil.rmtree(scratch, ignore_errors=True)
        else:
            print(f"kept: database {BENCH_DB}, media and gunicorn.log in {scratch}")
        broker_purge()


if __name__ == "__main__":
    sys.exit(main())
