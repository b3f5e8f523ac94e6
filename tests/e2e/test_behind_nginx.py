"""deploy/nginx.conf as deploy/start-behind-nginx.sh runs it, over TLS: Streamlit's health and
WebSocket go through, the signed-in browser's cookies are Secure, a download arrives as a
stream (chunked, never buffered whole by nginx: its first bytes reach the browser while the
server is still holding back the rest). The load through it is tests/e2e/test_load.py."""

from __future__ import annotations

import base64
import http.client
import os
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from core import demo
from tests.support.browser import sign_in
from tests.support.proxy import behind_nginx, unverified

SESSION_COOKIE = "portal_session"


def connect(front) -> http.client.HTTPSConnection:
    return http.client.HTTPSConnection("127.0.0.1", front.port, timeout=60, context=unverified())


@pytest.fixture(scope="module")
def front(tmp_path_factory: pytest.TempPathFactory):
    """One app server (on its own SQLite file) behind nginx."""
    tmp = tmp_path_factory.mktemp("behind-nginx")
    with behind_nginx(tmp, f"sqlite:///{tmp / 'portal.db'}", servers=1) as running:
        yield running


def test_health_and_the_websocket_go_through_tls(front):
    conn = connect(front)
    conn.request("GET", "/_stcore/health")
    response = conn.getresponse()
    assert (response.status, response.read()) == (200, b"ok")
    # the first answer gives the browser its affinity cookie, Secure like every cookie here
    cookies = response.headers.get_all("Set-Cookie")
    assert any(c.startswith("portal_affinity=") for c in cookies), cookies
    assert all("Secure" in c for c in cookies), cookies

    conn = connect(front)
    conn.request(
        "GET",
        "/_stcore/stream",
        headers={
            "Connection": "Upgrade",
            "Upgrade": "websocket",
            "Sec-WebSocket-Version": "13",
            "Sec-WebSocket-Key": base64.b64encode(os.urandom(16)).decode(),
            "Sec-WebSocket-Protocol": "streamlit",
            "Origin": front.url,
        },
    )
    response = conn.getresponse()
    assert response.status == 101, (response.status, response.read()[:300])
    assert response.headers["Upgrade"].lower() == "websocket"
    conn.close()


def test_a_signed_in_browser_gets_secure_cookies_and_a_streamed_download(front, browser):
    context = browser.new_context(locale="en-US", ignore_https_errors=True)
    context.set_default_timeout(60_000)
    try:
        page = context.new_page()
        sign_in(page, front, demo.DEMO_CUSTOMER_EMAIL, demo.DEMO_CUSTOMER_PASSWORD, "Sign in")
        expect(page.get_by_role("heading", name=demo.DEMO_COMPANY)).to_be_visible()
        cookies = {c["name"]: c for c in context.cookies()}
        assert SESSION_COOKIE in cookies, sorted(cookies)
        assert {name: c["secure"] for name, c in cookies.items()} == dict.fromkeys(cookies, True)
        assert cookies[SESSION_COOKIE]["httpOnly"]

        page.goto(f"{front.url}/export")
        link = page.get_by_role("link", name="Export influencer data")
        expect(link).to_be_visible()
        href = link.get_attribute("href") or ""
        path = urlsplit(href).path
        assert path.startswith("/download/"), href
        jar = "; ".join(f"{name}={c['value']}" for name, c in cookies.items())
    finally:
        context.close()

    conn = connect(front)
    conn.request("GET", path, headers={"Cookie": jar})
    response = conn.getresponse()
    body = response.read()
    assert response.status == 200, body[:300]
    assert response.headers["Transfer-Encoding"] == "chunked"
    assert response.headers["Content-Length"] is None
    assert body.startswith(b"\xef\xbb\xbfid,") or body.startswith(b'\xef\xbb\xbf"id"'), body[:40]


class _HeldStream(BaseHTTPRequestHandler):
    """A download whose server sends its first line, then holds the rest until the reader
    says the first line arrived (or 30 s pass: then nginx held the first line back). It is
    healthy, for the script that waits for it."""

    protocol_version = "HTTP/1.1"
    first_line_seen = threading.Event()
    released_by_reader: ClassVar[list[bool]] = []

    def do_GET(self) -> None:
        if self.path == "/_stcore/health":  # what the script waits for
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/csv")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        self._chunk(b"id,name\n")
        self.released_by_reader.append(self.first_line_seen.wait(timeout=30))
        self._chunk(b"1,the rest\n")
        self._chunk(b"")

    def _chunk(self, data: bytes) -> None:
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.wfile.flush()

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def held_stream() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _HeldStream)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    _HeldStream.first_line_seen.clear()
    _HeldStream.released_by_reader.clear()
    try:
        yield f"127.0.0.1:{server.server_address[1]}"
    finally:
        _HeldStream.first_line_seen.set()
        server.shutdown()
        server.server_close()


def test_a_download_reaches_the_reader_as_it_is_made(tmp_path: Path, held_stream: str):
    with behind_nginx(tmp_path, upstreams=[held_stream]) as nginx:
        conn = connect(nginx)
        conn.request("GET", "/download/a-token")
        response = conn.getresponse()
        assert response.status == 200
        first = response.readline()
        _HeldStream.first_line_seen.set()
        rest = response.read()
    assert (first, rest) == (b"id,name\n", b"1,the rest\n")
    # the first line came through while the server still held the rest back
    assert _HeldStream.released_by_reader == [True]
