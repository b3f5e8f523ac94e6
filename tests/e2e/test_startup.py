"""The server fills the demo database when it starts, before any browser has asked for a page:
the operator's command line finds the demo customer right after `./run.sh` has started."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.e2e.conftest import ROOT, running_server


def account_show(database_url: str, email: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "core", "account", "show", "--email", email, "--json"],
        cwd=ROOT,
        env={**os.environ, "PORTAL_DATABASE_URL": database_url},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_demo_data_is_there_once_the_server_answers(tmp_path: Path):
    database = tmp_path / "portal.db"
    assert not database.exists()
    with running_server(tmp_path) as server:  # returns once /_stcore/health answers; no page
        shown = account_show(server.database_url, "customer@demo.test")
        assert shown.returncode == 0, shown.stdout + shown.stderr
        account = json.loads(shown.stdout)
        assert account["company"]
        assert account["status"] == "active"
        log = server.log.read_text()
    assert "Traceback" not in log, log[-3000:]
