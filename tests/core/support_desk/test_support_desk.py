"""The support desk through `core`: its lists, its actions (each refused when the state no
longer allows it) and the audit log, on SQLite (and PostgreSQL when configured)."""

from __future__ import annotations

import datetime as dt
import json
import threading

import pytest
from sqlalchemy import func, select

from core import support_desk
from core.identity import auth
from core.insights import analytics
from core.platform.errors import InvalidInput, NotAuthorized, NotFound, PortalError
from core.platform.models import AuditEntry, InfluencerList, Subscription, SupportRequest
from core.retention import cancellation
from core.support_desk import AuditQuery
from tests.support import factories
from tests.support.env import NOW

LATER = NOW + dt.timedelta(hours=2)


def audit(db, action=None):
    with db.transaction() as s:
        query = select(AuditEntry).order_by(AuditEntry.id)
        if action:
            query = query.where(AuditEntry.action == action)
        return list(s.scalars(query))


def status(db, account_id):
    with db.transaction() as s:
        return s.scalar(select(Subscription.status).where(Subscription.account_id == account_id))


def test_the_lists_show_what_support_needs(db, desk):
    made, users = desk
    boss = users["boss"]
    [scheduled] = support_desk.scheduled_cancellations(db, boss)
    assert (scheduled.account_id, scheduled.company, scheduled.email) == (
        made["alice"].account_id,
        "Acme Srl",
        "alice@example.com",
    )
    assert scheduled.plan_name == "Growth"
    assert scheduled.effective_on == dt.date(2026, 12, 10)
    assert scheduled.data_deleted_on == dt.date(2027, 2, 10)
    assert scheduled.confirmation_number.startswith("CX-")
    assert scheduled.requested_at == NOW and scheduled.open_undo_requests == 1

    [undo] = support_desk.requests(db, boss, "undo_cancellation")
    assert (undo.company, undo.message, undo.status) == (
        "Acme Srl",
        "Please undo it, we stay",
        "open",
    )
    assert undo.subscription_status == "cancellation_scheduled"

    [plan] = support_desk.requests(db, boss, "custom_plan")
    assert plan.company == "Dave SpA"
    assert plan.configuration == {"campaigns": 2, "searches": 100, "seats": 3, "unlocks": 50}
    # listed as the configurator lists the units, whatever order the stored JSON has
    assert list(plan.configuration) == ["searches", "unlocks", "seats", "campaigns"]
    assert plan.monthly_price_cents == 12800

    [ended] = support_desk.reactivation_window(db, boss, now=NOW)
    assert (ended.company, ended.ended_on) == ("Carol Srl", dt.date(2026, 11, 20))
    assert ended.reactivate_until == dt.date(2027, 1, 19)  # the deadline
    assert ended.data_deleted_on == dt.date(2027, 1, 20)
    assert ended.open_reactivation_requests == 1
    assert ended.days_left == (dt.date(2027, 1, 19) - NOW.date()).days
    last_day = dt.datetime(2027, 1, 19, 23, 59, tzinfo=dt.UTC)
    assert [e.days_left for e in support_desk.reactivation_window(db, boss, now=last_day)] == [0]
    assert (
        support_desk.reactivation_window(db, boss, now=dt.datetime(2027, 1, 20, tzinfo=dt.UTC))
        == []
    )

    assert support_desk.open_request_counts(db, boss) == {
        "undo_cancellation": 1,
        "custom_plan": 1,
        "reactivation": 1,
        "other": 0,
    }


