"""Shared fixtures: the people every test can check access with, and the services the suite needs.

Users: clerk (precinct B-3), other_precinct_clerk (C-11), supervisor, admin, gateway (the fax
gateway's integration account) and anonymous (no login).

A test that needs a service (PostgreSQL, Redis, a Celery worker) carries its marker;
outside CI a missing service skips the test, with CI=true it fails it, so a green CI run means every
integration test ran.
"""

import os
from datetime import datetime

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.access import Role
from accounts.models import User
from accounts.tokens import api_token_create
from precincts.models import FaxNumber, Precinct
from precincts.services import fax_number_assign

from . import processes

# The sign-on tests' OpenID Connect provider: fixtures oidc_provider and sso_settings.
pytest_plugins = ["tests.oidc_provider"]

IN_CI = os.environ.get("CI", "").lower() == "true"
PASSWORD = "a-long-test-password"


def needs(service: str, available: bool) -> None:
    if available:
        return
    message = f"{service} is not available to this test run"
    if IN_CI:
        pytest.fail(f"{message}, and CI=true requires it.")
    pytest.skip(message)


def local(*args) -> datetime:
    """A moment in the department's time zone: local(2024, 3, 15, 9, 30)."""
    return timezone.make_aware(datetime(*args), timezone.get_default_timezone())


@pytest.fixture(autouse=True)
def _quick_passwords(settings):
    """Most tests create several people; the real password hasher is slow on purpose."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _second_factor_off(settings):
    """Sessions here are a password's (force_login, the login form): the second factor is off
    unless a test turns it on (settings.MFA_REQUIRED = True; tests/accounts/test_mfa_*.py)."""
    settings.MFA_REQUIRED = False


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    """Documents written by a test go to a folder of its own, never into the project."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _tasks_in_process():
    """Tasks run in the test's own process unless the test asks for the `worker` fixture."""
    from config.celery_app import app

    app.conf.task_always_eager = True


@pytest.fixture(autouse=True)
def _identifier_shapes_counted_afresh():
    """Reading caches the identifier shapes reviewers confirmed for minutes
    (detainers/extraction/selectors.py); each test's database has its own reviews."""
    from detainers.extraction.selectors import identifier_shapes_forget

    identifier_shapes_forget()


@pytest.fixture(autouse=True)
def _services_named_by_markers(request):
    """`@pytest.mark.postgres` needs PostgreSQL; `redis` a broker; `worker` a Celery worker process."""
    if request.node.get_closest_marker("postgres"):
        request.getfixturevalue("db")
        needs("PostgreSQL", connection.vendor == "postgresql")
    if request.node.get_closest_marker("redis"):
        needs("A Redis broker (CELERY_BROKER_URL)", bool(os.environ.get("CELERY_BROKER_URL")))


# --- Real processes: a private Redis, an SMTP sink, a Celery worker (see tests/processes.py) ---------


@pytest.fixture(scope="session")
def private_redis(tmp_path_factory):
    """A redis-server of the test run's own, so a test may stop and start it."""
    server = processes.RedisServer(tmp_path_factory.mktemp("redis"))
    needs("redis-server", server.binary is not None)
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def smtp_sink():
    sink = processes.SmtpSink()
    sink.start()
    yield sink
    sink.stop()


def point_celery_at(url: str | None) -> None:
    """Make this test process publish to `url` (the worker fixture's broker); None restores it.

    broker_write_url, because Celery lets the CELERY_BROKER_URL variable override broker_url."""
    from config.celery_app import app

    app.conf.broker_write_url = url
    app._pool = None
    app.amqp._producer_pool = None


@pytest.fixture(scope="session")
def celery_worker_process(
    django_db_setup, django_db_blocker, private_redis, smtp_sink, tmp_path_factory
):
    """`celery -A config worker` against the test database and the private Redis."""
    with django_db_blocker.unblock():
        settings_dict = connection.settings_dict
        needs(
            "PostgreSQL (a worker process cannot share an SQLite test database)",
            connection.vendor == "postgresql",
        )
    worker = processes.CeleryWorker(
        env={
            "DJANGO_DEBUG": "True",
            "DATABASE_URL": processes.database_url(settings_dict),
            "CELERY_BROKER_URL": private_redis.url,
            "EMAIL_URL": smtp_sink.url,
            "MEDIA_ROOT": str(tmp_path_factory.mktemp("worker-media")),
        },
        log_path=tmp_path_factory.mktemp("worker") / "worker.log",
    )
    worker.start()
    yield worker
    worker.stop()


