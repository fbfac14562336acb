"""bench/mailbox: messages per second of the central-mailbox ingester against a bare loop.

    .venv/bin/python bench/mailbox/run.py [--messages 10000] [--rounds 5] [--readers 2]
        [--seconds 900] [--keep]

One command: it starts a throwaway Dovecot (tests/processes.py, config from
scripts/dovecot/), creates a fresh PostgreSQL database (detainers_bench_mailbox, through the role
`detainers`, which may create databases), migrates it, and appends N messages (a short
text and a one-page PDF each, distinct Message-IDs) for each of four loops, split into rounds.
Each round runs the loops one after the other on its own folders, so that a machine that slows
down for a while slows them all (these VMs' disks and CPUs drift by 2x within minutes):

- bare: imap-tools fetches the round's folder `Bare<r>` (50 messages per FETCH, like the
  ingester), parses each message (imap-tools' own parse) and inserts one row per message,
  committed 50 at a time (the ingester's commit, so that the ratio does not measure the disk's
  fsync). No file stored, nothing moved, no duplicate checks.
- kept: the bare loop on `Kept<r>`, plus the two promises the issue makes of any reader:
  each message's bytes written to a file first, and every 50 committed moved with one MOVE.
- ingest: `mailbox_ingest()` reads `Ingest<r>` as the beat task reads INBOX with
  MAILBOX_READERS=2 (docker-compose.yml; --readers): two processes side by side, as the worker
  pool runs them, each on its share of the UIDs. Raw message, PDF and text stored as documents,
  one request per form, identities recorded, routing enqueued to Redis (db 12, no worker), every
  message moved to Processed.
- one reader: the same with MAILBOX_READERS=1, on `Single<r>`.

It prints the rates over all rounds, the ratio of ingest to bare (the issue's aim: >= 0.5), to kept
and of one reader to bare, each with its lowest and highest round's, and checks that every ingest
folder is empty, Processed holds what was read, and as many deliveries and requests exist. Then it
drops the database, empties Redis db 12 and removes Dovecot's folder, whatever happened (--keep
leaves the database and the documents).
Exit status 1 when a check fails; a missed aim is reported, not failed.
"""

import argparse
import hashlib
import itertools
import multiprocessing
import os
import shutil
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
BENCH_DB = "detainers_bench_mailbox"
SERVER_DSN = "host=127.0.0.1 port=5432 user=detainers password=detainers dbname=postgres"
BROKER_URL = "redis://127.0.0.1:6379/12"
AIM = 0.5
CHUNK = 50  # messages per FETCH and per commit, as detainers.mailbox.imap reads them


def main() -> int:
    options = _arguments()
    media = Path(tempfile.mkdtemp(prefix="bench-mailbox-media-"))
    _environment(media)
    _database("create")
    from tests.processes import Dovecot

    dovecot = Dovecot()
    try:
        if not dovecot.available:
            print("Dovecot is not installed: run scripts/dovecot/install.sh first.")
            return 1
        dovecot.start()
        return _run(options, dovecot, media)
    finally:
        dovecot.remove()
        _flush_broker()
        if options.keep:
            print(f"kept: database {BENCH_DB}, documents in {media}")
        else:
            _database("drop")
            shutil.rmtree(media, ignore_errors=True)


def _arguments():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=10_000, help="messages per loop (10000)")
    parser.add_argument("--rounds", type=int, default=5, help="rounds the loops alternate in (5)")
    parser.add_argument(
        "--readers", type=int, default=2, help="MAILBOX_READERS, as docker-compose.yml sets it (2)"
    )
    parser.add_argument(
        "--seconds", type=float, default=900, help="time cap for each loop, all rounds (900)"
    )
    parser.add_argument("--keep", action="store_true", help="leave the database and documents")
    return parser.parse_args()


def _environment(media: Path) -> None:
    os.environ.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        DJANGO_DEBUG="False",  # production settings: no query log, real broker
        DJANGO_SECRET_KEY="bench-mailbox-" + "x" * 40,
        DATABASE_URL=f"postgres://detainers:detainers@127.0.0.1:5432/{BENCH_DB}",
        CELERY_BROKER_URL=BROKER_URL,
        MEDIA_ROOT=str(media),
        LOG_LEVEL="WARNING",
    )


