"""The database half of a backup, per engine: a consistent dump, what it holds, and its restore.

PostgreSQL: one REPEATABLE READ transaction exports its snapshot; `pg_dump --snapshot` dumps exactly
that snapshot, and the same transaction reads the table sizes, the applied migrations and the stored
file names, so the documents copied are exactly those the dump refers to. SQLite: the sqlite3 backup
API copies the database as of one moment, and the same facts are read from the copy.

The password reaches pg_dump and pg_restore as PGPASSWORD in the child's environment (Django's own
`dbshell` builds it the same way), never on a command line, where `ps` would show it.
"""

import os
import re
import sqlite3
import subprocess
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import models
from django.db.backends.postgresql.client import DatabaseClient
from django.db.utils import load_backend

POSTGRESQL = "postgresql"
SQLITE = "sqlite"
ENGINES = {"django.db.backends.postgresql": POSTGRESQL, "django.db.backends.sqlite3": SQLITE}


@dataclass
class DumpFacts:
    """What one consistent dump holds, read in the dump's own snapshot."""

    tables: dict[str, int] = field(default_factory=dict)  # table: rows
    migrations: dict[str, list[str]] = field(default_factory=dict)  # app: applied names
    file_names: list[str] = field(default_factory=list)  # storage names the rows refer to
    server_version: str = ""
    tool_version: str = ""


def engine_of(database: dict) -> str:
    engine = ENGINES.get(database["ENGINE"])
    if engine is None:
        raise ValidationError(f"Backups support PostgreSQL and SQLite, not {database['ENGINE']}.")
    return engine


def _file_columns(tables: Iterable[str]) -> list[tuple[str, str]]:
    """(table, column) of every file field of every model whose table the database has."""
    present = set(tables)
    return [
        (model._meta.db_table, model_field.column)
        for model in apps.get_models()
        for model_field in model._meta.concrete_fields
        if isinstance(model_field, models.FileField) and model._meta.db_table in present
    ]


def _read_facts(execute: Callable[[str], list[tuple]], tables: list[str], quote) -> DumpFacts:
    facts = DumpFacts()
    for table in sorted(tables):
        facts.tables[table] = execute(f"SELECT count(*) FROM {quote(table)}")[0][0]  # noqa: S608
    if "django_migrations" in facts.tables:
        for app, name in execute("SELECT app, name FROM django_migrations ORDER BY app, name"):
            facts.migrations.setdefault(app, []).append(name)
    names: set[str] = set()
    for table, column in _file_columns(tables):
        sql = f"SELECT {quote(column)} FROM {quote(table)} WHERE {quote(column)} <> ''"  # noqa: S608
        names.update(row[0] for row in execute(sql))
    facts.file_names = sorted(names)
    return facts


def _major(version: str) -> int:
    return int(version.split(".")[0])


# --- PostgreSQL -----------------------------------------------------------------------------------


def _tool_version(tool: str) -> str:
    try:
        answer = subprocess.run(  # noqa: S603 - a fixed program name, no shell
            [tool, "--version"], capture_output=True, text=True, check=True, timeout=30
        ).stdout
    except (OSError, subprocess.SubprocessError):
        raise ValidationError(
            f"{tool} was not found: install the PostgreSQL client of the server's version."
        ) from None
    found = re.search(r"\(PostgreSQL\)\s+(\d+(?:\.\d+)?)", answer)
    if found is None:
        raise ValidationError(f"{tool} --version said something unexpected.")
    return found.group(1)


