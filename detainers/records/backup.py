"""Backups of the database and the documents, checksummed and optionally encrypted; their restore.

A backup is a new folder: `manifest.json`, the database (`database.dump` from pg_dump's custom
format, or `database.sqlite3`) and `media/<storage name>` for every stored file the database refers
to. The dump is taken first; the files copied are exactly those its rows name (read in the dump's
own snapshot, detainers.records.backup_engines). A document stored after that moment belongs to a
row the dump does not hold, so it is left for the next backup; a file the dump names is never gone
by the time it is copied, because the app deletes stored files only when the purge destroys them (a
file the purge destroyed in between is listed under `missing` in the manifest, and said).

The manifest names every file with its size and SHA-256 (of the plaintext, and of the stored bytes
when encrypted), the dump's SHA-256, the engine and its version, the applied migrations and every
table's row count, and carries its own checksum; encrypted, it is also sealed with the key, so a
wrong key is told apart from a damaged file before anything is decrypted.

A restore goes into an empty database and empty storage only, and checks everything first (every
file present, every checksum, the key), so a damaged backup is refused before anything is written.
It then restores the database, copies the documents (each checked again as it is read), and
compares every table's row count with the manifest's.
"""

import hashlib
import json
import posixpath
import shutil
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path, PurePosixPath

from cryptography.fernet import Fernet, InvalidToken
from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.files.storage import Storage
from django.db.migrations.loader import MigrationLoader

from detainers.records.backup_engines import POSTGRESQL, engine_for, engine_of
from detainers.records.backup_files import (
    CHUNK,
    FileDigest,
    fernet_for,
    file_chunks,
    plaintext_chunks,
    stored_digest,
    write_file,
)

FORMAT = 1
MANIFEST = "manifest.json"
MEDIA = "media"
DATABASE_FILES = {POSTGRESQL: "database.dump", "sqlite": "database.sqlite3"}
ENCRYPTED_SUFFIX = ".fernet"


@dataclass
class Manifest:
    """What a backup holds; `as_json` is the file's content, without its checksum and seal."""

    created_at: str
    app_version: str
    engine: str
    database: dict  # path, size, sha256, server_version, tool_version
    migrations: dict[str, list[str]]
    tables: dict[str, int]
    files: list[dict]  # every file, the database first: path, size, sha256 (+ stored_*)
    encrypted: bool = False
    missing: list[str] = field(default_factory=list)
    format: int = FORMAT

    def as_json(self) -> dict:
        return {
            "format": self.format,
            "created_at": self.created_at,
            "app_version": self.app_version,
            "engine": self.engine,
            "encrypted": self.encrypted,
            "database": self.database,
            "migrations": self.migrations,
            "tables": self.tables,
            "files": self.files,
            "missing": self.missing,
        }

    @property
    def documents(self) -> list[dict]:
        return [entry for entry in self.files if "name" in entry]


def _canonical_sha256(body: dict) -> str:
    return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()


def _app_version() -> str:
    try:
        return metadata.version("detainer-desk")
    except metadata.PackageNotFoundError:
        return "unknown"


def _entry(path: str, digest: FileDigest, encrypted: bool, **extra) -> dict:
    entry = {"path": path, "size": digest.size, "sha256": digest.sha256, **extra}
    if encrypted:
        entry |= {"stored_size": digest.stored_size, "stored_sha256": digest.stored_sha256}
    return entry


def _stored_path(name: str, encrypted: bool) -> str:
    return f"{name}{ENCRYPTED_SUFFIX}" if encrypted else name


# --- Backup ---------------------------------------------------------------------------------------


def backup_create(
    *, destination: Path, database: dict, storage: Storage, key: str = ""
) -> Manifest:
    """Write a backup of `database` (a connection's settings) and the files in `storage` it names
    into `destination`, a new or empty folder. Encrypted when `key` (a Fernet key) is given."""
    fernet = fernet_for(key)
    engine = engine_of(database)
    destination.mkdir(mode=0o700, parents=True, exist_ok=True)
    if any(destination.iterdir()):
        raise ValidationError(f"{destination} is not empty: a backup goes into a new folder.")
    try:
        return _write(destination, engine_for(database), engine, storage, fernet)
    except BaseException:
        for child in destination.iterdir():  # nothing half-written is left to be taken for a backup
            shutil.rmtree(child) if child.is_dir() else child.unlink()
        raise


