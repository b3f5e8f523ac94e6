"""The database failing or going away in the middle of the work, and the lifecycle job killed
mid-run: the user gets a clear message, nothing is half-written, and a rerun ends where one
clean run would.

Faults are real where they can be: a PostgreSQL connection killed with `pg_terminate_backend`
(from a second connection) at a chosen statement, SQLite's write lock held by another
connection, the export's reader process and the lifecycle job killed with SIGKILL. Where only
an injection can choose the moment on SQLite (a disk error on the Nth statement of a
transaction), it is an SQLAlchemy `before_cursor_execute` hook that raises `sqlite3`'s own
`OperationalError` just before that statement reaches the driver.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator

import pytest
from sqlalchemy import MetaData, create_engine, event, func, select, text, update

from core import demo, exports, support_desk
from core.exports import ExportRequest
from core.identity import auth
from core.jobs import lifecycle
from core.platform.db import Database, normalise_url, open_database
from core.platform.errors import DatabaseUnavailable, PortalError
from core.platform.models import (
    AuditEntry,
    CancellationFlow,
    Invoice,
    Subscription,
    SupportRequest,
    User,
)
from core.retention import cancellation, way_back
from core.retention.cancellation import ALL_CONSENTS, Survey
from tests.support import factories
from tests.support.env import NOW, PG_URL, ROOT

# --- fault injection ----------------------------------------------------------------------------


@contextlib.contextmanager
def fail_at(db: Database, matches: str, *, nth: int = 1) -> Iterator[list[str]]:
    """The database fails at the `nth` statement whose SQL contains `matches`.

    PostgreSQL: the connection running it is killed by the server (`pg_terminate_backend`
    from another connection) just before the statement is sent, so the statement meets a dead
    connection, as after a crash or a failover. SQLite: the driver's own OperationalError
    ("disk I/O error") is raised at that point. Yields the statements seen, for the test's
    own checks."""
    seen: list[str] = []
    hits = 0

    def before(conn, cursor, statement, parameters, context, executemany):
        nonlocal hits
        seen.append(statement)
        if matches not in statement:
            return
        hits += 1
        if hits != nth:
            return
        if db.dialect == "postgresql":
            pid = conn.exec_driver_sql("SELECT pg_backend_pid()").scalar()
            killer = create_engine(normalise_url(PG_URL))
            with killer.connect() as k:
                k.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
            killer.dispose()
            time.sleep(0.2)  # the server has closed the socket
        else:
            raise sqlite3.OperationalError("disk I/O error")

    event.listen(db.engine, "before_cursor_execute", before)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", before)
    assert hits >= nth, f"no statement matched {matches!r}: {seen[-5:]}"


def snapshot(db: Database) -> dict[str, list[tuple]]:
    """Every row of every table but the sign-in sessions."""
    meta = MetaData()
    meta.reflect(db.engine)
    with db.engine.connect() as conn:
        return {
            t.name: sorted(map(tuple, conn.execute(select(t))), key=repr)
            for t in meta.sorted_tables
            if t.name not in ("user_sessions", "alembic_version")
        }


@pytest.fixture
def shop(db):
    return factories.shop(db, now=NOW)


def at_consent(db, user) -> str:
    flow = cancellation.start(db, user, now=NOW)
    cancellation.answer_survey(db, user, flow.flow_id, Survey("not_using"), now=NOW)
    cancellation.go_on(db, user, flow.flow_id, now=NOW)
    return flow.flow_id


# --- a cancellation ---------------------------------------------------------------------------


@pytest.mark.parametrize("where", ["UPDATE subscriptions", "INSERT INTO audit_log"])
def test_the_database_failing_inside_a_cancellation_changes_nothing(db, shop, where):
    _alice, users = shop
    flow_id = at_consent(db, users["alice"])
    before = snapshot(db)
    with fail_at(db, where), pytest.raises(DatabaseUnavailable) as err:
        cancellation.confirm(db, users["alice"], flow_id, ALL_CONSENTS, now=NOW)
    assert err.value.key == "error.database"  # "nothing was changed; try again" in en and it
    assert snapshot(db) == before
    # the customer tries again and it works, once
    done = cancellation.confirm(db, users["alice"], flow_id, ALL_CONSENTS, now=NOW)
    assert done.confirmation_number.startswith("CX-")
    with db.transaction() as s:
        assert s.scalar(select(Subscription.status)) == "cancellation_scheduled"
        assert s.scalar(select(func.count()).select_from(AuditEntry)) == 1


def test_a_write_lock_held_elsewhere_gets_the_clear_message_and_changes_nothing(sqlite_db):
    """Another process holds SQLite's write lock (here: a second connection in BEGIN
    IMMEDIATE) for longer than the busy timeout (shortened to 0.3 s for the test)."""
    db = sqlite_db
    plan_id = factories.plan(db)
    factories.customer(db, "alice@example.com", plan_id, now=NOW)
    user = auth.sign_in(db, "alice@example.com", factories.PASSWORD, now=NOW).user
    flow_id = at_consent(db, user)
    before = snapshot(db)
    db.engine.dispose()
    event.listen(
        db.engine, "connect", lambda c, _r: c.execute("PRAGMA busy_timeout=300"), insert=False
    )
    holder = sqlite3.connect(db.engine.url.database, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(DatabaseUnavailable):
            cancellation.confirm(db, user, flow_id, ALL_CONSENTS, now=NOW)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert snapshot(db) == before
    assert cancellation.confirm(db, user, flow_id, ALL_CONSENTS, now=NOW)


# --- a support action -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "where", ["UPDATE subscriptions", "INSERT INTO audit_log", "UPDATE support_requests"]
)
def test_the_database_failing_inside_an_undo_changes_nothing(db, shop, where):
    """Support undoes a cancellation, which also answers the customer's undo request: both
    happen, or neither."""
    alice, users = shop
    flow_id = at_consent(db, users["alice"])
    cancellation.confirm(db, users["alice"], flow_id, ALL_CONSENTS, now=NOW)
    way_back.contact_support(db, users["alice"], "please undo", now=NOW)
    before = snapshot(db)
    with fail_at(db, where), pytest.raises(DatabaseUnavailable):
        support_desk.undo(db, users["boss"], alice.account_id, now=NOW)
    assert snapshot(db) == before
    assert support_desk.undo(db, users["boss"], alice.account_id, now=NOW) == 1
    with db.transaction() as s:
        assert s.scalar(select(Subscription.status)) == "active"
        assert s.scalar(select(SupportRequest.status)) == "handled"


def test_the_database_failing_inside_a_reactivation_changes_nothing(db, shop):
    alice, users = shop
    flow_id = at_consent(db, users["alice"])
    cancellation.confirm(db, users["alice"], flow_id, ALL_CONSENTS, now=NOW)
    with db.transaction() as s:
        s.execute(update(Subscription).values(status="ended", ended_on=NOW.date()))
    way_back.contact_support(db, users["alice"], "come back", kind="reactivation", now=NOW)
    before = snapshot(db)
    with fail_at(db, "UPDATE support_requests"), pytest.raises(DatabaseUnavailable):
        support_desk.reactivate(db, users["boss"], alice.account_id, now=NOW)
    assert snapshot(db) == before
    assert support_desk.reactivate(db, users["boss"], alice.account_id, now=NOW) == 1


# --- a purge ----------------------------------------------------------------------------------


@pytest.mark.parametrize("where", ["DELETE FROM influencers", "DELETE FROM users"])
def test_the_database_failing_inside_a_purge_leaves_the_account_whole(db, shop, where):
    alice, users = shop
    flow_id = at_consent(db, users["alice"])
    cancellation.confirm(db, users["alice"], flow_id, ALL_CONSENTS, now=NOW)
    as_of = NOW.date() + dt.timedelta(days=120)
    lifecycle.run(db, NOW.date() + dt.timedelta(days=40), now=NOW)  # ended, data kept
    before = snapshot(db)
    with fail_at(db, where), pytest.raises(DatabaseUnavailable):
        lifecycle.run(db, as_of, now=NOW)
    after = snapshot(db)
    assert after["users"] == before["users"] and after["accounts"] == before["accounts"]
    assert after["subscriptions"] == before["subscriptions"]  # still ended, not purged
    report = lifecycle.run(db, as_of, now=NOW)  # the next run purges it, whole
    assert report.purged == [alice.account_id]
    with db.transaction() as s:
        assert s.scalar(select(func.count()).select_from(User).where(User.role == "customer")) == 0
        assert s.scalar(select(CancellationFlow.account_id)) is None


# --- an export --------------------------------------------------------------------------------


@pytest.fixture
def big_account(db):
    """The demo data and a large agency (60,000 influencers: several batches to stream)."""
    demo.seed(db, accounts=3, influencers_per_account=5)
    demo.seed_large(db, influencers=60_000, answers=10)
    return exports.actor_for_email(db, demo.LARGE_CUSTOMER_EMAIL)


def _children() -> list[int]:
    pids = []
    for task in os.listdir(f"/proc/{os.getpid()}/task"):
        with open(f"/proc/{os.getpid()}/task/{task}/children") as fh:
            pids += [int(p) for p in fh.read().split()]
    return pids


def test_the_database_going_away_during_an_export_gives_no_partial_file(db, big_account):
    """Mid-stream (after the first batch of rows), the export's reader is killed: its
    PostgreSQL connection by the server, its SQLite reader process with SIGKILL. The user gets
    the clear message and no file, never a silently short one."""
    killed = []

    def progress(fraction: float, _step: str) -> None:
        if 0 < fraction < 1 and not killed:
            if db.dialect == "postgresql":
                with create_engine(normalise_url(PG_URL)).connect() as k:
                    killed.extend(
                        k.execute(
                            text(
                                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                            )
                        ).scalars()
                    )
            else:
                for pid in _children():
                    os.kill(pid, signal.SIGKILL)
                    killed.append(pid)

    request = ExportRequest(exports.INFLUENCERS, "csv")
    with pytest.raises(PortalError) as err:
        exports.export_bytes(db, big_account, request, progress=progress)
    assert killed, "the fault was not injected: nothing to kill mid-stream"
    assert err.value.key == "error.database"
    # and the next try, with the database back, gives the whole file
    content, result = exports.export_bytes(db, big_account, request)
    assert result.rows == 60_000 and content.count(b"\r\n") == 60_001


# --- the lifecycle job killed mid-run ---------------------------------------------------------


def lifecycle_state(db: Database) -> dict[str, list[tuple]]:
    """What the lifecycle decides, without what differs between two equal runs: surrogate ids
    (a killed run may have used some on PostgreSQL), the audit entries' and the events'
    wall-clock times and the events' random ids."""
    unequal = {
        "invoices": {"id"},
        "audit_log": {"id", "at"},
        "flow_steps": {"id"},
        "outbox_events": {"id", "created_at"},
        "outbox_deliveries": {"id", "event_id", "created_at", "next_attempt_at"},
    }
    meta = MetaData()
    meta.reflect(db.engine)
    out = {}
    with db.engine.connect() as conn:
        for table in meta.sorted_tables:
            if table.name in ("user_sessions", "alembic_version"):
                continue
            columns = [c for c in table.columns if c.name not in unequal.get(table.name, ())]
            out[table.name] = sorted(map(tuple, conn.execute(select(*columns))), key=repr)
    return out


