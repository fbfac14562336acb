"""Documents' files written before the commit that records them, and taken back if it rolls back.

Storage is not transactional. A file without its row is an orphan nobody can find or account for
(its path names nothing), so `intake_transaction` removes the files written inside it when it rolls
back; a row without its file would lose a document, so when the commit's outcome is unknown the
files stay.
"""

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from django.core.files.base import ContentFile
from django.core.files.storage import Storage
from django.db import IntegrityError, transaction

from detainers.core.documents import (
    CheckedDocument,
)
from detainers.models import (
    Delivery,
    Document,
)

# Per thread (as Django's connections are), the files written in each open intake_transaction.
logger = logging.getLogger(__name__)
_written = threading.local()


def document_store(delivery: Delivery, checked: CheckedDocument) -> Document:
    """Call inside an `intake_transaction`, so the file goes again if the row does not commit."""
    document = document_file_write(delivery, checked)
    document.save()
    return document


def document_file_write(delivery: Delivery, checked: CheckedDocument) -> Document:
    """The document with its file written to storage; the row is not saved yet."""
    document = Document(
        delivery=delivery,
        name=checked.name,
        content_type=checked.content_type,
        size=len(checked.content),
        sha256=checked.sha256,
        pages=checked.pages,
        active_content=checked.active_content,
    )
    document.file.save(checked.name, ContentFile(checked.content), save=False)
    scopes = getattr(_written, "scopes", None)
    if scopes:
        scopes[-1].append((document.file.storage, document.file.name))
    return document


@contextmanager
def intake_transaction() -> Iterator[None]:
    """`transaction.atomic()` that removes the document files written inside it if it rolls back.

    Nested, a block that succeeds hands its files to the enclosing one: they are safe only once
    the outermost commits. A caller whose own writes around intake may fail (the mailbox records
    the message it read in the same commit) wraps them in this rather than in a bare atomic();
    a bare atomic() around it that rolls back later leaves the files behind.
    """
    scopes = _written.__dict__.setdefault("scopes", [])
    written: list[tuple[Storage, str]] = []
    scopes.append(written)
    body_done = False
    try:
        with transaction.atomic():
            yield
            body_done = True
    except BaseException as error:
        _files_after_failure(written, scopes, rolled_back=not body_done or _refused(error))
        raise
    else:
        if len(scopes) > 1:
            scopes[-2].extend(written)
    finally:
        scopes.pop()


def _refused(error: BaseException) -> bool:
    # A constraint checked at COMMIT (deferred) or a savepoint release: nothing was kept.
    return isinstance(error, IntegrityError)


def _files_after_failure(written: list, scopes: list, *, rolled_back: bool) -> None:
    """The block failed. Its rows were rolled back when the failure came from inside it; when the
    COMMIT itself failed (a connection lost), they may have been kept: then the files stay, since a
    row without its file would lose a document, where a file without its row loses nothing."""
    if rolled_back:
        _files_remove(written)
    elif len(scopes) > 1:
        scopes[-2].extend(written)  # not committed yet: the enclosing block decides
    elif written:
        logger.warning(
            "commit failed with an unknown outcome; kept %d document file(s) that may have no "
            "row: %s",
            len(written),
            ", ".join(name for _, name in written),
        )


def _files_remove(written: list[tuple[Storage, str]]) -> None:
    for storage, name in written:
        try:
            storage.delete(name)
        except OSError as error:  # the rollback's own error matters more than this one
            logger.warning("document file %s of a rolled back intake not removed (%s)", name, error)
    if written:
        logger.info("removed %d document file(s) of a rolled back intake", len(written))
