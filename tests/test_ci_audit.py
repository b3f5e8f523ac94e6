"""The dependency audit in CI (.ci/audit runs pip-audit on requirements.txt, then
.ci/audit_report.py reads its JSON report): a known vulnerability fails the run."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.conftest import ROOT

REPORT = ROOT / ".ci" / "audit_report.py"


def judge(tmp_path, dependencies, *, strict: bool = False) -> tuple[int, str]:
    path = tmp_path / "audit.json"
    path.write_text(json.dumps({"dependencies": dependencies, "fixes": []}))
    env = {"PATH": "/usr/bin:/bin", **({"AUDIT_STRICT": "1"} if strict else {})}
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
    assert "1 dependencies audited, 0 vulnerable, 1 not auditable" in text
    assert "streamlit" in text
    assert judge(tmp_path, deps, strict=True)[0] == 1


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
