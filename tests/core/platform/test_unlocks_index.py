"""Migration 0011 (the influencers' (unlocked_at, account_id) index): the plan's unlocks this
cycle count the same influencers with it and without it, down to 0010 and up again, on SQLite
and PostgreSQL."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import inspect, select

from core.customers import accounts
from core.exports import access
from core.platform.db import Database, current_revision, migrate
from core.platform.models import Subscription
from tests.support import factories
from tests.support.env import head

INDEX = "ix_influencers_unlocked_at_account_id"


def unlocks(db: Database, email: str) -> int:
    shown = accounts.overview(db, access.actor_for_email(db, email)).usage
    return next(u.used for u in shown if u.key == "unlocks")


def indexes(db: Database) -> set[str]:
    return {i["name"] for i in inspect(db.engine).get_indexes("influencers")}


def test_the_cycles_unlocks_are_counted_the_same_down_to_0010_and_up_again(db):
    from alembic import command

    from core.platform.db import _alembic_config

    now = dt.datetime.now(dt.UTC)
    plan_id = factories.plan(db)
    alice = factories.customer(db, "alice@example.com", plan_id, now=now)
    bob = factories.customer(db, "bob@example.com", plan_id, now=now, company="Bob Ltd")
    with db.transaction() as s:
        sub = s.scalar(select(Subscription).where(Subscription.account_id == alice.account_id))
        start = dt.datetime.combine(sub.current_period_start, dt.time(), dt.UTC)
        end = dt.datetime.combine(sub.current_period_end, dt.time(), dt.UTC)
        when = {
            "first moment of the cycle": (alice, start),
            "in the cycle": (alice, start + dt.timedelta(days=3, hours=5)),
            "a second before the cycle": (alice, start - dt.timedelta(seconds=1)),
            "the first moment of the next cycle": (alice, end),
            "bob's, in the cycle": (bob, start + dt.timedelta(days=1)),
        }
        for name, (who, at) in when.items():
            s.add(factories.influencer(who.account_id, name, at))
    assert INDEX in indexes(db)
    assert (unlocks(db, alice.email), unlocks(db, bob.email)) == (2, 1)

    command.downgrade(_alembic_config(db), "0010")
    assert current_revision(db) == "0010"
    assert INDEX not in indexes(db)
    assert (unlocks(db, alice.email), unlocks(db, bob.email)) == (2, 1)

    db.engine.dispose()
    migrate(db)
    assert current_revision(db) == head()
    assert INDEX in indexes(db)
    assert (unlocks(db, alice.email), unlocks(db, bob.email)) == (2, 1)
