"""The retention playbook's running totals (`insight_saves`, `insight_offers`: migration 0007) and
the revenue lost by reason (`insight_reasons`: migration 0010) add up the flows after every
writer the playbook brings: customers taking each kind of offer, keeping, asking for a custom
plan or leaving; the lifecycle job counting the invoices paid since a save; plain SQL on the
offers and the flows. Worked out again from the flows and their offers
(tests/support/retention_totals.py) and compared, on SQLite (and PostgreSQL when configured);
the figures the page shows are checked by hand too. (The demo, the bulk seed and the migrations
are covered with the other totals in test_insight_facts.py.)"""

from __future__ import annotations

import datetime as dt
import json

from sqlalchemy import delete, insert, select, update

from core import demo
from core.identity import auth
from core.insights import retention
from core.insights.analytics import Filters
from core.jobs import lifecycle
from core.platform.db import Database
from core.platform.models import CancellationFlow, PlaybookVersion, RetentionOffer
from core.retention import cancellation, custom_plan, offers
from core.retention.cancellation import ALL_CONSENTS, Survey
from core.rules.offers import ANY, NO_REASON, Offer, Playbook, Rule
from core.rules.pricing import PlanConfig
from tests.support import factories
from tests.support.env import NOW
from tests.support.retention_totals import assert_retention_totals_hold


def copy(text: str) -> dict[str, str]:
    return {"en": text, "it": text}


PLAYBOOK = Playbook(
    offers=(
        Offer("pause2", "pause", cycles=2, title=copy("Take a break")),
        Offer("off30", "discount", cycles=3, percent=30, title=copy("30% off")),
        Offer("starter", "downgrade", plan_code="starter", title=copy("Starter")),
        Offer("custom", "custom_plan", title=copy("Your plan")),
    ),
    rules=(
        Rule("too_expensive", ("off30", "starter", "pause2")),
        Rule("not_using", ("pause2", "custom")),
        Rule(NO_REASON, ("custom",)),
        Rule(ANY, ("custom",)),
    ),
)
# who does what: (name, survey reason, what they do in step 2)
PEOPLE = (
    ("pause", "not_using", "pause2"),
    ("discount", "too_expensive", "off30"),
    ("downgrade", "too_expensive", "starter"),
    ("kept", "too_expensive", "keep"),
    ("custom", "not_using", "custom"),
    ("gone", "too_expensive", "cancel"),
)


