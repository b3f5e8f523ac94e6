"""Sending a webhook to a real HTTP receiver on loopback (tests/support/webhook_receiver.py):
the receiver verifies the signature as the README shows; an error answer, a receiver slower
than the timeout, one that answers 50 MB and one that trickles bytes each end the send quickly
with a short reason, and a redirect is not followed."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import socket
import time

import pytest

from core.outbox import webhooks
from core.platform.config import Settings
from core.platform.outbox import DeliveryError
from tests.support.ports import free_port
from tests.support.webhook_receiver import (
    ERROR,
    HUGE,
    HUGE_BYTES,
    HUGE_HEADERS,
    REDIRECT,
    SLOW,
    TRICKLE,
    Receiver,
    self_signed,
)

SECRET = "whsec_" + "k" * 32
LOOPBACK = Settings(webhooks_allow_private=True)
STRICT = Settings(webhooks_allow_private=False)
EVENT = "evt_" + "ab" * 12
DATA = {"account_id": 7, "company": "Lumière Srl", "effective_on": "2026-12-11"}


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def payload(data: dict | None = None) -> bytes:
    created = dt.datetime(2026, 11, 26, 10, 0, tzinfo=dt.UTC)
    return webhooks.body(EVENT, "cancellation.scheduled", created, data or DATA)


def test_the_body_is_compact_json_with_id_type_created_and_data():
    body = payload()
    assert json.loads(body) == {
        "id": EVENT,
        "type": "cancellation.scheduled",
        "created": 1795687200,
        "data": DATA,
    }
    assert b" " not in body.replace(b"Lumi\xc3\xa8re Srl", b"")  # compact; UTF-8 kept as is
    assert "Lumière".encode() in body


def test_the_signature_is_stripes_scheme_and_verify_checks_it():
    body = payload()
    header = webhooks.signature(SECRET, body, 1795687200)
    assert header == (
        "t=1795687200,v1="
        + hmac.new(SECRET.encode(), b"1795687200." + body, hashlib.sha256).hexdigest()
    )
    assert webhooks.verify(SECRET, body, header, now=1795687200 + 299)
    assert not webhooks.verify(SECRET, body, header, now=1795687200 + 301)  # too old: a replay
    assert not webhooks.verify("whsec_other", body, header, now=1795687200)
    assert not webhooks.verify(SECRET, body + b" ", header, now=1795687200)
    assert not webhooks.verify(SECRET, body, "t=1795687200", now=1795687200)
    assert not webhooks.verify(SECRET, body, "garbage,v1=é", now=1795687200)
    # during a rotation a receiver may list two signatures: one good one is enough
    two = f"t=1795687200,v1={'0' * 64},{header.split(',')[1]}"
    assert webhooks.verify(SECRET, body, two, now=1795687200)


def test_the_receiver_gets_the_event_and_verifies_its_signature():
    with Receiver(SECRET) as receiver:
        status = webhooks.send(receiver.url, SECRET, payload(), LOOPBACK, now=now())
        (got,) = receiver.wait(1)
    assert status == 200
    assert got.verified
    assert got.event_id == EVENT
    assert got.path == "/hooks"
    assert got.host == f"127.0.0.1:{receiver.port}"
    assert got.headers["Content-Type"] == "application/json"
    assert got.headers["User-Agent"].startswith("InfluencerPortal-Webhooks/")
    assert json.loads(got.body)["data"]["company"] == "Lumière Srl"


def test_a_receiver_with_another_secret_rejects_the_signature():
    with Receiver("whsec_someone_else") as receiver:
        webhooks.send(receiver.url, SECRET, payload(), LOOPBACK, now=now())
        (got,) = receiver.wait(1)
    assert not got.verified


def test_an_error_answer_is_a_delivery_error_with_its_status():
    with Receiver(SECRET, behaviour=ERROR) as receiver:
        with pytest.raises(DeliveryError, match=r"^HTTP 500$"):
            webhooks.send(receiver.url, SECRET, payload(), LOOPBACK, now=now())
        assert receiver.wait(1)[0].verified  # it arrived: the receiver itself failed


def test_a_receiver_slower_than_the_timeout_is_left_at_the_timeout():
    with Receiver(SECRET, behaviour=SLOW, delay=30) as receiver:
        started = time.monotonic()
        with pytest.raises(DeliveryError, match="timed out"):
            webhooks.send(receiver.url, SECRET, payload(), LOOPBACK, now=now(), timeout=1)
        assert time.monotonic() - started < 2


def test_a_receiver_that_trickles_bytes_cannot_stall_the_sender_past_the_deadline():
    """A byte every 50 ms keeps every single read short: only an overall deadline ends it."""
    with Receiver(SECRET, behaviour=TRICKLE, delay=0.05) as receiver:
        started = time.monotonic()
        with pytest.raises(DeliveryError, match="timed out"):
            webhooks.send(receiver.url, SECRET, payload(), LOOPBACK, now=now(), timeout=1)
        elapsed = time.monotonic() - started
        assert receiver.bytes_written >= 5  # it did trickle
    assert elapsed < 2


@pytest.mark.parametrize(("status", "outcome"), [(200, 200), (500, "HTTP 500")])
def test_a_50_mb_answer_is_not_read(status, outcome):
    with Receiver(SECRET, behaviour=HUGE, status=status) as receiver:
        started = time.monotonic()
        if isinstance(outcome, int):
            assert webhooks.send(receiver.url, SECRET, payload(), LOOPBACK, now=now()) == outcome
        else:
            with pytest.raises(DeliveryError, match=outcome):
                webhooks.send(receiver.url, SECRET, payload(), LOOPBACK, now=now())
        elapsed = time.monotonic() - started
        time.sleep(0.2)  # the receiver notices the sender has gone
        assert receiver.bytes_written < HUGE_BYTES
    assert elapsed < 2


def test_50_mb_of_headers_are_not_read_either():
    with Receiver(SECRET, behaviour=HUGE_HEADERS) as receiver:
        started = time.monotonic()
        assert webhooks.send(receiver.url, SECRET, payload(), LOOPBACK, now=now()) == 200
        assert time.monotonic() - started < 2
        time.sleep(0.2)
        assert receiver.bytes_written < HUGE_BYTES


def test_a_redirect_is_not_followed():
    with Receiver(SECRET, behaviour=REDIRECT) as receiver:
        with pytest.raises(DeliveryError, match=r"HTTP 302 \(redirects are not followed\)"):
            webhooks.send(receiver.url, SECRET, payload(), LOOPBACK, now=now())
        assert [r.path for r in receiver.wait(1)] == ["/hooks"]  # never /elsewhere


def test_loopback_is_refused_at_send_time_when_private_targets_are_not_allowed():
    with Receiver(SECRET) as receiver:
        with pytest.raises(DeliveryError, match=r"^address not allowed: 127\.0\.0\.1$"):
            webhooks.send(receiver.url, SECRET, payload(), STRICT, now=now())
        assert not receiver.wait(1, timeout=0.2)


def test_a_closed_port_is_a_refused_connection():
    port = free_port()
    with pytest.raises(DeliveryError, match="connection refused"):
        webhooks.send(f"http://127.0.0.1:{port}/", SECRET, payload(), LOOPBACK, now=now())


class FakeDNS:
    """What the name server answers, and how often it is asked.

    There is no DNS server on this machine, so for these tests alone socket.getaddrinfo is
    replaced: a name the test owns answers with the address the test chose, every other name
    goes to the real function (numeric addresses and "localhost" need no server)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, name: str) -> None:
        self.name, self.address, self.asked = name, "", 0
        real = socket.getaddrinfo

        def getaddrinfo(host, port, *args, **kwargs):
            if host != self.name:
                return real(host, port, *args, **kwargs)
            self.asked += 1
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (self.address, port))]

        monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)