def build_due_work(db: Database) -> None:
    """The demo data: active, scheduled and ended subscriptions, stale flows."""
    demo.seed(db, influencers_per_account=2)


def run_cli(url: str, as_of: dt.date) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "core", "lifecycle", "run", "--as-of", as_of.isoformat()],
        cwd=ROOT,
        env={**os.environ, "PORTAL_DATABASE_URL": url},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def copies(tmp_path, *names: str) -> list[tuple[Database, str]]:
    """The same starting database several times: built once, checkpointed, copied."""
    first = tmp_path / "initial.db"
    db = open_database(f"sqlite:///{first}")
    build_due_work(db)
    db.engine.dispose()
    with sqlite3.connect(first) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    out = []
    for name in names:
        shutil.copyfile(first, tmp_path / name)
        url = f"sqlite:///{tmp_path / name}"
        out.append((open_database(url), url))
    return out


def test_the_lifecycle_killed_mid_run_and_run_again_ends_like_one_clean_run(tmp_path):
    """On SQLite, the default (the same job on PostgreSQL, run twice or twice at once, is in
    test_lifecycle.py): the job is one process, killed with SIGKILL once it has done some of
    the work, then run again; the result equals one clean run on a copy of the same data."""
    as_of = dt.date.today() + dt.timedelta(days=800)
    (clean_db, clean_url), (db, url) = copies(tmp_path, "clean.db", "killed.db")
    clean = run_cli(clean_url, as_of)
    assert clean.wait(timeout=300) == 0, clean.stderr.read().decode()[-2000:]
    expected = lifecycle_state(clean_db)

    def progress() -> int:
        with db.transaction() as s:
            return s.scalar(select(func.count()).select_from(Invoice)) + s.scalar(
                select(func.count()).select_from(AuditEntry)
            )

    started = progress()
    job = run_cli(url, as_of)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and job.poll() is None and progress() == started:
        time.sleep(0.005)
    assert job.poll() is None, "the job finished before it could be killed"
    job.send_signal(signal.SIGKILL)
    job.wait(timeout=30)
    halfway = lifecycle_state(db)
    assert halfway != expected  # it was really stopped partway
    again = run_cli(url, as_of)
    assert again.wait(timeout=300) == 0, again.stderr.read().decode()[-2000:]
    assert lifecycle_state(db) == expected
    db.engine.dispose()
    clean_db.engine.dispose()
