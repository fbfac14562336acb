"""The four faults. Each sends real traffic, breaks one process on purpose, lets the system recover
and returns one row of figures with the guarantees it found violated (none, when all is well)."""

import re
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime

import psycopg
import redis
from imap_tools import MailBoxUnencrypted

from tests.processes import wait_for

from . import ledger
from .gateway import PDF, Burst, Fax
from .stack import (
    APP_DSN,
    HOST,
    SWEEP_AFTER,
    SWEEP_EVERY,
    WORKER_APPLICATION,
    Stack,
    postgres_restart,
)

REDIS_DOWN_SECONDS = 30
# Two sweep intervals, the guarantee after an outage, plus what it takes to wait for it.
ROUTED_WITHIN = 2 * SWEEP_EVERY
WAIT_MARGIN = 45
# After a worker is killed, every notice is sent within this many seconds of it being back.
NOTICE_WITHIN = 60
# How long the mail server holds a recipient while the worker's pool is killed (seconds).
POOL_KILL_HOLD = 5.0


@dataclass
class Row:
    fault: str
    sent: int = 0
    accepted: int = 0
    routed: int = 0
    duplicates: int = 0
    worst: float | None = None  # seconds from accepted (logged_at) to routed (routed_at)
    retried: int = 0  # posts the gateway had to repeat
    notes: list[str] = field(default_factory=list)
    violations: list[str] = field(default_factory=list)


def _answers(faxes: list[Fax]) -> str:
    counts = Counter(
        "no answer" if attempt.status == 0 else str(attempt.status)
        for fax in faxes
        for attempt in fax.attempts
    )
    return ", ".join(f"{status} x{count}" for status, count in sorted(counts.items()))


def _tally(row: Row, stack: Stack, source: str, prefix: str, expected: int) -> list:
    """The figures and checks every fault shares: each accepted item is in the inbox once and
    announced once, nothing is half-written, nothing doubled. Returns the deliveries."""
    rows = ledger.deliveries(source, prefix)
    notices = ledger.notices_per_delivery(stack.sink)
    extra_deliveries = ledger.extra_deliveries_per_external_id(source, prefix)
    extra_entries = sum(max(0, r.inbox_entries - 1) for r in rows)
    extra_notices = sum(max(0, notices[r.id] - 1) for r in rows)
    row.routed = sum(1 for r in rows if r.routed)
    row.duplicates = extra_deliveries + extra_entries + extra_notices
    times = [r.accept_to_route for r in rows if r.routed]
    row.worst = max(times) if times else None
    if len(rows) < expected:
        row.violations.append(f"{expected - len(rows)} accepted items have no delivery (lost)")
    if row.routed < len(rows):
        row.violations.append(f"{len(rows) - row.routed} deliveries never reached the inbox")
    unannounced = sum(1 for r in rows if notices[r.id] == 0)
    if unannounced:
        row.violations.append(f"{unannounced} deliveries were never announced by email")
    for what, extra, ids in (
        ("deliveries for one external id", extra_deliveries, []),
        ("inbox entries", extra_entries, [r.id for r in rows if r.inbox_entries > 1]),
        ("notices", extra_notices, [r.id for r in rows if notices[r.id] > 1]),
    ):
        if extra:
            which = f" (deliveries {', '.join(map(str, ids))})" if ids else ""
            row.violations.append(f"{extra} extra {what}{which}")
    for problem in ledger.half_written()[:5]:
        row.violations.append(f"half-written: {problem}")
    missing = ledger.documents_not_on_disk(stack.media)
    if missing:
        row.violations.append(f"{missing} documents missing or incomplete on disk")
    return rows


def _gateway_tally(row: Row, stack: Stack, burst: Burst) -> list:
    faxes = burst.done
    accepted = [fax for fax in faxes if fax.accepted]
    row.sent, row.accepted = burst.count, len(accepted)
    row.retried = sum(fax.retries for fax in faxes)
    if len(faxes) < burst.count or len(accepted) < burst.count:
        row.violations.append(f"{burst.count - len(accepted)} faxes never accepted by the API")
    rows = _tally(row, stack, "gateway", burst.prefix, len(accepted))
    by_gateway_id = {r.external_id: r.id for r in rows}
    wrong = [fax for fax in accepted if by_gateway_id.get(fax.gateway_id) != fax.delivery_id]
    if wrong:
        row.violations.append(f"{len(wrong)} answers name a delivery the database does not have")
    return rows


