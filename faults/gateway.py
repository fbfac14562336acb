"""A fax gateway as the contract expects one to behave: it posts each fax to /api/v1/faxes/ with a
gateway_id of its own and posts the same fax again, with the same gateway_id, until it gets 200 or
201 (waiting as long as Retry-After says after a 503), within a bounded number of tries and time.

A burst is `count` faxes at `rate` per second from a few client threads, started in the background
so that a fault can be injected while it runs.
"""

import http.client
import itertools
import json
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from .stack import HOST, PRECINCT_NUMBER

MAX_ATTEMPTS = 25
GIVE_UP_AFTER = 120.0  # seconds of retrying one fax
BOUNDARY = "faults-gateway-boundary-4b1f"


def pdf_bytes() -> bytes:
    """A valid one-page PDF, small: the faults are about delivery, not documents."""
    bodies = [
        b"<</Type/Catalog/Pages 2 0 R>>",
        b"<</Type/Pages/Kids[3 0 R]/Count 1>>",
        b"<</Type/Page/Parent 2 0 R/MediaBox[0 0 612 792]/Contents 4 0 R>>",
    ]
    content = b"BT /F1 12 Tf (fax) Tj ET"
    bodies.append(b"<</Length %d>>stream\n%s\nendstream" % (len(content), content))
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(bodies, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(bodies) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{offset:010d} 00000 n \n".encode() for offset in offsets)
    out += f"trailer\n<</Size {len(bodies) + 1}/Root 1 0 R>>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


PDF = pdf_bytes()


def fax_body(gateway_id: str) -> bytes:
    received_at = (datetime.now(UTC) - timedelta(minutes=1)).replace(microsecond=0)
    fields = {
        "to_number": PRECINCT_NUMBER,
        "from_number": "+12025550100",
        "received_at": received_at.isoformat(),
        "gateway_id": gateway_id,
    }
    parts = [
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        for name, value in fields.items()
    ]
    document = (
        (
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="document"; filename="fax.pdf"\r\n'
            "Content-Type: application/pdf\r\n\r\n"
        ).encode()
        + PDF
        + b"\r\n"
    )
    return b"".join(parts) + document + f"--{BOUNDARY}--\r\n".encode()


@dataclass(frozen=True)
class Attempt:
    status: int  # 0: no HTTP answer (connection refused, reset, timed out)
    retry_after: str | None
    at: float  # time.time() when the answer came


@dataclass
class Fax:
    gateway_id: str
    attempts: list[Attempt] = field(default_factory=list)
    delivery_id: int | None = None
    accepted_at: float | None = None
    repeat: Attempt | None = None  # the answer to posting it again once it was accepted
    repeat_delivery_id: int | None = None

    @property
    def accepted(self) -> bool:
        return self.accepted_at is not None

    @property
    def retries(self) -> int:
        return max(0, len(self.attempts) - 1)


def _post_once(port: int, token: str, gateway_id: str) -> tuple[Attempt, dict]:
    connection = http.client.HTTPConnection(HOST, port, timeout=30)
    try:
        connection.request(
            "POST",
            "/api/v1/faxes/",
            body=fax_body(gateway_id),
            headers={
                "Authorization": f"Token {token}",
                "Content-Type": f"multipart/form-data; boundary={BOUNDARY}",
            },
        )
        answer = connection.getresponse()
        text = answer.read()
        attempt = Attempt(answer.status, answer.getheader("Retry-After"), time.time())
    except (OSError, http.client.HTTPException):
        return Attempt(0, None, time.time()), {}
    finally:
        connection.close()
    try:
        return attempt, json.loads(text) if attempt.status < 300 else {}
    except ValueError:
        return attempt, {}


def _pause_after(attempt: Attempt) -> float:
    if attempt.status == 503 and attempt.retry_after and attempt.retry_after.isdigit():
        return min(float(attempt.retry_after), 10.0)
    return 0.5


def fax_send(port: int, token: str, gateway_id: str, repeat: bool = False) -> Fax:
    """Posts until accepted (or a 4xx, which no retry can fix, or the bounds run out).

    repeat: once accepted, post it again as a gateway does whose answer was lost on the way."""
    fax = Fax(gateway_id)
    give_up = time.monotonic() + GIVE_UP_AFTER
    while len(fax.attempts) < MAX_ATTEMPTS and time.monotonic() < give_up:
        attempt, item = _post_once(port, token, gateway_id)
        fax.attempts.append(attempt)
        if attempt.status in (200, 201):
            fax.delivery_id, fax.accepted_at = item.get("delivery_id"), attempt.at
            break
        if 400 <= attempt.status < 500:
            break
        time.sleep(_pause_after(attempt))
    if repeat and fax.accepted:
        while time.monotonic() < give_up:
            fax.repeat, item = _post_once(port, token, gateway_id)
            fax.repeat_delivery_id = item.get("delivery_id")
            if fax.repeat.status < 500 and fax.repeat.status != 0:
                break
            time.sleep(_pause_after(fax.repeat))
    return fax


class Burst:
    """`count` faxes `{prefix}-0000`... at `rate` per second from `clients` threads."""

    def __init__(self, port: int, token: str, prefix: str, count: int, rate: float, clients: int = 4,
                 repeat_every: int = 0):  # fmt: skip
        self.port, self.token, self.prefix = port, token, prefix
        self.count, self.rate, self.clients, self.repeat_every = count, rate, clients, repeat_every
        self.faxes: list[Fax | None] = [None] * count
        self._next = itertools.count()
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []
        self.started = 0.0

    def start(self) -> "Burst":
        self.started = time.monotonic()
        self._threads = [
            threading.Thread(target=self._client, daemon=True) for _ in range(self.clients)
        ]
        for thread in self._threads:
            thread.start()
        return self

    def _client(self) -> None:
        while True:
            with self._lock:
                index = next(self._next)
            if index >= self.count:
                return
            time.sleep(max(0.0, self.started + index / self.rate - time.monotonic()))
            repeat = bool(self.repeat_every) and index % self.repeat_every == 0
            self.faxes[index] = fax_send(
                self.port, self.token, f"{self.prefix}-{index:04d}", repeat
            )

    def wait(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        return not any(thread.is_alive() for thread in self._threads)

    @property
    def done(self) -> list[Fax]:
        return [fax for fax in self.faxes if fax is not None]
