"""A backup's files: written and read a chunk at a time, hashed as they pass, optionally encrypted.

An encrypted file is MAGIC followed by chunks, each a 4-byte big-endian length and a Fernet token
(AES-128-CBC with an HMAC-SHA256, from `cryptography`) of at most CHUNK plaintext bytes. Fernet
itself holds a whole message in memory; chunking keeps a database dump of many gigabytes at a
megabyte of memory. A token cannot be altered unnoticed, and the SHA-256 of the whole plaintext
in the (sealed) manifest notices chunks dropped, repeated or reordered.
"""

import hashlib
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from cryptography.fernet import Fernet, InvalidToken
from django.core.exceptions import ValidationError

CHUNK = 1024 * 1024
MAGIC = b"DDBACKUP-FERNET-1\n"
LENGTH_BYTES = 4


@dataclass(frozen=True)
class FileDigest:
    """What the manifest holds of one file: its plaintext, and what is stored when encrypted."""

    size: int
    sha256: str
    stored_size: int
    stored_sha256: str


def fernet_for(key: str) -> Fernet | None:
    """The cipher for BACKUP_ENCRYPTION_KEY ("" for none); a malformed key is refused."""
    if not key:
        return None
    try:
        return Fernet(key.encode("ascii"))
    except (ValueError, UnicodeEncodeError):
        raise ValidationError(
            "BACKUP_ENCRYPTION_KEY is not a valid key: it must be 32 bytes in URL-safe base64 "
            '(python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())").'
        ) from None


def create_private(path: Path) -> BinaryIO:
    """A new file only its owner can read: backups hold personal data. Never overwrites."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    return os.fdopen(descriptor, "wb")


def file_chunks(stream: BinaryIO) -> Iterator[bytes]:
    while chunk := stream.read(CHUNK):
        yield chunk


def write_file(path: Path, chunks: Iterable[bytes], fernet: Fernet | None) -> FileDigest:
    """Write the plaintext `chunks` to `path`, encrypted when a cipher is given."""
    plain, stored = hashlib.sha256(), hashlib.sha256()
    size = stored_size = 0
    with create_private(path) as out:

        def put(data: bytes) -> None:
            nonlocal stored_size
            out.write(data)
            stored.update(data)
            stored_size += len(data)

        if fernet is not None:
            put(MAGIC)
        for chunk in chunks:
            plain.update(chunk)
            size += len(chunk)
            if fernet is None:
                put(chunk)
            else:
                token = fernet.encrypt(chunk)
                put(len(token).to_bytes(LENGTH_BYTES, "big") + token)
    return FileDigest(size, plain.hexdigest(), stored_size, stored.hexdigest())


def stored_digest(path: Path) -> tuple[int, str]:
    """(size, SHA-256) of the bytes as stored."""
    digest, size = hashlib.sha256(), 0
    with path.open("rb") as stream:
        for chunk in file_chunks(stream):
            digest.update(chunk)
            size += len(chunk)
    return size, digest.hexdigest()


def plaintext_chunks(
    path: Path, fernet: Fernet | None, *, size: int, sha256: str, label: str
) -> Iterator[bytes]:
    """The file's plaintext a chunk at a time. After the last chunk, and before the generator
    ends, the size and SHA-256 are compared with the manifest's: a consumer that only acts once
    the generator is exhausted never acts on a file that differs."""
    digest, seen = hashlib.sha256(), 0
    with path.open("rb") as stream:
        for chunk in _decrypted(stream, fernet, label) if fernet else file_chunks(stream):
            digest.update(chunk)
            seen += len(chunk)
            yield chunk
    if seen != size or digest.hexdigest() != sha256:
        raise ValidationError(f"{label} differs from the manifest (its checksum does not match).")


def _decrypted(stream: BinaryIO, fernet: Fernet, label: str) -> Iterator[bytes]:
    if stream.read(len(MAGIC)) != MAGIC:
        raise ValidationError(f"{label} is not an encrypted backup file.")
    while header := stream.read(LENGTH_BYTES):
        length = int.from_bytes(header, "big")
        token = stream.read(length)
        if len(header) != LENGTH_BYTES or len(token) != length:
            raise ValidationError(f"{label} is cut short.")
        try:
            yield fernet.decrypt(token)
        except InvalidToken:
            raise ValidationError(
                f"{label} cannot be decrypted with this key, or it was altered."
            ) from None