def _wait_routed(stack: Stack, burst: Burst, timeout: float) -> None:
    if not burst.wait(timeout=180):
        raise TimeoutError(f"the gateway burst {burst.prefix} did not finish within 180 s")
    expected = sum(1 for fax in burst.done if fax.accepted)
    ledger.wait_until_routed("gateway", burst.prefix, expected, stack.sink, timeout)


def redis_outage(stack: Stack) -> Row:
    """a. Redis stopped for 30 s mid-burst: every fax is still answered 201, and all are routed
    within two sweep intervals of Redis being back (the messages it held are gone with it)."""
    row = Row(f"a. Redis stopped {REDIS_DOWN_SECONDS} s")
    burst = Burst(stack.port, stack.token, "faults-a", count=160, rate=4).start()
    time.sleep(6)
    stack.redis.stop()
    down = time.time()
    time.sleep(REDIS_DOWN_SECONDS)
    stack.redis.start()
    back = time.time()
    _wait_routed(stack, burst, timeout=ROUTED_WITHIN + WAIT_MARGIN)
    rows = _gateway_tally(row, stack, burst)
    refused = [fax for fax in burst.done if [a.status for a in fax.attempts] != [201]]
    if refused:
        row.violations.append(
            f"{len(refused)} faxes were not answered 201 at once ({_answers(refused)})"
        )
    late = [
        r
        for r in rows
        if r.routed_at is None
        or r.routed_at.timestamp() > max(back, r.logged_at.timestamp()) + ROUTED_WITHIN
    ]
    if late:
        row.violations.append(
            f"{len(late)} deliveries not routed within {ROUTED_WITHIN} s (two sweeps) of Redis being back"
        )
    last = max((r.routed_at.timestamp() for r in rows if r.routed_at), default=back)
    while_down = sum(1 for r in rows if down <= r.logged_at.timestamp() < back)
    row.notes.append(
        f"Redis (in memory: its queue went with it) down {back - down:.0f} s, {while_down} faxes "
        f"accepted meanwhile; the last delivery was routed {last - back:.1f} s after it was back "
        f"(limit: two sweeps, {ROUTED_WITHIN} s); answers: {_answers(burst.done)}"
    )
    return row


# Statements of detainers.intake.routing.delivery_route, after which its transaction is still open.
ROUTING_STATEMENTS = (
    'UPDATE "detainers_delivery" SET "routed_at"',
    'INSERT INTO "detainers_inboxentry"',
)


def _wait_for_worker(statements: tuple[str, ...], also, timeout: float) -> str:
    """Until a worker connection sits inside a transaction after one of `statements` (any, if
    empty) while `also()` holds; returns that statement. Polled every millisecond."""
    sql = (
        "SELECT query FROM pg_stat_activity"
        " WHERE application_name = %s AND state = 'idle in transaction'"
    )
    with psycopg.connect(APP_DSN, autocommit=True) as watcher:

        def caught() -> str:
            for (query,) in watcher.execute(sql, (WORKER_APPLICATION,)).fetchall():
                if (not statements or query.lstrip().startswith(statements)) and also():
                    return query
            return ""

        return wait_for(caught, timeout, 0.001, "the worker inside a transaction")


def _statement(sql: str) -> str:
    """`UPDATE detainers_delivery`: what a statement does and to which table, not its values."""
    found = re.match(r'\s*UPDATE\s+"?(\w+)"?\s+SET\s+"?(\w+)', sql, flags=re.I)
    if found:
        return f"UPDATE {found.group(1)} SET {found.group(2)}"  # noqa: S608 - a label, not SQL
    # A long column list may be cut off before FROM (track_activity_query_size): then the table
    # is the one its first column is read from.
    found = re.search(r'\b(?:FROM|INTO)\s+"?(\w+)', sql, flags=re.I) or re.search(r'"(\w+)"\.', sql)
    verb = sql.split(None, 1)[0].upper() if sql.strip() else "?"
    return f"{verb} {found.group(1)}" if found else verb


def _claimed_unsent(prefix: str) -> int:
    """Deliveries whose notice a worker claimed and has not (yet) recorded as sent."""
    [(count,)] = ledger.query(
        "SELECT count(*) FROM detainers_delivery WHERE source = 'gateway' AND external_id LIKE %s"
        " AND notice_claimed_at IS NOT NULL AND notice_sent_at IS NULL",
        f"{prefix}%",
    )
    return count


def _announced_late(rows: list, since: float) -> list:
    """Deliveries not announced within NOTICE_WITHIN s of `since` (or of their own acceptance,
    if later); one never announced is late too."""
    return [
        r
        for r in rows
        if r.notice_sent_at is None
        or r.notice_sent_at.timestamp() > max(since, r.logged_at.timestamp()) + NOTICE_WITHIN
    ]


