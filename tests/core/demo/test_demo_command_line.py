"""The command line on an empty database says how to fill it, and `demo seed` fills it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.support.env import ROOT

HINT = (
    "The database has no accounts yet: run `python -m core demo seed` "
    "(or start the app in demo mode) to fill it with demo data."
)


def run_cli(database: Path, *args: str) -> subprocess.CompletedProcess:
    """`python -m core ...` in a child process, on this SQLite file only."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PORTAL_")}
    return subprocess.run(
        [sys.executable, "-m", "core", "--database-url", f"sqlite:///{database}", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_an_empty_database_says_how_to_fill_it_and_demo_seed_fills_it(tmp_path: Path) -> None:
    database = tmp_path / "fresh.db"
    show = ("account", "show", "--email", "customer@demo.test", "--json")

    empty = run_cli(database, *show)
    assert empty.returncode == 2
    assert "We could not find that account." in empty.stderr
    assert HINT in empty.stderr
    assert "Traceback" not in empty.stderr
    assert empty.stdout == ""

    seeded = run_cli(database, "demo", "seed", "--accounts", "3", "--influencers-per-account", "2")
    assert seeded.returncode == 0, seeded.stderr
    assert "Seeded in" in seeded.stdout

    account = run_cli(database, *show)
    assert account.returncode == 0, account.stderr
    assert json.loads(account.stdout)["status"] == "active"

    unknown = run_cli(database, "account", "show", "--email", "nobody@demo.test")
    assert unknown.returncode == 2
    assert "We could not find that account." in unknown.stderr
    assert HINT not in unknown.stderr  # the database is not empty: no hint to seed it

    again = run_cli(database, "demo", "seed")
    assert again.returncode == 0
    assert "nothing was added" in again.stdout
