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
