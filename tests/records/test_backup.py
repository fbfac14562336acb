"""`backup` and `restore` (detainers.records.backup): a populated PostgreSQL database and its documents
restored into a new database and a new MEDIA_ROOT, equal table by table, count by count and document
by document; an encrypted backup with its key and a wrong one; damaged backups refused before
anything is written; a target that is not empty refused; and the SQLite path, end to end through the
commands as `make run` would use them.

The PostgreSQL cases commit their data (transaction=True): pg_dump is another connection and sees
only what is committed. Each makes its own database to restore into and drops it afterwards.
"""

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import uuid
from pathlib import Path

import psycopg
import pytest
from cryptography.fernet import Fernet
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage, default_storage
from django.db import connection

from detainers.intake.services import IncomingFile, delivery_receive
from detainers.models import (
    Channel,
    CountCell,
    Disposition,
    Document,
    FormType,
    ProbableCause,
    Source,
)
from detainers.records import backup_engines
from detainers.records.backup import backup_create, backup_restore, backup_verify
from detainers.triage.services import request_triage
from tests.conftest import local
from tests.factories import fax_received, image_bytes, pdf_bytes

REPO = Path(__file__).resolve().parents[2]
B3_LINE, C11_LINE = "+16175550133", "+16175550151"
SUBJECT_NAME = "Quixotica Zzyzxbottom"


# --- PostgreSQL ------------------------------------------------------------------------------------


@pytest.fixture
def scene(b3, c11, supervisor):
    """Three faxes (a PDF, a two-page PDF, a TIFF) and an email, three of them reviewed."""
    faxes = [
        fax_received(to_number=B3_LINE, received_at=local(2024, 3, 1, 9), content=pdf_bytes(1)),
        fax_received(to_number=B3_LINE, received_at=local(2024, 7, 4, 9), content=pdf_bytes(2)),
        fax_received(to_number=C11_LINE, received_at=local(2025, 1, 2, 9), content=image_bytes()),
    ]
    email = delivery_receive(
        channel=Channel.EMAIL,
        source=Source.MAILBOX,
        received_at=local(2024, 11, 5, 14),
        files=[IncomingFile("detainer.pdf", pdf_bytes(3), form=True)],
        from_address="ero.boston@ice.dhs.gov",
        external_id="<backup-1@ice.dhs.gov>",
    ).delivery
    reviews = [
        (FormType.I247A, ProbableCause.FINAL_ORDER, Disposition.NOT_ACTED_UPON),
        (FormType.I247A, ProbableCause.BIOMETRIC_MATCH, Disposition.RELEASED),
        (FormType.I200, "", Disposition.NOT_IN_CUSTODY),
    ]
    for delivery, (form, basis, disposition) in zip([*faxes, email], reviews, strict=False):
        request_triage(
            request_id=delivery.requests.get().pk,
            actor=supervisor,
            changes={
                "form_type": form,
                "probable_cause": basis,
                "disposition": disposition,
                "subject_name": SUBJECT_NAME,
            },
        )
    assert Document.objects.count() == 4 and CountCell.objects.exclude(total=0).exists()
    return faxes + [email]


def _conninfo(database: dict) -> dict:
    return {
        "host": database.get("HOST") or "127.0.0.1",
        "port": database.get("PORT") or 5432,
        "user": database.get("USER") or None,
        "password": database.get("PASSWORD") or None,
    }


def query(database: dict, sql: str) -> list[tuple]:
    with psycopg.connect(dbname=database["NAME"], **_conninfo(database)) as conn:
        return conn.execute(sql).fetchall()


@pytest.fixture
def new_database():
    """A new, empty database (as the test role, which may CREATEDB), dropped afterwards."""
    target = {**connection.settings_dict, "NAME": f"detainers_restore_{uuid.uuid4().hex[:10]}"}
    with psycopg.connect(dbname="postgres", autocommit=True, **_conninfo(target)) as conn:
        conn.execute(f'CREATE DATABASE "{target["NAME"]}"')
    yield target
    with psycopg.connect(dbname="postgres", autocommit=True, **_conninfo(target)) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{target["NAME"]}" WITH (FORCE)')


