"""The retention playbook's running totals (`insight_saves`, `insight_offers`, migration 0007) and
the revenue lost by reason (`insight_reasons`, migration 0010) worked out again in Python from
the flows and their offers, and compared with what the database's triggers keep; and the two
facts the trigger on retention_offers writes on a flow (`offers_shown`, and `offer_price_cents`
of a flow saved by a pause, discount or downgrade), worked out from the offers alone. Used after
every kind of writer (tests/core/insights)."""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter, defaultdict

from sqlalchemy import select

from core.platform.db import Database
from core.platform.insight_tables import (
    OFFER_BITS,
    OFFER_COUNTS,
    REASON_LOSS_COUNTS,
    SAVE_COUNTS,
    InsightOffer,
    InsightReason,
    InsightSave,
)
from core.platform.models import CancellationFlow, Plan, RetentionOffer
from core.rules.offers import discounted_cents

SAVED = ("saved_kept", "saved_offer")


def cells(moment: dt.datetime, country: str) -> list[tuple[str, str, dt.date]]:
    """The (grain, country, period) rows a flow counts in: its day, week and month, each for
    its country and for all countries ("*")."""
    day = moment.astimezone(dt.UTC).date()
    dates = [("d", day), ("w", day - dt.timedelta(days=day.weekday())), ("m", day.replace(day=1))]
    return [(grain, where, period) for grain, period in dates for where in (country, "*")]


def taken_price(kind: str, params: str, revenue_cents: int, plans: dict[str, int]) -> int | None:
    """What a customer who took an offer pays a month from the next cycle, by the spec: a pause
    nothing, a discount the monthly revenue with the percent off, a downgrade the new plan's."""
    try:
        values = json.loads(params or "{}")
    except ValueError:
        values = {}
    if kind == "pause":
        return 0
    if kind == "discount":
        percent = values.get("percent")
        return None if percent is None else discounted_cents(revenue_cents, int(percent))
    if kind == "downgrade":
        return plans.get(str(values.get("plan_code")))
    return None


def offer_facts(db: Database) -> dict[str, dict]:
    """Per flow with offers: the bits of the kinds shown and, for a flow that took a pause,
    discount or downgrade, the price it pays (from the offers and the plans alone)."""
    out: dict[str, dict] = {}
    with db.transaction() as s:
        plans = dict(s.execute(select(Plan.code, Plan.monthly_price_cents)).all())
        revenue = dict(
            s.execute(select(CancellationFlow.id, CancellationFlow.monthly_revenue_cents)).all()
        )
        for offer in s.scalars(select(RetentionOffer).order_by(RetentionOffer.id)):
            facts = out.setdefault(offer.flow_id, {"offers_shown": 0})
            facts["offers_shown"] |= OFFER_BITS.get(offer.kind, 0)
            if offer.accepted_at is not None and offer.kind != "custom_plan":
                facts["offer_price_cents"] = taken_price(
                    offer.kind, offer.params, revenue[offer.flow_id] or 0, plans
                )
    return out


def lost_reason(flow: CancellationFlow) -> str:
    """The reason a completed flow's lost revenue goes under: its answered survey's, else ""
    (skipped, never reached, or no reason named)."""
    return flow.reason if flow.survey == "answered" and flow.reason is not None else ""


def expected_totals(db: Database) -> dict[tuple, Counter]:
    """The three tables' rows worked out from the flows and their offers: ("saves", grain,
    country, period, plan, band, kind, variant), ("offers", grain, country, period, plan,
    band) and ("reasons", grain, country, period, plan, band, reason)."""
    expected: dict[tuple, Counter] = defaultdict(Counter)
    with db.transaction() as s:
        shown: dict[str, set[str]] = defaultdict(set)
        for fid, kind in s.execute(select(RetentionOffer.flow_id, RetentionOffer.kind)):
            shown[fid].add(kind)
        for flow in s.scalars(select(CancellationFlow)):
            revenue = flow.monthly_revenue_cents or 0
            segment = (flow.plan_code, flow.tenure_band)
            taken = (flow.offer_kind or "custom_plan") if flow.outcome == "saved_offer" else None
            if flow.outcome in SAVED and flow.finished_at is not None:
                kind = "kept" if flow.outcome == "saved_kept" else taken
                counts = Counter(saves=1, revenue_saved_cents=revenue)
                for k in (1, 2, 3):
                    counts[f"verified_{k}"] += flow.paid_cycles_after >= k
                for cell in cells(flow.finished_at, flow.country):
                    expected[("saves", *cell, *segment, kind, flow.variant or "")].update(counts)
            counts = Counter()
            for kind in OFFER_BITS:
                was_shown = (
                    flow.offer != "none" if kind == "custom_plan" else kind in shown[flow.id]
                )
                counts[f"shown_{kind}"] += was_shown
                if taken == kind:
                    counts[f"accepted_{kind}"] += 1
                    counts[f"revenue_kept_{kind}"] += revenue
                    if flow.offer_price_cents is not None:
                        counts[f"price_sum_{kind}"] += flow.offer_price_cents
                        counts[f"price_count_{kind}"] += 1
            for cell in cells(flow.started_at, flow.country):
                expected[("offers", *cell, *segment)].update(counts)
            if flow.outcome == "completed":
                lost = Counter(completed=1, revenue_lost_cents=revenue)
                for cell in cells(flow.started_at, flow.country):
                    expected[("reasons", *cell, *segment, lost_reason(flow))].update(lost)
    return {key: +counts for key, counts in expected.items() if +counts}


def stored_totals(db: Database) -> dict[tuple, Counter]:
    stored = {}
    for name, table, counts in (
        ("saves", InsightSave, SAVE_COUNTS),
        ("offers", InsightOffer, OFFER_COUNTS),
        ("reasons", InsightReason, REASON_LOSS_COUNTS),
    ):
        keys = [table.grain, table.country, table.period, table.plan_code, table.tenure_band]
        if table is InsightSave:
            keys += [table.kind, table.variant]
        if table is InsightReason:
            keys.append(table.reason)
        with db.transaction() as s:
            for row in s.execute(select(*keys, *(getattr(table, n) for n in counts))):
                key, values = (name, *row[: len(keys)]), row[len(keys) :]
                assert all(n >= 0 for n in values), (key, values)
                kept = +Counter(dict(zip(counts, values, strict=True)))
                if kept:
                    stored[key] = kept
    return stored


def assert_retention_totals_hold(db: Database) -> None:
    """The flows' offer facts say what their offers say, and the three tables add up the
    flows."""
    facts = offer_facts(db)
    with db.transaction() as s:
        for fid, shown, price, outcome, kind in s.execute(
            select(
                CancellationFlow.id,
                CancellationFlow.offers_shown,
                CancellationFlow.offer_price_cents,
                CancellationFlow.outcome,
                CancellationFlow.offer_kind,
            )
        ):
            want = facts.get(fid, {"offers_shown": 0})
            assert shown == want["offers_shown"], (fid, shown, want)
            if "offer_price_cents" in want and outcome == "saved_offer" and kind != "custom_plan":
                assert price == want["offer_price_cents"], (fid, price, want)
    expected, stored = expected_totals(db), stored_totals(db)
    wrong = {
        key: (stored.get(key), counts)
        for key, counts in expected.items()
        if stored.get(key) != counts
    }
    assert not wrong, wrong  # key: (stored, from the flows)
    assert set(stored) == set(expected), set(stored) ^ set(expected)
