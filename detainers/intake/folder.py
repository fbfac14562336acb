"""The drop folder: fax servers that can only write files (RightFax exports, a multifunction
printer's scan-to-folder) drop each fax as a PDF or TIFF, with an optional sidecar (`<name>.json`
of ours, or a RightFax `<name>.xml`; detainers.intake.sidecars), and each pass takes in what is
complete, exactly once.

- A file is read only once it has settled: unchanged for SETTLE_SECONDS (or since the previous
  pass saw it), not locked by its writer, and the same size after reading as before. A file still
  being written is left for the next pass.
- Exactly once: the external id is the document's SHA-256 (a lone failed sidecar's: its own), so
  the same fax dropped twice, under any name, is one delivery; the copy is noted as a repeat.
- Nothing is deleted. What was taken in moves to `processed/` (with its sidecar), once the
  database has committed it: a crash in between leaves the file to be read again, which the
  content hash makes harmless. What cannot be taken in moves to `quarantine/`, with a
  `<name>.reason.txt` that says why.
"""

import fcntl
import hashlib
import logging
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from detainers.core.documents import FAX_TYPES, content_type_of, size_check
from detainers.intake.receptions import Reception, ReceptionStatus, fax_reception_record
from detainers.intake.services import IncomingFile
from detainers.intake.sidecars import SidecarFacts, SidecarUnreadable, sidecar_read
from detainers.models import Source

logger = logging.getLogger(__name__)

SETTLE_SECONDS = 2.0
# A sidecar may be written before its document; after this long alone (and not failed) it is not.
LONE_SIDECAR_PATIENCE = timedelta(minutes=15)
PROCESSED = "processed"
QUARANTINE = "quarantine"
SIDECAR_SUFFIXES = (".json", ".xml")
# Names writers give a file while it is being written (and dot-files): never read.
WRITING_SUFFIXES = (".part", ".partial", ".tmp", ".filepart", ".crdownload")
LOCK_NAME = ".detainer-desk.lock"


class DropFolderMissing(Exception):
    """The folder named is not there (or not a folder)."""


@dataclass
class FolderPass:
    """What one pass did: counts only (file names may carry a caller's number)."""

    read: int = 0
    repeats: int = 0
    missed: int = 0
    quarantined: int = 0
    waiting: int = 0
    failed: int = 0
    busy: bool = False

    def line(self) -> str:
        if self.busy:
            return "Another pass is reading this folder; nothing done."
        return (
            f"{self.read} taken in ({self.repeats} of them repeats), {self.missed} missed faxes, "
            f"{self.quarantined} quarantined, {self.waiting} still being written, "
            f"{self.failed} left for the next pass after an error"
        )


@dataclass
class _Drop:
    """A document and its sidecar(s), or a sidecar alone."""

    document: Path | None
    sidecars: list[Path] = field(default_factory=list)

    @property
    def files(self) -> list[Path]:
        return [path for path in (self.document, *self.sidecars) if path is not None]


def drop_folder_ingest(
    *,
    folder: Path,
    settle_seconds: float = SETTLE_SECONDS,
    sightings: dict[str, tuple[int, int, float]] | None = None,
    time_budget: float | None = None,
) -> FolderPass:
    """One pass over `folder`. `sightings` (kept by a caller that polls) remembers each file's
    size and time between passes; `time_budget` stops taking new files after that many seconds."""
    folder = Path(folder)
    if not folder.is_dir():
        raise DropFolderMissing(f"There is no folder at {folder}. Create it or fix the path.")
    result = FolderPass()
    started = time.monotonic()
    with _pass_lock(folder) as locked:
        if not locked:
            result.busy = True
            return result
        drops = _drops(folder)
        if sightings is not None:  # forget the files that have gone (taken in, or moved away)
            present = {str(path) for drop in drops for path in drop.files}
            for gone in set(sightings) - present:
                del sightings[gone]
        for drop in drops:
            if time_budget is not None and time.monotonic() - started > time_budget:
                result.waiting += 1
                continue
            try:
                _take(drop, folder, settle_seconds, sightings, result)
            except Exception:  # noqa: BLE001 - one file's trouble never stops the others
                result.failed += 1
                logger.exception(
                    "drop folder: a file could not be taken in; it stays for the next pass"
                )
    return result