def test_support_undoes_a_scheduled_cancellation_and_answers_the_request(db, desk):
    made, users = desk
    alice_id = made["alice"].account_id
    assert support_desk.undo(db, users["boss"], alice_id, now=LATER) == 1
    assert status(db, alice_id) == "active"
    assert support_desk.scheduled_cancellations(db, users["boss"]) == []
    assert support_desk.requests(db, users["boss"], "undo_cancellation") == []
    [handled] = support_desk.requests(db, users["boss"], "undo_cancellation", include_handled=True)
    assert (handled.status, handled.handled_by, handled.handled_at) == (
        "handled",
        "boss@example.com",
        LATER,
    )
    [undone] = audit(db, "cancellation_undone")
    assert (undone.actor, undone.actor_user_id, undone.at) == (
        "boss@example.com",
        made["boss"].user_id,
        LATER,
    )
    assert json.loads(undone.before) == {"status": "cancellation_scheduled"}
    assert json.loads(undone.after) == {"status": "active"}
    [closed] = audit(db, "support_request_handled")
    assert json.loads(closed.before)["status"] == "open"
    assert json.loads(closed.after) == {
        "request": handled.id,
        "status": "handled",
        "handled_by": "boss@example.com",
        "via": "cancellation_undone",
    }
    # the insights count it apart from the cancellations that stand
    fig = analytics.figures(db, users["boss"], analytics.Filters(NOW.date(), NOW.date()))
    assert (fig.completed, fig.undone) == (0, 1)
    # the customer sees an active subscription again
    again = auth.sign_in(db, "alice@example.com", factories.PASSWORD, now=LATER).user
    assert again.subscription_status == "active"
    assert cancellation.scheduled(db, again) is None


def test_undo_is_refused_when_nothing_is_scheduled_and_nothing_changes(db, desk):
    made, users = desk
    support_desk.undo(db, users["boss"], made["alice"].account_id, now=LATER)
    entries = len(audit(db))
    for who in ("alice", "bob", "carol"):
        with pytest.raises(InvalidInput) as err:
            support_desk.undo(db, users["boss"], made[who].account_id, now=LATER)
        assert err.value.key == "support.error.not_scheduled"
    assert len(audit(db)) == entries
    assert status(db, made["carol"].account_id) == "ended"


