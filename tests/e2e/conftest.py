"""A real `streamlit run app.py` on a free port and a temporary SQLite file, driven by
Debian's Chromium through Playwright. Without a browser these tests skip and say why,
unless REQUIRE_BROWSER=1 (CI) makes them mandatory."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.ports import free_port

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("PORTAL_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def _browser_missing() -> str | None:
    if not (shutil.which(CHROMIUM) or Path(CHROMIUM).exists()):
        return f"no Chromium at {CHROMIUM} (install Debian's chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright is not installed (pip install -r requirements-dev.txt)"
    return None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    reason = _browser_missing()
    for item in items:
        if "e2e" not in item.nodeid.split("::")[0]:
            continue
        item.add_marker(pytest.mark.e2e)
        if reason:
            if os.environ.get("REQUIRE_BROWSER") == "1":
                raise pytest.UsageError(f"REQUIRE_BROWSER=1 but {reason}")
            item.add_marker(pytest.mark.skip(reason=reason))


@dataclass
class Server:
    url: str
    database_url: str
    process: subprocess.Popen
    log: Path


@contextlib.contextmanager
def running_server(
    tmp: Path,
    database_url: str | None = None,
    env: dict[str, str] | None = None,
    name: str = "streamlit",
) -> Iterator[Server]:
    """`streamlit run app.py` on a free port with its own SQLite file (seeded on first visit),
    or on `database_url` (several servers may share one); `env` adds or overrides variables.
    The server's output goes to `<tmp>/<name>.log`."""
    port = free_port()
    database_url = database_url or f"sqlite:///{tmp / 'portal.db'}"
    env = {
        **os.environ,
        "PORTAL_DATABASE_URL": database_url,
        "PORTAL_DEMO_MODE": "1",
        **(env or {}),
    }
    log = tmp / f"{name}.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "streamlit",
                "run",
                "app.py",
                "--server.port",
                str(port),
                "--server.address",
                "127.0.0.1",
                "--server.headless",
                "true",
                "--browser.gatherUsageStats",
                "false",
            ],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    try:
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"streamlit did not start:\n{log.read_text()[-3000:]}")
            time.sleep(0.3)
        yield Server(url, database_url, process, log)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """One server for the tests that do not change the demo customer's subscription."""
    with running_server(tmp_path_factory.mktemp("server")) as srv:
        yield srv


@pytest.fixture
def own_server(tmp_path: Path) -> Iterator[Server]:
    """A server of the test's own, for tests that cancel or change the subscription."""
    with running_server(tmp_path) as srv:
        yield srv


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=20_000)
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page_for(browser, request):
    """A fresh browser context (no cookies) in the given locale; screenshots on failure."""
    contexts = []
    artifacts = ROOT / "test-artifacts"

    def make(locale: str = "en-US"):
        context = browser.new_context(locale=locale, viewport={"width": 1400, "height": 1000})
        context.set_default_timeout(30_000)
        contexts.append(context)
        return context.new_page()

    yield make
    failed = getattr(request.node, "rep_call", None)
    for i, context in enumerate(contexts):
        if failed is not None and failed.failed:
            artifacts.mkdir(exist_ok=True)
            for j, pg in enumerate(context.pages):
                pg.screenshot(
                    path=str(artifacts / f"{request.node.name}-{i}-{j}.png"), full_page=True
                )
        context.close()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)
