"""Read pip-audit's JSON report: exit 1 on any known vulnerability (and, with AUDIT_STRICT=1,
on any dependency that could not be audited); print what was audited. Used by .ci/audit.

pip-audit asks PyPI for advisories per release (`/pypi/<name>/<version>/json`). Where PyPI does
not answer that (the package registry CI reaches serves only each project's page), a skipped
dependency is audited here from the project's page instead (`/pypi/<name>/json`), whose
`vulnerabilities` are those of the project's newest release: valid when the pin *is* the newest
release. A pin behind the newest release stays "not auditable", named with the newer release.
AUDIT_PYPI_URL changes the address (default https://pypi.org/pypi)."""

import json
import os
import re
import sys
import urllib.request

PYPI = os.environ.get("AUDIT_PYPI_URL", "https://pypi.org/pypi").rstrip("/")
VERSION_IN_REASON = re.compile(r"\(([^()\s]+)\)\s*$")


def newest_release_advisories(name: str, version: str) -> tuple[str, object]:
    """("audited", [vulns]) when `version` is the project's newest release, ("behind", newest)
    when it is not, ("unknown", why) when PyPI did not answer."""
    try:
        with urllib.request.urlopen(f"{PYPI}/{name}/json", timeout=30) as reply:
            page = json.load(reply)
        newest = page["info"]["version"]
    except (OSError, ValueError, KeyError) as exc:
        return "unknown", str(exc)[:80]
    if newest != version:
        return "behind", newest
    return "audited", [v for v in page.get("vulnerabilities") or [] if not v.get("withdrawn")]


def main(path: str, status: int) -> int:
    try:
        with open(path) as fh:
            deps = json.load(fh)["dependencies"]
    except (OSError, ValueError, KeyError):
        print(f"pip-audit did not produce a report (exit {status})")
        return status or 1
    vulnerable: list[tuple[str, str, dict]] = []
    audited = fallback = 0
    not_auditable: list[str] = []
    for d in deps:
        name = d["name"]
        if not d.get("skip_reason"):
            audited += 1
            vulnerable += [(name, d.get("version", ""), v) for v in d.get("vulns") or []]
            continue
        found = VERSION_IN_REASON.search(d["skip_reason"])
        version = d.get("version") or (found[1] if found else "")
        verdict, detail = newest_release_advisories(name, version) if version else ("", "")
        if verdict == "audited":
            audited += 1
            fallback += 1
            vulnerable += [(name, version, v) for v in detail]
        elif verdict == "behind":
            not_auditable.append(f"{name} {version} (newest is {detail})")
        else:
            not_auditable.append(f"{name} {version}".strip())
    for name, version, v in vulnerable:
        fixes = ", ".join(v.get("fixed_in") or v.get("fix_versions") or []) or "no fix yet"
        print(f"VULNERABLE {name} {version}: {v['id']} (fixed in {fixes})")
    print(
        f"pip-audit: {audited} dependencies audited ({fallback} of them through the advisories "
        f"of their project's newest release), {len(vulnerable)} vulnerabilities, "
        f"{len(not_auditable)} not auditable (no advisory data from PyPI for them)"
    )
    if not_auditable:
        print("  not auditable: " + ", ".join(not_auditable))
    if vulnerable:
        return 1
    if not_auditable and os.environ.get("AUDIT_STRICT") == "1":
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], int(sys.argv[2])))