def _last_notice_after(rows: list, since: float) -> str:
    sent = [r.notice_sent_at.timestamp() for r in rows if r.notice_sent_at]
    return f"{max(sent) - since:.1f} s" if sent else "never"


def worker_killed(stack: Stack) -> list[Row]:
    """b. The worker killed while it routes, twice: its whole process group, and then only its
    pool processes while one of them sends a notice. See the two functions below."""
    return [
        worker_group_killed(stack),
        worker_pool_killed(stack),
        worker_group_killed_mid_notice(stack),
    ]


def worker_group_killed(stack: Stack) -> Row:
    """The worker killed with SIGKILL while it routes: nothing lost, nothing in the inbox or
    announced twice, every notice sent within NOTICE_WITHIN s of a new worker being ready. The
    kill is timed to land inside one of its routing transactions; the tasks it held stay
    unacknowledged in Redis (handed out again only after visibility_timeout), and the sweep routes
    what they had not finished. A notice the dead worker had claimed but not sent (the kill lands
    so now and then) is freed by the new worker as it starts under the same name
    (tasks.notice_claims_of_a_dead_run_release), and the sweep sends it."""
    row = Row("b. worker killed (SIGKILL)")
    broker = redis.Redis(host=HOST, port=stack.redis.port, socket_timeout=5)
    burst = Burst(stack.port, stack.token, "faults-b", count=120, rate=12).start()
    wait_for(
        lambda: sum(1 for r in ledger.deliveries("gateway", "faults-b") if r.routed) >= 20,
        30,
        0.1,
        "the worker routing the burst",
    )
    try:
        caught = _wait_for_worker(ROUTING_STATEMENTS, lambda: True, 30)
    except TimeoutError:
        caught = ""
        row.violations.append("the worker was never caught routing: the kill tested nothing")
    stack.worker.kill()
    in_hand = broker.hlen("unacked")
    claimed = _claimed_unsent("faults-b")
    started = stack.worker_start()
    back = time.time()
    _wait_routed(stack, burst, timeout=SWEEP_AFTER + SWEEP_EVERY + WAIT_MARGIN)
    rows = _gateway_tally(row, stack, burst)
    refused = [fax for fax in burst.done if [a.status for a in fax.attempts] != [201]]
    if refused:
        row.violations.append(
            f"{len(refused)} faxes not answered 201 at once ({_answers(refused)})"
        )
    late = _announced_late(rows, back)
    if late:
        row.violations.append(
            f"{len(late)} deliveries not announced within {NOTICE_WITHIN} s of the new worker "
            f"being ready ({claimed} notices were claimed, unsent, when the worker died)"
        )
    row.notes.append(
        f"worker group killed inside a transaction (its last statement: {_statement(caught)}), "
        f"holding {in_hand} unacknowledged task(s) and {claimed} claimed, unsent notice(s); a new "
        f"worker was ready {started:.1f} s later; the last notice was sent "
        f"{_last_notice_after(rows, back)} after that (limit {NOTICE_WITHIN} s)"
    )
    return row


def worker_pool_killed(stack: Stack) -> Row:
    """The worker's pool processes killed with SIGKILL (as the OOM killer does) while one of them
    sends a notice: it has claimed it and the mail server holds its recipient, so nothing was sent.
    The worker's main process lives on and hands the tasks out again with the same ids
    (acks_late, reject_on_worker_lost); the task that claimed the notice takes its claim back and
    sends it, within NOTICE_WITHIN s of the kill, and once."""
    row = Row("b. worker pool killed")
    stack.sink.hold = POOL_KILL_HOLD
    try:
        burst = Burst(stack.port, stack.token, "faults-pool", count=8, rate=2).start()
        wait_for(lambda: stack.sink.held > 0, 30, 0.001, "a notice held by the mail server")
        killed = stack.worker.kill_children()
        at = time.time()
        claimed = _claimed_unsent("faults-pool")
    finally:
        stack.sink.hold = 0.0
    if not claimed:
        row.violations.append("no notice was claimed and unsent at the kill: it tested nothing")
    _wait_routed(stack, burst, timeout=NOTICE_WITHIN + WAIT_MARGIN)
    rows = _gateway_tally(row, stack, burst)
    late = _announced_late(rows, at)
    if late:
        row.violations.append(
            f"{len(late)} deliveries not announced within {NOTICE_WITHIN} s of the kill"
        )
    if not stack.worker.running:
        row.violations.append("the worker's main process died with its pool")
    row.notes.append(
        f"pool processes {', '.join(map(str, killed)) or 'none'} killed while the mail server held "
        f"a recipient, with {claimed} claimed, unsent notice(s); the last notice was sent "
        f"{_last_notice_after(rows, at)} after the kill (limit {NOTICE_WITHIN} s)"
    )
    return row


