"""The dependency audit in CI (.ci/audit runs pip-audit on requirements.txt, then
.ci/audit_report.py reads its JSON report): a known vulnerability fails the run."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from tests.support.env import ROOT

REPORT = ROOT / ".ci" / "audit_report.py"


def judge(
    tmp_path, dependencies, *, strict: bool = False, pypi: str = "http://127.0.0.1:9"
) -> tuple[int, str]:
    path = tmp_path / "audit.json"
    path.write_text(json.dumps({"dependencies": dependencies, "fixes": []}))
    env = {"PATH": "/usr/bin:/bin", "AUDIT_PYPI_URL": pypi}
    env |= {"AUDIT_STRICT": "1"} if strict else {}
    out = subprocess.run(
        [sys.executable, str(REPORT), str(path), "1"], capture_output=True, text=True, env=env
    )
    return out.returncode, out.stdout


def test_a_known_vulnerability_fails_the_audit(tmp_path):
    code, text = judge(
        tmp_path,
        [
            {"name": "requests", "version": "2.5.0", "vulns": [
                {"id": "PYSEC-2015-17", "fix_versions": ["2.6.0"], "aliases": []}]},
            {"name": "babel", "version": "2.18.0", "vulns": []},
        ],
    )  # fmt: skip
    assert code == 1
    assert "VULNERABLE requests 2.5.0: PYSEC-2015-17 (fixed in 2.6.0)" in text


def test_a_clean_audit_passes_and_unauditable_ones_are_named(tmp_path):
    deps = [
        {"name": "babel", "version": "2.18.0", "vulns": []},
        {"name": "streamlit", "skip_reason": "Dependency not found on PyPI"},
    ]
    code, text = judge(tmp_path, deps)
    assert code == 0
    assert "1 dependencies audited (0 of them" in text
    assert "0 vulnerabilities, 1 not auditable" in text
    assert "streamlit" in text
    assert judge(tmp_path, deps, strict=True)[0] == 1


PROJECT_PAGES = {
    "fpdf2": {"info": {"version": "2.8.9"}, "vulnerabilities": []},
    "jinja2": {
        "info": {"version": "3.1.6"},
        "vulnerabilities": [
            {"id": "GHSA-test-0001", "fixed_in": ["3.1.7"], "withdrawn": None},
            {"id": "GHSA-test-0002", "fixed_in": [], "withdrawn": "2026-01-01"},
        ],
    },
    "babel": {"info": {"version": "2.19.0"}, "vulnerabilities": []},
}


class ProjectPages(BaseHTTPRequestHandler):
    """PyPI's project pages (`/pypi/<name>/json`) as the registry CI reaches serves them: the
    newest release and the advisories that concern it."""

    def do_GET(self):
        name = self.path.strip("/").split("/")[1]
        page = PROJECT_PAGES.get(name)
        self.send_response(200 if page else 404)
        self.end_headers()
        self.wfile.write(json.dumps(page or {}).encode())

    def log_message(self, *args):
        pass


def test_a_pin_pypi_cannot_answer_for_is_audited_from_its_projects_newest_release(tmp_path):
    server = ThreadingHTTPServer(("127.0.0.1", 0), ProjectPages)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    pypi = f"http://127.0.0.1:{server.server_address[1]}/pypi"
    reason = "Dependency not found on PyPI and could not be audited: {} ({})"
    try:
        clean = [
            {"name": "fpdf2", "skip_reason": reason.format("fpdf2", "2.8.9")},
            {"name": "babel", "skip_reason": reason.format("babel", "2.18.0")},
        ]
        code, text = judge(tmp_path, clean, pypi=pypi)
        assert code == 0, text
        assert "1 dependencies audited (1 of them" in text
        assert "not auditable: babel 2.18.0 (newest is 2.19.0)" in text
        assert judge(tmp_path, clean, pypi=pypi, strict=True)[0] == 1
        # the newest release with an advisory (a withdrawn one does not count): the run fails
        code, text = judge(
            tmp_path,
            [{"name": "jinja2", "skip_reason": reason.format("jinja2", "3.1.6")}],
            pypi=pypi,
        )
        assert code == 1
        assert "VULNERABLE jinja2 3.1.6: GHSA-test-0001 (fixed in 3.1.7)" in text
        assert "GHSA-test-0002" not in text
    finally:
        server.shutdown()


def test_no_report_fails(tmp_path):
    out = subprocess.run(
        [sys.executable, str(REPORT), str(tmp_path / "missing.json"), "2"], capture_output=True
    )
    assert out.returncode == 2


def test_ci_runs_the_audit_on_the_pinned_requirements():
    ci = (ROOT / ".ci" / "run").read_text()
    audit = (ROOT / ".ci" / "audit").read_text()
    assert ".ci/audit" in ci
    assert "-r requirements.txt" in audit and "--vulnerability-service pypi" in audit
    assert any(
        line.startswith("pip-audit==")
        for line in (ROOT / "requirements-dev.txt").read_text().split()
    )
