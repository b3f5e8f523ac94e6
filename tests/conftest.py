"""Shared fixtures: a real database per test (SQLite file; PostgreSQL too when configured)."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from core.db import Database, normalise_url, open_database

PG_URL = os.environ.get("PORTAL_TEST_DATABASE_URL", "").strip()
ROOT = Path(__file__).resolve().parent.parent
NOW = dt.datetime(2026, 11, 26, 10, 0, tzinfo=dt.UTC)


def pytest_configure(config: pytest.Config) -> None:
    if os.environ.get("REQUIRE_POSTGRES") == "1" and not PG_URL:
        raise pytest.UsageError(
            "REQUIRE_POSTGRES=1 but PORTAL_TEST_DATABASE_URL is not set: "
            "the PostgreSQL tests must run here."
        )


def reset_postgres(url: str) -> None:
    engine = create_engine(normalise_url(url))
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


BACKENDS = ["sqlite"] + (["postgresql"] if PG_URL else [])


def make_database(backend: str, tmp_path: Path) -> Database:
    if backend == "postgresql":
        reset_postgres(PG_URL)
        return open_database(PG_URL)
    return open_database(f"sqlite:///{tmp_path / 'portal.db'}")


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
    from tests import factories

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