def test_a_name_that_resolves_to_a_private_address_at_send_time_is_refused(monkeypatch):
    """The name pointed to a public address when the admin saved it; when the event is sent it
    points to this machine (DNS rebinding): the send is refused and nothing arrives. (Needs the
    FakeDNS replacement of socket.getaddrinfo: there is no DNS server here.)"""
    dns = FakeDNS(monkeypatch, "hooks.customer.example")
    with Receiver(SECRET) as receiver:
        dns.address = "93.184.215.14"
        url = webhooks.check_url(f"http://hooks.customer.example:{receiver.port}/hooks", STRICT)
        dns.address = "127.0.0.1"
        with pytest.raises(DeliveryError, match=r"^address not allowed: 127\.0\.0\.1$"):
            webhooks.send(url, SECRET, payload(), STRICT, now=now())
        dns.address = "169.254.169.254"  # a metadata service: refused even when allowed
        with pytest.raises(DeliveryError, match=r"^address not allowed: 169\.254\.169\.254$"):
            webhooks.send(url, SECRET, payload(), LOOPBACK, now=now())
        assert not receiver.wait(1, timeout=0.2)


def test_the_checked_address_is_the_one_connected_to_and_the_host_keeps_the_name(monkeypatch):
    """One look-up per send, and the connection goes to the address it gave (pinned), while the
    Host header names the host. (Needs FakeDNS: there is no DNS server here.)"""
    dns = FakeDNS(monkeypatch, "receiver.customer.example")
    dns.address = "127.0.0.1"
    with Receiver(SECRET) as receiver:
        url = f"http://receiver.customer.example:{receiver.port}/hooks?source=portal"
        assert webhooks.send(url, SECRET, payload(), LOOPBACK, now=now()) == 200
        (got,) = receiver.wait(1)
    assert dns.asked == 1
    assert got.host == f"receiver.customer.example:{receiver.port}"
    assert got.path == "/hooks?source=portal"
    assert got.verified