@pytest.fixture
def worker(celery_worker_process, private_redis, smtp_sink, transactional_db, settings):
    """A running worker for this test; the test process publishes to the same broker."""
    settings.CELERY_BROKER_URL = private_redis.url
    settings.CELERY_TASK_ALWAYS_EAGER = False
    # The worker reads the documents this process stores (detainers.extraction).
    settings.MEDIA_ROOT = celery_worker_process.env["MEDIA_ROOT"]
    point_celery_at(private_redis.url)
    from config.celery_app import app

    app.conf.task_always_eager = False
    smtp_sink.messages.clear()
    if celery_worker_process.process.poll() is not None:
        celery_worker_process.start()
    yield celery_worker_process
    _until_the_worker_is_idle(private_redis.url)
    app.conf.task_always_eager = True
    point_celery_at(None)


def _until_the_worker_is_idle(broker_url: str, timeout: float = 60) -> None:
    """Wait until no task is queued or running: the test database is emptied (TRUNCATE) after the
    test, and a worker still reading a document the test left behind would deadlock with it."""
    import redis

    client = redis.Redis.from_url(broker_url, socket_timeout=2)

    def idle() -> bool:
        try:
            queued = client.llen("celery") + client.llen("extraction")
            return queued == 0 and client.hlen("unacked") == 0
        except redis.RedisError:
            return True  # the broker is down: nothing can be handed out

    processes.wait_for(idle, timeout, what="the worker idle after the test")


@pytest.fixture
def b3(db) -> Precinct:
    precinct = Precinct.objects.create(code="B-3", name="Mattapan", neighbourhood="Mattapan")
    fax_number_assign(precinct=precinct, number="+1 617 555 0133", active_from=local(2020, 1, 1))
    return precinct


@pytest.fixture
def c11(db) -> Precinct:
    precinct = Precinct.objects.create(code="C-11", name="Dorchester", neighbourhood="Dorchester")
    fax_number_assign(precinct=precinct, number="+1 617 555 0151", active_from=local(2020, 1, 1))
    return precinct


def make_user(username: str, role: Role | None, precinct: Precinct | None = None) -> User:
    user = User.objects.create_user(username=username, password=PASSWORD, precinct=precinct)
    if role is not None:
        user.groups.add(Group.objects.get(name=role.value))
    if role == Role.ADMIN:
        user.is_staff = True
        user.save(update_fields=["is_staff"])
    return user


@pytest.fixture
def clerk(b3) -> User:
    return make_user("clerk", Role.CLERK, b3)


@pytest.fixture
def other_precinct_clerk(c11) -> User:
    return make_user("other-clerk", Role.CLERK, c11)


@pytest.fixture
def supervisor(db) -> User:
    return make_user("supervisor", Role.SUPERVISOR)


@pytest.fixture
def admin_user(db) -> User:
    return make_user("admin", Role.ADMIN)


@pytest.fixture
def gateway(db) -> User:
    return make_user("fax-gateway", Role.GATEWAY)


@pytest.fixture
def nobody(db) -> User:
    """Signed in, but holding no role."""
    return make_user("nobody", None)


@pytest.fixture
def people(clerk, other_precinct_clerk, supervisor, admin_user, gateway, nobody) -> dict:
    return {
        "anonymous": None,
        "clerk": clerk,
        "other_precinct_clerk": other_precinct_clerk,
        "supervisor": supervisor,
        "admin": admin_user,
        "gateway": gateway,
        "nobody": nobody,
    }


def api_client_for(user: User | None, token: bool = False) -> APIClient:
    client = APIClient()
    if user is not None:
        if token:
            _, key = api_token_create(user=user)
            client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
        else:
            client.force_login(user)
    return client


@pytest.fixture
def api_as(people):
    """api_as("supervisor") -> an APIClient logged in as that person (the gateway uses its token)."""

    def client(name: str) -> APIClient:
        return api_client_for(people[name], token=name == "gateway")

    return client


@pytest.fixture
def page_as(client, people):
    """page_as("clerk") -> Django's test client logged in as that person."""

    def login(name: str):
        client.logout()
        if people[name] is not None:
            client.force_login(people[name])
        return client

    return login


__all__ = ["FaxNumber", "local", "needs", "make_user"]


# --- What ran against which services: printed at the end of every run (CI reads it) ----------------

_ran: dict[str, int] = {
    "passed": 0,
    "postgres": 0,
    "redis": 0,
    "worker": 0,
    "imap": 0,
    "browser": 0,
}


def pytest_runtest_logreport(report):
    if report.when == "call" and report.passed:
        _ran["passed"] += 1
        for marker in ("postgres", "redis", "worker", "imap", "browser"):
            if marker in report.keywords:
                _ran[marker] += 1


