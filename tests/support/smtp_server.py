"""A real SMTP server on loopback for the tests (aiosmtpd in a thread): it keeps what it
receives, can refuse recipients or logins, and speaks STARTTLS or TLS from the first byte with
a self-signed certificate made for the test by the `openssl` command."""

from __future__ import annotations

import contextlib
import socket
import ssl
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from tests.support.ports import free_port

HOST = "127.0.0.1"


@dataclass(frozen=True)
class Received:
    mail_from: str
    rcpt_tos: tuple[str, ...]
    content: bytes
    authenticated: bool
    encrypted: bool  # the session ran over TLS (STARTTLS or smtps)

    def parsed(self) -> EmailMessage:
        return message_from_bytes(self.content, policy=policy.default)  # type: ignore[return-value]


@dataclass
class Inbox:
    """aiosmtpd's handler: keeps every message; refuses recipients when told to."""

    refuse_recipients: bool = False
    received: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.refuse_recipients:
            return "550 5.1.1 No such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.received.append(
                Received(
                    mail_from=envelope.mail_from,
                    rcpt_tos=tuple(envelope.rcpt_tos),
                    content=envelope.original_content or envelope.content,
                    authenticated=bool(session.authenticated),
                    encrypted=session.ssl is not None  # STARTTLS
                    or server.transport.get_extra_info("ssl_object") is not None,  # smtps
                )
            )
        return "250 Message accepted for delivery"


def checks_login(user: str, password: str):
    """An authenticator that accepts exactly this user and password."""

    def authenticate(server, session, envelope, mechanism, auth_data):
        ok = (
            isinstance(auth_data, LoginPassword)
            and auth_data.login == user.encode()
            and auth_data.password == password.encode()
        )
        return AuthResult(success=ok, handled=False)  # aiosmtpd answers 235 or 535

    return authenticate


@contextlib.contextmanager
def smtp_server(inbox: Inbox | None = None, **smtp_options) -> Iterator[tuple[Inbox, int]]:
    """A running server on loopback: (its inbox, its port). `smtp_options` go to aiosmtpd's
    SMTP (authenticator, tls_context, require_starttls, auth_require_tls) or the controller
    (ssl_context: TLS from the first byte)."""
    inbox = inbox or Inbox()
    controller = Controller(
        inbox, hostname=HOST, port=free_port(), enable_SMTPUTF8=True, **smtp_options
    )
    controller.start()
    try:
        yield inbox, controller.port
    finally:
        controller.stop()


@dataclass(frozen=True)
class Certificate:
    cert: Path
    key: Path

    def server_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self.cert, self.key)
        return context


def self_signed(folder: Path) -> Certificate:
    """A certificate for localhost and 127.0.0.1, valid for a day."""
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
         "-nodes", "-keyout", str(key), "-out", str(cert), "-days", "1", "-subj", "/CN=localhost",
         "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return Certificate(cert, key)


@contextlib.contextmanager
def silent_server() -> Iterator[int]:
    """A server that accepts connections and never says a word (its port): a client with a
    timeout gives up."""
    with socket.socket() as listener:
        listener.bind((HOST, 0))
        listener.listen(8)
        yield listener.getsockname()[1]
