"""Real receivers on loopback for the outbox's tests: an SMTP server (aiosmtpd) that keeps the
messages it receives, and an HTTP server (http.server in a thread) that keeps the webhook calls
and can answer 500, take longer than the sender waits, or hold a request until released.

    with smtp_receiver() as smtp:      # smtp.url -> "smtp://127.0.0.1:<port>"
        ...; smtp.messages             # email.message.EmailMessage, as received
    with http_receiver() as hook:      # hook.url -> "http://127.0.0.1:<port>/hook"
        hook.answer = 500              # or hook.delay = 3, or hook.hold()
        ...; hook.calls                # Call(headers, body) in arrival order
"""

from __future__ import annotations

import contextlib
import email
import email.policy
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tests.support.ports import free_port

# --- SMTP -------------------------------------------------------------------------------------


@dataclass
class SmtpReceiver:
    port: int
    messages: list[EmailMessage] = field(default_factory=list)
    envelopes: list[tuple[str, tuple[str, ...]]] = field(default_factory=list)  # from, to
    refuse: str = ""  # an SMTP reply ("550 no such user") to answer every DATA with
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def wait_for(self, count: int, timeout: float = 10) -> list[EmailMessage]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if len(self.messages) >= count:
                    return list(self.messages)
            time.sleep(0.02)
        raise AssertionError(f"{len(self.messages)} e-mails received, {count} expected")

    # aiosmtpd's handler hook
    async def handle_DATA(self, _server: Any, _session: Any, envelope: Any) -> str:
        if self.refuse:
            return self.refuse
        msg = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self.lock:
            self.messages.append(msg)  # type: ignore[arg-type]
            self.envelopes.append((envelope.mail_from, tuple(envelope.rcpt_tos)))
        return "250 OK"


@contextlib.contextmanager
def smtp_receiver() -> Iterator[SmtpReceiver]:
    from aiosmtpd.controller import Controller

    receiver = SmtpReceiver(free_port())
    controller = Controller(receiver, hostname="127.0.0.1", port=receiver.port)
    controller.start()
    try:
        yield receiver
    finally:
        controller.stop()


# --- HTTP -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Call:
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class HttpReceiver:
    server: ThreadingHTTPServer | None = None
    calls: list[Call] = field(default_factory=list)
    answer: int = 200  # the status every call gets
    delay: float = 0.0  # seconds to wait before answering (longer than the sender waits)
    arrived: threading.Event = field(default_factory=threading.Event)  # a call came in
    _release: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self._release.set()

    @property
    def url(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def hold(self) -> None:
        """Keep every call waiting (the request read, no answer) until `release()`."""
        self._release.clear()

    def release(self) -> None:
        self._release.set()

    def event_ids(self) -> list[str]:
        with self.lock:
            return [c.headers.get("portal-event-id", "") for c in self.calls]


def _handler(receiver: HttpReceiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length)
            with receiver.lock:
                receiver.calls.append(
                    Call(self.path, {k.lower(): v for k, v in self.headers.items()}, body)
                )
            receiver.arrived.set()
            receiver._release.wait(60)
            if receiver.delay:
                time.sleep(receiver.delay)
            try:
                self.send_response(receiver.answer)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")
            except OSError:  # the sender gave up (timed out, or was killed)
                pass

        def log_message(self, *_args: Any) -> None:
            return None

    return Handler


@contextlib.contextmanager
def http_receiver() -> Iterator[HttpReceiver]:
    receiver = HttpReceiver()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(receiver))
    server.daemon_threads = True
    receiver.server = server
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        receiver.release()
        server.shutdown()
        server.server_close()
