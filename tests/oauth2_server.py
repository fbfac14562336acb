"""A small OAuth2 token server on 127.0.0.1 for the mailbox's OAuth2 tests: it stands for Entra ID
(Microsoft's sign-in service), which lies outside the building.

oidc-provider-mock (the sign-in tests' provider) knows the authorization-code grant only: no
client-credentials grant and no introspection endpoint, which this needs. So, in a thread:

    POST /token       grant_type=client_credentials with the client's ID and secret (in the body,
                      as Microsoft documents it, or HTTP Basic) and the scope -> an opaque random
                      token and expires_in; refusals as Entra words them (invalid_client, ...).
    POST /introspect  token=... (RFC 7662, Dovecot's `introspection_mode = post`) ->
                      {"active": true, "username": USER} for a live token, {"active": false} else.

`stop()` takes it off the network (connections are refused, as when the service is down) and
`start()` brings it back on the same port. `expire_all()` ends every token issued so far, earlier
than its expires_in said (a revoked token, or a server whose clock runs ahead).
"""

import json
import secrets
import threading
import time
from base64 import b64decode
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

from tests.processes import _port_open, free_port, wait_for


class TokenServer:
    CLIENT_ID = "detainer-desk-mailbox"
    CLIENT_SECRET = "test-client-secret-9f2c1e"  # noqa: S105 - a test server's own secret
    SCOPE = "https://outlook.office365.com/.default"

    def __init__(self, *, username: str, lifetime: int = 3600):
        self.username = username  # the mailbox the app may open (Exchange: its mailbox permission)
        self.lifetime = lifetime
        self.port = free_port()
        self.issued: list[str] = []  # every token handed out, oldest first
        self.introspected: list[str] = []  # every token the mail server asked about
        self._expires: dict[str, float] = {}
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    @property
    def token_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/token"

    @property
    def introspection_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/introspect"

    def start(self) -> None:
        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), _handler_for(self))
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        wait_for(lambda: _port_open(self.port), 10, what="token server listening")

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def reset(self, *, lifetime: int = 3600) -> None:
        with self._lock:
            self.lifetime = lifetime
            self.issued.clear()
            self.introspected.clear()
            self._expires.clear()
        if self._server is None:
            self.start()

    def expire_all(self) -> None:
        with self._lock:
            self._expires = dict.fromkeys(self._expires, 0.0)

    # --- What the handler calls ----------------------------------------------------------------

    def grant(self, form: dict[str, str]) -> tuple[int, dict]:
        if form.get("grant_type") != "client_credentials":
            return 400, _refusal("unsupported_grant_type", "AADSTS70003")
        if (form.get("client_id"), form.get("client_secret")) != (
            self.CLIENT_ID,
            self.CLIENT_SECRET,
        ):
            return 401, _refusal("invalid_client", "AADSTS7000215: Invalid client secret provided.")
        if form.get("scope") != self.SCOPE:
            return 400, _refusal("invalid_scope", "AADSTS1002012: The provided value for scope")
        token = secrets.token_urlsafe(32)
        with self._lock:
            self.issued.append(token)
            self._expires[token] = time.monotonic() + self.lifetime
        return 200, {"token_type": "Bearer", "expires_in": self.lifetime, "access_token": token}

    def introspect(self, token: str) -> dict:
        with self._lock:
            self.introspected.append(token)
            live = self._expires.get(token, 0.0) > time.monotonic()
        return {"active": True, "username": self.username} if live else {"active": False}


def _refusal(error: str, description: str) -> dict:
    return {"error": error, "error_description": f"{description} Trace ID: {secrets.token_hex(8)}"}


def _handler_for(server: TokenServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 - http.server's hook name
            length = int(self.headers.get("Content-Length") or 0)
            form = {
                name: values[0]
                for name, values in parse_qs(self.rfile.read(length).decode()).items()
            }
            if self.path == "/token":
                form.update(_basic_credentials(self.headers.get("Authorization", "")))
                status, body = server.grant(form)
            elif self.path == "/introspect":
                status, body = 200, server.introspect(form.get("token", ""))
            else:
                status, body = 404, {"error": "not_found"}
            payload = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format, *args):  # noqa: A002 - quiet: pytest shows failures
            pass

    return Handler


def _basic_credentials(header: str) -> dict[str, str]:
    if not header.startswith("Basic "):
        return {}
    client_id, _, client_secret = b64decode(header[6:]).decode().partition(":")
    return {"client_id": client_id, "client_secret": client_secret}
