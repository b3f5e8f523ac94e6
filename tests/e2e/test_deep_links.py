"""Every screen's address as the very first request a fresh server gets, in Chromium: until a
script run has called st.navigation, a Streamlit process serves the files of pages/ as pages
of their own. Signed out, the address shows the sign-in and nothing of any account, no
traceback, no "Page not found"; then, signed in there (the browser comes back to the address), and
when opened again, it shows that customer's own data and never another customer's."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest

from core.platform.db import open_database
from core.platform.i18n import fmt_money, t
from pages.shell.router import SCREENS
from tests.e2e import gallery
from tests.e2e.conftest import ROOT, Server
from tests.support import factories
from tests.support.ports import free_port

ALICE = ("alice@example.com", "Lumière Srl")
BOB = ("bob@example.com", "Bob Ltd")
CAROL = ("carol@example.com", "Carol GmbH")  # her subscription ended three days ago
ADMIN = "boss@example.com"
PRICES = (24900, 49900)  # Alice's and Bob's plan (growth), Carol's (scale), a month
ACCOUNT_DATA = [*ALICE, *BOB, *CAROL, ADMIN, *(fmt_money(c, "USD", "en") for c in PRICES)]
# who signs in for each screen's second half, the heading that address then shows them (a
# screen a user may not open shows their home screen: Alice's overview, headed by her company)
# and whether the page names their company (Export data and Cancel subscription do not)
SIGNED_IN = {
    "sign_in": (ALICE, ALICE[1], True),
    "overview": (ALICE, ALICE[1], True),
    "export": (ALICE, t("export.title", "en"), False),
    "cancel": (ALICE, t("cancel.title", "en"), False),
    "ended": (CAROL, t("ended.title", "en"), True),
    "insights": (ALICE, ALICE[1], True),
    "support": (ALICE, ALICE[1], True),
    "playbook": (ALICE, ALICE[1], True),
}


def small_database(path: Path) -> Path:
    """A small SQLite file: three customers and an admin, no demo data."""
    db = open_database(f"sqlite:///{path}")
    now = dt.datetime.now(dt.UTC)  # the server reads the real clock
    growth = factories.plan(db, "growth", PRICES[0])
    scale = factories.plan(db, "scale", PRICES[1])
    factories.customer(db, ALICE[0], growth, now=now, company=ALICE[1])
    factories.customer(db, BOB[0], growth, now=now, company=BOB[1])
    carol = factories.customer(db, CAROL[0], scale, now=now, company=CAROL[1])
    factories.admin(db, ADMIN, now=now)
    factories.end_subscription(db, carol.account_id, now.date() - dt.timedelta(days=3))
    with db.engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    db.engine.dispose()
    return path


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The small database, made once and copied for each server."""
    return small_database(tmp_path_factory.mktemp("deep-links") / "portal.db")


@contextlib.contextmanager
def launched(tmp: Path, template: Path) -> Iterator[Server]:
    """`streamlit run app.py` on its own copy of the template, not in demo mode; stopped at the
    end. Nothing is asked of it here: see `ready`."""
    shutil.copyfile(template, tmp / "portal.db")
    database_url = f"sqlite:///{tmp / 'portal.db'}"
    port = free_port()
    env = {**os.environ, "PORTAL_DATABASE_URL": database_url, "PORTAL_DEMO_MODE": "0"}
    log = tmp / "streamlit.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            [
                *(sys.executable, "-m", "streamlit", "run", "app.py"),
                *("--server.port", str(port), "--server.address", "127.0.0.1"),
                *("--server.headless", "true", "--browser.gatherUsageStats", "false"),
            ],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        yield Server(f"http://127.0.0.1:{port}", database_url, process, log)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


def ready(server: Server) -> Server:
    """Once the server says it is listening and its port takes a connection: no HTTP request
    reaches it before the test's own."""
    port = int(server.url.rsplit(":", 1)[1])
    deadline = time.monotonic() + 90
    while True:
        if "You can now view" in server.log.read_text():
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 2):
                return server
        if server.process.poll() is not None or time.monotonic() > deadline:
            pytest.fail(f"streamlit did not start:\n{server.log.read_text()[-3000:]}")
        time.sleep(0.1)


class FreshServers:
    """A server per screen, each untouched until its test opens that screen's address; the
    next screen's server is started while a test runs, so that no test waits for a start."""

    def __init__(self, template: Path, tmp: pytest.TempPathFactory, stack: ExitStack) -> None:
        self._template, self._tmp, self._stack = template, tmp, stack
        self._started: dict[str, Server] = {}

    def _start(self, screen: str) -> Server:
        if screen not in self._started:
            tmp = self._tmp.mktemp(f"deep-link-{screen}")
            self._started[screen] = self._stack.enter_context(launched(tmp, self._template))
        return self._started[screen]

    def __getitem__(self, screen: str) -> Server:
        server = self._start(screen)
        keys = list(SCREENS)
        if keys.index(screen) + 1 < len(keys):
            self._start(keys[keys.index(screen) + 1])
        return ready(server)


@pytest.fixture(scope="module")
def fresh_servers(template: Path, tmp_path_factory: pytest.TempPathFactory):
    with ExitStack() as stack:
        yield FreshServers(template, tmp_path_factory, stack)


def settled(page, heading: str) -> str:
    """Wait for the heading and the end of the script run; the page's text, sidebar included,
    once nothing on it says something went wrong."""
    gallery.wait_heading(page, heading)
    assert page.get_by_test_id("stException").count() == 0
    assert page.get_by_role("dialog").filter(has_text="Page not found").count() == 0
    text = page.locator("body").inner_text()
    assert "Traceback" not in text
    return text


@pytest.mark.parametrize("screen", list(SCREENS))
def test_a_screens_address_as_a_fresh_servers_first_request(screen, fresh_servers, page_for):
    address = SCREENS[screen].url_path
    (email, company), heading, names_company = SIGNED_IN[screen]
    server = fresh_servers[screen]
    page = page_for("en-US")
    page.goto(f"{server.url}/{address}")
    text = settled(page, t("signin.title", "en"))
    assert page.get_by_role("textbox", name=t("signin.email", "en"), exact=True).is_visible()
    assert page.get_by_role("textbox", name=t("signin.password", "en")).is_visible()
    assert [value for value in ACCOUNT_DATA if value in text] == []

    # signed in on the sign-in this address showed, then the address again
    page.get_by_role("textbox", name=t("signin.email", "en"), exact=True).fill(email)
    page.get_by_role("textbox", name=t("signin.password", "en")).fill(factories.PASSWORD)
    page.get_by_role("button", name=t("signin.submit", "en"), exact=True).click()
    # back from the cookie hand-off on this address: the screen, or her home where she may not
    gallery.heading(page, heading).first.wait_for()
    page.goto(f"{server.url}/{address}")
    text = settled(page, heading)
    assert email in text  # "Signed in as ...", in the sidebar
    assert (company in text) is names_company
    others = [data for data in (ALICE, BOB, CAROL) if data[0] != email]
    assert [value for data in others for value in data if value in text] == []
    assert t("signin.title", "en") not in text
    log = server.log.read_text()
    assert "Traceback" not in log, log[-3000:]