def _write(destination: Path, db, engine: str, storage: Storage, fernet: Fernet | None) -> Manifest:
    encrypted = fernet is not None
    dump_name = _stored_path(DATABASE_FILES[engine], encrypted)
    digests: list[FileDigest] = []
    if engine == POSTGRESQL:
        facts = db.dump(
            lambda chunks: digests.append(write_file(destination / dump_name, chunks, fernet))
        )
    else:
        with tempfile.TemporaryDirectory(dir=destination) as scratch:
            copy = Path(scratch) / "database.sqlite3"
            facts = db.dump(copy)
            with copy.open("rb") as stream:
                digests.append(write_file(destination / dump_name, file_chunks(stream), fernet))
    database = _entry(dump_name, digests[0], encrypted)
    database |= {"server_version": facts.server_version, "tool_version": facts.tool_version}
    manifest = Manifest(
        created_at=datetime.now(UTC).isoformat(timespec="seconds"),
        app_version=_app_version(),
        engine=engine,
        database=database,
        migrations=facts.migrations,
        tables=facts.tables,
        files=[_entry(dump_name, digests[0], encrypted)],
        encrypted=encrypted,
    )
    for name in facts.file_names:
        stored = _stored_path(f"{MEDIA}/{name}", encrypted)
        try:
            source = storage.open(name, "rb")
        except FileNotFoundError:
            manifest.missing.append(name)
            continue
        with source:
            digest = write_file(destination / stored, file_chunks(source), fernet)
        manifest.files.append(_entry(stored, digest, encrypted, name=name))
    _manifest_write(destination, manifest, fernet)
    return manifest


def _manifest_write(destination: Path, manifest: Manifest, fernet: Fernet | None) -> None:
    body = manifest.as_json()
    digest = _canonical_sha256(body)
    body["sha256"] = digest
    if fernet is not None:
        # The seal: the manifest's digest encrypted with the key. Only the key makes a seal that
        # opens, so a wrong key (or a manifest rewritten without it) is refused first.
        body["seal"] = fernet.encrypt(digest.encode()).decode()
    partial = destination / f".{MANIFEST}.partial"
    with partial.open("x", encoding="utf-8") as out:
        json.dump(body, out, indent=2, sort_keys=True)
    partial.chmod(0o600)
    partial.replace(destination / MANIFEST)  # last: a folder without a manifest is no backup


# --- Verify ---------------------------------------------------------------------------------------


