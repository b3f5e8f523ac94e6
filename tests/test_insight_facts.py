"""The insight facts a cancellation flow carries (`survey`, `reason`, `satisfaction`, `stages`,
`offer`, `offer_price_cents`) must say what its survey answer, retention offer and steps say:
the churn insights count nothing else. Every writer is exercised here (the real cancellation
flow, support's undo, the lifecycle job's sweep and purge, the demo generator and the bulk
seed), then the facts are worked out again from the base tables and compared, on SQLite (and
PostgreSQL when configured)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from core import auth, cancellation, demo, lifecycle
from core.cancellation import ALL_CONSENTS, PlanConfig, Survey
from core.db import Database
from core.models import (
    FUNNEL,
    CancellationFlow,
    FlowStep,
    RetentionOffer,
    SurveyAnswer,
)
from tests import factories
from tests.conftest import NOW

FACTS = ("survey", "reason", "satisfaction", "stages", "offer", "offer_price_cents")


def from_base_tables(db: Database) -> dict[str, dict]:
    """Each flow's facts, worked out from the answers, offers and steps alone."""
    with db.transaction() as s:
        expected = {
            fid: {
                "survey": "none",
                "reason": None,
                "satisfaction": None,
                "stages": 0,
                "offer": "none",
                "offer_price_cents": None,
            }
            for fid in s.scalars(select(CancellationFlow.id))
        }
        for fid, step in s.execute(select(FlowStep.flow_id, FlowStep.step)):
            for bit, (_stage, steps) in enumerate(FUNNEL):
                if step in steps:
                    expected[fid]["stages"] |= 1 << bit
        for answer in s.scalars(select(SurveyAnswer)):
            expected[answer.flow_id].update(
                survey="skipped" if answer.skipped else "answered",
                reason=answer.reason,
                satisfaction=answer.satisfaction,
            )
        for offer in s.scalars(select(RetentionOffer)):
            state = "requested" if offer.requested_at else "opened" if offer.opened_at else "shown"
            price = offer.monthly_price_cents if offer.requested_at else None
            expected[offer.flow_id].update(offer=state, offer_price_cents=price)
    return expected


def on_the_flows(db: Database) -> dict[str, dict]:
    columns = [getattr(CancellationFlow, name) for name in FACTS]
    with db.transaction() as s:
        return {
            fid: dict(zip(FACTS, rest, strict=True))
            for fid, *rest in s.execute(select(CancellationFlow.id, *columns))
        }


def assert_facts_hold(db: Database) -> None:
    expected, stored = from_base_tables(db), on_the_flows(db)
    wrong = {fid: (stored[fid], facts) for fid, facts in expected.items() if stored[fid] != facts}
    assert not wrong, wrong  # flow id: (on the flow, from the base tables)
    with db.transaction() as s:  # and every answer has its flow's start (comments filter on it)
        starts = s.execute(
            select(SurveyAnswer.flow_started_at, CancellationFlow.started_at).join(
                CancellationFlow, CancellationFlow.id == SurveyAnswer.flow_id
            )
        ).all()
    assert starts and all(copy == start for copy, start in starts)


