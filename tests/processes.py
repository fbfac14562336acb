"""Real processes for integration tests: a private Redis, an SMTP sink and a Celery worker.

Nothing here fakes a service: the worker is `celery -A config worker` in its own process, talking
to the test database on PostgreSQL and to a redis-server started for the test run.
"""

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

from aiosmtpd.controller import Controller

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(condition, timeout: float, interval: float = 0.1, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(interval)
    raise TimeoutError(f"{what} not met within {timeout} s")


def _port_open(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.2)
        return probe.connect_ex(("127.0.0.1", port)) == 0


class RedisServer:
    """redis-server on a free loopback port, in memory only; can be stopped and started again."""

    def __init__(self, workdir: Path):
        self.binary = shutil.which("redis-server")
        self.port = free_port()
        self.workdir = workdir
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(  # noqa: S603
            [
                self.binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.workdir),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for(lambda: _port_open(self.port), 10, what="redis-server listening")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)
        wait_for(lambda: not _port_open(self.port), 10, what="redis-server stopped")


class SmtpSink:
    """An SMTP server on loopback that keeps every message it is sent."""

    def __init__(self):
        self.messages: list = []
        self.port = free_port()
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        self.messages.append(envelope)
        return "250 OK"

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.controller.start()

    def stop(self) -> None:
        self.controller.stop()


def database_url(settings_dict: dict) -> str:
    user = quote(settings_dict.get("USER") or "")
    password = quote(settings_dict.get("PASSWORD") or "")
    auth = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    return (
        f"postgres://{auth}{settings_dict.get('HOST') or '127.0.0.1'}:{settings_dict.get('PORT') or 5432}"
        f"/{settings_dict['NAME']}"
    )


class CeleryWorker:
    """`celery -A config worker` as a child process with the given environment."""

    def __init__(self, env: dict, log_path: Path):
        self.env = {**os.environ, **env}
        self.log_path = log_path
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.log_path.write_text("")
        log = self.log_path.open("a")
        self.process = subprocess.Popen(  # noqa: S603
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "config",
                "worker",
                "-Q",
                "celery,extraction",
                "--pool=solo",
                "--loglevel=INFO",
                "--without-mingle",
                "--without-gossip",
                "--hostname",
                f"test-{os.getpid()}@%h",
            ],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        wait_for(
            lambda: "ready." in self.log_path.read_text() or self.process.poll() is not None,
            60,
            what="celery worker ready",
        )
        if self.process.poll() is not None:
            raise RuntimeError(f"celery worker exited:\n{self.log_path.read_text()[-3000:]}")

    def kill(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.kill()

    def log(self) -> str:
        return self.log_path.read_text()


class Dovecot:
    """A throwaway Dovecot IMAP server: one user, maildir in a temporary folder, plain IMAP on a
    loopback port. Config from scripts/dovecot/dovecot.conf.template; can be stopped and started.

    prefixed: every folder under "INBOX." with "." between levels (Courier, Cyrus, many hosts).
    tls: implicit TLS only (993-style, `ssl = required`), with a certificate for 127.0.0.1 (not
    for "localhost") signed by a private CA made for this server (scripts/dovecot/certificate.sh);
    `ca_file` is that CA, for a client to trust.
    oauth2_introspection_url: the user may also sign in with XOAUTH2 and a bearer token, which
    Dovecot checks at this introspection endpoint (scripts/dovecot/oauth2.sh; tests/oauth2_server.py).

    Run as root, mail belongs to the system user MAIL_USER (scripts/dovecot/install.sh creates it),
    and the folder is made outside pytest's private (0700) temp tree so that user can reach it.
    """

    MAIL_USER = "detainer-mail"
    USER = "detainers"
    PASSWORD = "imap-test-password"
    TEMPLATE = ROOT / "scripts" / "dovecot" / "dovecot.conf.template"
    CERTIFICATE = ROOT / "scripts" / "dovecot" / "certificate.sh"
    OAUTH2 = ROOT / "scripts" / "dovecot" / "oauth2.sh"

    def __init__(
        self,
        *,
        prefixed: bool = False,
        tls: bool = False,
        oauth2_introspection_url: str | None = None,
    ):
        self.prefix, self.separator = ("INBOX.", ".") if prefixed else ("", "/")
        self.tls = tls
        self.oauth2_introspection_url = oauth2_introspection_url
        self.binary = shutil.which("dovecot") or next(
            (
                path
                for path in ("/usr/sbin/dovecot", "/usr/local/sbin/dovecot")
                if os.path.exists(path)
            ),
            None,
        )
        self.port = free_port()
        self.workdir: Path | None = None
        self.process: subprocess.Popen | None = None

    @property
    def available(self) -> bool:
        if self.binary is None:
            return False
        if os.geteuid() != 0:
            return True
        import pwd

        try:
            pwd.getpwnam(self.MAIL_USER)
        except KeyError:
            return False
        return True

    def url(
        self, folder: str = "INBOX", password: str | None = None, host: str = "127.0.0.1"
    ) -> str:
        secret = quote(password or self.PASSWORD, safe="")
        scheme = "imaps" if self.tls else "imap"
        return f"{scheme}://{self.USER}:{secret}@{host}:{self.port}/{folder}"

    @property
    def ca_file(self) -> Path:
        """The private CA that signed a TLS server's certificate."""
        return self.workdir / "tls" / "ca.pem"

    def folder(self, name: str) -> str:
        """A folder's name on this server: `Processed` is `INBOX.Processed` on a prefixed one."""
        return name if name.upper() == "INBOX" else f"{self.prefix}{name}"

    def _configure(self) -> None:
        import getpass
        import grp
        import pwd
        import tempfile

        self.workdir = Path(tempfile.mkdtemp(prefix="detainer-dovecot-"))
        self.workdir.chmod(0o755)
        user = self.MAIL_USER if os.geteuid() == 0 else getpass.getuser()
        group = grp.getgrgid(pwd.getpwnam(user).pw_gid).gr_name
        for sub in ("mail", "home"):
            (self.workdir / sub).mkdir()
            shutil.chown(self.workdir / sub, user, group)
        users = self.workdir / "users"
        users.write_text(f"{self.USER}:{{PLAIN}}{self.PASSWORD}::::::\n")
        users.chmod(0o644)
        if self.tls:
            subprocess.run([str(self.CERTIFICATE), str(self.workdir)], check=True)  # noqa: S603
        if self.oauth2_introspection_url:
            subprocess.run(  # noqa: S603
                [str(self.OAUTH2), str(self.workdir), self.oauth2_introspection_url], check=True
            )
        config = self.TEMPLATE.read_text()
        for key, value in {
            "DIR": self.workdir,
            "PORT": self.port,
            "USER": user,
            "GROUP": group,
            "SSL": "required" if self.tls else "no",
            "IMAP_PORT": 0 if self.tls else self.port,
            "IMAPS_PORT": self.port if self.tls else 0,
            "PREFIX": self.prefix,
            "SEPARATOR": self.separator,
        }.items():
            config = config.replace(f"@{key}@", str(value))
        (self.workdir / "dovecot.conf").write_text(config)

    def start(self) -> None:
        if self.workdir is None:
            self._configure()
        log = (self.workdir / "stdout.log").open("a")
        self.process = subprocess.Popen(  # noqa: S603
            [self.binary, "-F", "-c", str(self.workdir / "dovecot.conf")],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        wait_for(
            lambda: _port_open(self.port) or self.process.poll() is not None,
            20,
            what="dovecot listening",
        )
        if self.process.poll() is not None:
            raise RuntimeError(f"dovecot exited:\n{self.log()[-3000:]}")

    def stop(self) -> None:
        """Stops the server and every connection it serves (the whole process group)."""
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(10)
        wait_for(lambda: not _port_open(self.port), 10, what="dovecot stopped")

    def remove(self) -> None:
        self.stop()
        if self.workdir is not None:
            shutil.rmtree(self.workdir, ignore_errors=True)

    def log(self) -> str:
        parts = (
            [self.workdir / name for name in ("stdout.log", "dovecot.log")] if self.workdir else []
        )
        return "\n".join(path.read_text(errors="replace") for path in parts if path.exists())
