"""`python -m core export` writes the same files as the page, loading only what the file needs:
a CSV export never imports the PDF library, XlsxWriter, pandas, Streamlit, Alembic or the demo
data's builder (a house rule: what a small export costs is mostly what it imports). Its SQLite
reader process is started before the checks, and an export that is refused leaves none behind."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from core import exports
from core.exports import services, sqlite_process
from core.exports.request import ExportRequest
from core.platform.db import Database
from tests.support.env import NOW, ROOT
from tests.support.exports import make_hostile, parse, stored_influencers, stored_search_results

# Not for a CSV file (`pyarrow` and `numpy` are: Arrow writes it)
NOT_FOR_CSV = (
    "alembic",
    "core.demo",
    "core.documents",
    "core.exports.archive",
    "fontTools",
    "fpdf",
    "matplotlib",
    "pandas",
    "PIL",
    "streamlit",
    "xlsxwriter",
)


def run_cli(
    url: str, *args: str, python_options: tuple[str, ...] = ()
) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, *python_options, "-m", "core", "--database-url", url, *args],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        timeout=120,
    )


def imported(importtime: str) -> set[str]:
    """The modules a `python -X importtime` run imported, from its standard error."""
    return {
        line.rsplit("|", 1)[1].strip()
        for line in importtime.splitlines()
        if line.startswith("import time:") and "|" in line
    }


@pytest.mark.parametrize("what", ["influencers", "search-results"])
def test_a_csv_export_holds_what_is_stored_and_loads_no_pdf_excel_or_web_library(
    sqlite_db: Database, what: str
):
    hostile = make_hostile(sqlite_db)
    url = sqlite_db.engine.url.render_as_string(hide_password=False)
    done = run_cli(
        url,
        *("export", "--email", hostile.email, "--what", what, "--format", "csv", "--out", "-"),
        python_options=("-X", "importtime"),
    )
    stderr = done.stderr.decode()
    assert done.returncode == 0, stderr[-3000:]
    rows = parse("csv", done.stdout)
    if what == "influencers":
        assert rows == stored_influencers(sqlite_db, hostile.account_id)
    else:
        assert rows == stored_search_results(sqlite_db, hostile.account_id)
    modules = imported(stderr)
    assert {"core.exports.writers", "pyarrow"} <= modules  # the check sees the imports
    loaded = sorted(m for m in modules if any(m == n or m.startswith(n + ".") for n in NOT_FOR_CSV))
    assert loaded == []


def test_the_report_from_the_command_line_is_still_a_pdf(sqlite_db: Database, tmp_path: Path):
    hostile = make_hostile(sqlite_db)
    url = sqlite_db.engine.url.render_as_string(hide_password=False)
    out = tmp_path / "report.pdf"
    done = run_cli(url, "export", "--email", hostile.email, "--what", "report", "--out", str(out))
    assert done.returncode == 0, done.stderr.decode()[-3000:]
    assert out.read_bytes().startswith(b"%PDF-")


def _readers_of(path: Path) -> list[str]:
    """The command lines of the running processes that name this file (Linux: /proc)."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if str(path) in cmdline:
            found.append(cmdline)
    return found


@pytest.mark.skipif(not Path("/proc/self/cmdline").exists(), reason="needs Linux's /proc")
def test_a_refused_export_says_why_and_leaves_no_reader_running(sqlite_db: Database):
    make_hostile(sqlite_db)
    path = Path(sqlite_db.engine.url.database)
    url = sqlite_db.engine.url.render_as_string(hide_password=False)
    done = run_cli(url, "export", "--email", "nobody@example.com", "--what", "influencers")
    assert done.returncode == 2
    assert "We could not find that account." in done.stderr.decode()
    assert "Traceback" not in done.stderr.decode()
    assert _readers_of(path) == []


def test_an_export_takes_the_reader_started_early_for_its_file(sqlite_db: Database):
    hostile = make_hostile(sqlite_db)
    path = sqlite_db.engine.url.database
    sqlite_process.start_early(path)
    started = sqlite_process._waiting[-1]
    actor = exports.actor_for_email(sqlite_db, hostile.email)
    content, result = services.export_bytes(
        sqlite_db, actor, ExportRequest("influencers", "csv"), now=NOW
    )
    assert started not in sqlite_process._waiting  # taken, used, and ended
    assert started.process.returncode == 0
    assert parse("csv", content) == stored_influencers(sqlite_db, hostile.account_id)
    assert result.rows == len(stored_influencers(sqlite_db, hostile.account_id))


def test_a_reader_never_given_a_query_reads_nothing_and_ends(tmp_path: Path):
    sqlite_process.start_early(str(tmp_path / "nothing.db"))
    waiting = sqlite_process._waiting[-1]
    sqlite_process._discard()  # what happens when the process ends
    assert waiting.process.returncode is not None
    assert sqlite_process._waiting == []
    assert not (tmp_path / "nothing.db").exists()


def test_every_name_of_the_package_is_there_when_asked_for():
    for name in exports.__all__:
        assert getattr(exports, name) is not None, name
    assert set(exports.__all__) <= set(dir(exports))
    with pytest.raises(AttributeError):
        exports.no_such_name  # noqa: B018


def test_the_command_line_help_lists_every_command():
    done = subprocess.run(
        [sys.executable, "-m", "core", "--help"], cwd=ROOT, capture_output=True, text=True
    )
    assert done.returncode == 0
    for command in ("demo", "account", "lifecycle", "export", "outbox", "db"):
        assert command in done.stdout
    seed = subprocess.run(
        [sys.executable, "-m", "core", "demo", "seed", "--help"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert seed.returncode == 0 and "random seed (42)" in seed.stdout