def test_customers_taking_offers_and_the_lifecycle_keep_the_totals(db: Database) -> None:
    growth = factories.plan(db, "growth", 24900)
    factories.plan(db, "starter", 9800)
    factories.admin(db, "boss@example.com", now=NOW)
    with db.transaction() as s:
        s.add(
            PlaybookVersion(
                number=1, status="published", content=PLAYBOOK.to_json(), note="",
                created_at=NOW - dt.timedelta(days=1), published_at=NOW - dt.timedelta(days=1),
            )
        )  # fmt: skip
    later = NOW + dt.timedelta(minutes=5)
    for name, reason, action in PEOPLE:
        factories.customer(db, f"{name}@example.com", growth, now=NOW, company=f"{name} Srl")
        user = auth.sign_in(db, f"{name}@example.com", factories.PASSWORD, now=NOW).user
        flow = cancellation.start(db, user, now=NOW).flow_id
        cancellation.answer_survey(db, user, flow, Survey(reason), now=NOW)
        if action == "keep":
            cancellation.keep(db, user, flow, now=later)
        elif action == "custom":
            cancellation.open_configurator(db, user, flow, now=NOW)
            custom_plan.request_plan(db, user, flow, PlanConfig(200, 100, 2, 3), now=later)
        elif action == "cancel":
            cancellation.go_on(db, user, flow, now=NOW)
            cancellation.confirm(db, user, flow, ALL_CONSENTS, now=later)
        else:
            offers.accept(db, user, flow, action, now=later)
        assert_retention_totals_hold(db)
    boss = auth.sign_in(db, "boss@example.com", factories.PASSWORD, now=NOW).user

    kinds = {r.kind: r for r in retention.offer_kinds(db, boss, Filters())}
    # every flow shown the pause (both rules), the four "too expensive" ones the discount and
    # the cheaper plan; one taker each
    assert {k: (r.shown, r.accepted) for k, r in kinds.items()} == {
        "custom_plan": (2, 1), "pause": (6, 1), "discount": (4, 1), "downgrade": (4, 1)
    }  # fmt: skip
    # a month from the next cycle: nothing while paused, $249 - 30%, Starter's $98
    assert kinds["pause"].accepted_prices == retention.PriceSpread(0, 1)
    assert kinds["discount"].accepted_prices == retention.PriceSpread(17430, 1)
    assert kinds["downgrade"].accepted_prices == retention.PriceSpread(9800, 1)
    assert kinds["custom_plan"].requested_prices is not None
    assert all(r.revenue_kept_cents == 24900 for r in kinds.values())

    # a hundred days of the lifecycle job: renewals count the invoices paid since each save
    day = NOW.date()
    for i in range(1, 101):
        day = NOW.date() + dt.timedelta(days=i)
        lifecycle.run(db, day, now=dt.datetime.combine(day, dt.time(3), dt.UTC))
        if i % 25 == 0:
            assert_retention_totals_hold(db)
    saves = retention.by_kind(retention.verified_saves(db, boss, Filters(), today=day))
    assert {k: c.saves for k, c in saves.items()} == {
        "kept": 1, "custom_plan": 1, "pause": 1, "discount": 1, "downgrade": 1
    }  # fmt: skip
    # saved on 26 November; by 6 March three renewals (17 December, January, February), and
    # three months have passed (6 December is three months back): due and paying at 1, 2, 3
    assert [saves["kept"].verified(k) for k in (1, 2, 3)] == [1, 1, 1]
    assert [saves["kept"].due(k) for k in (1, 2, 3)] == [1, 1, 1]
    # the pause: two cycles without an invoice, then it resumes and pays once
    assert [saves["pause"].verified(k) for k in (1, 2, 3)] == [1, 0, 0]


def test_plain_sql_on_the_offers_and_the_flows_keeps_the_totals(db: Database) -> None:
    """Writes that bypass the application: offers added, changed and deleted, a save taken by
    hand, paid cycles counted by a bulk UPDATE, flows moved and deleted (their offers go with
    them)."""
    demo.seed(db, accounts=0, now=NOW)
    demo.seed_large(db, influencers=10, answers=300, now=NOW)
    assert_retention_totals_hold(db)
    F, R = CancellationFlow, RetentionOffer
    saved = F.outcome.in_(("saved_kept", "saved_offer"))
    with db.transaction(write=True) as s:
        shown = s.scalars(select(R.id).where(R.accepted_at.is_(None)).order_by(R.id).limit(40))
        shown = shown.all()
        downgrade = json.dumps({"kind": "downgrade", "plan_code": "starter"})
        s.execute(update(R).where(R.id.in_(shown[:10])).values(kind="downgrade", params=downgrade))
        s.execute(delete(R).where(R.id.in_(shown[10:20])))
        [fid] = s.scalars(select(F.id).where(F.outcome == "completed").limit(1)).all()
        s.execute(
            insert(R).values(
                flow_id=fid, kind="discount", offer_key="off20", shown_at=NOW, accepted_at=NOW,
                params=json.dumps({"kind": "discount", "cycles": 2, "percent": 20}),
                configuration="",
            )
        )  # fmt: skip
        s.execute(update(F).where(F.id == fid).values(outcome="saved_offer", offer_kind="discount"))
        s.execute(update(F).where(saved).values(paid_cycles_after=F.paid_cycles_after + 1))
        ids = s.scalars(select(F.id).where(saved).order_by(F.id).limit(30)).all()
        s.execute(update(F).where(F.id.in_(ids[:10])).values(variant="by_hand"))
        s.execute(update(F).where(F.id.in_(ids[10:20])).values(finished_at=NOW, country="ZZ"))
        s.execute(delete(F).where(F.id.in_(ids[20:])))
        taken = s.scalar(select(F.offer_price_cents).where(F.id == fid))
        revenue = s.scalar(select(F.monthly_revenue_cents).where(F.id == fid))
    assert taken == (revenue * 80 + 50) // 100  # the discounted price, by the trigger
    assert_retention_totals_hold(db)
