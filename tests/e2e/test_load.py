"""Many people at once, in real browsers, through real servers: sign in, read the overview,
open Export data and download the influencers CSV (a streamed link), cancel. Twenty on SQLite
with one server; forty on PostgreSQL through nginx onto two servers sharing one database, as
deploy/start-behind-nginx.sh starts them (the deployment for more users than one server holds:
TLS, WebSocket, session affinity by cookie, unbuffered downloads). Plus several tabs of one more
customer pressing confirm at the same moment (on both servers, on PostgreSQL). The driver is
tests/e2e/load.py; its command line runs longer loads and prints the figures
(`python -m tests.e2e.load --help`).

What is asserted is what the people and the data would show: every session reaches every
screen it waits for (each sees its own company, downloads its own influencers file, then sees
its own confirmation) with no traceback and no failed download;
every account ends with exactly one scheduled cancellation (one completed flow, one audit
entry), however many tabs pressed confirm; and a cancellation made through one server is what
the other server shows; behind nginx, each browser stays on one server, the browsers are
spread over both, and nginx logs no error. The figures (throughput, page times) are written to
test-artifacts/load-<backend>.txt, never asserted on: the machine is shared.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from core.platform.db import open_database
from tests.e2e import load
from tests.e2e.conftest import ROOT, running_server
from tests.support.env import PG_URL, reset_postgres
from tests.support.proxy import behind_nginx

# ./test.sh runs these after every other test, alone: forty Chromium pages on two cores would
# starve a browser test running beside them (a click waited 30 s in CI), and the figures mean
# more on a machine doing nothing else
pytestmark = pytest.mark.load

SESSIONS = 20
SESSIONS_BEHIND_NGINX = 40


def record(name: str, result: load.Result, extra: list[str]) -> None:
    out = ROOT / "test-artifacts"
    out.mkdir(exist_ok=True)
    lines = [
        *result.lines(),
        f"race (tab: shows, confirmation): {result.race_outcomes}",
        *result.cross_checked,
        *extra,
    ]
    (out / f"load-{name}.txt").write_text("\n".join(lines) + "\n")
    print("\n".join(result.lines()))


# Streamlit 1.67's own race: its script thread iterates the session's new widget states while
# the event loop thread stores the next message's (two clicks in quick succession under load),
# in streamlit/runtime/state/session_state.py (_call_callbacks). No callback of ours is involved
# (the app registers none); the session's next run carries on, and every session still
# completes. Seen once in four CI runs on PostgreSQL; counted, not hidden: each one is printed.
STREAMLIT_WIDGET_STATE_RACE = ("_call_callbacks", "dictionary keys changed during iteration")
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def tracebacks(log: str) -> list[str]:
    """The tracebacks in a server's log, less Streamlit's own widget-state race."""
    blocks = ANSI.sub("", log).split("Traceback")[1:]
    known = [b for b in blocks if all(part in b for part in STREAMLIT_WIDGET_STATE_RACE)]
    for block in known:
        print("Streamlit's widget-state race (not ours):", block.strip().splitlines()[-1])
    return [b[-2000:] for b in blocks if b not in known]


def what_the_servers_did(front) -> str:
    """For a failure's message: the downloads nginx did not answer with a file, its errors and
    5xx answers, the servers' warnings that the database was unavailable (with the driver's
    reason) and their tracebacks."""
    requests = front.requests()
    downloads = [r for r in requests if r.path.startswith("/download/")]
    odd = [f"{r.status} ...{r.path[-16:]} from {r.upstream}" for r in downloads if r.status != 200]
    failed = [f"{r.status} {r.method} {r.path[:60]}" for r in requests if r.status >= 500]
    texts = [log.read_text() for log in front.server_logs()]
    logs = [tb for text in texts for tb in tracebacks(text)]
    unavailable = [line for text in texts for line in text.splitlines() if "unavailable" in line]
    return "\n".join(
        [
            f"downloads through nginx: {len(downloads)}, not a file: {odd or 'none'}",
            f"5xx answers: {failed[:10] or 'none'}",
            f"nginx errors: {front.errors()[:10] or 'none'}",
            f"the servers' database warnings: {unavailable[:5] or 'none'}",
            f"server tracebacks: {len(logs)}",
            *logs[:3],
        ]
    )


def assert_one_confirmation(result: load.Result, tabs: int) -> None:
    """Every tab that pressed confirm at the same moment shows the done window or the
    scheduled cancellation, never an error, and all show one confirmation number."""
    assert len(result.race_outcomes) == tabs, result.race_outcomes
    kinds = {outcome.split()[0] for outcome in result.race_outcomes}
    numbers = {outcome.split()[1] for outcome in result.race_outcomes}
    assert kinds <= {"done", "scheduled"} and "done" in kinds, result.race_outcomes
    assert len(numbers) == 1 and numbers.pop().startswith("CX-"), result.race_outcomes


def check_cancellations(db, people: list[load.Customer]) -> None:
    counts = load.cancellations(db, [c.account_id for c in people])
    wrong = {a: c for a, c in counts.items() if c != (1, 1, "cancellation_scheduled")}
    assert not wrong, f"(completed flows, audit entries, status) per account: {wrong}"


@pytest.fixture(scope="module")
def sqlite_load(tmp_path_factory: pytest.TempPathFactory):
    tmp = tmp_path_factory.mktemp("load-sqlite")
    url = f"sqlite:///{tmp / 'portal.db'}"
    db = open_database(url)
    people = load.prepare(db, SESSIONS + 1)
    with running_server(tmp, url) as server:
        result = load.run(load.run_load([server.url], people[:-1], tmp, racer=people[-1]))
    record("sqlite", result, [])
    yield db, people, result, server
    db.engine.dispose()


def test_twenty_sessions_on_one_sqlite_server(sqlite_load):
    db, people, result, server = sqlite_load
    assert result.errors == [] and result.download_failures == []
    assert result.completed == len(result.times["download"]) == SESSIONS
    assert_one_confirmation(result, tabs=2)
    check_cancellations(db, people)
    log = server.log.read_text()
    assert tracebacks(log) == [], log[-3000:]


@pytest.mark.postgres
@pytest.mark.skipif(not PG_URL, reason="PORTAL_TEST_DATABASE_URL is not set")
def test_forty_sessions_through_nginx_on_two_servers_sharing_one_postgresql(tmp_path: Path):
    reset_postgres(PG_URL)
    db = open_database(PG_URL)
    people = load.prepare(db, SESSIONS_BEHIND_NGINX + 1)
    customers, racer = people[:-1], people[-1]
    with behind_nginx(tmp_path, PG_URL, servers=2) as front:
        result = load.run_behind_nginx(front, customers, tmp_path, racer=racer)
    spread = load.proxy_lines(front)
    record("postgresql-nginx", result, [f"nginx {front.url} before {front.upstreams}", *spread])
    assert result.errors == [] and result.download_failures == [], what_the_servers_did(front)
    assert result.completed == len(result.times["download"]) == SESSIONS_BEHIND_NGINX
    assert_one_confirmation(result, tabs=4)  # two tabs on each server
    # a cancellation made through one server is what the other shows, both ways
    assert len(result.cross_checked) == 2
    check_cancellations(db, people)
    logs = front.server_logs()
    assert len(logs) == 2
    for log in logs:
        assert tracebacks(log.read_text()) == [], log
    assert front.errors() == [], front.error_log()[-3000:]
    assert [r for r in front.requests() if r.status >= 500] == []
    # each browser stayed on one server (its page, its WebSocket, its download), and the
    # sessions were spread over both: 40 browsers from one address, told apart by the cookie
    browsers = front.servers_by_browser()
    assert len(browsers) >= SESSIONS_BEHIND_NGINX
    assert {key: s for key, s in browsers.items() if len(s) != 1} == {}
    served = {next(iter(s)) for s in browsers.values()}
    assert served == set(front.upstreams), spread
    db.engine.dispose()