def test_the_real_flow_support_and_the_lifecycle_keep_the_facts(db: Database) -> None:
    growth = factories.plan(db, "growth", 24900)
    factories.admin(db, "boss@example.com", now=NOW)
    boss = auth.sign_in(db, "boss@example.com", factories.PASSWORD, now=NOW).user
    people = {}
    for name in ("kept", "offer", "undone", "purged", "changed", "restarted", "open", "skip"):
        factories.customer(db, f"{name}@example.com", growth, now=NOW, company=f"{name} Srl")
        people[name] = auth.sign_in(db, f"{name}@example.com", factories.PASSWORD, now=NOW).user
    later = NOW + dt.timedelta(minutes=5)

    # answers the survey, then keeps the subscription
    flow = cancellation.start(db, people["kept"], now=NOW).flow_id
    cancellation.answer_survey(
        db, people["kept"], flow, Survey("not_using", "", "kept Srl: busy", 4), now=NOW
    )
    cancellation.keep(db, people["kept"], flow, now=later)

    # skips the survey, opens the configurator, asks for a custom plan
    flow = cancellation.start(db, people["offer"], now=NOW).flow_id
    cancellation.answer_survey(db, people["offer"], flow, None, now=NOW)
    cancellation.open_configurator(db, people["offer"], flow, now=NOW)
    cancellation.request_plan(db, people["offer"], flow, PlanConfig(200, 100, 2, 3), now=later)

    # answers, looks at the configurator, cancels; support undoes it
    flow = cancellation.start(db, people["undone"], now=NOW).flow_id
    cancellation.answer_survey(
        db, people["undone"], flow, Survey("too_expensive", "", "", 2), now=NOW
    )
    cancellation.open_configurator(db, people["undone"], flow, now=NOW)
    cancellation.go_on(db, people["undone"], flow, now=NOW)
    cancellation.confirm(db, people["undone"], flow, ALL_CONSENTS, now=later)
    cancellation.undo(db, boss, people["undone"].account_id, now=later)

    # closes the survey pop-up without choosing, cancels; later ended and purged
    flow = cancellation.start(db, people["purged"], now=NOW).flow_id
    cancellation.go_on(db, people["purged"], flow, now=NOW)
    done = cancellation.confirm(db, people["purged"], flow, ALL_CONSENTS, now=later)

    # answers, changes the answer to a skip, then leaves (the lifecycle job sweeps it)
    flow = cancellation.start(db, people["changed"], now=NOW).flow_id
    cancellation.answer_survey(db, people["changed"], flow, Survey("other", "x", "", 5), now=NOW)
    cancellation.answer_survey(db, people["changed"], flow, None, now=later)

    # leaves after the survey, comes back two days later (the old flow is abandoned), opens
    # the configurator straight away and keeps the subscription
    flow = cancellation.start(db, people["restarted"], now=NOW).flow_id
    cancellation.answer_survey(
        db, people["restarted"], flow, Survey("switching_tool", "", "", 3), now=NOW
    )
    again = NOW + dt.timedelta(days=2)
    flow = cancellation.start(db, people["restarted"], now=again).flow_id
    cancellation.open_configurator(db, people["restarted"], flow, now=again)
    cancellation.keep(db, people["restarted"], flow, now=again)

    # only started (still open); skips, continues twice (the step is recorded once)
    cancellation.start(db, people["open"], now=later)
    flow = cancellation.start(db, people["skip"], now=NOW).flow_id
    cancellation.answer_survey(db, people["skip"], flow, None, now=NOW)
    cancellation.go_on(db, people["skip"], flow, now=NOW)
    cancellation.go_on(db, people["skip"], flow, now=later)
    assert_facts_hold(db)
    stored = on_the_flows(db)
    assert {f["offer"] for f in stored.values()} == {"none", "shown", "opened", "requested"}
    assert {f["survey"] for f in stored.values()} == {"none", "answered", "skipped"}

    # the lifecycle job: stale flows abandoned, then the cancelled account ended and purged
    swept = NOW + dt.timedelta(days=3)
    lifecycle.run(db, swept.date(), now=swept)
    purge_day = done.dates.data_deleted_on
    lifecycle.run(db, purge_day, now=dt.datetime.combine(purge_day, dt.time(3), dt.UTC))
    with db.transaction() as s:
        outcomes = {
            fid: outcome
            for fid, outcome in s.execute(select(CancellationFlow.id, CancellationFlow.outcome))
        }
        purged = s.scalar(
            select(CancellationFlow.account_id).where(CancellationFlow.id == done.flow_id)
        )
    assert purged is None and outcomes[done.flow_id] == "completed"
    assert list(outcomes.values()).count("abandoned") >= 2
    assert_facts_hold(db)


def test_the_demo_generator_writes_the_facts(db: Database) -> None:
    demo.seed(db, accounts=40, influencers_per_account=2, now=NOW)
    assert_facts_hold(db)
    stored = on_the_flows(db).values()
    assert {f["offer"] for f in stored} >= {"shown", "opened", "requested"}
    assert any(f["stages"] == 0b11111 for f in stored)


def test_the_bulk_seed_writes_the_facts(db: Database) -> None:
    demo.seed(db, accounts=0, now=NOW)
    demo.seed_large(db, influencers=10, answers=300, now=NOW)
    assert_facts_hold(db)
    stored = on_the_flows(db).values()
    assert {f["survey"] for f in stored} == {"answered", "skipped"}
    assert any(f["offer_price_cents"] for f in stored)


def test_the_migration_fills_the_facts_of_the_flows_on_record(db: Database) -> None:
    from alembic import command

    from core.db import _alembic_config, current_revision, migrate

    demo.seed(db, accounts=40, influencers_per_account=2, now=NOW)
    command.downgrade(_alembic_config(db), "0002")  # as before the facts: no such columns
    assert current_revision(db) == "0002"
    db.engine.dispose()
    migrate(db)
    assert current_revision(db) == "0003"
    stored = on_the_flows(db).values()
    assert any(f["stages"] for f in stored) and any(f["offer_price_cents"] for f in stored)
    assert_facts_hold(db)
