"""The demo data: what a presenter, a demo customer or an admin would notice."""

from __future__ import annotations

import datetime as dt
import json
import re
import time
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from itertools import pairwise
from pathlib import Path

import pytest
from sqlalchemy import func, select

from core import demo
from core.identity.passwords import verify_password
from core.platform.db import Database, connect
from core.platform.models import (
    Account,
    AuditEntry,
    Campaign,
    CampaignInfluencer,
    CancellationFlow,
    FlowStep,
    Influencer,
    InfluencerList,
    Invoice,
    ListMember,
    Plan,
    Report,
    RetentionOffer,
    SavedSearch,
    SearchResult,
    Subscription,
    SupportRequest,
    SurveyAnswer,
    User,
)
from core.rules import billing
from tests.support.env import BACKENDS, NOW, make_database

SMALL = 40  # generated accounts in most tests: quick, still every kind of row

DbFactory = Callable[[], Database]


@pytest.fixture(params=BACKENDS)
def db_factory(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[DbFactory]:
    """Opens fresh, migrated, empty databases, for tests that compare two seedings.

    PostgreSQL has one test database, so opening a new one there drops the previous one.
    """
    opened: list[Database] = []

    def fresh() -> Database:
        for database in opened:
            database.engine.dispose()
        database = make_database(request.param, tmp_path / f"db{len(opened)}")
        opened.append(database)
        return database

    yield fresh
    for database in opened:
        database.engine.dispose()


@pytest.fixture
def seeded(db: Database) -> Database:
    demo.seed(db, accounts=SMALL, now=NOW)
    return db


# --- Helpers ---------------------------------------------------------------------------------


def _demo_customer(db: Database) -> tuple[User, Account, Subscription]:
    with db.transaction() as s:
        user = s.scalars(select(User).where(User.email == demo.DEMO_CUSTOMER_EMAIL)).one()
        account = s.get(Account, user.account_id)
        sub = s.scalars(select(Subscription).where(Subscription.account_id == account.id)).one()
        return user, account, sub


def _count(db: Database, model, *where) -> int:
    with db.transaction() as s:
        return s.scalar(select(func.count()).select_from(model).where(*where))


def _has_accent(name: str) -> bool:
    """A Latin letter with a diacritic: é, ñ, ü, ç, ..."""
    decomposed = (unicodedata.normalize("NFD", c) for c in name)
    return any(len(d) > 1 and d[0].isascii() and d[0].isalpha() for d in decomposed)


SCRIPTS: dict[str, Callable[[str], bool]] = {
    "accents": _has_accent,
    "cyrillic": lambda name: bool(re.search("[\u0400-\u04ff]", name)),
    "cjk": lambda name: bool(re.search("[\u3040-\u30ff\u4e00-\u9fff\uac00-\ud7af]", name)),
    "arabic": lambda name: bool(re.search("[\u0600-\u06ff]", name)),
    "emoji": lambda name: bool(re.search("[\u2600-\u27bf\U0001f300-\U0001faff]", name)),
}


def _snapshot(db: Database) -> tuple[list, list, list]:
    with db.transaction() as s:
        names = list(s.execute(select(Influencer.name, Influencer.handle).order_by(Influencer.id)))
        invoices = list(
            s.execute(
                select(Invoice.number, Invoice.amount_cents, Invoice.period_start).order_by(
                    Invoice.number
                )
            )
        )
        flows = list(
            s.execute(
                select(CancellationFlow.id, CancellationFlow.outcome).order_by(CancellationFlow.id)
            )
        )
    return names, invoices, flows


# --- The demo logins -------------------------------------------------------------------------


def test_demo_logins_work_with_the_documented_passwords(seeded: Database) -> None:
    with seeded.transaction() as s:
        admin = s.scalars(select(User).where(User.email == demo.DEMO_ADMIN_EMAIL)).one()
        assert admin.role == "admin"
        assert admin.account_id is None
        assert verify_password(admin.password_hash, demo.DEMO_ADMIN_PASSWORD)
        assert not verify_password(admin.password_hash, demo.DEMO_CUSTOMER_PASSWORD)

    user, account, sub = _demo_customer(seeded)
    assert user.role == "customer"
    assert verify_password(user.password_hash, demo.DEMO_CUSTOMER_PASSWORD)
    assert account.country == "IT"
    assert _has_accent(account.company)
    assert sub.status == "active"
    assert sub.billing_interval == "month"
    with seeded.transaction() as s:
        assert s.get(Plan, sub.plan_id).code == "growth"
    age = NOW - account.created_at
    assert 13 * 30 <= age.days <= 15 * 31


def test_generated_users_cannot_sign_in_with_the_demo_passwords(seeded: Database) -> None:
    with seeded.transaction() as s:
        user = s.scalars(
            select(User).where(User.email.not_in([demo.DEMO_ADMIN_EMAIL, demo.DEMO_CUSTOMER_EMAIL]))
        ).first()
    assert user is not None
    assert not verify_password(user.password_hash, demo.DEMO_CUSTOMER_PASSWORD)
    assert not verify_password(user.password_hash, "")


@pytest.mark.parametrize(
    "now",
    [
        None,  # the real clock
        dt.datetime(2026, 1, 31, 23, 59, tzinfo=dt.UTC),
        dt.datetime(2028, 2, 29, 0, 0, tzinfo=dt.UTC),
        dt.datetime(2027, 12, 31, 12, 0, tzinfo=dt.UTC),
        dt.datetime(2026, 3, 19, 8, 0, tzinfo=dt.UTC),
    ],
)
def test_demo_customer_cycle_ends_within_thirty_days(db: Database, now: dt.datetime | None) -> None:
    demo.seed(db, accounts=0, now=now)
    today = (now or dt.datetime.now(dt.UTC)).date()
    _, _, sub = _demo_customer(db)
    assert sub.status == "active"
    assert sub.current_period_start <= today < sub.current_period_end
    assert sub.current_period_end <= today + dt.timedelta(days=30)
    expected = billing.period_containing(sub.started_at.date(), "month", today)
    assert (sub.current_period_start, sub.current_period_end) == expected


def test_demo_customer_has_data_in_every_category(seeded: Database) -> None:
    _, account, sub = _demo_customer(seeded)
    acc = account.id
    with seeded.transaction() as s:
        influencers = s.scalars(select(Influencer).where(Influencer.account_id == acc)).all()
        searches = s.scalars(select(SavedSearch).where(SavedSearch.account_id == acc)).all()
        results = Counter(
            s.scalars(
                select(SearchResult.search_id).where(
                    SearchResult.search_id.in_([x.id for x in searches])
                )
            )
        )
        lists = s.scalars(select(InfluencerList).where(InfluencerList.account_id == acc)).all()
        members = Counter(
            s.scalars(
                select(ListMember.list_id).where(ListMember.list_id.in_([x.id for x in lists]))
            )
        )
        campaigns = s.scalars(select(Campaign).where(Campaign.account_id == acc)).all()
        figures = s.scalars(
            select(CampaignInfluencer).where(
                CampaignInfluencer.campaign_id.in_([c.id for c in campaigns])
            )
        ).all()
        reports = s.scalars(select(Report).where(Report.account_id == acc)).all()
        invoices = s.scalars(
            select(Invoice).where(Invoice.account_id == acc).order_by(Invoice.period_start)
        ).all()
        plan = s.get(Plan, sub.plan_id)

    assert len(influencers) >= 150
    scripts = {key for key, test in SCRIPTS.items() for i in influencers if test(i.name)}
    assert scripts == set(SCRIPTS)
    assert len(searches) >= 5
    assert all(5 <= results[x.id] <= 30 for x in searches)
    assert all(json.loads(x.query)["platform"] for x in searches)
    assert len(lists) >= 4
    assert all(members[x.id] > 0 for x in lists)
    assert {c.status for c in campaigns} == {"planned", "active", "completed"}
    assert sum(f.reach for f in figures) > 0
    assert len(reports) >= 4
    assert any(r.campaign_id for r in reports)
    assert {r.kind for r in reports} == {"campaign", "audience", "competitor"}
    # Invoices: one per billing cycle from the start to the current one, numbers unique.
    assert invoices[0].period_start == sub.started_at.date()
    assert invoices[-1].period_start == sub.current_period_start
    assert all(a.period_end == b.period_start for a, b in pairwise(invoices))
    assert all(i.amount_cents == sub.price_cents == 24900 for i in invoices)
    # Usage this cycle: some, and within the plan's limits.
    start = dt.datetime.combine(sub.current_period_start, dt.time(), dt.UTC)
    unlocked = sum(1 for i in influencers if i.unlocked_at >= start)
    searched = sum(1 for x in searches if x.created_at >= start)
    assert 0 < unlocked <= plan.unlocks_limit
    assert 0 < searched <= plan.searches_limit
    assert all(i.unlocked_at <= NOW for i in influencers)


def test_demo_customer_account_never_has_a_cancellation(seeded: Database) -> None:
    _, account, _ = _demo_customer(seeded)
    assert _count(seeded, CancellationFlow, CancellationFlow.account_id == account.id) == 0


# --- Data quality ----------------------------------------------------------------------------


def test_plan_catalogue_is_inserted_once(db: Database) -> None:
    with db.transaction() as s:
        first = demo.ensure_plans(s)
    with db.transaction() as s:
        again = demo.ensure_plans(s)
        plans = {p.code: p for p in s.scalars(select(Plan))}
    assert set(plans) == set(first) == set(again) == {"starter", "growth", "pro", "enterprise"}
    assert plans["starter"].monthly_price_cents == 9800
    assert (plans["growth"].monthly_price_cents, plans["growth"].seats_limit) == (24900, 3)
    assert plans["enterprise"].searches_limit == 10000
    assert all(p.currency == "USD" and not p.is_custom for p in plans.values())


def test_influencer_names_cover_many_scripts(seeded: Database) -> None:
    with seeded.transaction() as s:
        names = s.scalars(select(Influencer.name)).all()
        handles = s.scalars(select(Influencer.handle)).all()
    for key, test in SCRIPTS.items():
        share = sum(1 for name in names if test(name)) / len(names)
        assert share >= 0.02, f"only {share:.1%} of names with {key}"
    assert all(re.fullmatch(r"[a-z0-9._]+", handle) for handle in handles)


def test_influencer_figures_are_plausible(seeded: Database) -> None:
    with seeded.transaction() as s:
        rows = s.scalars(select(Influencer)).all()
        figures = s.scalars(select(CampaignInfluencer)).all()
    assert all(1_000 <= r.followers <= 5_000_000 for r in rows)
    assert all(0.5 <= r.engagement_rate <= 12.0 for r in rows)
    assert {r.platform for r in rows} == {
        "instagram",
        "tiktok",
        "youtube",
        "twitch",
        "x",
        "facebook",
    }
    assert max(r.followers for r in rows) > 30 * sorted(r.followers for r in rows)[len(rows) // 2]
    for f in figures:
        assert f.conversions <= f.clicks <= f.engagements <= f.impressions
        assert f.reach <= f.impressions
        assert f.cost_cents > 0
        assert (f.posts == 0) == (f.impressions == 0)


def test_accounts_users_and_invoices_look_real(seeded: Database) -> None:
    with seeded.transaction() as s:
        accounts = s.scalars(select(Account)).all()
        users = s.scalars(select(User).where(User.account_id.is_not(None))).all()
        subs = {x.account_id: x for x in s.scalars(select(Subscription))}
        invoices = s.scalars(select(Invoice)).all()
        plans = {p.id: p for p in s.scalars(select(Plan))}
    assert len({a.company for a in accounts}) == len(accounts)
    assert len({a.country for a in accounts}) >= 8
    assert all(NOW - dt.timedelta(days=4 * 365) < a.created_at <= NOW for a in accounts)
    by_account = Counter(u.account_id for u in users)
    country = {a.id: a.country for a in accounts}
    assert all(1 <= n <= 3 for n in by_account.values())
    assert set(by_account) == {a.id for a in accounts}
    assert all(u.language in ("en", "it", None) for u in users)
    generated = [u for u in users if u.email != demo.DEMO_CUSTOMER_EMAIL]
    assert all(u.language == "it" for u in generated if country[u.account_id] == "IT")
    for sub in subs.values():
        plan = plans[sub.plan_id]
        assert sub.price_cents == billing.interval_price_cents(
            plan.monthly_price_cents, sub.billing_interval
        )
        assert by_account[sub.account_id] <= plan.seats_limit
    assert len({i.number for i in invoices}) == len(invoices)
    # numbered as the lifecycle job numbers the invoices it issues: INV-20261110-000042
    assert all(i.number == billing.invoice_number(i.account_id, i.period_start) for i in invoices)
    assert all(re.fullmatch(r"INV-\d{8}-\d{6}", i.number) for i in invoices)
    assert all(i.issued_on <= NOW.date() and i.status in ("paid", "open") for i in invoices)


# --- Determinism -----------------------------------------------------------------------------


def test_same_seed_and_now_give_the_same_data(db_factory: DbFactory) -> None:
    first = db_factory()
    summary = demo.seed(first, seed=7, accounts=25, now=NOW)
    before = _snapshot(first)
    second = db_factory()
    assert demo.seed(second, seed=7, accounts=25, now=NOW) == summary
    assert _snapshot(second) == before
    third = db_factory()
    demo.seed(third, seed=8, accounts=25, now=NOW)
    after = _snapshot(third)
    assert after[0] != before[0]
    assert after[2] != before[2]


def test_dates_follow_now(db_factory: DbFactory) -> None:
    later = NOW + dt.timedelta(days=400)
    db = db_factory()
    demo.seed(db, accounts=10, now=later)
    with db.transaction() as s:
        newest = s.scalar(select(func.max(Influencer.unlocked_at)))
        oldest_flow = s.scalar(select(func.min(CancellationFlow.started_at)))
    assert later - dt.timedelta(days=60) < newest <= later
    assert oldest_flow is None or oldest_flow >= later - dt.timedelta(days=366)


# --- Cancellation flows ----------------------------------------------------------------------


def test_flows_span_most_of_the_last_twelve_months(db: Database) -> None:
    demo.seed(db, accounts=80, now=NOW)
    with db.transaction() as s:
        started = s.scalars(select(CancellationFlow.started_at)).all()
    assert all(NOW - dt.timedelta(days=366) <= at < NOW for at in started)
    months = {(at.year, at.month) for at in started}
    assert len(months) >= 10


def test_cancellations_agree_with_subscriptions(db: Database) -> None:
    demo.seed(db, accounts=120, now=NOW)
    today = NOW.date()
    with db.transaction() as s:
        flows = s.scalars(select(CancellationFlow)).all()
        subs = {x.id: x for x in s.scalars(select(Subscription))}
        sub_of_account = {x.account_id: x for x in subs.values()}
        audit = Counter((a.account_id, a.action) for a in s.scalars(select(AuditEntry)))
        users = {u.id: u for u in s.scalars(select(User))}

    cancelled = {f.account_id for f in flows if f.outcome == "completed"}
    open_ids = [f.open_subscription_id for f in flows if f.open_subscription_id is not None]
    assert len(open_ids) == len(set(open_ids))
    scheduled = {x.id for x in subs.values() if x.status == "cancellation_scheduled"}
    assert set(open_ids) == scheduled
    confirmations = [f.confirmation_number for f in flows if f.confirmation_number]
    assert len(confirmations) == len(set(confirmations))

    for flow in flows:
        assert flow.finished_at is not None and flow.started_at <= flow.finished_at < NOW
        assert flow.tenure_band in ("<6m", "6-12m", "1-2y", "2y+")
        if flow.account_id is None:  # purged: anonymous, and past the two-month window
            assert flow.user_id is None
            assert flow.outcome == "completed"
            assert billing.data_deletion_date(flow.effective_on) <= today
            continue
        sub = sub_of_account[flow.account_id]
        assert users[flow.user_id].account_id == flow.account_id
        if flow.offer_kind != "downgrade":  # a downgrade's flow has the plan it left
            assert flow.monthly_revenue_cents == billing.monthly_equivalent_cents(
                sub.price_cents, sub.billing_interval
            )
        if flow.outcome != "completed":
            if flow.account_id not in cancelled:  # unless they left later on
                assert sub.status == ("paused" if sub.status == "paused" else "active")
                assert sub.status == "active" or flow.offer_kind == "pause"
            if flow.offer_kind in ("pause", "discount", "downgrade"):  # taken in the flow
                assert flow.confirmation_number.startswith("CX-")
            else:
                assert flow.confirmation_number is None
            continue
        later = [f for f in flows if f.account_id == flow.account_id and f.outcome != "completed"]
        assert all(f.finished_at < flow.started_at for f in later)  # saved, then left
        assert flow.confirmation_number.startswith("CX-")
        assert sub.current_period_end == flow.effective_on
        assert sub.cancel_requested_at == flow.finished_at
        assert audit[(flow.account_id, "cancellation_scheduled")] == 1
        if sub.status == "cancellation_scheduled":
            assert sub.current_period_start <= today < sub.current_period_end
            assert flow.open_subscription_id == sub.id
        else:
            assert sub.status == "ended"
            assert sub.ended_on == flow.effective_on <= today
            assert today < billing.data_deletion_date(sub.ended_on)
            assert flow.open_subscription_id is None
            assert audit[(flow.account_id, "subscription_ended")] == 1


def test_flow_steps_surveys_and_offers_hang_together(db: Database) -> None:
    demo.seed(db, accounts=120, now=NOW)
    with db.transaction() as s:
        flows = {f.id: f for f in s.scalars(select(CancellationFlow))}
        steps: dict[str, list[FlowStep]] = {}
        for step in s.scalars(select(FlowStep).order_by(FlowStep.id)):
            steps.setdefault(step.flow_id, []).append(step)
        answers = {a.flow_id: a for a in s.scalars(select(SurveyAnswer))}
        offers: dict[str, list[RetentionOffer]] = {}
        for offer in s.scalars(select(RetentionOffer).order_by(RetentionOffer.id)):
            offers.setdefault(offer.flow_id, []).append(offer)
        requests = s.scalars(select(SupportRequest)).all()

    outcomes = {f.outcome for f in flows.values()}
    assert len(outcomes) >= 3
    assert outcomes <= {"completed", "saved_kept", "saved_offer", "abandoned"}
    for flow_id, flow in flows.items():
        names = [x.step for x in steps[flow_id]]
        times = [x.at for x in steps[flow_id]]
        assert names[0] == "started" and times == sorted(times)
        terminal = {"completed": "completed", "saved_kept": "kept", "abandoned": "abandoned"}
        if flow.outcome == "saved_offer":  # a custom plan requested, or another offer taken
            custom = flow.offer_kind == "custom_plan"
            terminal["saved_offer"] = "plan_requested" if custom else "offer_accepted"
        assert names[-1] == terminal[flow.outcome]
        assert (flow_id in answers) == any(n.startswith("survey_") for n in names)
        assert (flow_id in offers) == ("offer_shown" in names)
        if flow.outcome == "completed":
            assert names[-3:] == ["continued", "consents_given", "completed"]
    for answer in answers.values():
        if answer.skipped:
            assert answer.reason is None and answer.satisfaction is None
        else:
            assert answer.reason in (
                "too_expensive",
                "missing_features",
                "not_using",
                "switching_tool",
                "one_campaign",
                "technical_issues",
                "other",
            )
            assert 1 <= answer.satisfaction <= 5
    assert len({a.reason for a in answers.values() if a.reason}) >= 5
    assert any(a.skipped for a in answers.values())
    for flow_id, shown in offers.items():
        flow = flows[flow_id]
        assert len({o.kind for o in shown}) == len(shown) and all(o.offer_key for o in shown)
        taken = [o for o in shown if o.accepted_at or o.requested_at]
        if flow.outcome == "saved_offer":  # the offer that saved it, and no other
            assert [o.kind for o in taken] == [flow.offer_kind]
        else:
            assert not taken and flow.offer_kind is None
        for offer in shown:
            assert json.loads(offer.params)["kind"] == offer.kind
            if offer.requested_at:
                config = json.loads(offer.configuration)
                assert set(config) == {"searches", "unlocks", "seats", "campaigns"}
                assert offer.monthly_price_cents >= 9800
                assert offer.opened_at
            else:
                assert offer.monthly_price_cents is None
    custom = {r.flow_id for r in requests if r.kind == "custom_plan"}
    assert custom == {f.id for f in flows.values() if f.offer_kind == "custom_plan"}
    assert all(
        flows[r.flow_id].outcome == "completed" for r in requests if r.kind == "undo_cancellation"
    )


# --- Seeding once, and the default sizes ------------------------------------------------------


def test_seed_if_empty_seeds_once(db: Database) -> None:
    assert not demo.is_seeded(db)
    summary = demo.seed_if_empty(db, now=NOW)
    assert summary is not None and summary.accounts > 200
    assert demo.is_seeded(db)
    assert demo.seed_if_empty(db, now=NOW) is None
    assert _count(db, Account) == summary.accounts
    assert _count(db, User, User.email == demo.DEMO_CUSTOMER_EMAIL) == 1
    # Enough flows to show the mix: most who start cancelling finish, cost is the top reason.
    with db.transaction() as s:
        outcomes = Counter(s.scalars(select(CancellationFlow.outcome)))
        reasons = Counter(
            s.scalars(select(SurveyAnswer.reason).where(SurveyAnswer.reason.is_not(None)))
        )
    assert reasons.most_common(1)[0][0] == "too_expensive"
    assert set(outcomes) == {"completed", "saved_kept", "saved_offer", "abandoned"}
    assert outcomes.most_common(1)[0][0] == "completed"


def test_seeding_more_into_a_seeded_database_adds_without_collisions(db: Database) -> None:
    first = demo.seed(db, accounts=15, now=NOW)
    again = demo.seed(db, accounts=15, now=NOW)  # same seed: `python -m core seed --force`
    other = demo.seed(db, seed=3, accounts=15, now=NOW + dt.timedelta(days=40))
    assert again.accounts > 0 and again.influencers > 0
    assert _count(db, Account) == first.accounts + again.accounts + other.accounts
    assert _count(db, Invoice) == first.invoices + again.invoices + other.invoices
    assert _count(db, CancellationFlow) == first.flows + again.flows + other.flows
    assert _count(db, User, User.email == demo.DEMO_CUSTOMER_EMAIL) == 1
    assert _count(db, User, User.email == demo.DEMO_ADMIN_EMAIL) == 1
    with db.transaction() as s:
        companies = s.scalars(select(Account.company)).all()
        numbers = s.scalars(select(Invoice.number)).all()
    assert len(set(companies)) == len(companies)
    assert len(set(numbers)) == len(numbers)


def test_seed_if_empty_from_two_processes_at_once_seeds_once(db_factory: DbFactory) -> None:
    first = db_factory()
    second = connect(first.engine.url.render_as_string(hide_password=False))  # another engine
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(lambda d: demo.seed_if_empty(d, now=NOW), [first, second]))
    second.engine.dispose()
    assert sum(r is not None for r in results) == 1
    assert _count(first, User, User.email == demo.DEMO_ADMIN_EMAIL) == 1


def test_rows_can_still_be_added_after_seeding(seeded: Database) -> None:
    """The seeder assigns ids itself; the database must hand out fresh ones afterwards."""
    before = _count(seeded, Account)
    with seeded.transaction() as s:
        account = Account(company="After Seed Ltd", country="GB", created_at=NOW)
        s.add(account)
        s.flush()
        s.add(
            User(
                account_id=account.id,
                email="new.user@after-seed.example",
                password_hash="x",
                created_at=NOW,
            )
        )
        s.add(InfluencerList(account_id=account.id, name="New list", created_at=NOW))
        s.add(
            Campaign(
                account_id=account.id,
                name="New",
                status="planned",
                start_date=NOW.date(),
                end_date=NOW.date(),
                budget_cents=1,
            )
        )
        s.add(
            Influencer(
                account_id=account.id,
                handle="new",
                name="New",
                platform="x",
                followers=1000,
                engagement_rate=1.0,
                country="GB",
                unlocked_at=NOW,
            )
        )
        s.add(SavedSearch(account_id=account.id, name="New", query="{}", created_at=NOW))
        s.add(
            Subscription(
                account_id=account.id,
                plan_id=1,
                billing_interval="month",
                price_cents=9800,
                started_at=NOW,
                current_period_start=NOW.date(),
                current_period_end=NOW.date(),
            )
        )
    assert _count(seeded, Account) == before + 1


def test_default_seed_is_fast_and_complete(db: Database, capsys: pytest.CaptureFixture) -> None:
    started = time.perf_counter()
    summary = demo.seed(db)  # the defaults and the real clock, as the demo command runs it
    elapsed = time.perf_counter() - started
    with capsys.disabled():
        print(f"\n[{db.dialect}] default demo seed: {elapsed:.2f} s, {summary}")
    assert elapsed < 15
    assert summary.accounts > 200
    assert summary.flows >= 60
    counts = {
        "accounts": _count(db, Account),
        "users": _count(db, User),
        "influencers": _count(db, Influencer),
        "searches": _count(db, SavedSearch),
        "lists": _count(db, InfluencerList),
        "campaigns": _count(db, Campaign),
        "reports": _count(db, Report),
        "invoices": _count(db, Invoice),
        "flows": _count(db, CancellationFlow),
        "survey_answers": _count(db, SurveyAnswer),
    }
    assert counts == summary.__dict__
    with db.transaction() as s:
        statuses = set(s.scalars(select(Subscription.status)))
    # and paused, while a pause taken lately runs
    assert {"active", "cancellation_scheduled", "ended"} <= statuses
    assert statuses <= {"active", "paused", "cancellation_scheduled", "ended"}