def worker_group_killed_mid_notice(stack: Stack) -> Row:
    """The whole worker killed with SIGKILL while one of its processes sends a notice (claimed, its
    recipient held by the mail server, nothing sent). Its tasks come back only after the broker's
    visibility timeout, an hour; the new worker, started under the same name as a restarted
    container is, frees the dead run's claims before it takes a task, and the sweep sends them:
    every notice within NOTICE_WITHIN s of the new worker being ready, and once."""
    row = Row("b. worker killed mid-notice")
    stack.sink.hold = POOL_KILL_HOLD
    try:
        burst = Burst(stack.port, stack.token, "faults-mid", count=8, rate=2).start()
        wait_for(lambda: stack.sink.held > 0, 30, 0.001, "a notice held by the mail server")
        stack.worker.kill()
        claimed = _claimed_unsent("faults-mid")
    finally:
        stack.sink.hold = 0.0
    if not claimed:
        row.violations.append("no notice was claimed and unsent at the kill: it tested nothing")
    started = stack.worker_start()
    back = time.time()
    _wait_routed(stack, burst, timeout=NOTICE_WITHIN + WAIT_MARGIN)
    rows = _gateway_tally(row, stack, burst)
    late = _announced_late(rows, back)
    if late:
        row.violations.append(
            f"{len(late)} deliveries not announced within {NOTICE_WITHIN} s of the new worker "
            "being ready"
        )
    row.notes.append(
        f"worker group killed while the mail server held a recipient, with {claimed} claimed, "
        f"unsent notice(s); a new worker under the same name was ready {started:.1f} s later; the "
        f"last notice was sent {_last_notice_after(rows, back)} after that (limit {NOTICE_WITHIN} s)"
    )
    return row


def postgres_restarted(stack: Stack) -> Row:
    """c. PostgreSQL restarted mid-burst: each post is answered 200/201 or 503 with Retry-After,
    nothing is half-written, and posting the same gateway_id again gives the same delivery."""
    row = Row("c. PostgreSQL restarted")
    burst = Burst(stack.port, stack.token, "faults-c", count=100, rate=8, repeat_every=4).start()
    time.sleep(3)
    # The mail relay turns slow (1 s an answer), and PostgreSQL is restarted the moment a worker
    # waits for it inside a transaction, if it ever does (else 3 s later): a notice the relay
    # accepted must then not be sent again because its transaction was lost.
    stack.sink.delay = 1.0
    try:
        caught = _wait_for_worker((), lambda: stack.sink.sending > 0, 3)
    except TimeoutError:
        caught = ""
    took = postgres_restart()
    stack.sink.delay = 0.0
    _wait_routed(stack, burst, timeout=WAIT_MARGIN + 30)
    _gateway_tally(row, stack, burst)
    unclear = [
        attempt
        for fax in burst.done
        for attempt in [*fax.attempts, *([fax.repeat] if fax.repeat else [])]
        if attempt.status not in (200, 201) and not (attempt.status == 503 and attempt.retry_after)
    ]
    if unclear:
        statuses = Counter(attempt.status or "no answer" for attempt in unclear)
        row.violations.append(
            f"answers that are neither success nor 503 + Retry-After: {dict(statuses)}"
        )
    repeated = [fax for fax in burst.done if fax.accepted and fax.repeat is not None]
    not_the_same = [
        fax
        for fax in repeated
        if fax.repeat.status != 200 or fax.repeat_delivery_id != fax.delivery_id
    ]
    if not_the_same:
        row.violations.append(
            f"{len(not_the_same)} repeated posts did not return the first delivery"
        )
    orphans = ledger.files_without_a_row(stack.media)
    during = (
        f"while a notice was being sent and a worker sat in a transaction (after {_statement(caught)})"
        if caught
        else "(no worker was seen in a transaction while a notice was being sent)"
    )
    row.notes.append(
        f"PostgreSQL restarted {during}, answered again {took:.1f} s after the restart began; "
        f"answers: {_answers(burst.done)}; "
        f"{len(repeated)} accepted faxes posted again: "
        f"{len(repeated) - len(not_the_same)} got the first delivery back (200); "
        f"{orphans} stored files left without a row by rolled-back posts"
    )
    return row


