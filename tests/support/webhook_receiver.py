"""A real webhook receiver for the tests: an HTTP server on loopback, in a thread, that checks
each request's signature with `core.outbox.webhooks.verify` (what a customer's receiver does)
and answers the way a test asks: 200, an error status, too slowly, 50 MB, a trickle of bytes,
a redirect.

    with Receiver(secret) as receiver:
        webhooks.send(receiver.url, secret, body, settings, now=now)
        assert receiver.received[0].verified

Optionally over TLS (`tls=(certificate file, key file)`), recording the name the client asked
for (SNI).
"""

from __future__ import annotations

import contextlib
import http.server
import ssl
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from core.outbox.webhooks import EVENT_ID_HEADER, SIGNATURE_HEADER, verify

OK, ERROR, SLOW, HUGE, HUGE_HEADERS, TRICKLE, REDIRECT = (
    "ok",
    "error",
    "slow",
    "huge",
    "huge_headers",
    "trickle",
    "redirect",
)
HUGE_BYTES = 50 * 1024 * 1024
TRICKLE_SECONDS = 4.0  # a sender without an overall deadline gets its 200 after this


@dataclass(frozen=True)
class Received:
    path: str
    host: str
    headers: dict[str, str]
    body: bytes
    verified: bool  # the signature checked out with the receiver's secret, within 5 minutes
    event_id: str


@dataclass
class Receiver:
    secret: str = "whsec_test"
    behaviour: str = OK
    status: int = 200  # the status of OK, HUGE and ERROR (ERROR: 500 unless told)
    delay: float = 5.0  # SLOW: seconds before answering; TRICKLE: between two bytes
    tls: tuple[Path, Path] | None = None
    received: list[Received] = field(default_factory=list)
    bytes_written: int = 0  # HUGE / HUGE_HEADERS / TRICKLE: how much got out before the client left
    server_names: list[str] = field(default_factory=list)  # TLS: the SNI of each handshake

    def __post_init__(self) -> None:
        self._release = threading.Event()
        self._server: http.server.ThreadingHTTPServer | None = None

    @property
    def port(self) -> int:
        assert self._server is not None, "start the receiver first"
        return self._server.server_address[1]

    @property
    def url(self) -> str:
        return f"{'https' if self.tls else 'http'}://127.0.0.1:{self.port}/hooks"

    def __enter__(self) -> Receiver:
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        server.daemon_threads = True
        if self.tls:
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            context.load_cert_chain(str(self.tls[0]), str(self.tls[1]))
            context.sni_callback = lambda sock, name, ctx: self.server_names.append(name or "")
            server.socket = context.wrap_socket(server.socket, server_side=True)
        self._server = server
        threading.Thread(
            target=server.serve_forever, args=(0.05,), daemon=True, name="receiver"
        ).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._release.set()  # a slow or trickling answer stops now
        assert self._server is not None
        self._server.shutdown()
        self._server.server_close()

    def wait(self, count: int = 1, timeout: float = 5.0) -> list[Received]:
        """The requests received, once there are `count` (or after `timeout` seconds)."""
        end = time.monotonic() + timeout
        while len(self.received) < count and time.monotonic() < end:
            time.sleep(0.01)
        return list(self.received)


def _handler(receiver: Receiver) -> type[http.server.BaseHTTPRequestHandler]:
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:  # quiet
            return None

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            payload = self.rfile.read(length)
            header = self.headers.get(SIGNATURE_HEADER, "")
            receiver.received.append(
                Received(
                    path=self.path,
                    host=self.headers.get("Host", ""),
                    headers=dict(self.headers.items()),
                    body=payload,
                    verified=verify(receiver.secret, payload, header, now=int(time.time())),
                    event_id=self.headers.get(EVENT_ID_HEADER, ""),
                )
            )
            with contextlib.suppress(OSError):  # the client went away: what the test wants
                self._answer()
            self.close_connection = True

        def _answer(self) -> None:
            kind = receiver.behaviour
            if kind == SLOW:
                receiver._release.wait(receiver.delay)
            if kind in (OK, SLOW):
                self._plain(receiver.status, b"ok")
            elif kind == ERROR:
                self._plain(receiver.status if receiver.status >= 300 else 500, b"broken")
            elif kind == REDIRECT:
                self.send_response(302)
                self.send_header("Location", f"http://127.0.0.1:{receiver.port}/elsewhere")
                self.send_header("Content-Length", "0")
                self.end_headers()
            elif kind == HUGE:
                self.send_response(receiver.status)
                self.send_header("Content-Length", str(HUGE_BYTES))
                self.end_headers()
                self._pour(b"x" * 65536, HUGE_BYTES)
            elif kind == HUGE_HEADERS:
                self.wfile.write(b"HTTP/1.1 200 OK\r\n")
                self._pour(b"X-Padding: " + b"a" * 65000 + b"\r\n", HUGE_BYTES)
            elif kind == TRICKLE:
                self.wfile.write(b"HTTP/1.1 200 OK\r\nX-Slow: ")
                self.wfile.flush()
                end = time.monotonic() + TRICKLE_SECONDS  # then the answer ends, late
                while time.monotonic() < end and not receiver._release.wait(receiver.delay):
                    self.wfile.write(b"a")
                    self.wfile.flush()
                    receiver.bytes_written += 1
                self.wfile.write(b"\r\nContent-Length: 0\r\n\r\n")

        def _plain(self, status: int, text: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(text)))
            self.end_headers()
            self.wfile.write(text)

        def _pour(self, chunk: bytes, total: int) -> None:
            while receiver.bytes_written < total and not receiver._release.is_set():
                self.wfile.write(chunk)
                receiver.bytes_written += len(chunk)

    return Handler


def self_signed(directory: Path, name: str = "localhost") -> tuple[Path, Path]:
    """A certificate for `name` (and 127.0.0.1) and its key, made with the openssl command."""
    cert, key = directory / "receiver.pem", directory / "receiver.key"
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
            "-subj", f"/CN={name}", "-addext", f"subjectAltName=DNS:{name},IP:127.0.0.1",
            "-keyout", str(key), "-out", str(cert),
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return cert, key