@pytest.fixture
def new_storage(tmp_path) -> FileSystemStorage:
    return FileSystemStorage(location=tmp_path / "restored-media")


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def table_rows(database: dict) -> dict[str, int]:
    return backup_engines.Postgres(database).tables()


COUNT_CELLS = (
    "SELECT year, precinct_id, channel, breakdown, value, total FROM detainers_countcell "
    "ORDER BY year, precinct_id, channel, breakdown, value"
)
DOCUMENTS = "SELECT id, file, sha256, size FROM detainers_document ORDER BY id"


def assert_restored_equal(source: dict, target: dict, storage: FileSystemStorage) -> None:
    """Every table's row count, every count cell, every document's bytes."""
    rows = table_rows(source)
    assert rows["detainers_detainerrequest"] == 4 and rows["detainers_document"] == 4
    assert table_rows(target) == rows
    assert query(target, COUNT_CELLS) == query(source, COUNT_CELLS) != []
    documents = query(target, DOCUMENTS)
    assert documents == query(source, DOCUMENTS)
    for _, name, stored_sha256, size in documents:
        restored = Path(storage.path(name))
        assert restored.stat().st_size == size
        assert sha256(restored) == stored_sha256  # recomputed from the restored file
    assert len([p for p in Path(storage.location).rglob("*") if p.is_file()]) == len(documents)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_it_restores_a_postgres_backup_into_a_new_database_and_storage(
    scene, tmp_path, new_database, new_storage
):
    source = connection.settings_dict
    manifest = backup_create(
        destination=tmp_path / "backup", database=source, storage=default_storage
    )

    assert manifest.engine == "postgresql" and not manifest.encrypted and manifest.missing == []
    written = json.loads((tmp_path / "backup" / "manifest.json").read_text())
    assert written["database"]["sha256"] == sha256(tmp_path / "backup" / "database.dump")
    for entry in written["files"]:  # every file listed with its size and SHA-256
        path = tmp_path / "backup" / entry["path"]
        assert (path.stat().st_size, sha256(path)) == (entry["size"], entry["sha256"])
    assert len(written["files"]) == 1 + 4
    assert written["tables"] == table_rows(source)
    assert "0001_initial" in written["migrations"]["detainers"]

    backup_restore(source=tmp_path / "backup", database=new_database, storage=new_storage)

    assert_restored_equal(source, new_database, new_storage)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_it_dumps_with_a_pg_dump_of_the_servers_major_version(scene, tmp_path):
    manifest = backup_create(
        destination=tmp_path / "backup", database=connection.settings_dict, storage=default_storage
    )
    server_major = connection.pg_version // 10000
    tool = manifest.database["tool_version"]  # "pg_dump 15.20"
    assert tool.startswith("pg_dump ") and int(tool.split()[1].split(".")[0]) >= server_major
    assert int(manifest.database["server_version"].split(".")[0]) == server_major


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_it_refuses_a_pg_dump_older_than_the_server(scene, tmp_path, monkeypatch):
    monkeypatch.setattr(backup_engines, "_tool_version", lambda tool: "9.6")
    with pytest.raises(ValidationError, match="older than the server"):
        backup_create(
            destination=tmp_path / "backup",
            database=connection.settings_dict,
            storage=default_storage,
        )
    assert list((tmp_path / "backup").iterdir()) == []  # nothing half-written left behind


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_it_gives_the_password_to_pg_dump_in_its_environment_only(scene, tmp_path, monkeypatch):
    started = []
    real_popen = subprocess.Popen

    def popen(args, **kwargs):
        started.append((args, kwargs.get("env") or {}))
        return real_popen(args, **kwargs)

    monkeypatch.setattr(backup_engines.subprocess, "Popen", popen)
    # 127.0.0.1 trusts the test role, so any password connects; this one is easy to look for.
    database = {**connection.settings_dict, "PASSWORD": "Pw-only-in-the-environment-77"}
    backup_create(destination=tmp_path / "backup", database=database, storage=default_storage)

    ((args, environment),) = [(a, e) for a, e in started if "--version" not in a]
    assert args[0] == "pg_dump" and "--format=custom" in args
    assert environment["PGPASSWORD"] == "Pw-only-in-the-environment-77"
    assert not any("Pw-only" in arg for arg in args)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_it_restores_an_encrypted_backup_with_its_key_and_refuses_a_wrong_one(
    scene, tmp_path, new_database, new_storage
):
    key = Fernet.generate_key().decode()
    source = connection.settings_dict
    manifest = backup_create(
        destination=tmp_path / "backup", database=source, storage=default_storage, key=key
    )
    assert manifest.encrypted
    stored = [
        p for p in (tmp_path / "backup").rglob("*") if p.is_file() and p.name != "manifest.json"
    ]
    assert len(stored) == 5 and all(p.name.endswith(".fernet") for p in stored)
    assert not any(b"%PDF" in p.read_bytes() or b"PGDMP" in p.read_bytes() for p in stored)
    written = json.loads((tmp_path / "backup" / "manifest.json").read_text())
    for entry in written["files"]:  # checksums over the plaintext and the ciphertext
        path = tmp_path / "backup" / entry["path"]
        assert (path.stat().st_size, sha256(path)) == (entry["stored_size"], entry["stored_sha256"])
        assert entry["sha256"] != entry["stored_sha256"]

    for wrong in ("", Fernet.generate_key().decode()):
        with pytest.raises(ValidationError) as refused:
            backup_restore(
                source=tmp_path / "backup", database=new_database, storage=new_storage, key=wrong
            )
        assert "BACKUP_ENCRYPTION_KEY" in str(refused.value)
        assert table_rows(new_database) == {} and not Path(new_storage.location).exists()

    backup_restore(source=tmp_path / "backup", database=new_database, storage=new_storage, key=key)

    assert_restored_equal(source, new_database, new_storage)