def pytest_terminal_summary(terminalreporter):
    database = connection.vendor if connection.settings_dict else "none"
    broker = "redis" if os.environ.get("CELERY_BROKER_URL") else "in-process"
    terminalreporter.write_line(
        f"services: database={database} broker={broker} | passed {_ran['passed']} tests, of which "
        f"{_ran['postgres']} PostgreSQL-only, {_ran['redis']} against Redis, {_ran['worker']} with a real "
        f"Celery worker (and its own Redis), {_ran['imap']} against an IMAP server, {_ran['browser']} in a browser"
    )


# --- A real IMAP server: a throwaway Dovecot (tests/processes.py, scripts/dovecot/) ---------------


def _dovecot(**variant):
    server = processes.Dovecot(**variant)
    needs("Dovecot (scripts/dovecot/install.sh installs it and its mail user)", server.available)
    server.start()
    yield server
    server.remove()


@pytest.fixture(scope="session")
def dovecot_server():
    yield from _dovecot()


@pytest.fixture(scope="session")
def dovecot_prefixed():
    """Every folder under "INBOX." with "." between levels, as Courier and Cyrus keep them."""
    yield from _dovecot(prefixed=True)


@pytest.fixture(scope="session")
def dovecot_tls():
    """Implicit TLS only (993-style), its certificate signed by a private CA (`ca_file`)."""
    yield from _dovecot(tls=True)


class ImapFolders:
    """The test user's folders on the Dovecot server, seen through imap-tools as a person would."""

    def __init__(self, server: processes.Dovecot):
        self.server = server

    def _box(self):
        import ssl

        from imap_tools import MailBox, MailBoxUnencrypted

        box = (
            MailBox(
                "127.0.0.1",
                self.server.port,
                timeout=10,
                ssl_context=ssl.create_default_context(cafile=self.server.ca_file),
            )
            if self.server.tls
            else MailBoxUnencrypted("127.0.0.1", self.server.port, timeout=10)
        )
        return box.login(self.server.USER, self.server.PASSWORD, initial_folder=None)

    def append(self, *messages: bytes, folder: str = "INBOX") -> None:
        with self._box() as box:
            if not box.folder.exists(folder):
                box.folder.create(folder)
            for raw in messages:
                box.append(raw, folder)

    def contents(self, folder: str = "INBOX") -> list[bytes]:
        """The raw bytes of every message in the folder ([] when the folder does not exist)."""
        with self._box() as box:
            if not box.folder.exists(folder) or not box.folder.status(folder)["MESSAGES"]:
                return []
            box.folder.set(folder)
            return [bytes(data) for _, data in _fetch_raw(box)]

    def count(self, folder: str = "INBOX") -> int:
        with self._box() as box:
            return box.folder.status(folder)["MESSAGES"] if box.folder.exists(folder) else 0

    def uids(self, folder: str = "INBOX") -> tuple[int, list[int]]:
        """(UIDVALIDITY, UIDs) of the folder."""
        with self._box() as box:
            validity = box.folder.status(folder)["UIDVALIDITY"]
            box.folder.set(folder)
            return validity, [int(uid) for uid in box.uids()]

    def empty_all(self) -> None:
        """Folders are wiped between tests (this is the throwaway test server, never a real one)."""
        with self._box() as box:
            for info in box.folder.list():
                box.folder.set(info.name)
                uids = box.uids()
                if uids:
                    box.delete(uids)


def _fetch_raw(box):
    kind, lines = box.client.uid("FETCH", "1:*", "(UID BODY.PEEK[])")
    return [item for item in lines if isinstance(item, tuple)] if kind == "OK" else []


def imap_folders(server: processes.Dovecot, settings) -> ImapFolders:
    """Empty folders on a session's Dovecot, and CENTRAL_MAILBOX_URL pointing at its INBOX."""
    if server.process is None or server.process.poll() is not None:
        server.start()
    folders = ImapFolders(server)
    folders.empty_all()
    settings.CENTRAL_MAILBOX_URL = server.url()
    return folders


@pytest.fixture
def imap(dovecot_server, settings, db) -> ImapFolders:
    return imap_folders(dovecot_server, settings)


@pytest.fixture
def imap_prefixed(dovecot_prefixed, settings, db) -> ImapFolders:
    return imap_folders(dovecot_prefixed, settings)


@pytest.fixture
def imap_tls(dovecot_tls, settings, db, monkeypatch) -> ImapFolders:
    """The TLS server, its private CA trusted the way an operator would: SSL_CERT_FILE."""
    monkeypatch.setenv("SSL_CERT_FILE", str(dovecot_tls.ca_file))
    return imap_folders(dovecot_tls, settings)
