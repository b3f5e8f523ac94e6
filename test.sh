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
.venv/bin/ruff check .
.venv/bin/ruff format --check .
exec .venv/bin/python -m pytest -ra "$@"
