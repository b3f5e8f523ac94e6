"""The demo's retention playbook, as an admin or a presenter would notice it: two published
versions (the custom plan for everyone, then offers by reason with copy in both languages), a
running experiment "Pause first" with two variants, and flows where every kind of offer was
shown and taken, saved customers paying on as their invoices say."""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter, defaultdict
from itertools import pairwise

import pytest
from sqlalchemy import select

from core import demo
from core.platform.db import Database
from core.platform.models import (
    CancellationFlow,
    Experiment,
    Invoice,
    PlaybookVersion,
    RetentionOffer,
    Subscription,
)
from core.rules import billing
from core.rules.offers import Playbook, match, problems
from core.rules.vocabulary import OFFER_KINDS
from tests.support.env import NOW


@pytest.fixture
def seeded(db: Database) -> Database:
    demo.seed(db, accounts=demo.DEFAULT_ACCOUNTS, influencers_per_account=1, now=NOW)
    return db


def _all(db: Database, model) -> list:
    with db.transaction() as s:
        return list(s.scalars(select(model)))


def test_the_demo_holds_two_published_versions_and_a_running_experiment(seeded):
    versions = {v.number: v for v in _all(seeded, PlaybookVersion)}
    assert set(versions) == {1, 2}
    assert all(v.status == "published" and v.published_at < NOW for v in versions.values())
    assert versions[1].published_at < versions[2].published_at
    one, two = (Playbook.from_json(versions[n].content) for n in (1, 2))
    assert problems(one) == [] and problems(two) == []
    assert {o.kind for o in one.offers} == {"custom_plan"}
    assert {o.kind for o in two.offers} == set(OFFER_KINDS)
    assert all(o.title["en"] and o.title["it"] for o in two.offers)

    def kinds(reason: str | None, plan: str = "growth") -> list[str]:
        found = match(two, reason=reason, plan_code=plan, tenure_band="1-2y", country="IT")
        return [o.kind for o in found]

    assert kinds("too_expensive") == ["discount", "pause"]
    discount = next(o for o in two.offers if o.kind == "discount")
    assert (discount.percent, discount.cycles) == (30, 3)
    assert next(o for o in two.offers if o.kind == "pause").cycles == 2
    assert kinds("not_using") == kinds("one_campaign") == ["pause"]
    assert kinds("missing_features") == kinds("switching_tool") == ["custom_plan"]
    assert kinds("other") == kinds(None) == ["custom_plan", "downgrade"]
    assert kinds("other", "starter") == ["custom_plan"]  # no downgrade to the same plan

    (experiment,) = _all(seeded, Experiment)
    assert experiment.name == "Pause first"
    assert experiment.started_at < NOW and experiment.stopped_at is None
    assert json.loads(experiment.variants) == [
        {"name": "control", "version": 1, "share": 50},
        {"name": "pause_first", "version": 2, "share": 50},
    ]


def test_every_kind_of_offer_was_shown_and_taken(seeded):
    flows = {f.id: f for f in _all(seeded, CancellationFlow)}
    offers = _all(seeded, RetentionOffer)
    shown = Counter(o.kind for o in offers)
    taken = Counter(o.kind for o in offers if o.accepted_at or o.requested_at)
    assert set(shown) == set(taken) == set(OFFER_KINDS), (shown, taken)
    saved_by = Counter(f.offer_kind for f in flows.values() if f.outcome == "saved_offer")
    assert saved_by == taken
    (experiment,) = _all(seeded, Experiment)
    versions = {v.number: v for v in _all(seeded, PlaybookVersion)}
    variants = Counter()
    for o in offers:
        flow = flows[o.flow_id]
        assert o.offer_key and json.loads(o.params)["kind"] == o.kind
        if flow.playbook_version == 1:
            assert o.kind == "custom_plan"  # version 1 offers nothing else
        assert o.shown_at >= flow.started_at
    for flow in flows.values():  # which version and variant a flow saw, by when it started
        if flow.started_at >= experiment.started_at:
            variants[flow.variant] += 1
            assert (flow.variant, flow.playbook_version) in {("control", 1), ("pause_first", 2)}
        else:
            assert flow.variant is None
            newer = flow.started_at >= versions[2].published_at
            assert flow.playbook_version == (2 if newer else 1)
    assert variants["control"] and variants["pause_first"]


def test_saved_customers_paid_the_invoices_their_flows_count(seeded):
    """`paid_cycles_after` is the invoices of cycles begun after the save; a pause has no
    invoice for its cycles; a saved customer who left later on has a completed flow after."""
    flows = _all(seeded, CancellationFlow)
    invoices = defaultdict(list)
    for invoice in _all(seeded, Invoice):
        invoices[invoice.account_id].append(invoice)
    subs = {x.account_id: x for x in _all(seeded, Subscription)}
    saved = [f for f in flows if f.outcome in ("saved_kept", "saved_offer")]
    assert saved
    left = {f.account_id for f in flows if f.outcome == "completed"}
    for flow in saved:
        after = [i for i in invoices[flow.account_id] if i.period_start > flow.finished_at.date()]
        assert flow.paid_cycles_after == len(after), flow.id
        sub = subs[flow.account_id]
        if flow.account_id not in left and sub.billing_interval == "month":
            # still with us: an invoice for every cycle begun since, but the paused ones
            months = (NOW.date().year - flow.finished_at.year) * 12
            months += NOW.date().month - flow.finished_at.month
            paused = 2 if flow.offer_kind == "pause" else 0
            assert flow.paid_cycles_after >= months - 1 - paused, flow.id
        if flow.offer_kind == "pause":
            starts = sorted(i.period_start for i in invoices[flow.account_id])
            gaps = [b for a, b in pairwise(starts) if b > a + dt.timedelta(31)]
            assert gaps or sub.status == "paused" or sub.pause_cycles == 2, flow.id
        if flow.offer_kind == "discount":
            discounted = [i for i in after if i.amount_cents < sub.price_cents]
            assert len(discounted) == min(3, len(after))
            assert all(i.amount_cents == (sub.price_cents * 70 + 50) // 100 for i in discounted)
    # customers who left after being saved: their later flow completed the cancellation
    again = [f for f in flows if f.outcome == "completed" and f.account_id in
             {s.account_id for s in saved}]  # fmt: skip
    assert all(
        max(s.finished_at for s in saved if s.account_id == f.account_id) < f.started_at
        for f in again
    )


def test_the_benchmarks_flows_show_take_and_verify_every_offer(db):
    """The large agency's anonymous flows carry what the verified saves count."""
    demo.seed(db, accounts=0, now=NOW)
    demo.seed_large(db, influencers=5, answers=3000, now=NOW)
    flows = _all(db, CancellationFlow)
    offers = _all(db, RetentionOffer)
    taken = Counter(o.kind for o in offers if o.accepted_at or o.requested_at)
    assert set(taken) == set(OFFER_KINDS)
    saved = [f for f in flows if f.outcome in ("saved_kept", "saved_offer")]
    assert {f.offer_kind for f in saved if f.outcome == "saved_offer"} == set(OFFER_KINDS)
    assert {f.variant for f in flows} == {None, "control", "pause_first"}
    for flow in saved:  # an invoice a month at most, since the save
        day = flow.finished_at.date()
        months = (NOW.year - day.year) * 12 + NOW.month - day.month
        months -= billing.add_months(day, months) > NOW.date()
        assert 0 <= flow.paid_cycles_after <= months
    assert sum(f.paid_cycles_after >= 3 for f in saved) > len(saved) / 3
    assert all(
        f.paid_cycles_after == 0 for f in flows if f.outcome not in ("saved_kept", "saved_offer")
    )
