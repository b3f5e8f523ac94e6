"""The lifecycle job deletes the sign-in sessions that have expired, and keeps the live ones."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from core.identity import auth
from core.jobs import lifecycle
from core.platform.config import Settings
from core.platform.models import UserSession
from tests.support import factories
from tests.support.env import NOW

DAYS = Settings().session_days


def sessions(db) -> set[int]:
    with db.transaction() as s:
        return set(s.scalars(select(UserSession.id)))


def test_a_run_deletes_expired_sessions_and_keeps_live_ones(db):
    factories.customer(db, "alice@example.com", factories.plan(db), now=NOW)
    old = auth.sign_in(db, "alice@example.com", factories.PASSWORD, now=NOW).user.session_id
    later = NOW + dt.timedelta(days=DAYS - 1)
    live = auth.sign_in(db, "alice@example.com", factories.PASSWORD, now=later).user.session_id
    assert sessions(db) == {old, live}

    report = lifecycle.run(db, now=NOW + dt.timedelta(days=DAYS))  # `old` expires right then

    assert sessions(db) == {live}
    assert report.expired_sessions == 1
    assert "1 expired sign-in session deleted" in "\n".join(report.lines())
    assert lifecycle.run(db, now=NOW + dt.timedelta(days=DAYS)).expired_sessions == 0


def test_the_demo_clock_expires_sessions_in_real_time_only(db):
    """Moving the demo's date weeks ahead does not sign out the admin who moved it."""
    factories.admin(db, "boss@example.com", now=NOW)
    now = dt.datetime.now(dt.UTC)
    boss = auth.sign_in(db, "boss@example.com", factories.PASSWORD, now=now).user
    ahead = now.date() + dt.timedelta(days=DAYS * 3)
    report = lifecycle.run_demo_clock(db, boss, ahead, settings=Settings(demo_mode=True))
    assert report.expired_sessions == 0
    assert sessions(db) == {boss.session_id}