def _database(action: str) -> None:
    import psycopg

    with psycopg.connect(SERVER_DSN, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{BENCH_DB}" WITH (FORCE)')
        if action == "create":
            connection.execute(f'CREATE DATABASE "{BENCH_DB}"')


def _flush_broker() -> None:
    try:
        import redis

        redis.Redis.from_url(BROKER_URL).flushdb()
    except Exception as error:  # noqa: BLE001 - a missing Redis has nothing to flush
        print(f"(Redis db 12 not emptied: {type(error).__name__})")


def _messages(count: int, prefix: str) -> list[bytes]:
    from tests.factories import pdf_bytes

    pdf = pdf_bytes(pages=1)
    sent = format_datetime(__import__("datetime").datetime.now().astimezone())
    messages = []
    for n in range(count):
        message = EmailMessage()
        message["From"] = "ERO Boston <ero.boston@ice.dhs.gov>"
        message["To"] = "detainers@police.example.gov"
        message["Subject"] = f"Detainer {n}"
        message["Date"] = sent
        message["Message-ID"] = f"<{prefix}-{n}@bench.example>"
        message.set_content("Detainer attached.\n")
        message.add_attachment(pdf, maintype="application", subtype="pdf", filename="I-247A.pdf")
        messages.append(message.as_bytes(policy=message.policy.clone(linesep="\r\n")))
    return messages


def _append(dovecot, folder: str, messages: list[bytes]) -> None:
    from imap_tools import MailBoxUnencrypted

    with MailBoxUnencrypted("127.0.0.1", dovecot.port).login(
        dovecot.USER, dovecot.PASSWORD, initial_folder=None
    ) as box:
        if not box.folder.exists(folder):
            box.folder.create(folder)
        for raw in messages:
            box.client.append(folder, None, None, raw)


def _loop(
    dovecot, seconds: float, *, folder: str, table: str, keep_in: Path | None = None
) -> tuple[int, float]:
    """Fetch with imap-tools, parse, insert one row per message: the least an ingester could do.
    Like the ingester, 50 messages per FETCH and per commit.

    With `keep_in`, also the two promises the issue makes of any reader: each message's bytes kept
    in a file before anything else (store first), and every message committed moved to another
    folder (never delete), one MOVE per 50: the least an ingester that keeps its promises could do."""
    from django.db import connection, transaction
    from imap_tools import MailBoxUnencrypted

    started, done = time.perf_counter(), 0
    with MailBoxUnencrypted("127.0.0.1", dovecot.port).login(
        dovecot.USER, dovecot.PASSWORD, initial_folder=folder
    ) as box:
        if keep_in:
            box.folder.create(f"{folder}Done")
        messages = box.fetch(mark_seen=False, bulk=CHUNK)
        while group := list(itertools.islice(messages, CHUNK)):
            with transaction.atomic(), connection.cursor() as cursor:
                for message in group:
                    cursor.execute(
                        f"INSERT INTO {table} VALUES (%s, %s, %s, %s, %s, %s)",  # noqa: S608 - ours
                        _row(message, keep_in),
                    )
            if keep_in:
                box.move([message.uid for message in group], f"{folder}Done")
            done += len(group)
            if time.perf_counter() - started > seconds:
                break
    return done, time.perf_counter() - started


def _row(message, keep_in: Path | None) -> list:
    """A message's row; with `keep_in` its bytes are written to a file first."""
    raw = bytes(message.obj)
    path = ""
    if keep_in:
        path = str(keep_in / hashlib.sha256(raw).hexdigest())
        Path(path).write_bytes(raw)
    attachment = next(iter(message.attachments), None)
    return [
        message.headers.get("message-id", ("",))[0],
        message.from_,
        message.date,
        hashlib.sha256(attachment.payload).hexdigest() if attachment else "",
        len(raw),
        path,
    ]


def _ingest(dovecot, seconds: float, folder: str, readers: int) -> tuple[int, float, str]:
    """`mailbox_ingest()` as the beat task runs it: with several readers, one process each, side
    by side (in production, the worker pool's processes), each on its share of the UIDs."""
    from django.db import connections

    url = dovecot.url(folder=folder)
    started = time.perf_counter()
    if readers == 1:
        ingested, error = _reader((url, seconds, 0, 1))
        return ingested, time.perf_counter() - started, error
    connections.close_all()  # each reader opens its own
    with ProcessPoolExecutor(readers, mp_context=multiprocessing.get_context("fork")) as pool:
        parts = list(pool.map(_reader, [(url, seconds, part, readers) for part in range(readers)]))
    errors = "; ".join(error for _, error in parts if error)
    return sum(ingested for ingested, _ in parts), time.perf_counter() - started, errors


def _reader(arguments) -> tuple[int, str]:
    from django.db import connections

    from detainers.mailbox import mailbox_ingest

    url, seconds, part, parts = arguments
    try:
        summary = mailbox_ingest(url=url, time_budget=seconds, part=part, parts=parts)
        return summary.ingested, summary.error
    finally:
        connections.close_all()


# Each loop's folder prefix; "one reader" is the reader alone (MAILBOX_READERS=1), for comparison.
LOOPS = {"bare": "Bare", "kept": "Kept", "ingest": "Ingest", "one reader": "Single"}


def _run(options, dovecot, media: Path) -> int:
    import django
    from django.core.management import call_command
    from django.db import connection

    django.setup()
    call_command("migrate", verbosity=0)
    count, rounds = options.messages, max(1, min(options.rounds, options.messages))
    sizes = [count // rounds + (r < count % rounds) for r in range(rounds)]
    print(f"appending {count} messages (one-page PDF each) for each loop ...", flush=True)
    for r, size in enumerate(sizes):
        for folder in LOOPS.values():
            _append(dovecot, f"{folder}{r}", _messages(size, f"{folder}{r}"))
    for table in ("bench_bare", "bench_kept"):
        with connection.cursor() as cursor:
            cursor.execute(
                f"CREATE TABLE {table} (message_id text, from_address text, sent_at timestamptz,"
                " attachment_sha256 text, size integer, path text)"
            )
    (media / "kept").mkdir(parents=True)
    cap = options.seconds / rounds
    done = {loop: [0, 0.0] for loop in LOOPS}  # messages, seconds
    rates, errors = [], []
    for r in range(rounds):
        bare = _loop(dovecot, cap, folder=f"Bare{r}", table="bench_bare")
        kept = _loop(dovecot, cap, folder=f"Kept{r}", table="bench_kept", keep_in=media / "kept")
        *ingest, error = _ingest(dovecot, cap, f"Ingest{r}", options.readers)
        *single, single_error = _ingest(dovecot, cap, f"Single{r}", 1)
        measured = (bare, kept, ingest, single)
        rates.append([n / seconds for n, seconds in measured])
        for loop, (n, seconds) in zip(LOOPS, measured, strict=True):
            done[loop][0] += n
            done[loop][1] += seconds
        errors = [problem for problem in (error, single_error) if problem]
        if errors:
            break
    rate = {loop: n / seconds for loop, (n, seconds) in done.items()}
    print(f"{'loop':<12}{'messages':>10}{'seconds':>10}{'msg/s':>10}   ({len(rates)} rounds)")
    for loop, (n, seconds) in done.items():
        label = f"ingest x{options.readers}" if loop == "ingest" else loop
        print(f"{label:<12}{n:>10}{seconds:>10.1f}{rate[loop]:>10.1f}")
    verdict = "PASS" if rate["ingest"] / rate["bare"] >= AIM else "MISS"
    for loop, against, note in (
        ("ingest", "bare", f"aim >= {AIM}   {verdict}"),
        ("ingest", "kept", "(kept: bare + raw bytes in a file + moved)"),
        ("one reader", "bare", "(MAILBOX_READERS=1)"),
    ):
        a, b = list(LOOPS).index(loop), list(LOOPS).index(against)
        spread = sorted(round_[a] / round_[b] for round_ in rates)
        print(
            f"ratio {loop}/{against}: {rate[loop] / rate[against]:.2f}"
            f"   rounds {spread[0]:.2f}-{spread[-1]:.2f}   {note}"
        )
    return _check(dovecot, sizes[: len(rates)], done, "; ".join(errors))


def _check(dovecot, sizes: list[int], done: dict, error: str) -> int:
    from imap_tools import MailBoxUnencrypted

    from detainers.models import Delivery, DetainerRequest

    read = done["ingest"][0] + done["one reader"][0]
    with MailBoxUnencrypted("127.0.0.1", dovecot.port).login(
        dovecot.USER, dovecot.PASSWORD, initial_folder=None
    ) as box:
        left = sum(
            box.folder.status(f"{folder}{r}")["MESSAGES"]
            for folder in ("Ingest", "Single")
            for r in range(len(sizes))
        )
        processed = box.folder.status("Processed")["MESSAGES"]
    deliveries, requests = Delivery.objects.count(), DetainerRequest.objects.count()
    problems = [
        f"the ingester stopped: {error}" if error else "",
        f"{left} left in the ingest folders" if read == 2 * sum(sizes) and left else "",
        f"Processed holds {processed}, not {read}" if processed != read else "",
        f"{deliveries} deliveries, {requests} requests for {read}"
        if not deliveries == requests == read
        else "",
    ]
    problems = [problem for problem in problems if problem]
    print("check: " + ("; ".join(problems) if problems else f"{read} deliveries, each once"))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
