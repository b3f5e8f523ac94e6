"""The insight facts a cancellation flow carries (`survey`, `reason`, `satisfaction`, `stages`,
`offer`, `offer_price_cents`, `offers_shown`) must say what its survey answer, retention offers
and steps say, and the running totals the database keeps of them (`insight_totals`,
`insight_prices`, `insight_saves`, `insight_offers`, `insight_reasons`, by triggers) must add up
the flows and answers on record: the churn insights count nothing else. Every writer is
exercised here (the real cancellation flow, support's undo, the lifecycle job's sweep and purge,
the demo generator, the bulk seed, the migrations and plain SQL), then the facts and the totals
are worked out again from the base tables and compared, on SQLite (and PostgreSQL when
configured). Last, the page's figures for many date ranges are compared with a count of the
flows themselves."""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter, defaultdict

import pytest
from sqlalchemy import delete, func, inspect, select, update

from core import demo, exports, support_desk
from core.identity import auth
from core.insights import analytics
from core.jobs import lifecycle
from core.platform.db import Database
from core.platform.models import (
    INSIGHT_COUNTS,
    PRICE_COUNTS,
    CancellationFlow,
    FlowStep,
    InsightPrice,
    InsightTotal,
    RetentionOffer,
    SurveyAnswer,
)
from core.retention import cancellation, custom_plan
from core.retention.cancellation import ALL_CONSENTS, Survey
from core.rules.pricing import PlanConfig
from core.rules.vocabulary import FUNNEL, REASONS
from tests.support import factories
from tests.support.env import NOW, head
from tests.support.retention_totals import assert_retention_totals_hold, offer_facts

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
        # the flow's offer facts are the custom plan's (a playbook's other offers have none)
        custom = select(RetentionOffer).where(RetentionOffer.kind == "custom_plan")
        for offer in s.scalars(custom):
            state = "requested" if offer.requested_at else "opened" if offer.opened_at else "shown"
            price = offer.monthly_price_cents if offer.requested_at else None
            expected[offer.flow_id].update(offer=state, offer_price_cents=price)
    # a flow saved by a pause, a discount or a downgrade: the price it pays from then on
    for fid, facts in offer_facts(db).items():
        if "offer_price_cents" in facts:
            expected[fid]["offer_price_cents"] = facts["offer_price_cents"]
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
    assert_totals_hold(db)


OUTCOMES = ("completed", "saved_kept", "saved_offer", "undone", "abandoned")


def flow_counts(flow: CancellationFlow) -> Counter:
    """What one flow stands for in the insights, worked out in Python."""
    counts = Counter(flows=1)
    revenue = flow.monthly_revenue_cents or 0
    if flow.outcome in OUTCOMES:
        counts[flow.outcome] += 1
    if flow.outcome == "completed":
        counts["revenue_lost_cents"] += revenue
    elif flow.outcome in ("saved_kept", "saved_offer"):
        counts["revenue_saved_cents"] += revenue
    elif flow.outcome == "undone":
        counts["revenue_undone_cents"] += revenue
    if flow.survey in ("answered", "skipped"):
        counts[flow.survey] += 1
    if flow.survey == "answered" and flow.reason in REASONS:
        counts[f"reason_{flow.reason}"] += 1
    if flow.satisfaction in range(1, 6):
        counts[f"satisfaction_{flow.satisfaction}"] += 1
    for i in range(len(FUNNEL)):
        if flow.stages & (1 << i):
            counts[f"stage_{i}"] += 1
    if flow.offer != "none":
        counts["offer_shown"] += 1
    if flow.offer in ("opened", "requested"):
        counts["offer_opened"] += 1
    if flow.offer == "requested":
        counts["offer_requested"] += 1
    return counts


