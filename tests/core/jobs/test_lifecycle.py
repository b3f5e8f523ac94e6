"""End of cycle, renewal, purge and reactivation, applied as of a date."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import threading

import pytest
from sqlalchemy import func, select

from core import support_desk
from core.identity import auth
from core.jobs import lifecycle
from core.platform.errors import InvalidInput
from core.platform.models import (
    Account,
    AuditEntry,
    CancellationFlow,
    Influencer,
    InfluencerList,
    Invoice,
    SurveyAnswer,
    User,
)
from core.retention import cancellation
from core.retention.cancellation import ALL_CONSENTS, Survey
from core.rules import billing
from tests.support import factories
from tests.support.env import NOW, ROOT


@pytest.fixture
def shop(db):
    plan_id = factories.plan(db, "growth", 24900)
    alice = factories.customer(
        db, "alice@example.com", plan_id, now=NOW, start=dt.date(2026, 3, 10), company="Acme Srl"
    )
    bob = factories.customer(db, "bob@example.com", plan_id, now=NOW, start=dt.date(2026, 1, 20))
    factories.admin(db, "boss@example.com", now=NOW)
    with db.transaction() as s:
        s.add(
            Influencer(
                account_id=alice.account_id,
                handle="chiara",
                name="Chiara Bianchi",
                platform="instagram",
                followers=12000,
                engagement_rate=3.2,
                country="IT",
                unlocked_at=NOW,
            )
        )
        s.add(InfluencerList(account_id=alice.account_id, name="Estate", created_at=NOW))
    users = {
        who: auth.sign_in(db, f"{who}@example.com", factories.PASSWORD, now=NOW).user
        for who in ("alice", "bob", "boss")
    }
    return alice, bob, users


def cancel(db, user, comment=""):
    flow = cancellation.start(db, user, now=NOW)
    cancellation.answer_survey(
        db, user, flow.flow_id, Survey("too_expensive", comment=comment, satisfaction=3), now=NOW
    )
    cancellation.go_on(db, user, flow.flow_id, now=NOW)
    return cancellation.confirm(db, user, flow.flow_id, ALL_CONSENTS, now=NOW)


def status(db, account_id):
    from core.platform.models import Subscription

    with db.transaction() as s:
        return s.scalar(select(Subscription.status).where(Subscription.account_id == account_id))


def count(db, model, *where):
    with db.transaction() as s:
        return s.scalar(select(func.count()).select_from(model).where(*where))


def test_nothing_happens_before_the_end_of_the_cycle(db, shop):
    alice, _, users = shop
    cancel(db, users["alice"])
    report = lifecycle.run(db, dt.date(2026, 12, 9), now=NOW)
    assert report.ended == [] and status(db, alice.account_id) == "cancellation_scheduled"


def test_at_the_end_of_the_cycle_it_ends_and_the_data_is_kept(db, shop):
    alice, _, users = shop
    cancel(db, users["alice"])
    report = lifecycle.run(db, dt.date(2026, 12, 10), now=NOW)
    assert report.ended == [alice.account_id]
    assert status(db, alice.account_id) == "ended"
    assert count(db, Influencer, Influencer.account_id == alice.account_id) == 1
    # the customer can still sign in, and sees only the ended page
    user = auth.sign_in(db, "alice@example.com", factories.PASSWORD, now=NOW).user
    assert auth.pages_for(user) == ("ended", "export")  # the 30-day export window


def test_active_subscriptions_renew_with_one_invoice_per_cycle(db, shop):
    alice, bob, _ = shop
    report = lifecycle.run(db, dt.date(2027, 2, 15), now=NOW)
    # alice: Dec 10 and Jan 10 and Feb 10 renewals; bob (20th): Dec 20, Jan 20
    assert sorted(report.renewed) == sorted([alice.account_id, bob.account_id])
    assert report.invoices == 5
    numbers = set()
    with db.transaction() as s:
        numbers = set(
            s.scalars(select(Invoice.number).where(Invoice.account_id == alice.account_id))
        )
    assert numbers == {
        billing.invoice_number(alice.account_id, dt.date(2026, 12, 10)),
        billing.invoice_number(alice.account_id, dt.date(2027, 1, 10)),
        billing.invoice_number(alice.account_id, dt.date(2027, 2, 10)),
    }


def test_running_twice_or_at_the_same_time_does_it_once(db, shop):
    _alice, _, users = shop
    cancel(db, users["alice"])
    day = dt.date(2027, 3, 1)
    reports: list[lifecycle.LifecycleRun] = []
    threads = [
        threading.Thread(target=lambda: reports.append(lifecycle.run(db, day, now=NOW)))
        for _ in range(4)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(len(r.ended) for r in reports) == 1
    assert sum(r.invoices for r in reports) == 3  # bob: Dec 20, Jan 20, Feb 20 - once each
    again = lifecycle.run(db, day, now=NOW)
    assert (again.ended, again.renewed, again.purged, again.invoices) == ([], [], [], 0)
    with db.transaction() as s:
        ended_audits = s.scalar(
            select(func.count())
            .select_from(AuditEntry)
            .where(AuditEntry.action == "subscription_ended")
        )
    assert ended_audits == 1


def test_two_months_after_the_end_personal_data_is_purged_and_answers_stay_anonymous(db, shop):
    alice, bob, users = shop
    done = cancel(db, users["alice"], comment="Acme Srl wanted more. Write to alice@example.com")
    lifecycle.run(db, dt.date(2026, 12, 10), now=NOW)
    assert lifecycle.run(db, dt.date(2027, 2, 9), now=NOW).purged == []  # still in the window
    report = lifecycle.run(db, dt.date(2027, 2, 10), now=NOW)
    assert report.purged == [alice.account_id]
    assert status(db, alice.account_id) == "purged"
    for model in (Influencer, InfluencerList, Invoice, User):
        assert count(db, model, model.account_id == alice.account_id) == 0, model
    with db.transaction() as s:
        assert s.get(Account, alice.account_id).company == ""
        flow = s.get(CancellationFlow, done.flow_id)
        assert (flow.account_id, flow.user_id) == (None, None)
        assert (flow.plan_code, flow.country) == ("growth", "IT")
        answer = s.scalar(select(SurveyAnswer).where(SurveyAnswer.flow_id == done.flow_id))
        assert answer.reason == "too_expensive" and answer.satisfaction == 3
        assert "Acme" not in answer.comment and "alice@" not in answer.comment
        assert "wanted more" in answer.comment
        audit = s.scalars(select(AuditEntry)).all()
        assert all("alice@example.com" not in (a.actor + a.before + a.after) for a in audit)
    # bob is untouched
    assert count(db, User, User.account_id == bob.account_id) == 1
    with pytest.raises(auth.AccountErased):  # the right password: told when it was erased
        auth.sign_in(db, "alice@example.com", factories.PASSWORD, now=NOW)


def test_support_reactivates_within_two_months_with_the_data_intact(db, shop):
    alice, _, users = shop
    cancel(db, users["alice"])
    lifecycle.run(db, dt.date(2026, 12, 10), now=NOW)
    when = dt.datetime(2027, 1, 5, 9, tzinfo=dt.UTC)
    support_desk.reactivate(db, users["boss"], alice.account_id, now=when)
    assert status(db, alice.account_id) == "active"
    assert count(db, Influencer, Influencer.account_id == alice.account_id) == 1
    user = auth.sign_in(db, "alice@example.com", factories.PASSWORD, now=when).user
    assert "overview" in auth.pages_for(user)
    from core.customers import accounts

    ov = accounts.overview(db, user)
    assert (ov.period_start, ov.period_end) == (dt.date(2027, 1, 5), dt.date(2027, 2, 5))
    # and the next lifecycle run does not end or purge it
    report = lifecycle.run(db, dt.date(2027, 2, 10), now=when)
    assert report.purged == [] and status(db, alice.account_id) == "active"


def test_reactivation_is_refused_outside_the_window_or_the_state(db, shop):
    alice, bob, users = shop
    with pytest.raises(InvalidInput):
        support_desk.reactivate(db, users["boss"], bob.account_id, now=NOW)  # active
    cancel(db, users["alice"])
    lifecycle.run(db, dt.date(2026, 12, 10), now=NOW)
    too_late = dt.datetime(2027, 2, 10, tzinfo=dt.UTC)
    with pytest.raises(InvalidInput):
        support_desk.reactivate(db, users["boss"], alice.account_id, now=too_late)
    assert status(db, alice.account_id) == "ended"


def test_unfinished_flows_are_counted_as_abandoned_after_a_day(db, shop):
    _, _, users = shop
    flow = cancellation.start(db, users["alice"], now=NOW)
    assert lifecycle.run(db, NOW.date(), now=NOW).abandoned_flows == 0
    report = lifecycle.run(db, NOW.date() + dt.timedelta(days=2), now=NOW)
    assert report.abandoned_flows == 1
    with db.transaction() as s:
        assert s.get(CancellationFlow, flow.flow_id).outcome == "abandoned"


def run_cli(url: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "core", *args],
        cwd=ROOT,
        env={**os.environ, "PORTAL_DATABASE_URL": url},
        capture_output=True,
        text=True,
    )


def test_the_command_line_runs_the_lifecycle_and_refuses_impossible_dates(sqlite_db):
    url = str(sqlite_db.engine.url)
    plan_id = factories.plan(sqlite_db)
    factories.customer(sqlite_db, "c@example.com", plan_id, now=NOW, start=dt.date(2026, 3, 10))
    out = run_cli(url, "lifecycle", "run", "--as-of", "2026-12-10")
    assert out.returncode == 0, out.stderr
    assert "renewed:   1 subscription, 1 invoice\n" in out.stdout  # no "(s)"
    again = run_cli(url, "lifecycle", "run", "--as-of", "2026-12-10")
    assert "renewed:   0 subscriptions, 0 invoices\n" in again.stdout
    bad = run_cli(url, "lifecycle", "run", "--as-of", "2026-02-30")
    assert bad.returncode == 2
    assert "'2026-02-30' is not a date" in bad.stderr
    assert "Traceback" not in bad.stderr


def test_the_demo_clock_is_for_admins_in_demo_mode_only(db, shop):
    from core.platform.config import Settings
    from core.platform.errors import NotAuthorized

    alice, _, users = shop
    cancel(db, users["alice"])
    with pytest.raises(NotAuthorized):
        lifecycle.run_demo_clock(db, users["alice"], dt.date(2026, 12, 10))
    with pytest.raises(NotAuthorized):
        lifecycle.run_demo_clock(
            db, users["boss"], dt.date(2026, 12, 10), settings=Settings(demo_mode=False)
        )
    assert status(db, alice.account_id) == "cancellation_scheduled"
    report = lifecycle.run_demo_clock(db, users["boss"], dt.date(2026, 12, 10))
    assert report.ended == [alice.account_id]
    with pytest.raises(InvalidInput):
        lifecycle.run_demo_clock(db, users["boss"], dt.date(1999, 1, 1))
