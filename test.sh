#!/usr/bin/env bash
# Install what the tests need (once) and run the checks and the whole test suite.
# Browser tests use Debian's Chromium (/usr/bin/chromium) and PostgreSQL tests need
# PORTAL_TEST_DATABASE_URL; without them those tests skip and say why, unless
# REQUIRE_BROWSER=1 / REQUIRE_POSTGRES=1 make them mandatory (as CI does).
# Extra arguments go to pytest, e.g. ./test.sh -k overview
set -euo pipefail
cd "$(dirname "$0")"
if [[ ! -x .venv/bin/python ]]; then
  python3 -m venv .venv
fi
.venv/bin/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
# axe-core for the accessibility test, from the npm registry at the version pinned in
# tests/e2e/package-lock.json (installed again when the lock changes; skipped without npm)
if command -v npm >/dev/null && ! cmp -s tests/e2e/package-lock.json tests/e2e/node_modules/.portal-lock; then
  npm ci --prefix tests/e2e --no-audit --no-fund --silent
  cp tests/e2e/package-lock.json tests/e2e/node_modules/.portal-lock
fi
.venv/bin/ruff check .
.venv/bin/ruff format --check .
# Two phases. First every test but the load tests, on two workers (pytest-xdist; each test
# file stays on one worker, each worker has its own PostgreSQL database beside the configured
# one; PORTAL_TEST_WORKERS=0 runs in one process). Then the load tests (marked `load`: forty
# browser sessions at once) alone, so that they starve no other browser test. Both phases get
# the same arguments; a phase that they leave without a test (pytest's exit code 5, e.g.
# `./test.sh tests/core` has no load test) is not a failure unless both are.
set +e
.venv/bin/python -m pytest -ra -n "${PORTAL_TEST_WORKERS:-2}" --dist loadfile -m "not load" "$@"
first=$?
.venv/bin/python -m pytest -ra -n 0 -m load "$@"
second=$?
set -e
for rc in "$first" "$second"; do
  if [[ $rc -ne 0 && $rc -ne 5 ]]; then exit "$rc"; fi
done
if [[ $first -eq 5 && $second -eq 5 ]]; then exit 5; fi
exit 0