IMAP_MESSAGES = 80
IMAP_STOP_AFTER = 15  # messages recorded before the server is stopped


def _mail(number: int) -> bytes:
    message = EmailMessage()
    message["From"] = "ERO Boston <ero.boston@ice.dhs.gov>"
    message["To"] = "detainers@police.example.gov"
    message["Subject"] = "Detainer"
    message["Date"] = format_datetime(datetime.now().astimezone())
    message["Message-ID"] = f"<faults-d-{number:04d}@faults.example>"
    message.set_content("Please find the detainer attached.\n")
    message.add_attachment(PDF, maintype="application", subtype="pdf", filename="I-247A.pdf")
    return message.as_bytes(policy=message.policy.clone(linesep="\r\n"))


def _imap(stack: Stack) -> MailBoxUnencrypted:
    server = stack.dovecot
    return MailBoxUnencrypted(HOST, server.port, timeout=10).login(
        server.USER, server.PASSWORD, initial_folder=None
    )


def _folder_counts(stack: Stack) -> dict[str, int]:
    with _imap(stack) as box:
        return {
            name: box.folder.status(name)["MESSAGES"] if box.folder.exists(name) else 0
            for name in ("INBOX", "Processed", "Quarantine")
        }


def _processed_message_ids(stack: Stack) -> Counter:
    with _imap(stack) as box:
        box.folder.set("Processed")
        return Counter(
            message.headers.get("message-id", ("",))[0].strip()
            for message in box.fetch(headers_only=True, mark_seen=False, bulk=True)
        )


def imap_stopped(stack: Stack) -> Row:
    """d. The IMAP server stopped mid-ingest, started again, read again: every message is one
    delivery, the INBOX is empty and Processed holds each message once."""
    row = Row("d. IMAP server stopped", sent=IMAP_MESSAGES)
    if not stack.dovecot.available:
        row.violations.append(
            "Dovecot is not installed or its mail user is missing (scripts/dovecot/install.sh)"
        )
        return row
    stack.dovecot.start()
    with _imap(stack) as box:
        for number in range(IMAP_MESSAGES):
            box.append(_mail(number), "INBOX")
    env = {**stack.env, "CENTRAL_MAILBOX_URL": stack.dovecot.url()}
    first = stack.manage_start("ingest_mailbox", "--once", env=env)
    recorded = lambda: ledger.query("SELECT count(*) FROM detainers_mailmessage")[0][0]  # noqa: E731
    wait_for(lambda: first.poll() is not None or recorded() >= IMAP_STOP_AFTER, 90, 0.01,
                    "the ingest under way")  # fmt: skip
    stack.dovecot.stop()
    at_stop = recorded()
    first_exit = first.wait(60)
    after_first = recorded()
    stack.dovecot.start()
    second = stack.manage_run("ingest_mailbox", "--once", env=env)
    if first_exit == 0 and at_stop >= IMAP_MESSAGES:
        row.violations.append(
            "the first read finished before the server was stopped: no fault injected"
        )
    if second.returncode != 0:
        row.violations.append(f"the second read failed: {second.stderr.strip()[-300:]}")
    ledger.wait_until_routed("mailbox", "", IMAP_MESSAGES, stack.sink, WAIT_MARGIN)
    rows = _tally(row, stack, "mailbox", "", IMAP_MESSAGES)
    row.accepted = len(rows)
    folders = _folder_counts(stack)
    if folders != {"INBOX": 0, "Processed": IMAP_MESSAGES, "Quarantine": 0}:
        row.violations.append(f"server folders are {folders}, not all {IMAP_MESSAGES} in Processed")
    expected_ids = {f"<faults-d-{number:04d}@faults.example>" for number in range(IMAP_MESSAGES)}
    on_server = _processed_message_ids(stack)
    if set(on_server) != expected_ids or any(count != 1 for count in on_server.values()):
        row.violations.append("Processed does not hold each message exactly once")
    [(copies, distinct)] = ledger.query(
        "SELECT count(*), count(DISTINCT message_id) FROM detainers_mailmessage"
    )
    if copies != distinct or distinct != IMAP_MESSAGES:
        row.violations.append(f"{copies} mail copies recorded for {distinct} Message-IDs")
    if {r.external_id for r in rows} != expected_ids:
        row.violations.append("the deliveries' Message-IDs are not the messages sent")
    row.notes.append(
        f"Dovecot stopped with {at_stop} of {IMAP_MESSAGES} messages recorded; the first read "
        f"recorded {after_first} and exited {first_exit}; the second: {second.stdout.strip()}"
    )
    return row
