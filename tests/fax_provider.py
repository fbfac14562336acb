"""A cloud fax provider of the tests' own: it signs webhooks as Telnyx, Phaxio and Documo do, with keys
the test makes, and serves faxes' documents over real HTTP on 127.0.0.1.

Nothing is faked on our side of the wire: the webhooks go through the URL, the views and the
signature checks, and the documents are downloaded by detainers.intake.media_fetch over a socket.
"""

import base64
import hashlib
import json
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from detainers.intake.providers import phaxio_signature

LINE = "+16175550133"  # B-3's fax number (tests.conftest.b3)
CALLER = "+12025550100"


class MediaServer:
    """Serves `documents[path]` (bytes) at http://127.0.0.1:<port><path>; anything else is 404.
    `redirects[path]` answers 302 to that location; a path in `undeclared` is sent without its
    length (to the end of the connection). `requests` lists every path asked for, in order."""

    def __init__(self):
        self.documents: dict[str, bytes] = {}
        self.redirects: dict[str, str] = {}
        self.undeclared: set[str] = set()  # paths answered without Content-Length
        self.requests: list[str] = []
        self.headers: list[dict] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 - http.server's name
                server.requests.append(self.path)
                server.headers.append(dict(self.headers))
                if self.path in server.redirects:
                    self.send_response(302)
                    self.send_header("Location", server.redirects[self.path])
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                content = server.documents.get(self.path)
                if content is None:
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header("Content-Type", "application/pdf")
                if self.path not in server.undeclared:
                    self.send_header("Content-Length", str(len(content)))
                self.end_headers()
                try:
                    self.wfile.write(content)
                except OSError:  # the client stopped reading (a document over its cap)
                    pass

            def log_message(self, *args):  # quiet
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/"

    def url(self, path: str) -> str:
        return self.base.rstrip("/") + path

    def start(self) -> "MediaServer":
        self.thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


class TelnyxSigner:
    """Signs as Telnyx does: Ed25519 over "{timestamp}|{body}", base64 in telnyx-signature-ed25519."""

    def __init__(self):
        self.private_key = Ed25519PrivateKey.generate()
        raw = self.private_key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        self.public_key = base64.b64encode(raw).decode()

    def headers(self, body: bytes, timestamp: int | None = None) -> dict:
        stamp = str(int(time.time()) if timestamp is None else timestamp)
        signature = self.private_key.sign(f"{stamp}|".encode() + body)
        return {
            "HTTP_TELNYX_TIMESTAMP": stamp,
            "HTTP_TELNYX_SIGNATURE_ED25519": base64.b64encode(signature).decode(),
        }


def telnyx_event(
    event_type: str = "fax.received",
    *,
    fax_id: str | None = None,
    media_url: str = "",
    to: str = LINE,
    **payload,
) -> bytes:
    """A Programmable Fax webhook body as Telnyx sends it."""
    body = {
        "data": {
            "event_type": event_type,
            "id": str(uuid.uuid4()),
            "occurred_at": "2026-12-01T14:05:09.123456Z",
            "record_type": "event",
            "payload": {
                "connection_id": "1453742805816968295",
                "direction": "inbound",
                "fax_id": fax_id or str(uuid.uuid4()),
                "from": CALLER,
                "to": to,
                "page_count": 1,
                "status": "received" if event_type == "fax.received" else "failed",
                **({"media_url": media_url} if media_url else {}),
                **payload,
            },
        },
        "meta": {"attempt": 1, "delivered_to": "https://example.org/api/v1/fax-providers/telnyx/"},
    }
    return json.dumps(body).encode()


def telnyx_post(client, signer: TelnyxSigner, body: bytes, **headers):
    return client.post(
        "/api/v1/fax-providers/telnyx/",
        data=body,
        content_type="application/json",
        **{**signer.headers(body), **headers},
    )


def phaxio_fields(*, fax_id: int = 1234567, status: str = "success", **fax) -> dict:
    """The form fields of Phaxio's receive callback (the file goes as a part of its own)."""
    fax_object = {
        "id": fax_id,
        "direction": "received",
        "num_pages": 1,
        "status": status,
        "is_test": False,
        "created_at": "2026-12-01T09:05:09.000-05:00",
        "completed_at": "2026-12-01T09:05:39.000-05:00",
        "from_number": CALLER,
        "to_number": LINE,
        **fax,
    }
    return {
        "direction": "received",
        "is_test": "false",
        "success": "true" if status != "failure" else "false",
        "fax": json.dumps(fax_object),
    }


def phaxio_headers(token: str, url: str, fields: dict, files: dict[str, bytes]) -> dict:
    signature = phaxio_signature(
        token=token,
        url=url,
        fields=list(fields.items()),
        files=[(name, hashlib.sha1(content).hexdigest()) for name, content in files.items()],  # noqa: S324
    )
    return {"HTTP_X_PHAXIO_SIGNATURE": signature}


def documo_event(*, message_id: str | None = None, status: str = "success", **fields) -> bytes:
    """A Documo mFax inbound webhook body (fax.inbound)."""
    return json.dumps(
        {
            "messageId": message_id or str(uuid.uuid4()),
            "resultInfo": "OK" if status == "success" else "NO CARRIER",
            "status": status,
            "direction": "inbound",
            "faxNumber": LINE,
            "faxCallerId": CALLER,
            "faxCsid": "DHS ERO BOSTON",
            "pagesCount": 1,
            "pagesComplete": 1,
            "resolvedDate": "2026-12-01T14:05:39.000Z",
            **fields,
        }
    ).encode()


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


# --- Fixtures (a test module takes them with `media_server = fax_provider.media_server`) ------------


@pytest.fixture
def media_server():
    server = MediaServer().start()
    yield server
    server.stop()


@pytest.fixture
def telnyx(settings, media_server) -> TelnyxSigner:
    """Telnyx set up: its public key configured here, documents allowed from the media server."""
    signer = TelnyxSigner()
    settings.FAX_TELNYX_PUBLIC_KEY = signer.public_key
    settings.FAX_MEDIA_ALLOWED_URLS = [media_server.base]
    return signer