class Postgres:
    def __init__(self, database: dict):
        self.database = database

    def _connect(self):
        wrapper = load_backend(self.database["ENGINE"]).DatabaseWrapper(self.database, "backup")
        connection = wrapper.get_new_connection(wrapper.get_connection_params())
        connection.autocommit = True
        return connection

    def _command(self, tool: str, *options: str) -> tuple[list[str], dict[str, str]]:
        _, variables = DatabaseClient.settings_to_cmd_args_env(self.database, [])
        environment = {**os.environ, **(variables or {})}
        timeout = self.database.get("OPTIONS", {}).get("connect_timeout")
        if timeout:
            environment["PGCONNECT_TIMEOUT"] = str(timeout)
        args = [tool, "--no-password", *options]
        for flag, key in (("--host", "HOST"), ("--port", "PORT"), ("--username", "USER")):
            if self.database.get(key):
                args.append(f"{flag}={self.database[key]}")
        args.append(f"--dbname={self.database['NAME']}")
        return args, environment

    @staticmethod
    def _tables(cursor) -> list[str]:
        cursor.execute(
            "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE c.relkind IN ('r', 'p') AND pg_table_is_visible(c.oid) "
            "AND n.nspname NOT IN ('pg_catalog', 'information_schema')"
        )
        return [row[0] for row in cursor.fetchall()]

    def server_version(self) -> str:
        with self._connect() as connection:
            number = connection.execute("SHOW server_version_num").fetchone()[0]
        number = int(number)
        return f"{number // 10000}.{number % 10000}"

    def dump(self, write: Callable[[Iterable[bytes]], None]) -> DumpFacts:
        tool = _tool_version("pg_dump")
        with self._connect() as connection, connection.cursor() as cursor:
            cursor.execute("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            cursor.execute("SELECT pg_export_snapshot(), current_setting('server_version_num')")
            snapshot, number = cursor.fetchone()
            server = f"{int(number) // 10000}.{int(number) % 10000}"
            if _major(tool) < _major(server):
                raise ValidationError(
                    f"pg_dump {tool} is older than the server ({server}): install the "
                    f"PostgreSQL {_major(server)} client."
                )

            def execute(sql: str) -> list[tuple]:
                cursor.execute(sql)
                return cursor.fetchall()

            facts = _read_facts(execute, self._tables(cursor), connection_quote)
            facts.server_version, facts.tool_version = server, f"pg_dump {tool}"
            args, environment = self._command(
                "pg_dump", "--format=custom", f"--snapshot={snapshot}"
            )
            _run_reading(args, environment, write)
            cursor.execute("COMMIT")
        return facts

    def tables(self) -> dict[str, int]:
        with self._connect() as connection, connection.cursor() as cursor:

            def execute(sql: str) -> list[tuple]:
                cursor.execute(sql)
                return cursor.fetchall()

            return _read_facts(execute, self._tables(cursor), connection_quote).tables

    def restore_check(self, facts: dict) -> None:
        """Refuse before anything is read: a pg_restore or a server older than the dump's."""
        tool = _tool_version("pg_restore")
        dumped_with = facts["tool_version"].split()[-1]
        if _major(tool) < _major(dumped_with):
            raise ValidationError(
                f"pg_restore {tool} cannot read a dump of {facts['tool_version']}: install the "
                f"PostgreSQL {_major(dumped_with)} client."
            )
        server = self.server_version()
        if _major(server) < _major(facts["server_version"]):
            raise ValidationError(
                f"The backup is of PostgreSQL {facts['server_version']}; this server is {server}. "
                "Restore into a server of the same or a later major version."
            )

    def restore(self, chunks: Iterable[bytes]) -> None:
        """pg_restore in one transaction. The last chunk is held back until `chunks` is exhausted
        (its checksum verified): a dump that changed since it was checked never commits."""
        args, environment = self._command(
            "pg_restore", "--single-transaction", "--exit-on-error", "--no-owner", "--no-privileges"
        )
        with tempfile.TemporaryFile() as errors:
            process = subprocess.Popen(  # noqa: S603 - no shell; arguments from settings
                args,
                stdin=subprocess.PIPE,
                stdout=subprocess.DEVNULL,
                stderr=errors,
                env=environment,
            )
            try:
                held = b""
                for chunk in chunks:
                    process.stdin.write(held)
                    held = chunk
                process.stdin.write(held)
                process.stdin.close()
            except BrokenPipeError:
                pass  # pg_restore stopped: its exit code and message say why
            except BaseException:
                process.kill()
                process.wait()
                raise
            if process.wait() != 0:
                raise ValidationError(f"pg_restore failed: {_tail(errors)}")


def connection_quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _run_reading(args: list[str], environment: dict, write) -> None:
    """Run a dump tool and hand its output to `write` as it comes."""
    with tempfile.TemporaryFile() as errors:
        process = subprocess.Popen(  # noqa: S603 - no shell; arguments from settings
            args, stdout=subprocess.PIPE, stderr=errors, env=environment
        )
        try:
            write(iter(lambda: process.stdout.read(1024 * 1024), b""))
        finally:
            process.stdout.close()
            code = process.wait()
        if code != 0:
            raise ValidationError(f"{args[0]} failed: {_tail(errors)}")


def _tail(errors) -> str:
    errors.seek(0)
    lines = errors.read().decode("utf-8", "replace").strip().splitlines()
    return " ".join(lines[-3:]) or "no message"


# --- SQLite ---------------------------------------------------------------------------------------


class Sqlite:
    def __init__(self, database: dict):
        self.path = Path(str(database["NAME"]))
        if str(database["NAME"]).startswith("file:") or str(database["NAME"]) == ":memory:":
            raise ValidationError("An in-memory SQLite database cannot be backed up or restored.")

    @staticmethod
    def _facts(connection: sqlite3.Connection) -> DumpFacts:
        def execute(sql: str) -> list[tuple]:
            return connection.execute(sql).fetchall()

        tables = [
            row[0]
            for row in execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            )
        ]
        facts = _read_facts(execute, tables, connection_quote)
        facts.server_version = facts.tool_version = f"SQLite {sqlite3.sqlite_version}"
        return facts

    def dump(self, copy_to: Path) -> DumpFacts:
        """Copy the database to `copy_to` as of one moment (the backup API), and read its facts."""
        if not self.path.exists():
            raise ValidationError(f"There is no SQLite database at {self.path}.")
        source = sqlite3.connect(f"{self.path.resolve().as_uri()}?mode=ro", uri=True)
        copy = sqlite3.connect(copy_to)
        try:
            source.backup(copy)
            return self._facts(copy)
        finally:
            copy.close()
            source.close()

    def tables(self) -> dict[str, int]:
        if not self.path.exists() or self.path.stat().st_size == 0:
            return {}
        connection = sqlite3.connect(f"{self.path.resolve().as_uri()}?mode=ro", uri=True)
        try:
            return self._facts(connection).tables
        finally:
            connection.close()

    def restore_check(self, facts: dict) -> None:
        """Nothing to check: any SQLite 3 reads a database file of another SQLite 3."""

    def restore(self, chunks: Iterable[bytes]) -> None:
        """Write the file beside the target and move it into place only once `chunks` is
        exhausted (its checksum verified)."""
        partial = self.path.with_name(f".{self.path.name}.restoring")
        try:
            descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(descriptor, "wb") as out:
                for chunk in chunks:
                    out.write(chunk)
            os.replace(partial, self.path)
        finally:
            partial.unlink(missing_ok=True)


def engine_for(database: dict) -> Postgres | Sqlite:
    return Postgres(database) if engine_of(database) == POSTGRESQL else Sqlite(database)
