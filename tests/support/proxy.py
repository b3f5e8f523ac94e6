"""The portal behind nginx for the tests, started by deploy/start-behind-nginx.sh as a person
would: app servers sharing one database (or servers started elsewhere, `upstreams=`), nginx in
front on TLS with a self-signed certificate. What nginx did is read from its logs: which server
each request went to and under which affinity key (the `portal` log format of
deploy/nginx.conf), and any error it logged.

Without nginx these tests skip and say why, unless REQUIRE_BROWSER=1 or REQUIRE_NGINX=1 (CI)
makes them mandatory."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import ssl
import subprocess
import sys
import time
import urllib.request
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.env import ROOT
from tests.support.ports import free_port

NGINX = os.environ.get("PORTAL_NGINX", "/usr/sbin/nginx")
SCRIPT = ROOT / "deploy" / "start-behind-nginx.sh"
AFFINITY_COOKIE = "portal_affinity"
_LINE = re.compile(
    r'"(?P<method>\S+) (?P<path>\S+)[^"]*" (?P<status>\d{3}) \S+ \S+ '
    r"upstream=(?P<upstream>.*?) affinity=(?P<affinity>\S+)$"
)


def require_nginx() -> None:
    """Skip the calling test without nginx, or fail when CI made it mandatory."""
    if Path(NGINX).exists():
        return
    reason = f"no nginx at {NGINX} (apt-get install nginx, or set PORTAL_NGINX)"
    if os.environ.get("REQUIRE_BROWSER") == "1" or os.environ.get("REQUIRE_NGINX") == "1":
        pytest.fail(f"REQUIRE_BROWSER/REQUIRE_NGINX is set but {reason}")
    pytest.skip(reason)


def unverified() -> ssl.SSLContext:
    """For the self-signed certificate the script makes."""
    return ssl._create_unverified_context()


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    status: int
    upstream: str
    affinity: str


@dataclass
class Front:
    url: str  # https://127.0.0.1:<port>
    port: int
    run_dir: Path
    upstreams: list[str]  # host:port of each app server

    def server_logs(self) -> list[Path]:
        return sorted(self.run_dir.glob("server-*.log"))

    def error_log(self) -> str:
        path = self.run_dir / "error.log"
        return path.read_text() if path.exists() else ""

    def errors(self) -> list[str]:
        """What nginx logged at level error or worse (upstream failures, refused connections)."""
        levels = ("[error]", "[crit]", "[alert]", "[emerg]")
        return [line for line in self.error_log().splitlines() if any(x in line for x in levels)]

    def requests(self) -> list[Request]:
        out = []
        for line in (self.run_dir / "access.log").read_text().splitlines():
            m = _LINE.search(line)
            if m:
                out.append(
                    Request(m["method"], m["path"], int(m["status"]), m["upstream"], m["affinity"])
                )
        return out

    def servers_by_browser(self) -> dict[str, set[str]]:
        """Per affinity key that opened a WebSocket (one per browser session): the servers
        that answered any of its requests (what nginx answered from its cache has none)."""
        seen: dict[str, set[str]] = defaultdict(set)
        for r in self.requests():
            if r.upstream != "-":
                seen[r.affinity].add(r.upstream)
        sockets = {r.affinity for r in self.requests() if r.path.startswith("/_stcore/stream")}
        return {key: servers for key, servers in seen.items() if key in sockets}

    def pin(self, upstream: str) -> str:
        """An affinity cookie value that nginx sends to `upstream` (found by asking)."""
        for i in range(200):
            value = f"pin-{i}"
            request = urllib.request.Request(
                f"{self.url}/_stcore/health", headers={"Cookie": f"{AFFINITY_COOKIE}={value}"}
            )
            with urllib.request.urlopen(request, timeout=30, context=unverified()):
                pass
            for r in reversed(self.requests()):
                if r.affinity == value:
                    if r.upstream == upstream:
                        return value
                    break
        raise AssertionError(f"no affinity key leads to {upstream}")


@contextlib.contextmanager
def behind_nginx(
    tmp: Path,
    database_url: str | None = None,
    *,
    servers: int = 2,
    upstreams: list[str] | None = None,
    env: dict[str, str] | None = None,
) -> Iterator[Front]:
    """deploy/start-behind-nginx.sh on free ports: `servers` app servers on `database_url`
    (demo mode, so an empty database is seeded), or nginx alone before `upstreams`.
    Everything it started is stopped on the way out."""
    require_nginx()
    run_dir = tmp / "nginx"
    run_dir.mkdir(parents=True, exist_ok=True)
    listen = free_port()
    args = [str(SCRIPT), "--listen", str(listen), "--run-dir", str(run_dir)]
    if upstreams:
        for upstream in upstreams:
            args += ["--upstream", upstream]
    else:
        ports = [free_port() for _ in range(servers)]
        args += ["--ports", ",".join(map(str, ports))]
        upstreams = [f"127.0.0.1:{p}" for p in ports]
    environment = {
        **os.environ,
        "PORTAL_DEMO_MODE": "1",
        "PORTAL_PYTHON": sys.executable,
        **({"PORTAL_DATABASE_URL": database_url} if database_url else {}),
        **(env or {}),
    }
    out = run_dir / "script.out"
    with out.open("w") as sink:
        process = subprocess.Popen(
            args, cwd=ROOT, env=environment, stdout=sink, stderr=subprocess.STDOUT
        )
    try:
        deadline = time.monotonic() + 180
        while "ready:" not in out.read_text():
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"start-behind-nginx.sh did not start:\n{out.read_text()[-3000:]}")
            time.sleep(0.3)
        yield Front(f"https://127.0.0.1:{listen}", listen, run_dir, upstreams)
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
