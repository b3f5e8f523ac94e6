"""One HTTP request to a checked address, under one deadline (what `webhooks.send` stands on).

- `resolve` looks a name up in a thread, so a look-up that hangs cannot hold the caller past
  its deadline;
- `address_problem` says why an address may not be sent to (a metadata service, a private or
  loopback one ...), judging an IPv6 address that carries an IPv4 one by the IPv4 one;
- `post` connects to those very addresses (never a second look-up; TLS checks the name, sent
  as SNI), sends the request, reads the status line and headers (64 KB at most, never the
  body) and cuts the connection at the deadline, however slowly the other side trickles.
Every failure is a DeliveryError with a short reason the support desk shows.
"""

from __future__ import annotations

import contextlib
import ipaddress
import socket
import ssl
import threading
import time
from collections.abc import Callable
from functools import partial
from typing import Any

from core.platform.outbox import DeliveryError

MAX_ANSWER = 64 * 1024  # bytes of an answer read, at most
NEVER, PRIVATE = "never", "private"

# Refused even when private targets are allowed: the clouds' instance metadata services
# (they hand out credentials), and addresses that are not one machine.
METADATA = frozenset(
    {
        ipaddress.ip_address("169.254.169.254"),  # AWS, GCP, Azure, OpenStack ...
        ipaddress.ip_address("fd00:ec2::254"),  # AWS over IPv6
        ipaddress.ip_address("100.100.100.200"),  # Alibaba Cloud
    }
)
NAT64 = ipaddress.ip_network("64:ff9b::/96")  # IPv6 addresses that carry an IPv4 one

Address = tuple[int, int, int, str, Any]  # as socket.getaddrinfo gives it


def resolve(host: str, port: int, deadline: float) -> list[Address]:
    """Every TCP address of `host`, looked up before `deadline` (time.monotonic()), or
    DeliveryError ("host not found", "timed out looking up the host")."""
    found: list[Any] = []

    def look_up() -> None:
        try:
            found.append(socket.getaddrinfo(host, port, type=socket.SOCK_STREAM))
        except (OSError, UnicodeError) as exc:
            found.append(exc)

    worker = threading.Thread(target=look_up, name="webhook-lookup", daemon=True)
    worker.start()
    worker.join(max(0.0, deadline - time.monotonic()))
    if not found:
        raise DeliveryError("timed out looking up the host")
    if isinstance(found[0], BaseException) or not found[0]:
        raise DeliveryError(f"host not found: {host[:80]}")
    return list(found[0])


def address_problem(ip: str) -> str | None:
    """NEVER (a metadata service, unspecified, multicast), PRIVATE (anything that is not a
    public address: private, loopback, link-local, shared, reserved, documentation ...), or
    None for a public address."""
    try:
        address = ipaddress.ip_address(ip.split("%", 1)[0])
    except ValueError:
        return NEVER
    if isinstance(address, ipaddress.IPv6Address):
        inner = address.ipv4_mapped or address.sixtofour
        if inner is None and address in NAT64:
            inner = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        if inner is not None:
            return address_problem(str(inner)) or (None if address.is_global else PRIVATE)
    if address in METADATA or address.is_unspecified or address.is_multicast:
        return NEVER
    if not address.is_global or address.is_reserved or address.is_link_local:
        return PRIVATE
    return None


def refused(addresses: list[Address], allow_private: bool) -> str | None:
    """The first address that may not be sent to, or None when every one may."""
    for *_, sockaddr in addresses:
        ip = str(sockaddr[0])
        problem = address_problem(ip)
        if problem == NEVER or (problem and not allow_private):
            return ip
    return None


def post(addresses: list[Address], host: str, *, tls: bool, request: bytes, deadline: float) -> int:
    """Send `request` (a whole HTTP/1.1 request) to the first of `addresses` that answers;
    the answer's status code (any), or DeliveryError."""
    connection = _connect(addresses, host, tls, deadline)
    try:
        return _guarded(lambda: _exchange(connection, request, deadline), connection, deadline)
    finally:
        connection.close()


def _connect(addresses: list[Address], host: str, tls: bool, deadline: float) -> socket.socket:
    failure: Exception = DeliveryError("connection failed")
    context = ssl.create_default_context() if tls else None
    for family, kind, proto, _name, sockaddr in addresses:
        sock = socket.socket(family, kind, proto)
        try:
            sock.settimeout(_left(deadline))
            sock.connect(sockaddr)
            if context is None:
                return sock
            return _guarded(
                partial(context.wrap_socket, sock, server_hostname=host), sock, deadline
            )
        except ssl.SSLCertVerificationError as exc:
            sock.close()
            raise DeliveryError(f"TLS certificate not accepted: {exc.verify_message}") from None
        except (OSError, DeliveryError) as exc:
            sock.close()
            failure = exc
            if deadline - time.monotonic() <= 0:
                failure = DeliveryError("timed out")
                break
    raise _reason(failure)


def _guarded(step: Callable[[], Any], sock: socket.socket, deadline: float) -> Any:
    """Run `step` on `sock` with the socket shut at the deadline: a read or write waiting on
    it ends then, however the other side drips its bytes."""
    cut = threading.Timer(max(0.0, deadline - time.monotonic()), _cut, args=(sock,))
    cut.daemon = True
    cut.start()
    try:
        return step()
    finally:
        cut.cancel()


def _exchange(sock: socket.socket, request: bytes, deadline: float) -> int:
    """Send the request; read the status line and headers (64 KB at most); the status."""
    answer = b""
    try:
        sock.settimeout(_left(deadline))
        sock.sendall(request)
        while b"\r\n\r\n" not in answer and len(answer) < MAX_ANSWER:
            sock.settimeout(_left(deadline))
            chunk = sock.recv(MAX_ANSWER - len(answer))
            if not chunk:
                break
            answer += chunk
    except (OSError, DeliveryError) as exc:
        raise _reason(exc) from None
    complete = b"\r\n\r\n" in answer or len(answer) >= MAX_ANSWER
    if not complete and time.monotonic() >= deadline:  # shut by `_cut`
        raise DeliveryError("timed out")
    return _status(answer)


def _status(answer: bytes) -> int:
    line = answer.split(b"\r\n", 1)[0] if b"\r\n" in answer else b""
    words = line.split(b" ", 2)
    if len(words) < 2 or words[0] not in (b"HTTP/1.0", b"HTTP/1.1") or not words[1].isdigit():
        raise DeliveryError("not an HTTP answer" if answer else "no answer")
    return int(words[1])


def _left(deadline: float) -> float:
    """Seconds left before the deadline, or DeliveryError("timed out")."""
    left = deadline - time.monotonic()
    if left <= 0:
        raise DeliveryError("timed out")
    return left


def _cut(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        socket.socket.shutdown(sock, socket.SHUT_RDWR)  # the plain socket's, TLS or not


def _reason(exc: Exception) -> DeliveryError:
    if isinstance(exc, DeliveryError):
        return exc
    if isinstance(exc, TimeoutError):
        return DeliveryError("timed out")
    if isinstance(exc, ConnectionRefusedError):
        return DeliveryError("connection refused")
    if isinstance(exc, ssl.SSLError):
        return DeliveryError(f"TLS failed: {exc.reason or exc}")
    return DeliveryError(f"connection failed: {exc.strerror or type(exc).__name__}")