def cells(moment: dt.datetime, country: str) -> list[tuple[str, str, dt.date]]:
    """The (grain, country, period) rows a flow or answer counts in: its day, week and month,
    each for its country and for all countries ("*")."""
    day = moment.astimezone(dt.UTC).date()
    dates = [("d", day), ("w", day - dt.timedelta(days=day.weekday())), ("m", day.replace(day=1))]
    return [(grain, where, period) for grain, period in dates for where in (country, "*")]


def price_low(cents: int) -> int:
    """The page's price buckets: $98-124.99, $125-149.99, ... $475-499.99, $500 and more."""
    if cents < 12500:
        return 9800
    return min(cents - cents % 2500, 50000)


def totals_from_base_tables(db: Database) -> dict[tuple, Counter]:
    """InsightTotal rows by (grain, country, period, plan, band) and InsightPrice rows by the
    same and the reason, worked out in Python from the flows and answers."""
    expected: dict[tuple, Counter] = defaultdict(Counter)
    with db.transaction() as s:
        for flow in s.scalars(select(CancellationFlow)):
            for grain, country, period in cells(flow.started_at, flow.country):
                key = (grain, country, period, flow.plan_code, flow.tenure_band)
                expected[key].update(flow_counts(flow))
                if flow.offer == "requested" and flow.offer_price_cents is not None:
                    price = f"price_from_{price_low(flow.offer_price_cents)}"
                    expected[(*key, flow.reason or "")][price] += 1
        for answer in s.scalars(select(SurveyAnswer)):
            if answer.flow_started_at is None or not (answer.comment or answer.follow_up):
                continue
            for grain, country, period in cells(answer.flow_started_at, answer.country):
                key = (grain, country, period, answer.plan_code, answer.tenure_band)
                expected[key]["commented"] += 1
    return {key: +counts for key, counts in expected.items() if +counts}


def stored_totals(db: Database) -> dict[tuple, Counter]:
    stored = {}
    for table, names in ((InsightTotal, INSIGHT_COUNTS), (InsightPrice, PRICE_COUNTS)):
        keys = [table.grain, table.country, table.period, table.plan_code, table.tenure_band]
        if table is InsightPrice:
            keys.append(table.reason)
        with db.transaction() as s:
            for row in s.execute(select(*keys, *(getattr(table, n) for n in names))):
                key, counts = tuple(row[: len(keys)]), row[len(keys) :]
                assert all(n >= 0 for n in counts), (key, counts)
                kept = +Counter(dict(zip(names, counts, strict=True)))
                if kept:
                    stored[key] = kept
    return stored


def assert_totals_hold(db: Database) -> None:
    expected, stored = totals_from_base_tables(db), stored_totals(db)
    assert expected, "no flows to add up"
    wrong = {
        key: (stored.get(key), counts)
        for key, counts in expected.items()
        if stored.get(key) != counts
    }
    assert not wrong, wrong  # (grain, country, period, plan, band): (stored, from the flows)
    assert set(stored) == set(expected)
    # and the retention playbook's (insight_saves, _offers) and the lost revenue by reason's
    assert_retention_totals_hold(db)  # (insight_reasons)


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
    custom_plan.request_plan(db, people["offer"], flow, PlanConfig(200, 100, 2, 3), now=later)

    # answers, looks at the configurator, cancels; support undoes it
    flow = cancellation.start(db, people["undone"], now=NOW).flow_id
    cancellation.answer_survey(
        db, people["undone"], flow, Survey("too_expensive", "", "", 2), now=NOW
    )
    cancellation.open_configurator(db, people["undone"], flow, now=NOW)
    cancellation.go_on(db, people["undone"], flow, now=NOW)
    cancellation.confirm(db, people["undone"], flow, ALL_CONSENTS, now=later)
    support_desk.undo(db, boss, people["undone"].account_id, now=later)

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

    from core.platform.db import _alembic_config, current_revision, migrate

    demo.seed(db, accounts=40, influencers_per_account=2, now=NOW)
    with db.transaction() as s:  # before playbooks the custom plan was the only offer
        s.execute(delete(RetentionOffer).where(RetentionOffer.kind != "custom_plan"))
    command.downgrade(_alembic_config(db), "0002")  # as before the facts: no such columns
    assert current_revision(db) == "0002"
    db.engine.dispose()
    migrate(db)
    assert current_revision(db) == head()
    stored = on_the_flows(db).values()
    assert any(f["stages"] for f in stored) and any(f["offer_price_cents"] for f in stored)
    assert_facts_hold(db)


