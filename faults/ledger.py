"""What the database and the SMTP sink say happened, read in SQL after each fault.

Every query opens a connection of its own: PostgreSQL may just have been restarted under us.
"""

import email
import re
import time
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from email import policy
from pathlib import Path

import psycopg

from tests.processes import wait_for

from .stack import APP_DSN

RECEIPT = re.compile(r"DD-\d{4}-(\d+)")


def query(sql: str, *params) -> list[tuple]:
    with psycopg.connect(APP_DSN) as connection:
        return connection.execute(sql, params).fetchall()


@dataclass(frozen=True)
class Delivery:
    id: int
    external_id: str
    logged_at: datetime
    routed_at: datetime | None
    notice_sent_at: datetime | None
    inbox_entries: int

    @property
    def routed(self) -> bool:
        return self.routed_at is not None and self.inbox_entries >= 1

    @property
    def accept_to_route(self) -> float | None:
        return (self.routed_at - self.logged_at).total_seconds() if self.routed_at else None


def deliveries(source: str, prefix: str = "") -> list[Delivery]:
    rows = query(
        "SELECT d.id, d.external_id, d.logged_at, d.routed_at, d.notice_sent_at,"
        " (SELECT count(*) FROM detainers_inboxentry i WHERE i.delivery_id = d.id)"
        " FROM detainers_delivery d WHERE d.source = %s AND d.external_id LIKE %s ORDER BY d.id",
        source,
        f"{prefix}%",
    )
    return [Delivery(*row) for row in rows]


def extra_deliveries_per_external_id(source: str, prefix: str = "") -> int:
    [(extra,)] = query(
        "SELECT coalesce(sum(n - 1), 0) FROM (SELECT count(*) AS n FROM detainers_delivery"
        " WHERE source = %s AND external_id LIKE %s GROUP BY external_id) AS copies",
        source,
        f"{prefix}%",
    )
    return int(extra)


def half_written() -> list[str]:
    """Deliveries (of any fault) without their request, document or 'received' event."""
    rows = query(
        "SELECT d.id,"
        " NOT EXISTS (SELECT 1 FROM detainers_detainerrequest r WHERE r.delivery_id = d.id),"
        " NOT EXISTS (SELECT 1 FROM detainers_document x WHERE x.delivery_id = d.id),"
        " NOT EXISTS (SELECT 1 FROM detainers_event e"
        "             WHERE e.delivery_id = d.id AND e.action = 'received')"
        " FROM detainers_delivery d"
    )
    names = ("request", "document", "'received' event")
    return [
        f"delivery {row[0]} has no {', no '.join(name for name, gone in zip(names, row[1:], strict=True) if gone)}"
        for row in rows
        if any(row[1:])
    ]


def documents_not_on_disk(media: Path) -> int:
    """Document rows whose file is missing or not the size recorded."""
    rows = query("SELECT file, size FROM detainers_document")
    return sum(1 for name, size in rows if not _whole(media / name, size))


def files_without_a_row(media: Path) -> int:
    """Stored files no document row points at: written by a request whose transaction then failed."""
    known = {name for (name,) in query("SELECT file FROM detainers_document")}
    stored = {str(path.relative_to(media)) for path in media.rglob("*") if path.is_file()}
    return len(stored - known)


def _whole(path: Path, size: int) -> bool:
    return path.is_file() and path.stat().st_size == size


def notices_per_delivery(sink) -> Counter:
    """How many notices the SMTP sink received for each delivery id (from the receipt number)."""
    counts = Counter()
    for envelope in list(sink.messages):
        subject = email.message_from_bytes(envelope.content, policy=policy.default)["Subject"]
        found = RECEIPT.search(str(subject or ""))
        counts[int(found.group(1)) if found else None] += 1
    return counts


def wait_until_routed(source: str, prefix: str, expected: int, sink, timeout: float) -> bool:
    """Until `expected` deliveries are in the inbox and announced (or the timeout): True if so."""

    def finished() -> bool:
        rows = deliveries(source, prefix)
        announced = notices_per_delivery(sink)
        return len(rows) >= expected and all(
            row.routed and row.notice_sent_at and announced[row.id] for row in rows
        )

    try:
        wait_for(_survives_restarts(finished), timeout, 0.5, "all routed")
    except TimeoutError:
        return False
    time.sleep(1)  # a notice being sent right now by a second attempt would show up in this time
    return True


def _survives_restarts(check):
    def guarded() -> bool:
        try:
            return check()
        except psycopg.OperationalError:
            return False

    return guarded
