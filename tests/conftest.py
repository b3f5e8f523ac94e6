"""Shared fixtures: a real database per test (SQLite file; PostgreSQL too when configured)."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from core.platform.db import Database, normalise_url, open_database

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


def _head() -> str:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    from core.platform.db import MIGRATIONS

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return ScriptDirectory.from_config(cfg).get_current_head()


def empty_postgres(url: str) -> None:
    """An empty database at the latest schema: when the schema is already there (the last
    test left it at the latest revision), every table is emptied, which is much quicker than
    building it again; otherwise it is built from nothing."""
    engine = create_engine(normalise_url(url))
    try:
        with engine.begin() as conn:
            version = conn.execute(
                text(
                    "SELECT version_num FROM alembic_version"
                    if conn.execute(text("SELECT to_regclass('public.alembic_version')")).scalar()
                    else "SELECT NULL"
                )
            ).scalar()
            if version == _head():
                tables = (
                    conn.execute(
                        text(
                            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
                            "AND tablename <> 'alembic_version'"
                        )
                    )
                    .scalars()
                    .all()
                )
                names = ", ".join(f'"{name}"' for name in tables)
                conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
                return
    finally:
        engine.dispose()
    reset_postgres(url)


BACKENDS = ["sqlite"] + (["postgresql"] if PG_URL else [])
_SQLITE_TEMPLATE: list[Path] = []


def _sqlite_template() -> Path:
    """A SQLite file at the latest schema, made once per test run and copied for each test."""
    if not _SQLITE_TEMPLATE:
        import tempfile

        path = Path(tempfile.mkdtemp(prefix="portal-template-")) / "portal.db"
        database = open_database(f"sqlite:///{path}")
        with database.engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        database.engine.dispose()
        _SQLITE_TEMPLATE.append(path)
    return _SQLITE_TEMPLATE[0]


def make_database(backend: str, tmp_path: Path) -> Database:
    if backend == "postgresql":
        empty_postgres(PG_URL)
        return open_database(PG_URL)
    import shutil

    tmp_path.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(_sqlite_template(), tmp_path / "portal.db")
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