def test_the_migration_adds_up_the_flows_on_record_and_the_triggers_keep_them(db: Database):
    from alembic import command

    from core.platform.db import _alembic_config, current_revision, migrate

    demo.seed(db, accounts=0, now=NOW)
    demo.seed_large(db, influencers=10, answers=400, now=NOW)
    # back to before the totals: the flows stay on record, the totals and the triggers go
    command.downgrade(_alembic_config(db), "0003")
    assert "insight_totals" not in inspect(db.engine).get_table_names()
    db.engine.dispose()
    migrate(db)
    assert current_revision(db) == head()
    months = [c for (grain, country, *_), c in stored_totals(db).items() if grain == "m"]
    assert sum(c["flows"] for c in months) == 2 * 400  # per country and for all countries
    assert_totals_hold(db)
    seed_again = NOW + dt.timedelta(days=40)  # and the triggers count what is written next
    demo.seed_large(db, influencers=10, answers=50, seed=8, now=seed_again, email="more@demo.test")
    assert_totals_hold(db)


def test_plain_sql_keeps_the_totals(db: Database) -> None:
    """Writes that bypass the application (a bulk UPDATE, a DELETE that cascades to the answers,
    a fix typed in a console) are counted too: the database keeps the totals, not the code."""
    demo.seed(db, accounts=0, now=NOW)
    demo.seed_large(db, influencers=10, answers=200, now=NOW)
    F = CancellationFlow
    with db.transaction(write=True) as s:
        ids = s.scalars(select(F.id).order_by(F.id).limit(30)).all()
        s.execute(update(F).where(F.id.in_(ids[:10])).values(outcome="undone"))
        s.execute(update(F).where(F.id.in_(ids[10:20])).values(country="ZZ", plan_code="pro"))
        s.execute(update(F).where(F.id.in_(ids[20:25])).values(started_at=NOW))
        s.execute(delete(F).where(F.id.in_(ids[25:])))  # their answers go with them (CASCADE)
        s.execute(update(SurveyAnswer).where(SurveyAnswer.id < 50).values(comment="", follow_up=""))
    with db.transaction() as s:
        assert s.scalar(select(F.id).where(F.id.in_(ids[25:]))) is None
        assert not s.scalar(select(SurveyAnswer.id).where(SurveyAnswer.flow_id.in_(ids[25:])))
    assert_totals_hold(db)