def test_two_agents_undoing_at_once_undo_once(db, desk):
    made, users = desk
    results: list[str] = []

    def attempt() -> None:
        try:
            support_desk.undo(db, users["boss"], made["alice"].account_id, now=LATER)
            results.append("done")
        except PortalError as exc:
            results.append(exc.key)

    threads = [threading.Thread(target=attempt) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == ["done"] + ["support.error.not_scheduled"] * 3
    assert len(audit(db, "cancellation_undone")) == 1


def test_support_reactivates_an_ended_account_with_its_data(db, desk):
    made, users = desk
    carol_id = made["carol"].account_id
    assert support_desk.reactivate(db, users["boss"], carol_id, now=NOW) == 1
    with db.transaction() as s:
        sub = s.scalar(select(Subscription).where(Subscription.account_id == carol_id))
        lists = s.scalar(
            select(func.count())
            .select_from(InfluencerList)
            .where(InfluencerList.account_id == carol_id)
        )
    assert (sub.status, sub.current_period_start, sub.current_period_end) == (
        "active",
        dt.date(2026, 11, 26),  # a new period from today
        dt.date(2026, 12, 26),
    )
    assert lists == 1  # data intact
    [entry] = audit(db, "subscription_reactivated")
    assert json.loads(entry.before)["status"] == "ended"
    assert json.loads(entry.after)["status"] == "active"
    assert entry.actor == "boss@example.com"
    assert support_desk.reactivation_window(db, users["boss"], now=NOW) == []
    assert support_desk.requests(db, users["boss"], "reactivation") == []


@pytest.mark.parametrize(
    ("who", "when", "key"),
    [
        ("bob", NOW, "support.error.not_ended"),  # active
        ("alice", NOW, "support.error.not_ended"),  # scheduled, not ended yet
        ("carol", dt.datetime(2027, 1, 20, 9, tzinfo=dt.UTC), "support.error.window_closed"),
    ],
)
def test_reactivation_is_refused_outside_its_state_or_window(db, desk, who, when, key):
    made, users = desk
    before = status(db, made[who].account_id)
    entries = len(audit(db))
    with pytest.raises(InvalidInput) as err:
        support_desk.reactivate(db, users["boss"], made[who].account_id, now=when)
    assert err.value.key == key
    assert status(db, made[who].account_id) == before
    assert len(audit(db)) == entries


def test_a_request_is_marked_handled_once(db, desk):
    _made, users = desk
    [plan] = support_desk.requests(db, users["boss"], "custom_plan")
    support_desk.mark_handled(db, users["boss"], plan.id, now=LATER)
    assert support_desk.requests(db, users["boss"], "custom_plan") == []
    [done] = support_desk.requests(db, users["boss"], "custom_plan", include_handled=True)
    assert (done.status, done.handled_by, done.handled_at) == ("handled", "boss@example.com", LATER)
    [entry] = audit(db, "support_request_handled")
    assert json.loads(entry.before) == {"request": plan.id, "kind": "custom_plan", "status": "open"}
    assert json.loads(entry.after) == {
        "request": plan.id,
        "status": "handled",
        "handled_by": "boss@example.com",
    }
    with pytest.raises(InvalidInput) as err:
        support_desk.mark_handled(db, users["boss"], plan.id, now=LATER)
    assert err.value.key == "support.error.already_handled"
    with pytest.raises(NotFound) as missing:
        support_desk.mark_handled(db, users["boss"], 999_999)
    assert missing.value.key == "support.error.request_not_found"
    assert len(audit(db, "support_request_handled")) == 1


def test_the_audit_log_filters(db, desk):
    made, users = desk
    boss = users["boss"]
    support_desk.undo(db, boss, made["alice"].account_id, now=LATER)
    everything = support_desk.audit_log(db, boss)
    assert everything.total == 4
    assert [(r.action, r.actor) for r in everything.rows] == [
        ("support_request_handled", "boss@example.com"),  # newest first
        ("cancellation_undone", "boss@example.com"),
        ("custom_plan_requested", "dave@example.com"),
        ("cancellation_scheduled", "alice@example.com"),
    ]
    assert len(support_desk.audit_log(db, boss, limit=3).rows) == 3
    actions = support_desk.audit_actions(db, boss)
    assert set(actions) == {
        "cancellation_scheduled",
        "cancellation_undone",
        "custom_plan_requested",
        "support_request_handled",
    }
    undone = support_desk.audit_log(db, boss, AuditQuery(actions=("cancellation_undone",)))
    assert [(r.action, r.company) for r in undone.rows] == [("cancellation_undone", "Acme Srl")]
    assert support_desk.audit_log(db, boss, AuditQuery(actor="BOSS@")).total == 2
    alice = support_desk.audit_log(db, boss, AuditQuery(account_id=made["alice"].account_id))
    assert [r.action for r in alice.rows] == [
        "support_request_handled",
        "cancellation_undone",
        "cancellation_scheduled",
    ]
    assert alice.rows[-1].before == {"status": "active"}
    day = NOW.date()
    assert support_desk.audit_log(db, boss, AuditQuery(day, day)).total == 4
    assert support_desk.audit_log(db, boss, AuditQuery(day + dt.timedelta(days=1))).total == 0
    with pytest.raises(InvalidInput):
        support_desk.audit_log(db, boss, AuditQuery(day, day - dt.timedelta(days=1)))


def _calls(made):
    alice_id = made["alice"].account_id
    return {
        "scheduled_cancellations": lambda db, who: support_desk.scheduled_cancellations(db, who),
        "requests": lambda db, who: support_desk.requests(db, who, "undo_cancellation"),
        "reactivation_window": lambda db, who: support_desk.reactivation_window(db, who),
        "open_request_counts": lambda db, who: support_desk.open_request_counts(db, who),
        "undo": lambda db, who: support_desk.undo(db, who, alice_id),
        "reactivate": lambda db, who: support_desk.reactivate(db, who, made["carol"].account_id),
        "mark_handled": lambda db, who: support_desk.mark_handled(db, who, 1),
        "audit_log": lambda db, who: support_desk.audit_log(db, who),
        "audit_actions": lambda db, who: support_desk.audit_actions(db, who),
    }


@pytest.mark.parametrize("who", ["alice", "carol", None])
def test_only_admins_may_use_the_support_desk(db, desk, who):
    made, users = desk
    entries = len(audit(db))
    for name, call in _calls(made).items():
        with pytest.raises(NotAuthorized):
            call(db, users[who] if who else None)
            pytest.fail(name)
    assert len(audit(db)) == entries
    assert status(db, made["alice"].account_id) == "cancellation_scheduled"
    with db.transaction() as s:
        assert (
            s.scalar(
                select(func.count())
                .select_from(SupportRequest)
                .where(SupportRequest.status == "open")
            )
            == 3
        )
