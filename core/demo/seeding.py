"""The demo's entry points: fill a database with the demo data (`seed`), or only an empty one
(`seed_if_empty`, safe when several processes start at once), and tell whether it holds any."""

from __future__ import annotations

import datetime as dt
import random

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core.platform import clock
from core.platform.db import Database
from core.platform.errors import DatabaseUnavailable
from core.platform.models import Account

from .builder import Builder, SeedSummary
from .draft import Existing
from .plans import ensure_plans
from .writer import lock_for_seeding, write_rows

DEFAULT_SEED = 42
DEFAULT_ACCOUNTS = 300
DEFAULT_INFLUENCERS_PER_ACCOUNT = 20

_SQLITE_LOCK_ATTEMPTS = 6  # each waits SQLite's busy_timeout (10 s) for the write lock


def is_seeded(db: Database) -> bool:
    """True once any account exists."""
    with db.transaction() as session:
        return session.scalar(select(Account.id).limit(1)) is not None


def seed(
    db: Database,
    *,
    seed: int = DEFAULT_SEED,
    accounts: int = DEFAULT_ACCOUNTS,
    influencers_per_account: int = DEFAULT_INFLUENCERS_PER_ACCOUNT,
    now: dt.datetime | None = None,
) -> SeedSummary:
    """Write the demo data in one transaction; meant for an empty database.

    `accounts` customer accounts are generated besides the demo customer's; those whose data was
    already purged by `now` leave only their anonymised cancellation flow, so the summary counts
    fewer stored accounts. On a database that already holds data it adds more: the demo logins
    and their account are kept as they are, and no name or number collides with a stored one.
    """
    with db.transaction() as session:
        lock_for_seeding(session)
        return _seed_session(session, seed, accounts, influencers_per_account, reference_time(now))


def seed_if_empty(db: Database, *, now: dt.datetime | None = None) -> SeedSummary | None:
    """Seed with the defaults unless an account exists; None when nothing was written.

    Safe when several processes start at once: the check and the seeding share one transaction
    that first takes a lock (a PostgreSQL advisory lock, SQLite's write lock), so the others wait
    and then find the data there.
    """
    reference = reference_time(now)
    for attempt in range(_SQLITE_LOCK_ATTEMPTS):
        try:
            with db.transaction() as session:
                lock_for_seeding(session)
                if session.scalar(select(Account.id).limit(1)) is not None:
                    return None
                return _seed_session(
                    session,
                    DEFAULT_SEED,
                    DEFAULT_ACCOUNTS,
                    DEFAULT_INFLUENCERS_PER_ACCOUNT,
                    reference,
                )
        except IntegrityError:
            return None  # a concurrent seeder got there first
        except DatabaseUnavailable as exc:
            busy = db.dialect == "sqlite" and "locked" in str(exc.__cause__)
            if not busy or attempt == _SQLITE_LOCK_ATTEMPTS - 1:
                raise
    return None  # pragma: no cover - the loop always returns or raises


def reference_time(now: dt.datetime | None) -> dt.datetime:
    """The time the data is built around: `now` in UTC, or the clock to the second."""
    if now is None:
        return clock.now().replace(microsecond=0)
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    return clock.now(now)


def _seed_session(
    session: Session, seed: int, accounts: int, influencers_per_account: int, now: dt.datetime
) -> SeedSummary:
    if accounts < 0 or influencers_per_account < 0:
        raise ValueError("sizes must not be negative")
    plans = ensure_plans(session)
    builder = Builder(
        random.Random(seed), now, plans, Existing.load(session), influencers_per_account
    )
    builder.build(accounts)
    write_rows(session, builder.rows)
    return builder.summary()
