"""The system under test, as real processes on 127.0.0.1, each of which a fault can stop or kill.

A redis-server, an SMTP sink and a Dovecot of the suite's own (tests/processes.py), a fresh
PostgreSQL database `detainers_faults` on the machine's cluster, and the app as production runs
it: gunicorn with sync workers, `celery -A config worker` and `celery -A config beat`, DEBUG off.
The sweep runs every SWEEP_EVERY seconds instead of every minute, so that the suite is quick.
"""

import asyncio
import os
import secrets
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

import psycopg

from tests.processes import Dovecot, RedisServer, SmtpSink, free_port, wait_for

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
HOST = "127.0.0.1"
DATABASE = "detainers_faults"
ADMIN_DSN = f"host={HOST} port=5432 user=postgres dbname=postgres connect_timeout=5"
APP_DSN = (
    f"host={HOST} port=5432 user=detainers password=detainers dbname={DATABASE} connect_timeout=5"
)
DATABASE_URL = f"postgres://detainers:detainers@{HOST}:5432/{DATABASE}"
# Shorter than production's 60 s and 30 s, so that the suite is quick; still longer than the ~12 s
# a Celery worker or beat may wait before reconnecting to a Redis that came back (kombu's back-off).
SWEEP_EVERY = 15  # seconds between sweeps
SWEEP_AFTER = 5  # a delivery unrouted this long is re-enqueued
PRECINCT_NUMBER = "+16175550133"
WORKER_APPLICATION = "faults-worker"

# Run by `manage.py shell -c`: precinct B-3 with its line, and the gateway account; prints its token.
FIXTURE = f"""
from datetime import datetime, timezone
from django.contrib.auth.models import Group
from accounts.access import Role
from accounts.models import User
from accounts.tokens import api_token_create
from precincts.models import Precinct
from precincts.services import fax_number_assign
precinct = Precinct.objects.create(code="B-3", name="Mattapan", neighbourhood="Mattapan")
fax_number_assign(precinct=precinct, number="{PRECINCT_NUMBER}",
                  active_from=datetime(2020, 1, 1, tzinfo=timezone.utc))
user = User.objects.create_user(username="faults-gateway")
user.groups.add(Group.objects.get(name=Role.GATEWAY.value))
print(api_token_create(user=user)[1])
"""


class MailServer(SmtpSink):
    """The SMTP sink, able to be as slow as a real relay: it answers each message `delay` seconds
    after receiving it, and `sending` says how many it holds unanswered right now.

    `hold` keeps each recipient (RCPT TO, before the message itself) that many seconds, and `held`
    says how many it keeps right now: a sender killed meanwhile has claimed its notice and sent
    nothing, since the message never reached this server."""

    def __init__(self):
        super().__init__()
        self.delay = 0.0
        self.sending = 0
        self.hold = 0.0
        self.held = 0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        self.held += 1
        try:
            await asyncio.sleep(self.hold)
        finally:
            self.held -= 1
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        self.sending += 1
        try:
            await asyncio.sleep(self.delay)
            return await super().handle_DATA(server, session, envelope)
        finally:
            self.sending -= 1


