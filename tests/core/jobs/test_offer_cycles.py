"""The lifecycle job carries out the retention offers customers took: a pause starts when its
cycle ends (no invoice) and resumes on its day, a discount comes off its invoices and then
ends, a downgrade bills the cheaper plan from the next cycle, and every invoice counts as one
more paid cycle for the account's saves. The demo clock can show a pause start and end."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import select, update

from core.identity import auth
from core.jobs import lifecycle, pauses
from core.platform.config import Settings
from core.platform.errors import NotAuthorized
from core.platform.models import AuditEntry, Subscription
from core.rules.vocabulary import (
    ACTION_DISCOUNT_ENDED,
    ACTION_PLAN_DOWNGRADED,
    ACTION_SUBSCRIPTION_PAUSED,
    ACTION_SUBSCRIPTION_UNPAUSED,
    STATUS_SCHEDULED,
)
from tests.support import factories
from tests.support.env import NOW
from tests.support.offer_cycles import (
    CHEAPER_PLAN,
    CURRENT_PLAN,
    Taken,
    audits,
    everything,
    expected,
    four_at_once,
    invoices,
    paid_cycles,
    saved_flow,
    subscription,
    take,
)

D = dt.date


@pytest.fixture
def shop(db):
    """Alice pays monthly (cycle Nov 10 - Dec 10), Yves yearly (Mar 10 2026 - Mar 10 2027);
    both on Growth; Starter is the cheaper plan a downgrade moves to; the admin boss."""
    plan_id = factories.plan(db, *CURRENT_PLAN)
    factories.plan(db, *CHEAPER_PLAN)
    alice = factories.customer(db, "alice@example.com", plan_id, now=NOW, start=D(2026, 3, 10))
    yves = factories.customer(
        db, "yves@example.com", plan_id, now=NOW, start=D(2026, 3, 10), interval="year"
    )
    factories.admin(db, "boss@example.com", now=NOW)
    return alice.account_id, yves.account_id


def run(db, as_of):
    return lifecycle.run(db, as_of, now=NOW)


def test_a_pause_starts_when_its_cycle_ends_bills_nothing_and_resumes_on_its_day(db, shop):
    alice, _ = shop
    take(db, alice, Taken(pause=2))
    assert run(db, D(2026, 12, 9)).paused == []
    report = run(db, D(2026, 12, 10))
    assert report.paused == [alice] and report.invoices == 0
    sub = subscription(db, alice)
    assert sub["status"] == "paused"
    assert (sub["current_period_start"], sub["current_period_end"]) == (
        D(2026, 12, 10),
        D(2027, 2, 10),
    )
    assert sub["paused_until"] == D(2027, 2, 10) and sub["pause_cycles"] is None
    assert f"paused:    1 subscription [{alice}]" in "\n".join(report.lines())
    # the whole pause: nothing billed, still paused the day before it ends
    assert run(db, D(2027, 2, 9)).invoices == 0
    assert subscription(db, alice)["status"] == "paused" and invoices(db, alice) == ()
    report = run(db, D(2027, 2, 10))
    assert report.unpaused == [alice] and report.renewed == [alice] and report.invoices == 1
    assert f"resumed:   1 subscription [{alice}]" in "\n".join(report.lines())
    sub = subscription(db, alice)
    assert (sub["status"], sub["paused_until"]) == ("active", None)
    assert (sub["current_period_start"], sub["current_period_end"]) == (
        D(2027, 2, 10),
        D(2027, 3, 10),
    )
    assert invoices(db, alice) == ((D(2027, 2, 10), D(2027, 3, 10), 24900),)
    counted = audits(db, alice)
    assert counted[ACTION_SUBSCRIPTION_PAUSED] == 1 and counted[ACTION_SUBSCRIPTION_UNPAUSED] == 1


def test_one_run_past_a_whole_yearly_pause_starts_it_ends_it_and_bills_from_its_end(db, shop):
    alice, yves = shop
    take(db, yves, Taken(pause=1))
    report = run(db, D(2028, 5, 1))
    assert (report.paused, report.unpaused) == ([yves], [yves])
    assert sorted(report.renewed) == sorted([alice, yves])
    # paused Mar 10 2027 - Mar 10 2028: the first invoice after it starts that day
    assert invoices(db, yves) == ((D(2028, 3, 10), D(2029, 3, 10), 249000),)


def test_a_discount_comes_off_its_cycles_then_ends(db, shop):
    alice, _ = shop
    take(db, alice, Taken(percent=30, cycles=2))
    report = run(db, D(2026, 12, 10))
    assert report.discounts_ended == [] and report.invoices == 1
    assert subscription(db, alice)["discount_cycles_left"] == 1
    report = run(db, D(2027, 3, 10))
    assert report.discounts_ended == [alice]
    assert f"discounts: 1 discount ended [{alice}]" in "\n".join(report.lines())
    assert [amount for *_, amount in invoices(db, alice)] == [17430, 17430, 24900, 24900]
    sub = subscription(db, alice)
    assert (sub["discount_percent"], sub["discount_cycles_left"]) == (None, None)
    assert audits(db, alice)[ACTION_DISCOUNT_ENDED] == 1


def test_a_downgrade_bills_the_cheaper_plan_from_the_next_cycle(db, shop):
    alice, yves = shop
    take(db, alice, Taken(downgrade_to="starter"))
    take(db, yves, Taken(downgrade_to="starter", percent=50, cycles=1))
    report = run(db, D(2027, 4, 1))
    assert sorted(report.downgraded) == sorted([alice, yves])
    assert "downgrade: 2 subscriptions moved to a cheaper plan" in "\n".join(report.lines())
    assert [amount for *_, amount in invoices(db, alice)] == [9800] * 4  # Dec, Jan, Feb, Mar
    assert invoices(db, yves) == ((D(2027, 3, 10), D(2028, 3, 10), 49000),)  # half of 98000
    for account in (alice, yves):
        sub = subscription(db, account)
        assert (sub["plan_code"], sub["next_plan_code"]) == ("starter", None)
        assert audits(db, account)[ACTION_PLAN_DOWNGRADED] == 1
    assert subscription(db, yves)["price_cents"] == 98000  # ten months of Starter a year
    # the audit log says what changed and from when, in monthly prices like the other entries
    with db.transaction() as s:
        entry = s.scalar(
            select(AuditEntry).where(
                AuditEntry.account_id == yves, AuditEntry.action == ACTION_PLAN_DOWNGRADED
            )
        )
        assert (entry.actor, json.loads(entry.before)) == (
            "lifecycle",
            {"plan": "growth", "price": 20750},  # 249000 a year
        )
        assert json.loads(entry.after) == {
            "plan": "starter",
            "price": 8167,
            "period_start": "2027-03-10",
        }


def test_a_pending_downgrade_and_discount_wait_for_the_end_of_a_pause(db, shop):
    alice, _ = shop
    taken = Taken(pause=1, percent=10, cycles=1, downgrade_to="starter")
    start = take(db, alice, taken)
    run(db, D(2027, 1, 9))
    assert subscription(db, alice)["plan_code"] == "growth" and invoices(db, alice) == ()
    run(db, D(2027, 2, 10))
    assert invoices(db, alice) == (
        (D(2027, 1, 10), D(2027, 2, 10), 8820),
        (D(2027, 2, 10), D(2027, 3, 10), 9800),
    )
    assert invoices(db, alice) == expected(start, taken, D(2027, 2, 10)).invoices


def test_each_invoice_counts_a_paid_cycle_for_the_saves_made_before_it(db, shop):
    alice, yves = shop
    kept = saved_flow(db, alice, NOW, "saved_kept")
    offer = saved_flow(db, alice, dt.datetime(2026, 12, 20, 9, tzinfo=dt.UTC), "saved_offer")
    cancelled = saved_flow(db, alice, NOW, "completed")
    on_the_day = saved_flow(db, alice, dt.datetime(2027, 1, 10, 8, tzinfo=dt.UTC), "saved_kept")
    other = saved_flow(db, yves, NOW, "saved_kept")
    take(db, alice, Taken(pause=1))  # the paused month (Dec 10 - Jan 10) is not paid
    run(db, D(2027, 3, 9))  # invoices from Jan 10 and Feb 10
    assert paid_cycles(db, kept) == 2
    assert paid_cycles(db, offer) == 2  # saved during the pause: every invoice after it
    assert paid_cycles(db, on_the_day) == 1  # saved on the day a cycle started: not that one
    assert paid_cycles(db, cancelled) == 0
    assert paid_cycles(db, other) == 0  # yves's cycle has not renewed


def test_a_cancellation_scheduled_while_paused_ends_it_on_the_resume_day(db, shop):
    alice, _ = shop
    take(db, alice, Taken(pause=1))
    run(db, D(2026, 12, 10))
    with db.transaction() as s:
        s.execute(
            update(Subscription)
            .where(Subscription.account_id == alice)
            .values(status=STATUS_SCHEDULED)
        )
    report = run(db, D(2027, 2, 1))
    assert report.ended == [alice] and report.unpaused == [] and invoices(db, alice) == ()
    sub = subscription(db, alice)
    assert (sub["status"], sub["ended_on"]) == ("ended", D(2027, 1, 10))


def test_four_runners_at_once_each_with_its_own_engine_do_every_transition_once(db, shop):
    alice, yves = shop
    taken = {
        alice: Taken(pause=1, percent=20, cycles=3),
        yves: Taken(pause=2, downgrade_to="starter"),
    }
    starts = {account: take(db, account, t) for account, t in taken.items()}
    url = db.engine.url.render_as_string(hide_password=False)
    billed_before = paused_before = 0
    for as_of in (D(2026, 12, 10), D(2027, 6, 1), D(2029, 4, 1)):
        reports = four_at_once(url, as_of)
        for account, start in starts.items():
            want = expected(start, taken[account], as_of)
            assert invoices(db, account) == want.invoices, (account, as_of)
            counted = audits(db, account)
            assert counted[ACTION_SUBSCRIPTION_PAUSED] == (want.pause is not None)
            assert counted[ACTION_SUBSCRIPTION_UNPAUSED] == want.resumed
            assert counted[ACTION_DISCOUNT_ENDED] == want.discount_ended
            assert counted[ACTION_PLAN_DOWNGRADED] == want.downgraded
        # the runners' reports add up to what was done: each thing once, by one of them
        billed = sum(len(invoices(db, a)) for a in starts)
        assert sum(r.invoices for r in reports) == billed - billed_before
        billed_before = billed
        paused = sum(expected(s, taken[a], as_of).pause is not None for a, s in starts.items())
        assert sum(len(r.paused) for r in reports) == paused - paused_before
        paused_before = paused
    before = everything(db)
    again = run(db, D(2029, 4, 1))
    assert (again.paused, again.unpaused, again.renewed, again.invoices) == ([], [], [], 0)
    assert everything(db) == before


def test_the_demo_clock_lists_the_pauses_and_moves_to_the_day_one_resumes(db, shop):
    alice, yves = shop
    take(db, alice, Taken(pause=3))
    take(db, yves, Taken(pause=1))
    demo = Settings(demo_mode=True)
    boss = auth.sign_in(db, "boss@example.com", factories.PASSWORD, now=NOW).user
    customer = auth.sign_in(db, "alice@example.com", factories.PASSWORD, now=NOW).user
    with pytest.raises(NotAuthorized):
        pauses.upcoming(db, customer, settings=demo)
    with pytest.raises(NotAuthorized):
        pauses.upcoming(db, boss, settings=Settings(demo_mode=False))
    listed = pauses.upcoming(db, boss, settings=demo)
    assert [(p.account_id, p.starts_on, p.resumes_on, p.running) for p in listed] == [
        (alice, D(2026, 12, 10), D(2027, 3, 10), False),
        (yves, D(2027, 3, 10), D(2028, 3, 10), False),
    ]
    assert listed[0].company == "Acme Srl"
    # the preset (31 days ahead) starts alice's pause
    report = lifecycle.run_demo_clock(
        db, boss, lifecycle.demo_clock_preset(NOW.date()), settings=demo
    )
    assert report.paused == [alice]
    assert pauses.upcoming(db, boss, settings=demo)[0].running
    # the presenter picks the resume day: billing starts again that day
    report = lifecycle.run_demo_clock(db, boss, listed[0].resumes_on, settings=demo)
    assert report.unpaused == [alice] and report.paused == [yves]
    assert invoices(db, alice) == ((D(2027, 3, 10), D(2027, 4, 10), 24900),)
    assert [p.account_id for p in pauses.upcoming(db, boss, settings=demo)] == [yves]