@contextmanager
def _pass_lock(folder: Path) -> Iterator[bool]:
    """One pass at a time per folder (beat and a command may both run): a lock file's flock."""
    with open(folder / LOCK_NAME, "a") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _drops(folder: Path) -> list[_Drop]:
    entries = {
        path.name: path
        for path in folder.iterdir()
        if path.is_file()
        and not path.name.startswith(".")
        and not path.name.lower().endswith(WRITING_SUFFIXES)
    }
    sidecars = {name for name in entries if name.lower().endswith(SIDECAR_SUFFIXES)}
    claimed: set[str] = set()
    drops = []
    for name in sorted(set(entries) - sidecars):
        stem = name.rsplit(".", 1)[0]  # fax.pdf -> fax.json; fax.pdf.json is looked for too
        pair = [
            candidate
            for candidate in dict.fromkeys(
                f"{base}{suffix}" for suffix in SIDECAR_SUFFIXES for base in (name, stem)
            )
            if candidate in sidecars and candidate not in claimed
        ]
        claimed.update(pair)
        drops.append(_Drop(entries[name], [entries[sidecar] for sidecar in pair]))
    drops += [_Drop(None, [entries[name]]) for name in sorted(sidecars - claimed)]
    return drops


def _take(
    drop: _Drop,
    folder: Path,
    settle_seconds: float,
    sightings: dict | None,
    result: FolderPass,
) -> None:
    stats = {path: _stat(path) for path in drop.files}
    if any(stat is None for stat in stats.values()) or not all(
        _settled(path, stat, settle_seconds, sightings) for path, stat in stats.items()
    ):
        result.waiting += 1
        return
    if len(drop.sidecars) > 1:
        names = " and ".join(path.name for path in drop.sidecars)
        _quarantine(drop, folder, f"Two sidecars ({names}) for one document: keep one.", result)
        return
    if drop.document is not None:
        try:
            size_check(stats[drop.document].st_size, advice="Split it into smaller files.")
        except ValidationError as error:
            _quarantine(drop, folder, " ".join(error.messages), result)
            return
    contents = {path: _read_settled(path, stats[path]) for path in drop.files}
    if any(content is None for content in contents.values()):
        result.waiting += 1  # locked, or written to while we read: next pass
        return
    sidecar = drop.sidecars[0] if drop.sidecars else None
    try:
        facts = (
            sidecar_read(name=sidecar.name, content=contents[sidecar])
            if sidecar
            else SidecarFacts()
        )
    except SidecarUnreadable as error:
        _quarantine(drop, folder, f"The sidecar {sidecar.name} cannot be used: {error}", result)
        return
    if drop.document is None:
        _take_lone_sidecar(drop, folder, facts, contents[sidecar], stats[sidecar], result)
        return
    content = contents[drop.document]
    if content_type_of(content) not in FAX_TYPES:
        _quarantine(
            drop,
            folder,
            f"{drop.document.name} is not a PDF or TIFF file, whatever its name says: only "
            "faxes as PDF or TIFF are taken in. Export it as one and drop it again.",
            result,
        )
        return
    status, error = facts.status, facts.error
    if status == ReceptionStatus.FAILED:
        # A document came all the same: keep its pages, flagged, rather than count a missed fax.
        status = ReceptionStatus.PARTIAL
        error = error or "The sidecar said the reception failed, but a document came with it."
    _record(
        drop,
        folder,
        result,
        status=status,
        received_at=facts.received_at or _moment(stats[drop.document]),
        to_number=facts.to_number,
        from_number=facts.from_number,
        sender_id=facts.sender_id,
        external_id=f"sha256:{hashlib.sha256(content).hexdigest()}",
        pages=facts.pages,
        error=error,
        document=IncomingFile(drop.document.name, content),
    )


def _take_lone_sidecar(
    drop: _Drop,
    folder: Path,
    facts: SidecarFacts,
    content: bytes,
    stat: os.stat_result,
    result: FolderPass,
) -> None:
    """A sidecar with no document: a failed reception (a missed fax), or a document still to come."""
    if facts.status != ReceptionStatus.FAILED:
        if timezone.now() - _moment(stat) < LONE_SIDECAR_PATIENCE:
            result.waiting += 1
            return
        _quarantine(
            drop,
            folder,
            "No document came with this sidecar, and its status is not failed. Drop the fax "
            "(same name, .pdf or .tif) with it, or say status failed if nothing arrived.",
            result,
        )
        return
    _record(
        drop,
        folder,
        result,
        status=ReceptionStatus.FAILED,
        received_at=facts.received_at or _moment(stat),
        to_number=facts.to_number,
        from_number=facts.from_number,
        sender_id=facts.sender_id,
        external_id=f"failed:sha256:{hashlib.sha256(content).hexdigest()}",
        pages=facts.pages,
        error=facts.error,
        document=None,
    )