def _manifest_read(source: Path, fernet: Fernet | None) -> Manifest:
    try:
        body = json.loads((source / MANIFEST).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ValidationError(
            f"{source} holds no {MANIFEST}: it is not a backup, or not a complete one."
        ) from None
    except (ValueError, UnicodeDecodeError):
        raise ValidationError(f"{MANIFEST} is damaged: it is not JSON.") from None
    if not isinstance(body, dict) or body.get("format") != FORMAT:
        raise ValidationError(
            f"{MANIFEST} is not of a backup format this version reads ({FORMAT})."
        )
    digest, seal = body.pop("sha256", None), body.pop("seal", None)
    if digest != _canonical_sha256(body):
        raise ValidationError(f"{MANIFEST} is damaged: its checksum does not match.")
    if body.get("encrypted"):
        if fernet is None:
            raise ValidationError("The backup is encrypted: set BACKUP_ENCRYPTION_KEY to its key.")
        try:
            sealed = fernet.decrypt((seal or "").encode())
        except InvalidToken:
            raise ValidationError(
                "Wrong key: BACKUP_ENCRYPTION_KEY is not the key this backup was made with."
            ) from None
        if sealed.decode() != digest:
            raise ValidationError(f"{MANIFEST} was changed after the backup was made.")
    body.pop("format")
    try:
        return Manifest(**body)
    except TypeError:
        raise ValidationError(f"{MANIFEST} is damaged: it lacks what a manifest holds.") from None


def _inside(source: Path, relative: str) -> Path:
    """The file a manifest names, which must lie inside the backup folder."""
    path = PurePosixPath(relative)
    if path.is_absolute() or ".." in path.parts or not path.parts:
        raise ValidationError(f"{MANIFEST} names a file outside the backup: {relative!r}.")
    return source.joinpath(*path.parts)


def _chunks(source: Path, entry: dict, fernet: Fernet | None):
    return plaintext_chunks(
        _inside(source, entry["path"]),
        fernet,
        size=entry["size"],
        sha256=entry["sha256"],
        label=entry["path"],
    )


def _verify_files(source: Path, manifest: Manifest, fernet: Fernet | None) -> None:
    """Every file present, its stored bytes as listed, its plaintext as listed."""
    if not manifest.files or manifest.files[0]["path"] != manifest.database["path"]:
        raise ValidationError(f"{MANIFEST} is damaged: it does not list the database first.")
    for entry in manifest.files:
        path = _inside(source, entry["path"])
        if not path.is_file():
            raise ValidationError(f"The backup is incomplete: {entry['path']} is missing.")
        size, sha256 = stored_digest(path)
        expected = (
            entry.get("stored_size", entry["size"]),
            entry.get("stored_sha256", entry["sha256"]),
        )
        if (size, sha256) != expected:
            raise ValidationError(
                f"{entry['path']} is damaged: its checksum does not match the manifest."
            )
        if manifest.encrypted:
            for _ in _chunks(source, entry, fernet):
                pass
    for entry in manifest.documents:
        name = PurePosixPath(entry["name"])
        if name.is_absolute() or ".." in name.parts:
            raise ValidationError(
                f"{MANIFEST} names a document outside storage: {entry['name']!r}."
            )


def _migrations_check(manifest: Manifest) -> None:
    known = set(MigrationLoader(None, ignore_no_migrations=True).disk_migrations)
    known_apps = {app for app, _ in known}  # an app no longer installed is not a reason to refuse
    unknown = [
        f"{app}.{name}"
        for app, names in manifest.migrations.items()
        for name in names
        if app in known_apps and (app, name) not in known
    ]
    if unknown:
        raise ValidationError(
            f"The backup was made by a later version of the app (migrations {', '.join(unknown[:3])} "
            "are unknown here): restore it with that version."
        )


def backup_verify(*, source: Path, key: str = "") -> Manifest:
    """Check a backup without restoring it: the manifest, the key, every file and checksum."""
    fernet = fernet_for(key)
    manifest = _manifest_read(source, fernet)
    _verify_files(source, manifest, fernet)
    return manifest


# --- Restore --------------------------------------------------------------------------------------


def _storage_names(storage: Storage, folder: str = "") -> list[str]:
    try:
        folders, files = storage.listdir(folder)
    except FileNotFoundError:
        return []
    names = [posixpath.join(folder, name) for name in files]
    for name in folders:
        names += _storage_names(storage, posixpath.join(folder, name))
    return names


def backup_restore(*, source: Path, database: dict, storage: Storage, key: str = "") -> Manifest:
    """Restore a backup into `database` (a connection's settings) and `storage`, both empty.

    Everything is checked before anything is written; a refusal says what and why."""
    fernet = fernet_for(key)
    manifest = _manifest_read(source, fernet)
    engine = engine_of(database)
    if manifest.engine != engine:
        raise ValidationError(
            f"The backup is of a {manifest.engine} database; this one is {engine}."
        )
    db = engine_for(database)
    if db.tables():
        raise ValidationError(
            "The database is not empty: a backup is restored into a new, empty database only "
            "(create one, point DATABASE_URL at it, and do not migrate it first)."
        )
    if _storage_names(storage):
        raise ValidationError(
            "Document storage is not empty: a backup is restored into an empty MEDIA_ROOT only."
        )
    _migrations_check(manifest)
    db.restore_check(manifest.database)
    _verify_files(source, manifest, fernet)

    db.restore(_chunks(source, manifest.files[0], fernet))
    for entry in manifest.documents:
        _document_restore(source, entry, storage, fernet)
    restored = db.tables()
    differing = sorted(
        table for table, rows in manifest.tables.items() if restored.get(table) != rows
    )
    if differing:
        raise ValidationError(
            f"After the restore, {len(differing)} tables differ from the backup's row counts "
            f"({', '.join(differing[:5])})."
        )
    return manifest


def _document_restore(source: Path, entry: dict, storage: Storage, fernet: Fernet | None) -> None:
    # Spooled: checked to its last byte (the generator raises on a mismatch) before it is stored.
    with tempfile.SpooledTemporaryFile(max_size=8 * CHUNK) as spool:
        for chunk in _chunks(source, entry, fernet):
            spool.write(chunk)
        spool.seek(0)
        saved = storage.save(entry["name"], File(spool))
    if saved != entry["name"]:
        raise ValidationError(f"Storage kept {entry['name']} under another name: {saved}.")
