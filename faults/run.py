"""The fault suite: break Redis, the worker, PostgreSQL and the IMAP server on purpose, under real
traffic, and check that nothing accepted is lost, doubled or half-written.

    .venv/bin/python faults/run.py [--only abcd]      (make test-faults)

It starts, as real processes on 127.0.0.1 with free ports, a redis-server, an SMTP sink and a
Dovecot of its own, gunicorn (DEBUG off), a Celery worker and beat, against a fresh PostgreSQL
database `detainers_faults` on the machine's cluster (superuser postgres), and then:

  a. stops Redis for 30 s in the middle of a burst of faxes posted to /api/v1/faxes/;
  b. kills the worker's process group with SIGKILL while it routes, and starts a new worker; then
     kills only its pool processes while one of them sends a notice (two rows);
  c. restarts the machine's PostgreSQL once (pg_ctlcluster) in the middle of a burst;
  d. stops Dovecot while `manage.py ingest_mailbox --once` reads, starts it, and reads again.

It prints one row per fault (accepted, routed, duplicates, worst accept-to-route time) and exits 1
if any guarantee was violated, naming it. Every wait has a timeout and the whole run is stopped
after MAX_SECONDS; processes are stopped and the database dropped whatever happens.
"""

import argparse
import shutil
import signal
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from faults import scenarios  # noqa: E402
from faults.stack import DATABASE, SWEEP_AFTER, SWEEP_EVERY, Stack  # noqa: E402

MAX_SECONDS = 600
FAULTS = {
    "a": scenarios.redis_outage,
    "b": scenarios.worker_killed,
    "c": scenarios.postgres_restarted,
    "d": scenarios.imap_stopped,
}
COLUMNS = (
    "fault",
    "sent",
    "accepted",
    "routed",
    "duplicates",
    "worst accept-to-route",
    "retried posts",
)


class OutOfTime(Exception):
    pass


def _out_of_time(signum, frame):
    raise OutOfTime(f"the suite ran longer than {MAX_SECONDS} s")


def table(rows: list[scenarios.Row]) -> str:
    lines = [f"{COLUMNS[0]:<28}{COLUMNS[1]:>6}{COLUMNS[2]:>10}{COLUMNS[3]:>8}{COLUMNS[4]:>12}"
             f"{COLUMNS[5]:>23}{COLUMNS[6]:>15}"]  # fmt: skip
    for row in rows:
        worst = f"{row.worst:.2f} s" if row.worst is not None else "-"
        lines.append(
            f"{row.fault:<28}{row.sent:>6}{row.accepted:>10}{row.routed:>8}{row.duplicates:>12}"
            f"{worst:>23}{row.retried:>15}"
        )
    return "\n".join(lines)


def run_fault(letter: str, stack: Stack) -> list[scenarios.Row]:
    """The fault's row (or rows: b breaks the worker twice, one row each)."""
    started, moment = time.monotonic(), time.time()
    try:
        found = FAULTS[letter](stack)
        rows = found if isinstance(found, list) else [found]
    except OutOfTime:
        raise
    except Exception as error:  # noqa: BLE001 - a fault that cannot finish is a failed guarantee
        rows = [scenarios.Row(f"{letter}. {FAULTS[letter].__name__} (did not finish)")]
        rows[0].violations.append(f"{type(error).__name__}: {error}")
    for process_exit in stack.exits_since(moment):
        rows[-1].notes.append(
            f"{process_exit}; restarted, as compose's `restart: unless-stopped` would"
        )
    print(f"  {letter}. {FAULTS[letter].__name__}: done in {time.monotonic() - started:.0f} s",
          flush=True)  # fmt: skip
    return rows


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", default="abcd", help="which faults to run, e.g. --only ab")
    parser.add_argument("--keep", action="store_true", help="keep the logs folder afterwards")
    args = parser.parse_args(argv)
    letters = [letter for letter in "abcd" if letter in args.only]
    signal.signal(signal.SIGALRM, _out_of_time)
    signal.alarm(MAX_SECONDS)
    began = time.monotonic()
    scratch = Path(tempfile.mkdtemp(prefix="detainer-faults-"))
    stack = Stack(scratch)
    rows: list[scenarios.Row] = []
    try:
        stack.start()
        print(
            f"fault suite: gunicorn (3 sync workers, DEBUG off), celery worker (2 processes) and beat, "
            f"PostgreSQL {DATABASE}, private Redis, SMTP sink, "
            f"Dovecot; sweep every {SWEEP_EVERY} s for deliveries unrouted after {SWEEP_AFTER} s",
            flush=True,
        )
        for letter in letters:
            rows.extend(run_fault(letter, stack))
    except OutOfTime as error:
        rows.append(scenarios.Row("(suite stopped)", violations=[str(error)]))
    except Exception as error:  # noqa: BLE001 - the stack did not start: say why, fail
        rows.append(scenarios.Row("(set-up)", violations=[f"{type(error).__name__}: {error}"]))
    finally:
        signal.alarm(0)
        stack.close()
    print()
    print(table(rows))
    for row in rows:
        for note in row.notes:
            print(f"  {row.fault.split(' ', 1)[0]} {note}")
    violations = [(row.fault, violation) for row in rows for violation in row.violations]
    sys.stdout.flush()
    for fault, violation in violations:
        print(f"VIOLATED {fault}: {violation}", file=sys.stderr)
    sys.stderr.flush()
    print(f"{len(letters)} faults in {time.monotonic() - began:.0f} s: "
          + ("GUARANTEES VIOLATED" if violations else "every guarantee held"))  # fmt: skip
    if args.keep or violations:
        print(f"logs: {scratch}")
    else:
        shutil.rmtree(scratch, ignore_errors=True)
    return 1 if violations else 0


if __name__ == "__main__":
    sys.exit(main())
