"""What the fax-line hook tests share (HylaFAX's faxrcvd, Asterisk's post script, the queue):
a fax TIFF as a fax server writes it, the environment the hooks read, and a proxy in front of the
live server that refuses, loses or holds posts the way a flaky network or app would."""

import hashlib
import http.client
import http.server
import os
import re
import shutil
import threading
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit

from PIL import Image, ImageDraw, TiffImagePlugin

from accounts.tokens import api_token_create

from ..conftest import needs
from ..processes import ROOT, wait_for

CONTRIB = ROOT / "contrib"
QUEUE_PROGRAM = CONTRIB / "detainer-desk-queue"


def hooks_need_curl() -> None:
    needs(
        "curl (the fax-line hooks post with it; apt-get install curl)", bool(shutil.which("curl"))
    )


def fax_tiff(path: Path, *, sender_id: str = "", received: datetime | None = None, pages=2) -> str:
    """A fax as faxgetty writes it: CCITT Group 3, 1728 dots wide at fax resolution, the sending
    machine's TSI in ImageDescription and the local time in DateTime. Returns its SHA-256."""
    frames = []
    for number in range(pages):
        page = Image.new("1", (1728, 1100), 1)
        ImageDraw.Draw(page).text((120, 120), f"IMMIGRATION DETAINER page {number + 1}", fill=0)
        frames.append(page)
    tags = TiffImagePlugin.ImageFileDirectory_v2()
    if sender_id:
        tags[270] = sender_id
    if received is not None:
        tags[306] = received.strftime("%Y:%m:%d %H:%M:%S")
    frames[0].save(
        path,
        format="TIFF",
        compression="group3",
        dpi=(204, 196),
        tiffinfo=tags,
        save_all=True,
        append_images=frames[1:],
    )
    return hashlib.sha256(path.read_bytes()).hexdigest()


def hook_env(*, url: str, token: str, queue: Path, delays: str = "1 1 1 1 1", **more) -> dict:
    """The environment a fax server gives its hook: nothing of ours but what is set here (the
    machine's /etc/default/detainer-desk is never read)."""
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(queue.parent),
        "DETAINER_DESK_URL": url,
        "DETAINER_DESK_TOKEN": token,
        "DETAINER_DESK_QUEUE_DIR": str(queue),
        "DETAINER_DESK_RETRY_DELAYS": delays,
        "DETAINER_DESK_DEFAULTS": str(queue.parent / "no-defaults-file"),
    }
    env.update(more)
    return env


def gateway_key(user) -> str:
    _, key = api_token_create(user=user)
    return key


def until_sent(queue: Path) -> None:
    """Wait until every report queued has been answered by the app (so its rows are committed)."""
    wait_for(lambda: not queue_pending(queue), 30, what="the queued reports answered")
    log = (queue / "log").read_text() if (queue / "log").exists() else ""
    assert "refused" not in log, log


def queue_pending(queue: Path) -> list[str]:
    pending = queue / "pending"
    return sorted(path.name for path in pending.iterdir()) if pending.is_dir() else []


GATEWAY_ID = re.compile(rb'name="gateway_id"\r\n\r\n([^\r]*)\r\n')


class GatewayProxy:
    """127.0.0.1:<port> in front of the live server. `plan` says what happens to each post in
    turn, then every later one is forwarded:
      "refuse"  answer 503 without forwarding (the app never sees it);
      "lose"    forward it, then answer 503 anyway (the app stored it; its answer was lost).
    With hold_first, the first post waits for `release` before it is answered: a test can see
    that the fax server went on meanwhile. `posts` lists (gateway_id, code answered)."""

    def __init__(self, upstream: str, plan: list[str], hold_first: bool = False):
        self.upstream = urlsplit(upstream)
        self.plan = list(plan)
        self.hold_first = hold_first
        self.held = threading.Event()
        self.release = threading.Event()
        self.posts: list[tuple[str, int]] = []
        self._lock = threading.Lock()
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self):
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc):
        self.release.set()
        self.server.shutdown()
        self.server.server_close()

    def _handler(self):
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - the name http.server calls
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with proxy._lock:
                    turn = proxy.plan.pop(0) if proxy.plan else "forward"
                    first = not proxy.posts and not proxy.held.is_set()
                    if first and proxy.hold_first:
                        proxy.held.set()
                if first and proxy.hold_first:
                    proxy.release.wait(30)
                code, answer = 503, b'{"detail": "proxy: try again"}'
                if turn != "refuse":
                    upstream_code, upstream_answer = proxy._forward(self, body)
                    if turn == "forward":
                        code, answer = upstream_code, upstream_answer
                found = GATEWAY_ID.search(body)
                with proxy._lock:
                    proxy.posts.append((found.group(1).decode() if found else "", code))
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args):
                pass

        return Handler

    def _forward(self, handler, body: bytes) -> tuple[int, bytes]:
        connection = http.client.HTTPConnection(
            self.upstream.hostname, self.upstream.port, timeout=60
        )
        headers = {
            name: handler.headers[name]
            for name in ("Content-Type", "Authorization")
            if handler.headers[name]
        }
        connection.request("POST", handler.path, body=body, headers=headers)
        response = connection.getresponse()
        answer = response.read()
        connection.close()
        return response.status, answer