def test_two_writers_of_several_flows_in_opposite_orders_both_succeed(db: Database) -> None:
    """Two transactions each change two flows, one started early in October and one late, at
    the same time: the first early then late, the other late then early. All four share the
    month's rows (and all countries'), and each pair shares its day's and week's rows. Without
    the totals' lock PostgreSQL finds them deadlocked and aborts one (as it would a lifecycle
    sweep of many flows beside a customer's cancellation); both must go through."""
    import threading

    demo.seed(db, accounts=0, now=NOW)
    demo.seed_large(db, influencers=10, answers=10, now=NOW)
    F = CancellationFlow
    early, late = dt.datetime(2026, 10, 5, tzinfo=dt.UTC), dt.datetime(2026, 10, 20, tzinfo=dt.UTC)
    with db.transaction(write=True) as s:
        a, b, c, d = s.scalars(select(F.id).order_by(F.id).limit(4)).all()
        s.execute(update(F).where(F.id.in_((a, d))).values(started_at=early))
        s.execute(update(F).where(F.id.in_((b, c))).values(started_at=late))
        s.execute(
            update(F)
            .where(F.id.in_((a, b, c, d)))
            .values(plan_code="pro", country="IT", tenure_band="1-2y", outcome="open")
        )
    first_done = threading.Event()
    errors: list[BaseException] = []

    def writer(order: tuple[str, str], outcome: str, first: bool) -> None:
        try:
            if not first:
                first_done.wait(5)
            with db.transaction(write=True) as s:
                s.execute(update(F).where(F.id == order[0]).values(outcome=outcome))
                if first:
                    first_done.set()
                    threading.Event().wait(0.5)  # the other writer starts meanwhile
                s.execute(update(F).where(F.id == order[1]).values(outcome=outcome))
        except BaseException as exc:  # reported below
            errors.append(exc)
            first_done.set()

    threads = [
        threading.Thread(target=writer, args=((a, b), "completed", True)),
        threading.Thread(target=writer, args=((c, d), "abandoned", False)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert not errors, errors
    with db.transaction() as s:
        outcomes = dict(s.execute(select(F.id, F.outcome).where(F.id.in_((a, b, c, d)))).all())
    assert outcomes == {a: "completed", b: "completed", c: "abandoned", d: "abandoned"}
    assert_totals_hold(db)


def test_a_write_that_fails_leaves_the_totals_as_they_were(db: Database) -> None:
    demo.seed(db, accounts=0, now=NOW)
    demo.seed_large(db, influencers=10, answers=100, now=NOW)
    before = stored_totals(db)
    with pytest.raises(RuntimeError), db.transaction(write=True) as s:
        s.execute(update(CancellationFlow).values(outcome="completed", country="ZZ"))
        changed = s.scalar(
            select(func.sum(InsightTotal.completed)).where(
                InsightTotal.grain == "m", InsightTotal.country == "*"
            )
        )
        assert changed == 100  # inside the transaction the totals moved with the flows
        raise RuntimeError("the connection drops")
    assert stored_totals(db) == before
    assert_totals_hold(db)


# --- The page's figures against the flows themselves -----------------------------------------


def expected_insights(db: Database, filters: analytics.Filters, granularity: str) -> dict:
    """What the insights page must show, counted flow by flow in Python."""
    with db.transaction() as s:
        flows = [
            f
            for f in s.scalars(select(CancellationFlow))
            if (filters.start is None or f.started_at.date() >= filters.start)
            and (filters.end is None or f.started_at.date() <= filters.end)
            and (not filters.plans or f.plan_code in filters.plans)
            and (not filters.countries or f.country in filters.countries)
            and (not filters.tenures or f.tenure_band in filters.tenures)
        ]
        commented = sum(
            1
            for a in s.scalars(select(SurveyAnswer))
            if (a.comment or a.follow_up)
            and (filters.start is None or a.flow_started_at.date() >= filters.start)
            and (filters.end is None or a.flow_started_at.date() <= filters.end)
            and (not filters.plans or a.plan_code in filters.plans)
            and (not filters.countries or a.country in filters.countries)
            and (not filters.tenures or a.tenure_band in filters.tenures)
        )
    total = sum((flow_counts(f) for f in flows), Counter())
    prices = Counter(
        (price_low(f.offer_price_cents), f.reason)
        for f in flows
        if f.offer == "requested" and f.offer_price_cents is not None
    )
    trend = Counter()
    plans, bands = defaultdict(lambda: [0, 0]), defaultdict(lambda: [0, 0])
    for f in flows:
        day = f.started_at.date()
        bucket = day.replace(day=1) if granularity == "month" else day - dt.timedelta(day.weekday())
        if f.survey == "answered" and f.reason:
            trend[(bucket, f.reason)] += 1
        for table, key in ((plans, f.plan_code), (bands, f.tenure_band)):
            table[key][0] += f.outcome == "completed"
            table[key][1] += f.outcome in ("saved_kept", "saved_offer")
    return {
        "started": total["flows"],
        "completed": total["completed"],
        "answered": total["answered"],
        "lost": total["revenue_lost_cents"],
        "saved": total["revenue_saved_cents"],
        "reasons": {r: total[f"reason_{r}"] for r in REASONS if total[f"reason_{r}"]},
        "trend": dict(trend),
        "funnel": [total[f"stage_{i}"] for i in range(len(FUNNEL))],
        "satisfaction": [total[f"satisfaction_{n}"] for n in range(1, 6)],
        "offers": [total["offer_shown"], total["offer_opened"], total["offer_requested"]],
        "plans": {k: tuple(v) for k, v in plans.items()},
        "bands": {k: tuple(v) for k, v in bands.items()},
        "commented": commented,
        "prices": dict(prices),
    }


def shown(db: Database, boss, filters: analytics.Filters, granularity: str) -> dict:
    got = analytics.insights(db, boss, filters, granularity)
    fig = got.figures
    return {
        "started": fig.started,
        "completed": fig.completed,
        "answered": fig.answered,
        "lost": fig.revenue_lost_cents,
        "saved": fig.revenue_saved_cents,
        "reasons": dict(got.reasons),
        "trend": {(p.bucket, p.reason): p.count for p in got.trend.points},
        "funnel": [n for _stage, n in got.funnel],
        "satisfaction": [n for _score, n in got.satisfaction],
        "offers": [got.offers.shown, got.offers.opened, got.offers.requested],
        "plans": {g.key: (g.completed, g.saved) for g in got.by_plan},
        "bands": {g.key: (g.completed, g.saved) for g in got.by_tenure},
        "commented": analytics.comments(db, boss, filters).total,
        "prices": {(b.low_cents, b.reason): b.count for b in got.prices},
    }


def test_every_date_range_adds_up_to_the_flows_in_it(db: Database) -> None:
    """Whole months, whole weeks and single days, cut every way a range can cut them (across
    a month's end inside a week, one day, open ends, leap day), with and without the other
    filters: each time the page shows what the flows in the range come to."""
    demo.seed(db, accounts=0, now=NOW)
    demo.seed_large(db, influencers=10, answers=1500, now=NOW)
    boss = exports.actor_for_email(db, demo.DEMO_ADMIN_EMAIL)
    d = dt.date
    ranges = [
        (None, None),
        (d(2025, 3, 1), d(2025, 3, 31)),  # one whole month
        (d(2025, 3, 3), d(2025, 3, 9)),  # one whole week
        (d(2025, 7, 30), d(2025, 8, 5)),  # a week across a month's end
        (d(2025, 1, 15), d(2025, 1, 15)),  # one day
        (d(2024, 2, 27), d(2024, 3, 2)),  # round the leap day
        (d(2025, 1, 17), d(2026, 2, 11)),  # partial months, weeks and days at both ends
        (None, d(2025, 6, 18)),
        (d(2025, 6, 18), None),
        (d(2031, 1, 1), d(2031, 12, 31)),  # nothing there
    ]
    rng = random.Random(7)
    for _ in range(6):
        low = d(2024, 11, 1) + dt.timedelta(days=rng.randrange(700))
        ranges.append((low, low + dt.timedelta(days=rng.randrange(120))))
    others = [
        {},
        {"plans": ("pro", "starter")},
        {"countries": ("IT", "US", "FR"), "tenures": ("<6m", "2y+")},
    ]
    for n, (start, end) in enumerate(ranges):
        for granularity in analytics.GRANULARITIES:
            filters = analytics.Filters(start, end, **others[n % len(others)])
            want, got = (
                expected_insights(db, filters, granularity),
                shown(db, boss, filters, granularity),
            )
            assert got == want, (filters, granularity)
    everything = expected_insights(db, analytics.Filters(), "month")
    assert everything["started"] == 1500 and len(everything["trend"]) > 100
    assert len(everything["prices"]) > 20
