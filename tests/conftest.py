"""Shared fixtures: a real database per test (SQLite file; PostgreSQL too when configured)."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest

from core.platform.db import Database, open_database
from tests.support.env import BACKENDS, PG_URL, make_database


def pytest_configure(config: pytest.Config) -> None:
    if os.environ.get("REQUIRE_POSTGRES") == "1" and not PG_URL:
        raise pytest.UsageError(
            "REQUIRE_POSTGRES=1 but PORTAL_TEST_DATABASE_URL is not set: "
            "the PostgreSQL tests must run here."
        )


@pytest.fixture(params=BACKENDS)
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Database:
    database = make_database(request.param, tmp_path)
    yield database
    database.engine.dispose()


@pytest.fixture
def sqlite_db(tmp_path: Path) -> Database:
    database = make_database("sqlite", tmp_path)
    yield database
    database.engine.dispose()


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """A small shop on a real SQLite file for the page tests: two customers and an admin.

    The pages read the real clock, so its dates are relative to now.
    """
    from tests.support import factories

    now = dt.datetime.now(dt.UTC)
    url = f"sqlite:///{tmp_path / 'portal.db'}"
    monkeypatch.setenv("PORTAL_DATABASE_URL", url)
    monkeypatch.setenv("PORTAL_DEMO_MODE", "0")
    db = open_database(url)
    plan_id = factories.plan(db, "growth", 24900)
    made = factories.customer(db, "alice@example.com", plan_id, now=now, company="Lumière Srl")
    factories.customer(db, "bob@example.com", plan_id, now=now, company="Bob Ltd")
    factories.admin(db, "boss@example.com", now=now)
    yield db, made
    db.engine.dispose()


@pytest.fixture
def demo_shop(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """The demo account (no other demo accounts) and a customer with no data, on a real SQLite
    file, for the pages (Export data, sign-in, the overview's invoices)."""
    from core import demo
    from tests.support import factories
    from tests.support.pages import NOW

    url = f"sqlite:///{tmp_path / 'portal.db'}"
    monkeypatch.setenv("PORTAL_DATABASE_URL", url)
    monkeypatch.setenv("PORTAL_DEMO_MODE", "0")
    db = open_database(url)
    demo.seed(db, accounts=0, now=NOW)
    plan_id = factories.plan(db, "solo", 9800)
    factories.customer(db, "empty@example.com", plan_id, now=NOW, company="Empty Srl")
    return db