def _flip_a_byte(path: Path) -> None:
    content = bytearray(path.read_bytes())
    content[len(content) // 2] ^= 0x01
    path.write_bytes(bytes(content))


def _first_document(backup: Path) -> Path:
    return next(p for p in (backup / "media").rglob("*") if p.is_file())


DAMAGE = {
    "a flipped byte in the dump": (lambda b: _flip_a_byte(b / "database.dump"), "database.dump"),
    "a flipped byte in a document": (lambda b: _flip_a_byte(_first_document(b)), "damaged"),
    "a missing document": (lambda b: _first_document(b).unlink(), "missing"),
    "a missing dump": (lambda b: (b / "database.dump").unlink(), "missing"),
    "a flipped byte in the manifest's figures": (
        lambda b: (b / "manifest.json").write_text(
            (b / "manifest.json").read_text().replace('"size": ', '"size": 1', 1)
        ),
        "manifest.json is damaged",
    ),
}


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("damage", list(DAMAGE))
def test_it_refuses_a_damaged_backup_before_writing_anything(
    scene, tmp_path, new_database, new_storage, damage
):
    backup_create(
        destination=tmp_path / "backup", database=connection.settings_dict, storage=default_storage
    )
    spoil, said = DAMAGE[damage]
    spoil(tmp_path / "backup")

    with pytest.raises(ValidationError) as refused:
        backup_restore(source=tmp_path / "backup", database=new_database, storage=new_storage)

    assert said in str(refused.value)
    assert table_rows(new_database) == {}
    assert not Path(new_storage.location).exists()
    with pytest.raises(ValidationError):
        backup_verify(source=tmp_path / "backup")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_it_refuses_to_restore_into_a_database_or_storage_that_is_not_empty(
    scene, tmp_path, new_database, new_storage
):
    backup_create(
        destination=tmp_path / "backup", database=connection.settings_dict, storage=default_storage
    )
    rows_before = table_rows(connection.settings_dict)

    with pytest.raises(ValidationError, match="database is not empty"):
        backup_restore(
            source=tmp_path / "backup", database=connection.settings_dict, storage=new_storage
        )
    assert table_rows(connection.settings_dict) == rows_before

    new_storage.save("left-behind.txt", ContentFile(b"not empty"))
    with pytest.raises(ValidationError, match="storage is not empty"):
        backup_restore(source=tmp_path / "backup", database=new_database, storage=new_storage)
    assert table_rows(new_database) == {}


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_it_refuses_a_destination_that_is_not_empty(scene, tmp_path):
    (tmp_path / "backup").mkdir()
    (tmp_path / "backup" / "earlier.txt").write_text("an earlier backup's file")

    with pytest.raises(ValidationError, match="not empty"):
        backup_create(
            destination=tmp_path / "backup",
            database=connection.settings_dict,
            storage=default_storage,
        )
    assert [p.name for p in (tmp_path / "backup").iterdir()] == ["earlier.txt"]


# --- SQLite, through the commands (make run) -------------------------------------------------------

MAKE_FAXES = """
from django.utils import timezone
from detainers.intake.services import IncomingFile, delivery_receive
from detainers.models import Channel, Source
from detainers.triage.services import request_triage
from precincts.models import Precinct
from precincts.services import fax_number_assign
from tests.factories import image_bytes, pdf_bytes
b3 = Precinct.objects.create(code="B-3", name="Mattapan")
fax_number_assign(precinct=b3, number="+16175550133", active_from=timezone.now().replace(year=2020))
for content in (pdf_bytes(1), pdf_bytes(2), image_bytes()):
    delivery = delivery_receive(channel=Channel.FAX, source=Source.GATEWAY, received_at=timezone.now(),
        files=[IncomingFile("fax.pdf", content)], to_number="+16175550133").delivery
from accounts.models import User
request_triage(request_id=delivery.requests.get().pk, actor=User.objects.create_user("reviewer"),
    changes={"form_type": "I-247A", "disposition": "not_acted_upon", "subject_name": "Quixotica"})
"""


def manage(environment: dict, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "CELERY_BROKER_URL")}
    env |= {"DJANGO_DEBUG": "True", "BACKUP_ENCRYPTION_KEY": "", **environment}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def sqlite_rows(path: Path, sql: str) -> list[tuple]:
    with sqlite3.connect(path) as conn:
        return conn.execute(sql).fetchall()


