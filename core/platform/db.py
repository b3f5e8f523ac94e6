"""Engine and sessions, SQLite pragmas, and schema creation/upgrade through Alembic."""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, inspect, text
from sqlalchemy.exc import ArgumentError, DBAPIError, OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from core.platform.errors import DatabaseUnavailable

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
_migrate_lock = threading.Lock()


def normalise_url(url: str) -> str:
    """Use psycopg 3 for PostgreSQL URLs given without a driver."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


BUSY_TIMEOUT_S = 30  # SQLite: how long a writer waits for the write lock
# PostgreSQL. A new connection is made by psycopg in Python, so in a server whose twenty
# sessions' threads hold the GIL it waits for its turn at every step: under the nginx load test
# one took over 5 s (the earlier limit) and a sign-in said the database could not be reached.
# The limit is for a server that does not answer at all; a refused connection fails at once.
CONNECT_TIMEOUT_S = 15
# Connections kept open between uses (the rest, up to POOL_SIZE + POOL_OVERFLOW at once, are
# closed when given back): enough for a server's sessions at a busy moment, so that a burst
# does not open new ones. Per engine; a server has two (its pages, its download routes).
POOL_SIZE, POOL_OVERFLOW = 10, 5

log = logging.getLogger(__name__)


def _unavailable(exc: Exception) -> DatabaseUnavailable:
    """The error the pages show, with the reason in the server's log: the driver's first line
    (a host, a port, a timeout, never a password), or only the error's name (a malformed URL's
    message would repeat the URL)."""
    orig = exc.orig if isinstance(exc, DBAPIError) else None
    lines = str(orig).strip().splitlines() if orig is not None else []
    reason = f"{type(orig).__name__}: {lines[0]}" if lines else type(exc).__name__
    log.warning("the database is unavailable: %s", reason)
    return DatabaseUnavailable()


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy emit BEGIN itself (see _sqlite_begin), instead of the driver's own guess.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    # a write waits up to this long for another's to end: twenty sessions on one server starve
    # the thread that holds the lock of the GIL, and a 10-second wait failed there (load test)
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_S * 1000}")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _sqlite_begin(conn: Any) -> None:
    """A write transaction takes SQLite's write lock at BEGIN, so two writers never both read
    a state and then both act on it; reads stay deferred and run beside writers under WAL."""
    immediate = conn.get_execution_options().get("write", False)
    conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


@dataclass(frozen=True)
class Database:
    """An engine and its session factory: what every `core` use case takes first."""

    engine: Engine
    sessions: sessionmaker[Session]
    writers: sessionmaker[Session]

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def transaction(self, *, write: bool = False) -> Iterator[Session]:
        """One unit of work: commits on success, rolls back on any error.

        `write=True` for a use case that reads a state and changes it on that basis: on SQLite
        it holds the write lock from the start (PostgreSQL use cases lock rows with FOR UPDATE).
        """
        factory = self.writers if write else self.sessions
        try:
            with factory.begin() as session:
                yield session
        except OperationalError as exc:
            raise _unavailable(exc) from exc


def connect(url: str) -> Database:
    """An engine for `url`; raises DatabaseUnavailable when it cannot be used."""
    url = normalise_url(url)
    try:
        if url.startswith("sqlite"):
            path = url.split("///", 1)[1] if "///" in url else ""
            if path and path != ":memory:":
                Path(path).parent.mkdir(parents=True, exist_ok=True)
            engine = create_engine(url, connect_args={"timeout": BUSY_TIMEOUT_S})
            event.listen(engine, "connect", _sqlite_pragmas)
            event.listen(engine, "begin", _sqlite_begin)
        else:
            engine = create_engine(
                url,
                pool_pre_ping=True,
                pool_size=POOL_SIZE,
                max_overflow=POOL_OVERFLOW,
                connect_args={"connect_timeout": CONNECT_TIMEOUT_S},
            )
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except (ArgumentError, SQLAlchemyError, ValueError, ImportError, OSError) as exc:
        raise _unavailable(exc) from exc
    return Database(
        engine,
        sessionmaker(engine, expire_on_commit=False),
        sessionmaker(engine.execution_options(write=True), expire_on_commit=False),
    )


def _alembic_config(db: Database) -> Any:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["engine"] = db.engine
    return cfg


def migrate(db: Database) -> None:
    """Create the schema on a new database, or upgrade an existing one to the latest revision.

    On PostgreSQL an advisory lock keeps several app servers starting at once from racing.
    """
    from alembic import command

    with _migrate_lock:
        if db.dialect == "postgresql":
            with db.engine.connect() as conn:
                conn.execute(text("SELECT pg_advisory_lock(7301)"))
                try:
                    cfg = _alembic_config(db)
                    cfg.attributes["connection"] = conn
                    command.upgrade(cfg, "head")
                    conn.commit()
                finally:
                    conn.execute(text("SELECT pg_advisory_unlock(7301)"))
                    conn.commit()
        else:
            command.upgrade(_alembic_config(db), "head")


def current_revision(db: Database) -> str | None:
    if not inspect(db.engine).has_table("alembic_version"):
        return None
    with db.engine.connect() as conn:
        return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()


_REVISION = re.compile(r"""^revision\b[^=\n]*=\s*['"]([^'"]+)['"]""", re.MULTILINE)
_DOWN_REVISION = re.compile(r"^down_revision\b[^=\n]*=(.*)$", re.MULTILINE)


def head_revisions() -> set[str]:
    """The latest revision(s) of the migrations, read from the revision files' text (their
    `revision` and `down_revision` lines) without importing Alembic: the revisions no other
    revision names as its parent. `tests/core/platform/test_schema.py` checks that this is
    what Alembic itself finds."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in (MIGRATIONS / "versions").glob("*.py"):
        source = path.read_text(encoding="utf-8")
        revisions.update(_REVISION.findall(source))
        for value in _DOWN_REVISION.findall(source):
            parents.update(re.findall(r"""['"]([^'"]+)['"]""", value))
    return revisions - parents


def is_at_head(db: Database) -> bool:
    """True when the database's schema is at the latest revision already: one query, so that
    opening an up-to-date database (every start of a command) never imports Alembic."""
    heads = head_revisions()
    try:
        with db.engine.connect() as conn:
            found = {
                row[0] for row in conn.execute(text("SELECT version_num FROM alembic_version"))
            }
    except SQLAlchemyError:  # no schema yet (or no version table): Alembic says what to do
        return False
    return bool(heads) and found == heads


def open_database(url: str) -> Database:
    """Connect and bring the schema up to date: what the app and the command line call
    (Alembic runs only when the database is behind the latest revision)."""
    db = connect(url)
    try:
        if not is_at_head(db):
            migrate(db)
    except SQLAlchemyError as exc:
        raise DatabaseUnavailable() from exc
    return db
