"""bench/mailbox: messages per second of the central-mailbox ingester against a bare loop.

    .venv/bin/python bench/mailbox/run.py [--messages 10000] [--seconds 900] [--keep]

One command, in one process: it starts a throwaway Dovecot (tests/processes.py, config from
scripts/dovecot/), creates a fresh PostgreSQL database (detainers_bench_mailbox, through the role
`detainers`, which may create databases), migrates it, and appends the same N messages (a short
text and a one-page PDF each, distinct Message-IDs) to three folders. Then:

- bare: imap-tools fetches the folder `Bare` (50 messages per FETCH, like the ingester), parses
  each message (imap-tools' own parse) and inserts one row per message (autocommit, as each
  ingested message is its own commit). No file stored, nothing moved, no duplicate checks.
- kept: the bare loop on the folder `Kept`, plus the two promises the issue makes of any reader:
  each message's bytes written to a file first, and every message read moved (one MOVE per 50).
- ingest: `mailbox_ingest()` reads INBOX exactly as the beat task does: raw message, PDF and text
  stored as documents, one request per form, identities recorded, routing enqueued to Redis
  (db 12, no worker), every message moved to Processed.

It prints the three rates, the ratio to bare (the issue's aim: >= 0.5) and to kept, and checks
that INBOX is empty, Processed holds N, and N deliveries and N requests exist. Then it drops the database, empties Redis db 12 and removes
Dovecot's folder, whatever happened (--keep leaves the database and the documents).
Exit status 1 when a check fails; a missed aim is reported, not failed.
"""

import argparse
import hashlib
import os
import shutil
import sys
import tempfile
import time
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
BENCH_DB = "detainers_bench_mailbox"
SERVER_DSN = "host=127.0.0.1 port=5432 user=detainers password=detainers dbname=postgres"
BROKER_URL = "redis://127.0.0.1:6379/12"
AIM = 0.5


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
    parser.add_argument("--seconds", type=float, default=900, help="time cap for each loop (900)")
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
    dovecot, seconds: float, *, folder: str, keep_in: Path | None = None
) -> tuple[int, float]:
    """Fetch with imap-tools, parse, insert one row per message: the least an ingester could do.

    With `keep_in`, also the two promises the issue makes of any reader: each message's bytes kept
    in a file before anything else (store first), and every message read moved to another folder
    (never delete), one MOVE per 50: the least an ingester that keeps its promises could do."""
    from django.db import connection
    from imap_tools import MailBoxUnencrypted

    table = f"bench_{folder.lower()}"
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TABLE {table} (message_id text, from_address text, sent_at timestamptz,"
            " attachment_sha256 text, size integer, path text)"
        )
    if keep_in:
        keep_in.mkdir(parents=True, exist_ok=True)
    started, done, read = time.perf_counter(), 0, []
    with MailBoxUnencrypted("127.0.0.1", dovecot.port).login(
        dovecot.USER, dovecot.PASSWORD, initial_folder=folder
    ) as box:
        if keep_in:
            box.folder.create(f"{folder}Done")
        for message in box.fetch(mark_seen=False, bulk=50):
            raw = bytes(message.obj)
            path = ""
            if keep_in:
                path = str(keep_in / hashlib.sha256(raw).hexdigest())
                Path(path).write_bytes(raw)
            attachment = next(iter(message.attachments), None)
            with connection.cursor() as cursor:
                cursor.execute(
                    f"INSERT INTO {table} VALUES (%s, %s, %s, %s, %s, %s)",  # noqa: S608 - our name
                    [
                        message.headers.get("message-id", ("",))[0],
                        message.from_,
                        message.date,
                        hashlib.sha256(attachment.payload).hexdigest() if attachment else "",
                        len(raw),
                        path,
                    ],
                )
            done += 1
            if keep_in:
                read.append(message.uid)
                if len(read) == 50:
                    box.move(read, f"{folder}Done")
                    read = []
            if time.perf_counter() - started > seconds:
                break
        if read:
            box.move(read, f"{folder}Done")
    return done, time.perf_counter() - started


def _ingest(dovecot, seconds: float) -> tuple[int, float, str]:
    from detainers.mailbox import mailbox_ingest

    started = time.perf_counter()
    summary = mailbox_ingest(url=dovecot.url(), time_budget=seconds)
    return summary.ingested, time.perf_counter() - started, summary.error


def _run(options, dovecot, media: Path) -> int:
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)
    count = options.messages
    print(f"appending {count} messages (one-page PDF each) to three folders ...", flush=True)
    _append(dovecot, "Bare", _messages(count, "bare"))
    _append(dovecot, "Kept", _messages(count, "kept"))
    _append(dovecot, "INBOX", _messages(count, "ingest"))

    bare_done, bare_seconds = _loop(dovecot, options.seconds, folder="Bare")
    kept_done, kept_seconds = _loop(dovecot, options.seconds, folder="Kept", keep_in=media / "kept")
    ingested, ingest_seconds, error = _ingest(dovecot, options.seconds)
    bare_rate, ingest_rate = bare_done / bare_seconds, ingested / ingest_seconds
    kept_rate = kept_done / kept_seconds
    ratio = ingest_rate / bare_rate
    print(f"{'loop':<10}{'messages':>10}{'seconds':>10}{'msg/s':>10}")
    print(f"{'bare':<10}{bare_done:>10}{bare_seconds:>10.1f}{bare_rate:>10.1f}")
    print(f"{'kept':<10}{kept_done:>10}{kept_seconds:>10.1f}{kept_rate:>10.1f}")
    print(f"{'ingest':<10}{ingested:>10}{ingest_seconds:>10.1f}{ingest_rate:>10.1f}")
    verdict = "PASS" if ratio >= AIM else "MISS"
    print(f"ratio ingest/bare: {ratio:.2f}   aim >= {AIM}   {verdict}")
    print(
        f"ratio ingest/kept: {ingest_rate / kept_rate:.2f}   (kept: bare + raw bytes in a file + moved)"
    )
    return _check(dovecot, count, ingested, error)


def _check(dovecot, count: int, ingested: int, error: str) -> int:
    from imap_tools import MailBoxUnencrypted

    from detainers.models import Delivery, DetainerRequest

    with MailBoxUnencrypted("127.0.0.1", dovecot.port).login(
        dovecot.USER, dovecot.PASSWORD, initial_folder=None
    ) as box:
        inbox = box.folder.status("INBOX")["MESSAGES"]
        processed = box.folder.status("Processed")["MESSAGES"]
    deliveries, requests = Delivery.objects.count(), DetainerRequest.objects.count()
    problems = [
        f"the ingester stopped: {error}" if error else "",
        f"{inbox} left in INBOX" if ingested == count and inbox else "",
        f"Processed holds {processed}, not {ingested}" if processed != ingested else "",
        f"{deliveries} deliveries, {requests} requests for {ingested}"
        if not deliveries == requests == ingested
        else "",
    ]
    problems = [problem for problem in problems if problem]
    print("check: " + ("; ".join(problems) if problems else f"{ingested} deliveries, each once"))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