def test_https_checks_the_certificate_against_the_name(tmp_path, monkeypatch):
    """Over TLS the client sends the name (SNI) and accepts only a certificate for it that it
    trusts: with the receiver's self-signed certificate unknown, the send is refused; trusted
    (SSL_CERT_FILE), it goes through."""
    cert, key = self_signed(tmp_path, "localhost")
    monkeypatch.setenv("SSL_CERT_FILE", str(tmp_path / "nothing.pem"))
    with Receiver(SECRET, tls=(cert, key)) as receiver:
        url = f"https://localhost:{receiver.port}/hooks"
        with pytest.raises(DeliveryError, match="TLS certificate not accepted"):
            webhooks.send(url, SECRET, payload(), LOOPBACK, now=now())
        assert not receiver.received
        monkeypatch.setenv("SSL_CERT_FILE", str(cert))
        assert webhooks.send(url, SECRET, payload(), LOOPBACK, now=now()) == 200
        assert receiver.wait(1)[0].verified
    assert "localhost" in receiver.server_names


# The receiver's check as the README shows it (standard library only), word for word.
def readme_verified(secret: str, body: bytes, header: str, tolerance: int = 300) -> bool:
    fields = [item.strip().partition("=")[::2] for item in header.split(",")]
    t = next((value for name, value in fields if name == "t"), "")
    if not t.isdigit() or abs(time.time() - int(t)) > tolerance:
        return False  # no time, or too old: a replay
    signed = t.encode() + b"." + body  # the raw body, before any JSON parsing
    expected = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return any(n == "v1" and hmac.compare_digest(v.encode(), expected.encode()) for n, v in fields)


def test_the_readme_receiver_code_accepts_a_real_send_and_nothing_else():
    with Receiver(SECRET) as receiver:
        webhooks.send(receiver.url, SECRET, payload(), LOOPBACK, now=now())
        (got,) = receiver.wait(1)
    header = got.headers[webhooks.SIGNATURE_HEADER]
    assert readme_verified(SECRET, got.body, header)
    assert not readme_verified("whsec_other", got.body, header)
    assert not readme_verified(SECRET, got.body.replace(b"7", b"8"), header)
    old = webhooks.signature(SECRET, got.body, int(time.time()) - 301)
    assert not readme_verified(SECRET, got.body, old)
