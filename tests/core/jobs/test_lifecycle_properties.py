"""Property-based: random sequences of customer, support and lifecycle actions over random dates
never break the rules (hypothesis), on a real SQLite file copied from a template per example."""

from __future__ import annotations

import contextlib
import datetime as dt
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from core import support_desk
from core.identity import auth
from core.jobs import lifecycle
from core.platform.db import open_database
from core.platform.errors import PortalError
from core.platform.models import (
    AuditEntry,
    CancellationFlow,
    Influencer,
    Invoice,
    Subscription,
    SurveyAnswer,
    User,
)
from core.retention import cancellation
from core.retention.cancellation import ALL_CONSENTS, Survey
from core.rules import billing
from tests.support import factories

START = dt.datetime(2026, 1, 15, 9, tzinfo=dt.UTC)
ACTIONS = ("cancel", "keep", "undo", "reactivate", "advance")


@pytest.fixture(scope="module")
def template(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("template") / "portal.db"
    db = open_database(f"sqlite:///{path}")
    plan_id = factories.plan(db)
    for who, start in (("alice", dt.date(2025, 11, 30)), ("bob", dt.date(2025, 12, 5))):
        made = factories.customer(
            db, f"{who}@example.com", plan_id, now=START, start=start, company=f"{who.title()} Spa"
        )
        with db.transaction() as s:
            for n in range(3):
                s.add(
                    Influencer(
                        account_id=made.account_id,
                        handle=f"{who}{n}",
                        name=f"Influencer {n}",
                        platform="instagram",
                        followers=1000 * n,
                        engagement_rate=1.5,
                        country="IT",
                        unlocked_at=START,
                    )
                )
    factories.admin(db, "boss@example.com", now=START)
    db.engine.dispose()
    return path


def check_invariants(db, account_id: int, today: dt.date) -> None:
    with db.transaction() as s:
        sub = s.scalar(select(Subscription).where(Subscription.account_id == account_id))
        open_flows = s.scalars(
            select(CancellationFlow).where(CancellationFlow.open_subscription_id == sub.id)
        ).all()
        # at most one open cancellation, and exactly one while one is scheduled
        assert len(open_flows) == (1 if sub.status == "cancellation_scheduled" else 0)
        if open_flows:
            # the effective date is the end of the period, never anything else
            assert open_flows[0].effective_on == sub.current_period_end
            assert sub.current_period_end > today
        influencers = s.scalar(
            select(func.count()).select_from(Influencer).where(Influencer.account_id == account_id)
        )
        users = s.scalar(
            select(func.count()).select_from(User).where(User.account_id == account_id)
        )
        if sub.status != "purged":
            # nothing is deleted before the purge
            assert (influencers, users) == (3, 1)
            if sub.status == "ended":
                assert today < billing.data_deletion_date(sub.ended_on)
        else:
            # after the purge no row holds the account's personal data
            assert (influencers, users) == (0, 0)
            assert (
                s.scalar(
                    select(func.count())
                    .select_from(Invoice)
                    .where(Invoice.account_id == account_id)
                )
                == 0
            )
            assert (
                s.scalar(
                    select(func.count())
                    .select_from(CancellationFlow)
                    .where(CancellationFlow.account_id == account_id)
                )
                == 0
            )
            texts = [a.comment + a.follow_up for a in s.scalars(select(SurveyAnswer))]
            texts += [a.actor + a.before + a.after for a in s.scalars(select(AuditEntry))]
            assert not any("alice" in t.lower() for t in texts), texts


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    steps=st.lists(
        st.tuples(st.sampled_from(ACTIONS), st.integers(min_value=1, max_value=75)),
        min_size=1,
        max_size=14,
    )
)
def test_random_lives_of_a_subscription_keep_every_rule(template, tmp_path, steps):
    path = tmp_path / "run.db"
    shutil.copy(template, path)
    db = open_database(f"sqlite:///{path}")
    try:
        now = START
        alice_id = None
        for action, days in steps:
            user = None
            with contextlib.suppress(PortalError):  # after the purge alice no longer exists
                user = auth.sign_in(db, "alice@example.com", factories.PASSWORD, now=now).user
            boss = auth.sign_in(db, "boss@example.com", factories.PASSWORD, now=now).user
            if user is not None:
                alice_id = user.account_id
            try:
                if action == "cancel" and user is not None:
                    flow = cancellation.start(db, user, now=now)
                    cancellation.answer_survey(
                        db, user, flow.flow_id, Survey("other", comment="alice here"), now=now
                    )
                    cancellation.go_on(db, user, flow.flow_id, now=now)
                    cancellation.confirm(db, user, flow.flow_id, ALL_CONSENTS, now=now)
                elif action == "keep" and user is not None:
                    flow = cancellation.start(db, user, now=now)
                    cancellation.keep(db, user, flow.flow_id, now=now)
                elif action == "undo" and alice_id is not None:
                    support_desk.undo(db, boss, alice_id, now=now)
                elif action == "reactivate" and alice_id is not None:
                    support_desk.reactivate(db, boss, alice_id, now=now)
                elif action == "advance":
                    now += dt.timedelta(days=days)
                    lifecycle.run(db, now.date(), now=now)
            except PortalError:
                pass  # refused in this state: that is allowed, and must change nothing
            if alice_id is not None:
                check_invariants(db, alice_id, now.date())
    finally:
        db.engine.dispose()