def test_it_backs_up_and_restores_sqlite_through_the_commands(tmp_path):
    source = {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'source.sqlite3'}",
        "MEDIA_ROOT": str(tmp_path / "media"),
    }
    target = {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'restored.sqlite3'}",
        "MEDIA_ROOT": str(tmp_path / "restored-media"),
    }
    for step in (("migrate", "--noinput"), ("shell", "-c", MAKE_FAXES)):
        assert manage(source, *step).returncode == 0
    made = manage(source, "backup", str(tmp_path / "backup"))
    assert made.returncode == 0, made.stderr
    assert "not encrypted" in made.stdout
    assert (tmp_path / "backup" / "database.sqlite3").is_file()
    assert manage(source, "restore", "--check", str(tmp_path / "backup")).returncode == 0
    shutil.copytree(tmp_path / "backup", tmp_path / "damaged")
    _flip_a_byte(_first_document(tmp_path / "damaged"))
    refused = manage(target, "restore", str(tmp_path / "damaged"))
    assert refused.returncode != 0 and "damaged: its checksum does not match" in refused.stderr
    assert (
        not (tmp_path / "restored.sqlite3").exists() and not (tmp_path / "restored-media").exists()
    )

    restored = manage(target, "restore", str(tmp_path / "backup"))

    assert restored.returncode == 0, restored.stderr
    tables = [
        row[0]
        for row in sqlite_rows(
            tmp_path / "source.sqlite3",
            "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'",
        )
    ]
    assert len(tables) > 20
    for table in tables:
        count = f'SELECT count(*) FROM "{table}"'
        assert sqlite_rows(tmp_path / "restored.sqlite3", count) == sqlite_rows(
            tmp_path / "source.sqlite3", count
        ), table
    cells = "SELECT year, precinct_id, channel, breakdown, value, total FROM detainers_countcell ORDER BY 1, 2, 3, 4, 5"
    assert (
        sqlite_rows(tmp_path / "restored.sqlite3", cells)
        == sqlite_rows(tmp_path / "source.sqlite3", cells)
        != []
    )
    documents = sqlite_rows(
        tmp_path / "restored.sqlite3", "SELECT file, sha256 FROM detainers_document"
    )
    assert len(documents) == 3
    for name, stored_sha256 in documents:
        assert sha256(tmp_path / "restored-media" / name) == stored_sha256

    again = manage(target, "restore", str(tmp_path / "backup"))
    assert again.returncode != 0 and "database is not empty" in again.stderr