def _record(drop: _Drop, folder: Path, result: FolderPass, **reception) -> None:
    try:
        recorded = fax_reception_record(source=Source.FOLDER, **reception)
    except ValidationError as error:
        _quarantine(drop, folder, "Intake refused it: " + " ".join(error.messages), result)
        return
    if recorded.missed_fax is not None and recorded.created:
        result.missed += 1
    elif recorded.delivery is not None:
        result.read += 1
    if not recorded.created:
        result.repeats += 1
    note = None if recorded.created else _repeat_note(recorded)
    # Moved once the rows are committed (at once outside a transaction): never before.
    transaction.on_commit(lambda: _move(drop, folder / PROCESSED, note, ".repeat.txt"))


def _repeat_note(recorded: Reception) -> str:
    what = (
        f"delivery {recorded.delivery.pk} (receipt {recorded.delivery.receipt_number})"
        if recorded.delivery is not None
        else f"missed fax {recorded.missed_fax.pk}"
    )
    return (
        f"A repeat: the same fax was taken in before as {what}. This copy was not stored again.\n"
    )


def _quarantine(drop: _Drop, folder: Path, reason: str, result: FolderPass) -> None:
    result.quarantined += 1
    logger.warning("drop folder: a file was quarantined (its reason file says why)")
    _move(drop, folder / QUARANTINE, reason.strip() + "\n", ".reason.txt")


def _move(drop: _Drop, into: Path, note: str | None, note_suffix: str) -> None:
    """Move the drop's files into `into`, never over a file there: a name taken already gets
    ".2", ".3"... after its stem, the same for the document and its sidecar."""
    into.mkdir(exist_ok=True)
    first = drop.files[0]
    stem = first.name.split(".", 1)[0]
    for number in range(1, 10_000):
        tag = "" if number == 1 else f".{number}"
        targets = [into / (stem + tag + path.name[len(stem) :]) for path in drop.files]
        notes = into / (targets[0].name + note_suffix)
        if not any(target.exists() for target in targets) and not notes.exists():
            break
    else:
        raise FileExistsError(f"No free name in {into} for a dropped file.")
    try:
        for path, target in zip(drop.files, targets, strict=True):
            if path.exists():
                os.rename(path, target)
    except OSError:
        logger.exception("drop folder: a file could not be moved; the next pass tries again")
        return
    if note:
        notes.write_text(f"{timezone.now().isoformat()}\n{note}", encoding="utf-8")


def _stat(path: Path) -> os.stat_result | None:
    try:
        return path.stat()
    except FileNotFoundError:
        return None


def _settled(
    path: Path, stat: os.stat_result, settle_seconds: float, sightings: dict | None
) -> bool:
    """Unchanged for `settle_seconds`, by its time or by what the previous pass saw."""
    now = time.time()
    if now - stat.st_mtime >= settle_seconds:
        return True
    if sightings is None:
        return False
    seen = sightings.get(str(path))
    if seen is not None and seen[:2] == (stat.st_size, stat.st_mtime_ns):
        return now - seen[2] >= settle_seconds
    sightings[str(path)] = (stat.st_size, stat.st_mtime_ns, now)
    return False


def _read_settled(path: Path, before: os.stat_result) -> bytes | None:
    """The file's bytes, or None if a writer holds a lock on it or it changed while read."""
    try:
        with open(path, "rb") as handle:
            try:
                fcntl.lockf(handle, fcntl.LOCK_SH | fcntl.LOCK_NB)  # POSIX locks (Samba, NFS)
                fcntl.flock(handle, fcntl.LOCK_SH | fcntl.LOCK_NB)  # BSD locks
            except OSError:
                return None
            content = handle.read()
            after = os.fstat(handle.fileno())
    except FileNotFoundError:
        return None
    if (after.st_size, after.st_mtime_ns) != (before.st_size, before.st_mtime_ns):
        return None
    return content if len(content) == before.st_size else None


def _moment(stat: os.stat_result) -> datetime:
    """When the fax server wrote the file: the time a drop without a sidecar time is given."""
    return datetime.fromtimestamp(stat.st_mtime, tz=UTC)
