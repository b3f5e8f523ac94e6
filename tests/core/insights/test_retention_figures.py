"""The retention playbook's figures (core.insights.retention), checked against a small fixture
whose numbers are worked out by hand below, on SQLite (and PostgreSQL when configured):
verified saves (still paying 1, 2, 3 cycles after the save, counted only once due) and the
offers by kind (shown, taken, revenue kept, prices)."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import event

from core.identity import auth
from core.insights import retention
from core.insights.analytics import Filters
from core.platform.errors import NotAuthorized
from core.platform.models import CancellationFlow, RetentionOffer
from tests.support import factories
from tests.support.env import NOW


def at(day: str, time: str = "10:00") -> dt.datetime:
    return dt.datetime.fromisoformat(f"{day}T{time}:00+00:00")


TODAY = dt.date(2026, 3, 15)  # one cycle back: 15 Feb; two: 15 Jan; three: 15 Dec
# (id, finished, outcome, offer kind, variant, paid cycles since, plan, country, tenure, revenue)
FLOWS = [
    ("s1", at("2026-01-10"), "saved_kept", None, None, 3, "growth", "IT", "1-2y", 24900),
    ("s2", at("2026-01-20"), "saved_offer", "pause", "control", 1, "growth", "DE", "1-2y", 24900),
    ("s3", at("2026-01-31", "23:30"), "saved_offer", "discount", "pause_first", 0, "starter",
     "IT", "<6m", 9800),
    ("s4", at("2026-02-15", "23:00"), "saved_offer", "pause", "pause_first", 1, "growth", "IT",
     "6-12m", 24900),
    ("s5", at("2026-02-16", "00:30"), "saved_offer", "downgrade", "control", 0, "pro", "US",
     "2y+", 49900),
    ("s6", at("2026-02-01", "09:00"), "saved_offer", "custom_plan", None, 1, "growth", "IT",
     "1-2y", 24900),
    ("s7", at("2025-12-15"), "saved_kept", None, None, 2, "growth", "IT", "1-2y", 24900),
    ("s8", at("2025-12-16"), "saved_offer", "discount", "control", 3, "starter", "US", "<6m",
     9800),
    ("s9", at("2026-02-20"), "saved_offer", "custom_plan", None, 0, "growth", "IT", "6-12m",
     24900),
    ("c1", at("2026-01-05"), "completed", None, None, 0, "growth", "IT", "1-2y", 24900),
    ("o1", None, "open", None, None, 0, "growth", "IT", "1-2y", 24900),
]  # fmt: skip
PAUSE = {"kind": "pause", "cycles": 2}
DISCOUNT = {"kind": "discount", "cycles": 3, "percent": 30}
# the offers each flow was shown: (kind, params, taken?, requested monthly price)
SHOWN = {
    "s1": [("custom_plan", None, False, None)],
    "s2": [("pause", PAUSE, True, None), ("discount", DISCOUNT, False, None)],
    "s3": [("discount", DISCOUNT, True, None), ("pause", PAUSE, False, None)],
    "s4": [("pause", PAUSE, True, None), ("custom_plan", None, False, None)],
    "s5": [("downgrade", {"kind": "downgrade", "plan_code": "starter"}, True, None),
           ("custom_plan", None, False, None)],
    "s6": [("custom_plan", None, True, 14800)],
    "s7": [("custom_plan", None, False, None)],
    "s8": [("discount", {"kind": "discount", "cycles": 2, "percent": 20}, True, None)],
    "s9": [("custom_plan", None, True, 9800)],
    "c1": [("custom_plan", None, False, None), ("pause", PAUSE, False, None),
           ("discount", DISCOUNT, False, None)],
    "o1": [("custom_plan", None, False, None)],
}  # fmt: skip


def _custom_state(fid: str) -> str:
    custom = [taken for kind, _p, taken, _price in SHOWN[fid] if kind == "custom_plan"]
    return "none" if not custom else "requested" if custom[0] else "shown"


@pytest.fixture
def shop(db):
    growth = factories.plan(db, "growth", 24900)
    factories.plan(db, "starter", 9800)
    factories.plan(db, "pro", 49900)
    alice = factories.customer(db, "alice@example.com", growth, now=NOW)
    factories.admin(db, "boss@example.com", now=NOW)
    with db.transaction() as s:
        for fid, done, outcome, kind, variant, paid, plan, country, band, revenue in FLOWS:
            started = (done or at("2026-03-14")) - dt.timedelta(minutes=5)
            s.add(
                CancellationFlow(
                    id=fid,
                    account_id=alice.account_id,
                    started_at=started,
                    finished_at=done,
                    outcome=outcome,
                    plan_code=plan,
                    country=country,
                    tenure_band=band,
                    monthly_revenue_cents=revenue,
                    offer_kind=kind,
                    variant=variant,
                    playbook_version=None if variant is None else 2,
                    paid_cycles_after=paid,
                    # the flow's offer facts (the custom plan's), as the live flow keeps them
                    offer=_custom_state(fid),
                    offer_price_cents=next(
                        (p for k, _params, _t, p in SHOWN[fid] if k == "custom_plan" and p), None
                    ),
                )
            )
        s.flush()
        for fid, offers in SHOWN.items():
            done = next(f[1] for f in FLOWS if f[0] == fid) or at("2026-03-14")
            for i, (kind, params, taken, price) in enumerate(offers):
                custom = kind == "custom_plan"
                s.add(
                    RetentionOffer(
                        flow_id=fid,
                        kind=kind,
                        offer_key=f"{kind}_{i}",
                        params=json.dumps(params or {"kind": kind}),
                        shown_at=done - dt.timedelta(minutes=3),
                        requested_at=done if taken and custom else None,
                        monthly_price_cents=price,
                        accepted_at=done if taken and not custom else None,
                    )
                )
    users = {w: auth.sign_in(db, f"{w}@example.com", factories.PASSWORD, now=NOW).user
             for w in ("alice", "boss")}  # fmt: skip
    return db, users


def table(rows) -> dict[tuple, tuple]:
    """(month, kind, variant) -> (saves, due 1, verified 1, due 2, verified 2, due 3, ver. 3)"""
    return {
        (r.month.isoformat()[:7], r.kind, r.variant): (
            r.saves, r.due_1, r.verified_1, r.due_2, r.verified_2, r.due_3, r.verified_3
        )
        for r in rows
    }  # fmt: skip


# Worked out by hand from FLOWS with today = 15 March 2026: a save is due k cycles later when
# it was made by the end of the day k months before today (15 Feb, 15 Jan, 15 Dec).
EXPECTED = {
    ("2025-12", "kept", None): (1, 1, 1, 1, 1, 1, 0),  # s7: 15 Dec is due at 3, paid only 2
    ("2025-12", "discount", "control"): (1, 1, 1, 1, 1, 0, 0),  # s8: 16 Dec not due at 3
    ("2026-01", "kept", None): (1, 1, 1, 1, 1, 0, 0),  # s1
    ("2026-01", "pause", "control"): (1, 1, 1, 0, 0, 0, 0),  # s2: 20 Jan not due at 2
    ("2026-01", "discount", "pause_first"): (1, 1, 0, 0, 0, 0, 0),  # s3: 31 Jan 23:30 UTC
    ("2026-02", "custom_plan", None): (2, 1, 1, 0, 0, 0, 0),  # s6 (due), s9 (20 Feb: not)
    ("2026-02", "pause", "pause_first"): (1, 1, 1, 0, 0, 0, 0),  # s4: 15 Feb 23:00 is due
    ("2026-02", "downgrade", "control"): (1, 0, 0, 0, 0, 0, 0),  # s5: 16 Feb 00:30 is not
}


def test_verified_saves_per_month_kind_and_variant(shop):
    db, users = shop
    rows = retention.verified_saves(db, users["boss"], Filters(), today=TODAY)
    assert table(rows) == EXPECTED
    # in order: by month, then kind (kept first), then variant
    assert [(r.month, r.kind) for r in rows][:3] == [
        (dt.date(2025, 12, 1), "kept"),
        (dt.date(2025, 12, 1), "discount"),
        (dt.date(2026, 1, 1), "kept"),
    ]
    kinds = retention.by_kind(rows)
    assert list(kinds) == ["kept", "custom_plan", "pause", "discount", "downgrade"]
    assert kinds["kept"].share(1) == 1.0 and kinds["kept"].share(3) == 0.0
    assert kinds["pause"].share(1) == 1.0 and kinds["pause"].share(2) is None
    assert kinds["discount"].share(1) == 0.5  # s8 paid, s3 did not
    assert kinds["downgrade"].share(1) is None  # not due yet: no share, not 0%
    variants = retention.by_variant(rows)
    assert list(variants) == ["control", "pause_first", None]
    assert (variants["control"].saves, variants["control"].due_1) == (3, 2)
    assert variants["pause_first"].share(1) == 0.5
    assert variants[None].counts() == {
        "saves": 4, "due_1": 3, "verified_1": 3, "due_2": 2, "verified_2": 2, "due_3": 1,
        "verified_3": 0,
    }  # fmt: skip


def test_a_save_becomes_due_the_day_its_cycles_have_passed(shop):
    db, users = shop
    boss = users["boss"]
    # a day later, s5 (16 Feb) is due one cycle on, and has not paid
    later = table(retention.verified_saves(db, boss, Filters(), today=dt.date(2026, 3, 16)))
    assert later[("2026-02", "downgrade", "control")] == (1, 1, 0, 0, 0, 0, 0)
    assert later[("2025-12", "discount", "control")] == (1, 1, 1, 1, 1, 1, 1)  # s8 at 3 too
    # on 31 March one month back is 28 February (no 31 February): s9 (20 Feb) is due too
    end = table(retention.verified_saves(db, boss, Filters(), today=dt.date(2026, 3, 31)))
    assert end[("2026-02", "custom_plan", None)] == (2, 2, 1, 0, 0, 0, 0)
    # and on 14 March, s4 (15 Feb, late evening) is not due yet
    before = table(retention.verified_saves(db, boss, Filters(), today=dt.date(2026, 3, 14)))
    assert before[("2026-02", "pause", "pause_first")] == (1, 0, 0, 0, 0, 0, 0)


@pytest.mark.parametrize(
    ("filters", "kept"),
    [
        (Filters(plans=("starter",)), {("2025-12", "discount", "control"),
                                       ("2026-01", "discount", "pause_first")}),
        (Filters(countries=("US",)), {("2025-12", "discount", "control"),
                                      ("2026-02", "downgrade", "control")}),
        (Filters(tenures=("6-12m",)), {("2026-02", "custom_plan", None),
                                       ("2026-02", "pause", "pause_first")}),
        # the day a save was made, both ends included: 31 Jan 23:30 UTC is in
        (Filters(start=dt.date(2026, 1, 20), end=dt.date(2026, 1, 31)),
         {("2026-01", "pause", "control"), ("2026-01", "discount", "pause_first")}),
        (Filters(start=dt.date(2026, 2, 1), end=dt.date(2026, 2, 15)),
         {("2026-02", "custom_plan", None), ("2026-02", "pause", "pause_first")}),
    ],
)  # fmt: skip
def test_verified_saves_obey_the_filters(shop, filters, kept):
    db, users = shop
    rows = table(retention.verified_saves(db, users["boss"], filters, today=TODAY))
    assert set(rows) == kept
    for key in kept - {("2026-02", "custom_plan", None)}:
        assert rows[key] == EXPECTED[key]
    if ("2026-02", "custom_plan", None) in kept:  # s6 alone or s9 alone
        assert rows[("2026-02", "custom_plan", None)][0] == 1


def offers_table(rows) -> dict[str, tuple]:
    def prices(p):
        return None if p is None else (p.average_cents, p.count)

    return {
        r.kind: (r.shown, r.accepted, r.revenue_kept_cents, prices(r.requested_prices),
                 prices(r.accepted_prices))
        for r in rows
    }  # fmt: skip


def test_offers_by_kind(shop):
    db, users = shop
    rows = retention.offer_kinds(db, users["boss"], Filters())
    assert [r.kind for r in rows] == ["custom_plan", "pause", "discount", "downgrade"]
    assert offers_table(rows) == {
        # shown to s1 s4 s5 s6 s7 s9 c1 o1; taken by s6 ($148) and s9 ($98): average $123
        "custom_plan": (8, 2, 49800, (12300, 2), None),
        # shown to s2 s3 s4 c1; taken by s2 and s4, who pay nothing while paused
        "pause": (4, 2, 49800, None, (0, 2)),
        # shown to s2 s3 s8 c1; taken by s3 ($98 - 30% = $68.60) and s8 ($98 - 20% = $78.40)
        "discount": (4, 2, 19600, None, (7350, 2)),
        # s5 from Pro to Starter ($98)
        "downgrade": (1, 1, 49900, None, (9800, 1)),
    }
    rates = {r.kind: r.save_rate for r in rows}
    assert rates == {"custom_plan": 0.25, "pause": 0.5, "discount": 0.5, "downgrade": 1.0}


def test_offers_by_kind_obey_the_filters(shop):
    db, users = shop
    boss = users["boss"]
    us = offers_table(retention.offer_kinds(db, boss, Filters(countries=("US",))))
    assert us == {
        "custom_plan": (1, 0, 0, None, None),
        "pause": (0, 0, 0, None, None),
        "discount": (1, 1, 9800, None, (7840, 1)),
        "downgrade": (1, 1, 49900, None, (9800, 1)),
    }
    starter = offers_table(retention.offer_kinds(db, boss, Filters(plans=("starter",))))
    assert starter["discount"] == (2, 2, 19600, None, (7350, 2))
    assert starter["pause"] == (1, 0, 0, None, None)
    # flows started in February (s4 started 15 Feb 22:55, s5 16 Feb 00:25, s6, s9)
    feb = Filters(start=dt.date(2026, 2, 1), end=dt.date(2026, 2, 28))
    february = offers_table(retention.offer_kinds(db, boss, feb))
    assert {k: v[:2] for k, v in february.items()} == {
        "custom_plan": (4, 2), "pause": (1, 1), "discount": (0, 0), "downgrade": (1, 1)
    }  # fmt: skip
    none = offers_table(retention.offer_kinds(db, boss, Filters(countries=("FR",))))
    assert all(v == (0, 0, 0, None, None) for v in none.values())


def test_the_average_price_rounds_half_up():
    assert retention.spread(301, 2) == retention.PriceSpread(151, 2)  # $1.505
    assert retention.spread(700, 3) == retention.PriceSpread(233, 3)
    assert retention.spread(0, 0) is None


def test_only_admins_see_the_figures(shop):
    db, users = shop
    with pytest.raises(NotAuthorized):
        retention.verified_saves(db, users["alice"], Filters(), today=TODAY)
    with pytest.raises(NotAuthorized):
        retention.offer_kinds(db, users["alice"], Filters())
    with pytest.raises(NotAuthorized):
        retention.offer_kinds(db, None, Filters())


def test_the_figures_read_the_running_totals_not_the_flows(shop):
    """On a million flows a GROUP BY over them takes seconds: both figures read the totals."""
    db, users = shop
    statements: list[str] = []

    def seen(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", seen)
    try:
        boss = users["boss"]
        retention.verified_saves(db, boss, Filters(start=dt.date(2026, 1, 1)), today=TODAY)
        retention.offer_kinds(db, boss, Filters(countries=("IT",)))
    finally:
        event.remove(db.engine, "before_cursor_execute", seen)
    read = " ".join(statements)
    assert "insight_saves" in read and "insight_offers" in read
    assert "cancellation_flows" not in read and "retention_offers" not in read