class Process:
    """One command in a process group of its own (so SIGKILL takes its children too), logged.

    Supervised, as docker-compose.yml's `restart: unless-stopped` does in production: if it exits
    without being told to, it is started again a second later, and the exit is kept in `exits`
    (with the log's last error line) for the fault's notes.
    """

    RESTART_AFTER = 1.0

    def __init__(self, name: str, command: list[str], env: dict, log: Path, ready: Callable[[str], bool]):  # fmt: skip
        self.name, self.command, self.env, self.log_path = name, command, env, log
        self.ready = ready  # given the log written since this start
        self.popen: subprocess.Popen | None = None
        self.exits: list[tuple[float, str]] = []  # (time.time(), what happened)
        self._supervised = False

    @property
    def running(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def start(self, timeout: float = 60) -> float:
        """Starts it and waits until it is ready; returns how long that took."""
        started = time.monotonic()
        offset = self.log_path.stat().st_size if self.log_path.exists() else 0
        with self.log_path.open("ab") as log:
            self.popen = subprocess.Popen(  # noqa: S603 - our own commands, no shell
                self.command,
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        popen = self.popen
        wait_for(
            lambda: popen.poll() is not None or self.ready(self._log_since(offset)),
            timeout,
            0.1,
            f"{self.name} ready",
        )
        if popen.poll() is not None:
            raise RuntimeError(f"{self.name} exited at start:\n{self.log()[-3000:]}")
        if not self._supervised:
            self._supervised = True
            threading.Thread(target=self._supervise, daemon=True).start()
        return time.monotonic() - started

    def _supervise(self) -> None:
        while self._supervised:
            time.sleep(0.2)
            if not self._supervised or self.running:
                continue
            code = self.popen.returncode
            self.exits.append((time.time(), f"exited with {code} ({self._last_error()})"))
            time.sleep(self.RESTART_AFTER)
            if not self._supervised:
                return
            try:
                self.start(timeout=120)  # the broker may still be down: it retries meanwhile
            except Exception as error:  # noqa: BLE001 - recorded; the next loop tries again
                self.exits.append((time.time(), f"restart failed: {error}"))

    def _last_error(self) -> str:
        lines = [
            line.strip()
            for line in self.log().splitlines()
            if "CRITICAL" in line or "Error" in line.split(":", 1)[0]
        ]
        return lines[-1][:200] if lines else "see its log"

    def kill(self) -> None:
        """SIGKILL to the whole group; not restarted (the fault starts a new one itself)."""
        self._supervised = False
        if self.running:
            os.killpg(self.popen.pid, signal.SIGKILL)
            self.popen.wait(10)

    def kill_children(self) -> list[int]:
        """SIGKILL to its child processes only (a Celery worker's pool), as the kernel's OOM
        killer picks one; the process itself lives on. Returns the pids killed."""
        children = _children_of(self.popen.pid) if self.running else []
        for pid in children:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass  # it exited by itself meanwhile
        return children

    def stop(self) -> None:
        self._supervised = False
        if not self.running:
            return
        os.killpg(self.popen.pid, signal.SIGTERM)
        try:
            self.popen.wait(20)
        except subprocess.TimeoutExpired:
            self.kill()

    def log(self) -> str:
        return self._log_since(0)

    def _log_since(self, offset: int) -> str:
        if not self.log_path.exists():
            return ""
        with self.log_path.open("rb") as log:
            log.seek(offset)
            return log.read().decode(errors="replace")


def _children_of(parent: int) -> list[int]:
    """Pids whose parent is `parent`, read from /proc (Linux)."""
    children = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue  # it exited while we looked
        # "pid (command) state ppid ...": the command may hold spaces and parentheses.
        if int(stat.rsplit(")", 1)[1].split()[1]) == parent:
            children.append(int(entry.name))
    return sorted(children)


def admin_execute(*statements: str) -> None:
    with psycopg.connect(ADMIN_DSN, autocommit=True) as admin:
        for statement in statements:
            admin.execute(statement)


def database_create() -> None:
    with psycopg.connect(ADMIN_DSN, autocommit=True) as admin:
        if not admin.execute("SELECT 1 FROM pg_roles WHERE rolname = 'detainers'").fetchone():
            admin.execute("CREATE ROLE detainers LOGIN CREATEDB PASSWORD 'detainers'")
        admin.execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
        admin.execute(f"CREATE DATABASE {DATABASE} OWNER detainers")


def database_drop() -> None:
    # Right after a restart the cluster may still be starting: try for a while.
    wait_for(postgres_answers, 60, 0.5, "PostgreSQL answering before the drop")
    admin_execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")


def postgres_answers() -> bool:
    try:
        with psycopg.connect(ADMIN_DSN) as admin:
            return admin.execute("SELECT 1").fetchone() == (1,)
    except psycopg.Error:
        return False


def postgres_version() -> str:
    """The machine's newest cluster version, as .ci/run picks it (/etc/postgresql/<version>/main)."""
    versions = [name for name in os.listdir("/etc/postgresql") if name.replace(".", "").isdigit()]
    return max(versions, key=lambda name: [int(part) for part in name.split(".")])


def postgres_restart() -> float:
    """Restarts the machine's PostgreSQL once; returns the seconds until it answered again."""
    started = time.monotonic()
    subprocess.run(  # noqa: S603
        ["pg_ctlcluster", "--skip-systemctl-redirect", postgres_version(), "main", "restart"],  # noqa: S607
        check=True,
        capture_output=True,
        timeout=120,
    )
    wait_for(postgres_answers, 60, 0.1, "PostgreSQL answering after the restart")
    return time.monotonic() - started


def _http_ok(port: int, path: str) -> bool:
    try:
        with urllib.request.urlopen(f"http://{HOST}:{port}{path}", timeout=5) as answer:  # noqa: S310
            return answer.status == 200
    except (OSError, urllib.error.URLError):
        return False


class Stack:
    """Everything the faults need; `close()` stops all of it and drops the database."""

    def __init__(self, scratch: Path):
        self.scratch = scratch
        self.media = scratch / "media"
        self.redis = RedisServer(scratch)
        self.sink = MailServer()
        self.dovecot = Dovecot()
        self.port = free_port()
        self.token = ""
        self.secret_key = secrets.token_urlsafe(50)  # throwaway, like everything here
        self.workers = 0
        self.worker: Process | None = None
        self.beat: Process | None = None
        self.web: Process | None = None
        self.processes: list[Process] = []  # every one started, for their exits
        self.database = False

    @property
    def env(self) -> dict:
        inherited = {
            name: value
            for name, value in os.environ.items()
            if not name.startswith(("DJANGO_", "CELERY_", "CENTRAL_", "EMAIL_", "ROUTING_"))
            and name not in ("DATABASE_URL", "MEDIA_ROOT", "SITE_URL")
        }
        return {
            **inherited,
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DJANGO_DEBUG": "False",
            "DJANGO_SECRET_KEY": self.secret_key,
            "DJANGO_ALLOWED_HOSTS": HOST,
            "DJANGO_SECURE_SSL_REDIRECT": "False",
            "DATABASE_URL": DATABASE_URL,
            "CELERY_BROKER_URL": self.redis.url,
            "EMAIL_URL": self.sink.url,
            "MEDIA_ROOT": str(self.media),
            "ROUTING_SWEEP_AFTER_SECONDS": str(SWEEP_AFTER),
            "ROUTING_SWEEP_EVERY_SECONDS": str(SWEEP_EVERY),
            "LOG_LEVEL": "INFO",
        }

    def start(self) -> None:
        self.media.mkdir(parents=True, exist_ok=True)
        self.redis.start()
        self.sink.start()
        database_create()
        self.database = True
        self.manage("migrate", "--noinput")
        self.token = self.manage("shell", "-c", FIXTURE).split()[-1]
        self.web = Process(
            "gunicorn",
            [PYTHON, "-m", "gunicorn", "config.wsgi", "--bind", f"{HOST}:{self.port}",
             "--workers", "3", "--timeout", "30", "--graceful-timeout", "5"],
            self.env,
            self.scratch / "gunicorn.log",
            lambda _: _http_ok(self.port, "/healthz"),
        )  # fmt: skip
        self.processes.append(self.web)
        self.web.start()
        self.worker_start()
        beat_log = self.scratch / "beat.log"
        self.beat = Process(
            "celery beat",
            [PYTHON, "-m", "celery", "-A", "config", "beat", "--loglevel=INFO",
             f"--schedule={self.scratch / 'celerybeat-schedule'}"],
            self.env,
            beat_log,
            lambda text: "beat: Starting" in text,
        )  # fmt: skip
        self.processes.append(self.beat)
        self.beat.start()

    def worker_start(self) -> float:
        """A worker as production runs it (docker-compose.yml); each start gets a log of its own."""
        self.workers += 1
        log = self.scratch / f"worker-{self.workers}.log"
        self.worker = Process(
            f"celery worker {self.workers}",
            [PYTHON, "-m", "celery", "-A", "config", "worker", "--loglevel=INFO",
             "--concurrency=2", "--without-gossip", "--without-mingle",
             # One name for every start, as a container restarted by docker compose keeps its
             # hostname: a worker starting again frees the notice claims its dead run held.
             "--hostname=faults@%h"],
            # Named in pg_stat_activity, so that a fault can catch it inside a transaction.
            {**self.env, "DATABASE_URL": f"{DATABASE_URL}?application_name={WORKER_APPLICATION}"},
            log,
            lambda text: "ready." in text,
        )  # fmt: skip
        self.processes.append(self.worker)
        return self.worker.start()

    def exits_since(self, moment: float) -> list[str]:
        """Processes that exited on their own (and were restarted) since `moment` (time.time())."""
        return [
            f"{process.name} {what}"
            for process in self.processes
            for at, what in process.exits
            if at >= moment
        ]

    def manage(self, *args: str, env: dict | None = None, timeout: float = 180) -> str:
        done = subprocess.run(  # noqa: S603
            [PYTHON, "manage.py", *args],
            cwd=ROOT,
            env=env or self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if done.returncode != 0:
            raise RuntimeError(f"manage.py {args[0]} failed:\n{done.stdout}\n{done.stderr}")
        return done.stdout

    def manage_start(self, *args: str, env: dict) -> subprocess.Popen:
        """A management command in the background, its output in a log of its own."""
        with (self.scratch / f"manage-{args[0]}-{time.monotonic_ns()}.log").open("wb") as log:
            return subprocess.Popen(  # noqa: S603
                [PYTHON, "manage.py", *args], cwd=ROOT, env=env, stdout=log, stderr=log
            )

    def manage_run(
        self, *args: str, env: dict, timeout: float = 120
    ) -> subprocess.CompletedProcess:
        return subprocess.run(  # noqa: S603
            [PYTHON, "manage.py", *args],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    def close(self) -> None:
        """Stops everything started, each step on its own so one failure does not skip the rest."""
        steps = [
            *(process.stop for process in (self.beat, self.worker, self.web) if process),
            self.redis.stop,
            self.sink.stop,
            self.dovecot.remove,
        ]
        if self.database:
            steps.append(database_drop)
        for step in steps:
            try:
                step()
            except Exception as error:  # noqa: BLE001 - report and go on stopping the rest
                print(f"cleanup: {step.__qualname__} failed: {error}", file=sys.stderr)
