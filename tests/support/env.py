"""What the tests share about where they run: the repository, the fixed clock, the databases
(a SQLite file per test, PostgreSQL too when PORTAL_TEST_DATABASE_URL is set)."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

from sqlalchemy import create_engine, text

from core.platform.db import Database, normalise_url, open_database


def _own_database(url: str) -> str:
    """Under pytest-xdist each worker gets a database of its own beside the one configured
    (`test` -> `test_gw0`, `test_gw1`, made on first use), since the tests empty theirs."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    if not url or not worker:
        return url
    from sqlalchemy.engine import make_url

    given = make_url(normalise_url(url))
    own = f"{given.database}_{worker}"
    engine = create_engine(given, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            exists = conn.execute(
                text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": own}
            ).scalar()
            if not exists:
                conn.execute(text(f'CREATE DATABASE "{own}"'))
    finally:
        engine.dispose()
    return given.set(database=own).render_as_string(hide_password=False)


PG_URL = _own_database(os.environ.get("PORTAL_TEST_DATABASE_URL", "").strip())
ROOT = Path(__file__).resolve().parents[2]  # the repository
NOW = dt.datetime(2026, 11, 26, 10, 0, tzinfo=dt.UTC)


def reset_postgres(url: str) -> None:
    engine = create_engine(normalise_url(url))
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def head() -> str:
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
            if version == head():
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
