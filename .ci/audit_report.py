"""Read pip-audit's JSON report: exit 1 on any known vulnerability (and, with AUDIT_STRICT=1,
on any dependency PyPI could not answer for); print what was audited. Used by .ci/audit."""

import json
import os
import sys


def main(path: str, status: int) -> int:
    try:
        with open(path) as fh:
            deps = json.load(fh)["dependencies"]
    except (OSError, ValueError, KeyError):
        print(f"pip-audit did not produce a report (exit {status})")
        return status or 1
    vulnerable = [d for d in deps if d.get("vulns")]
    skipped = [d for d in deps if d.get("skip_reason")]
    for d in vulnerable:
        for v in d["vulns"]:
            fixes = ", ".join(v.get("fix_versions") or []) or "no fix yet"
            print(f"VULNERABLE {d['name']} {d.get('version', '')}: {v['id']} (fixed in {fixes})")
    print(
        f"pip-audit: {len(deps) - len(skipped)} dependencies audited, {len(vulnerable)} "
        f"vulnerable, {len(skipped)} not auditable (no advisory data from PyPI for them)"
    )
    if skipped:
        print("  not auditable: " + ", ".join(d["name"] for d in skipped))
    if vulnerable:
        return 1
    if skipped and os.environ.get("AUDIT_STRICT") == "1":
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], int(sys.argv[2])))
