"""Churn rates against the base through `core.insights.analytics`, on SQLite and PostgreSQL:
a hand-worked base (rates overall, per plan, per country, per tenure band at the period's
start, by month, the previous period across a month boundary), the periods before
(`Filters.previous`, leap years), bad input, and churn_rates against a count done here over
the subscriptions read back, for many date ranges and filters."""

from __future__ import annotations

import datetime as dt
import random

import pytest
from sqlalchemy import select

from core.identity import auth
from core.insights import analytics
from core.insights.analytics import Churn, Filters
from core.platform.errors import InvalidInput, NotAuthorized
from core.platform.models import Account, Plan, Subscription
from core.rules import billing
from core.rules.vocabulary import TENURE_BANDS, tenure_band
from tests.support import factories
from tests.support.env import NOW

UTC = dt.UTC


def d(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=UTC)


def add_subscription(
    s,
    plans: dict[str, int],
    *,
    plan: str,
    country: str,
    created: dt.datetime,
    started: dt.datetime | None = None,
    interval: str = "month",
    price: int | None = None,
    status: str = "active",
    ended_on: dt.date | None = None,
) -> int:
    """An account and its subscription as the portal leaves them (no user: the figures do not
    read users)."""
    account = Account(company=f"Co {plan} {country}", country=country, created_at=created)
    s.add(account)
    s.flush()
    plan_row = s.get(Plan, plans[plan])
    period_end = ended_on or d("2030-01-01")
    s.add(
        Subscription(
            account_id=account.id,
            plan_id=plan_row.id,
            billing_interval=interval,
            price_cents=price if price is not None else plan_row.monthly_price_cents,
            currency="USD",
            status=status,
            started_at=started or created,
            current_period_start=billing.add_months(period_end, -1),
            current_period_end=period_end,
            ended_on=ended_on,
        )
    )
    s.flush()
    return account.id


def admin(db):
    factories.admin(db, "boss@example.com", now=NOW)
    return auth.sign_in(db, "boss@example.com", factories.PASSWORD, now=NOW).user


# The base on 1 March 2028 (tenure: calendar months from the account's creation to 1 March):
#   A starter  9900 IT  created 2027-12-10 (3 m, <6m)   started 2028-02-29 23:59:59, active
#   B starter  9900 DE  created 2027-06-01 (9 m, 6-12m)  active
#   C growth  24900 IT  created 2026-12-15 (15 m, 1-2y)  ended 2028-03-10     -> churned
#   D growth  24900 IT  created 2025-01-01 (38 m, 2y+)   active
#   E growth yearly 238800 (19900 a month) DE created 2026-05-20 (22 m, 1-2y) active
#   F pro     49900 FR  created 2025-11-03 (28 m, 2y+)   ended 2028-03-31     -> churned
#   G pro     49900 IT  created 2027-10-01 (5 m, <6m)    cancellation scheduled (not churn)
#   H starter  9900 IT  created 2027-09-05 (6 m, 6-12m)  paused
#   I growth  24900 FR  created 2027-03-01 (12 m, 1-2y)  active
#   J pro     49900 DE  created 2027-02-28 (13 m, 1-2y)  active
# Not in it: K growth 24900 DE, started 2028-03-01 00:00 (on the day, not before), ended
# 2028-04-05; L starter 9900 IT created 2026-01-01, ended 2028-02-29, purged; M pro 49900 FR
# created 2027-01-10, ended 2028-02-20.
# Base MRR: 3 x 9900 + 3 x 24900 + 19900 + 3 x 49900 = 274000; churned 24900 + 49900 = 74800.
@pytest.fixture
def shop(db):
    plans = {
        "starter": factories.plan(db, "starter", 9900),
        "growth": factories.plan(db, "growth", 24900),
        "pro": factories.plan(db, "pro", 49900),
    }
    rows = [
        dict(plan="starter", country="IT", created=at("2027-12-10T09:00"),
             started=at("2028-02-29T23:59:59")),
        dict(plan="starter", country="DE", created=at("2027-06-01T00:00")),
        dict(plan="growth", country="IT", created=at("2026-12-15T12:00"), status="ended",
             ended_on=d("2028-03-10")),
        dict(plan="growth", country="IT", created=at("2025-01-01T00:00")),
        dict(plan="growth", country="DE", created=at("2026-05-20T08:00"), interval="year",
             price=238800),
        dict(plan="pro", country="FR", created=at("2025-11-03T00:00"), status="ended",
             ended_on=d("2028-03-31")),
        dict(plan="pro", country="IT", created=at("2027-10-01T00:00"),
             status="cancellation_scheduled"),
        dict(plan="starter", country="IT", created=at("2027-09-05T00:00"), status="paused"),
        dict(plan="growth", country="FR", created=at("2027-03-01T00:00")),
        dict(plan="pro", country="DE", created=at("2027-02-28T23:00")),
        # K, L, M
        dict(plan="growth", country="DE", created=at("2028-03-01T00:00"), status="ended",
             ended_on=d("2028-04-05")),
        dict(plan="starter", country="IT", created=at("2026-01-01T00:00"), status="purged",
             ended_on=d("2028-02-29")),
        dict(plan="pro", country="FR", created=at("2027-01-10T00:00"), status="ended",
             ended_on=d("2028-02-20")),
    ]  # fmt: skip
    with db.transaction() as s:
        for row in rows:
            add_subscription(s, plans, **row)
    return admin(db)


def rates(db, boss, start, end, **filters):
    return analytics.churn_rates(db, boss, Filters(d(start), d(end), **filters), today=NOW.date())


def figures(churn: Churn) -> tuple[int, int, int, int]:
    return churn.base, churn.base_mrr_cents, churn.churned, churn.churned_mrr_cents


def test_march_2028_two_of_ten_churn_a_share_of_the_mrr_worked_by_hand(db, shop):
    got = rates(db, shop, "2028-03-01", "2028-03-31")
    assert (got.overall.start, got.overall.end) == (d("2028-03-01"), d("2028-03-31"))
    assert figures(got.overall) == (10, 274000, 2, 74800)
    assert got.overall.customer_rate == pytest.approx(0.20)
    assert got.overall.mrr_rate == pytest.approx(74800 / 274000)  # 27.30 %
    # per plan, cheapest first
    assert [(code, figures(c)) for code, c in got.by_plan] == [
        ("starter", (3, 29700, 0, 0)),
        ("growth", (4, 94600, 1, 24900)),  # C, D, E (yearly: 19900), I
        ("pro", (3, 149700, 1, 49900)),
    ]
    # per country, largest base first
    assert [(code, figures(c)) for code, c in got.by_country] == [
        ("IT", (5, 119500, 1, 24900)),  # A C D G H
        ("DE", (3, 79700, 0, 0)),  # B E J
        ("FR", (2, 74800, 1, 49900)),  # F I
    ]
    assert [figures(c) for c in got.trend] == [(10, 274000, 2, 74800)]


def test_plan_and_country_filters_narrow_the_base(db, shop):
    got = rates(db, shop, "2028-03-01", "2028-03-31", plans=("growth", "pro"), countries=("IT",))
    assert figures(got.overall) == (3, 99700, 1, 24900)  # C D G
    assert got.overall.customer_rate == pytest.approx(1 / 3)
    assert [code for code, _ in got.by_plan] == ["growth", "pro"]
    assert [code for code, _ in got.by_country] == ["IT"]


def test_the_tenure_band_is_the_accounts_age_at_the_start_of_the_period(db, shop):
    # on 1 March 2028: C E I J are 12 to 23 months old (I was created on 1 March 2027: 12)
    got = rates(db, shop, "2028-03-01", "2028-03-31", tenures=("1-2y",))
    assert figures(got.overall) == (4, 119600, 1, 24900)
    got = rates(db, shop, "2028-03-01", "2028-03-31", tenures=("<6m", "2y+"))
    assert figures(got.overall) == (4, 134600, 1, 49900)  # A G D F
    # H, created on 5 September 2027, is 6 months old on 1 March 2028 but 5 on 29 February
    assert figures(rates(db, shop, "2028-03-01", "2028-03-31", tenures=("6-12m",)).overall) == (
        2,
        19800,
        0,
        0,
    )
    assert rates(db, shop, "2028-02-29", "2028-03-31", tenures=("<6m",)).overall.base == 2  # G H


def test_the_trend_has_a_month_each_cut_to_the_range_with_its_own_base(db, shop):
    got = rates(db, shop, "2028-02-15", "2028-04-10")
    assert [(c.start, c.end) for c in got.trend] == [
        (d("2028-02-15"), d("2028-02-29")),
        (d("2028-03-01"), d("2028-03-31")),
        (d("2028-04-01"), d("2028-04-10")),
    ]
    assert [figures(c) for c in got.trend] == [
        (11, 323900, 2, 59800),  # without A (started on the 29th), with L and M; they churn
        (10, 274000, 2, 74800),
        (9, 224100, 1, 24900),  # without C and F, with K (started 1 March), which churns
    ]
    # the whole range: its base is the one of 15 February; K started after it
    assert figures(got.overall) == (11, 323900, 4, 134600)
    # each month's base is taken with the tenure bands of its own first day: H (September
    # 2027) is 5 months old on 15 February, 6 on 1 March; G (October 2027) 6 on 1 April
    young = rates(db, shop, "2028-02-15", "2028-04-10", tenures=("<6m",))
    assert [figures(c) for c in young.trend] == [
        (2, 59800, 0, 0),  # G H
        (2, 59800, 0, 0),  # A G
        (2, 34800, 1, 24900),  # A K
    ]
    assert figures(young.overall) == (2, 59800, 0, 0)


def test_a_subscription_ending_on_the_first_day_is_in_the_base_and_churned(db, shop):
    # F ended on 31 March (its first day without): in the base of a period starting that
    # day, and churned in it; in no base from 1 April. K (started 1 March) is in both.
    got = rates(db, shop, "2028-03-31", "2028-04-02")
    assert figures(got.overall) == (10, 274000, 1, 49900)
    assert [figures(c) for c in got.trend] == [(10, 274000, 1, 49900), (9, 224100, 0, 0)]
    assert figures(rates(db, shop, "2028-04-01", "2028-04-01").overall) == (9, 224100, 0, 0)


def test_deltas_against_the_period_before_across_the_month_boundary(db, shop):
    now = Filters(d("2028-03-01"), d("2028-03-15"))
    before = now.previous()
    assert (before.start, before.end) == (d("2028-02-15"), d("2028-02-29"))
    this = analytics.churn_rates(db, shop, now, today=NOW.date()).overall
    last = analytics.churn_rates(db, shop, before, today=NOW.date()).overall
    assert figures(this) == (10, 274000, 1, 24900)  # C
    assert figures(last) == (11, 323900, 2, 59800)  # L and M
    # in percentage points: 10 % - 18.18 % = -8.18; MRR 9.09 % - 18.46 % = -9.37
    assert (this.customer_rate - last.customer_rate) * 100 == pytest.approx(-8.1818, abs=1e-3)
    assert (this.mrr_rate - last.mrr_rate) * 100 == pytest.approx(-9.3749, abs=1e-3)


def test_no_base_no_rate(db, shop):
    got = rates(db, shop, "2020-01-01", "2020-12-31")
    assert figures(got.overall) == (0, 0, 0, 0)
    assert (got.overall.customer_rate, got.overall.mrr_rate) == (None, None)
    assert (got.by_plan, got.by_country) == ((), ())
    assert len(got.trend) == 12 and all(c.base == 0 for c in got.trend)


def test_open_ends_run_from_the_first_subscription_to_today(db, shop):
    got = analytics.churn_rates(db, shop, Filters(), today=d("2028-04-30"))
    assert (got.overall.start, got.overall.end) == (d("2025-01-01"), d("2028-04-30"))
    assert got.overall.base == 0  # nothing had started before the first one
    assert figures(got.trend[-1]) == (9, 224100, 1, 24900)  # 1-30 April: K ends
    assert sum(c.churned for c in got.trend) == 5  # C F K L M


@pytest.mark.parametrize(
    ("start", "end", "before"),
    [
        ("2028-03-01", "2028-03-15", ("2028-02-15", "2028-02-29")),  # leap year
        ("2027-03-01", "2027-03-15", ("2027-02-14", "2027-02-28")),
        ("2028-03-01", "2028-03-31", ("2028-01-30", "2028-02-29")),  # 31 days, not February
        ("2028-03-01", "2028-03-01", ("2028-02-29", "2028-02-29")),
        ("2025-01-01", "2025-12-31", ("2024-01-02", "2024-12-31")),  # 365 days of a 366 year
        ("2024-12-01", "2025-01-31", ("2024-09-30", "2024-11-30")),  # 62 days
        ("2000-01-02", "2000-01-02", ("2000-01-01", "2000-01-01")),
    ],
)
def test_the_period_before_has_the_same_number_of_days_and_ends_the_day_before(start, end, before):
    f = Filters(d(start), d(end), plans=("pro",), countries=("IT",), tenures=("<6m",))
    prev = f.previous()
    assert (prev.start, prev.end) == (d(before[0]), d(before[1]))
    assert (prev.end - prev.start) == (f.end - f.start)
    assert (prev.plans, prev.countries, prev.tenures) == (("pro",), ("IT",), ("<6m",))


def test_there_is_no_period_before_an_open_range_or_the_first_day():
    assert Filters().previous() is None
    assert Filters(d("2028-03-01"), None).previous() is None
    assert Filters(None, d("2028-03-01")).previous() is None
    assert Filters(d("2000-01-01"), d("2000-01-31")).previous() is None
    assert Filters(d("2000-01-10"), d("2000-01-19")).previous() is None  # would start 31 Dec
    assert Filters(d("2000-01-11"), d("2000-01-20")).previous() == Filters(
        d("2000-01-01"), d("2000-01-10")
    )


def test_bad_input_is_refused_and_customers_are_not_let_in(db, shop):
    with pytest.raises(InvalidInput) as reversed_range:
        rates(db, shop, "2028-03-31", "2028-03-01")
    assert reversed_range.value.key == "insights.error.dates"
    with pytest.raises(InvalidInput):
        rates(db, shop, "1999-12-31", "2028-03-01")
    with pytest.raises(InvalidInput):
        rates(db, shop, "2028-03-01", "2028-03-31", tenures=("forever",))
    plan_id = factories.plan(db, "solo", 4900)
    customer = factories.customer(db, "c@example.com", plan_id, now=NOW)
    user = auth.sign_in(db, customer.email, factories.PASSWORD, now=NOW).user
    with pytest.raises(NotAuthorized):
        analytics.churn_rates(db, user, Filters(), today=NOW.date())


# --- against a count over the subscriptions themselves ------------------------------------------


def count(rows, filters: Filters, first: dt.date, last: dt.date) -> tuple[int, int, int, int]:
    """The definitions, applied row by row to (plan, country, created_at, started_at, ended_on,
    interval, price) read back from the database: the base on `first`, what of it ended by
    `last`."""
    base = mrr = churned = churned_mrr = 0
    for plan, country, created, started, ended_on, interval, price in rows:
        if (filters.plans and plan not in filters.plans) or (
            filters.countries and country not in filters.countries
        ):
            continue
        if filters.tenures and tenure_band(created, first) not in filters.tenures:
            continue
        if started >= dt.datetime.combine(first, dt.time(), UTC):
            continue
        if ended_on is not None and ended_on < first:
            continue
        cents = billing.monthly_equivalent_cents(price, interval)
        base, mrr = base + 1, mrr + cents
        if ended_on is not None and ended_on <= last:
            churned, churned_mrr = churned + 1, churned_mrr + cents
    return base, mrr, churned, churned_mrr


def brute_force(rows, filters: Filters) -> dict:
    start, end = filters.start, filters.end
    trend, day = [], start
    while day <= end:
        after = dt.date(day.year + day.month // 12, day.month % 12 + 1, 1)
        trend.append(count(rows, filters, day, min(after - dt.timedelta(days=1), end)))
        day = after
    by_plan = {p: count([r for r in rows if r[0] == p], filters, start, end) for p in PLANS}
    by_country = {c: count([r for r in rows if r[1] == c], filters, start, end) for c in COUNTRIES}
    return {
        "overall": count(rows, filters, start, end),
        "trend": trend,
        "by_plan": {k: v for k, v in by_plan.items() if v[0]},
        "by_country": {k: v for k, v in by_country.items() if v[0]},
    }


PLANS = {"starter": 9900, "growth": 24900, "pro": 49900}
COUNTRIES = ("IT", "DE", "FR", "ES")


def test_churn_rates_equal_a_count_over_the_subscriptions_for_many_ranges(db):
    rng = random.Random(16)
    plans = {code: factories.plan(db, code, cents) for code, cents in PLANS.items()}
    countries = COUNTRIES
    first, span = dt.datetime(2026, 1, 1, tzinfo=UTC), 3 * 365 * 24 * 3600
    with db.transaction() as s:
        for _ in range(200):
            created = first + dt.timedelta(seconds=rng.randrange(span))
            started = created + dt.timedelta(seconds=rng.choice((0, 0, rng.randrange(90 * 86400))))
            interval = rng.choice(("month", "month", "year"))
            price = rng.choice((9900, 24900, 49900, 249006, 238800, 12345))
            ended = None
            status = rng.choice(("active", "paused", "cancellation_scheduled", "ended", "purged"))
            if status in ("ended", "purged"):
                ended = started.date() + dt.timedelta(days=rng.randrange(1, 700))
            add_subscription(
                s,
                plans,
                plan=rng.choice(tuple(plans)),
                country=rng.choice(countries),
                created=created,
                started=started,
                interval=interval,
                price=price,
                status=status,
                ended_on=ended,
            )
        # a few on the edges: started at midnight, ended on a month's first day
        for day in ("2027-03-01", "2027-04-01", "2028-02-29"):
            add_subscription(
                s, plans, plan="pro", country="IT", created=at(f"{day}T00:00"),
                status="ended", ended_on=d(day) + dt.timedelta(days=31),
            )  # fmt: skip
    boss = admin(db)
    with db.transaction() as s:
        rows = s.execute(
            select(
                Plan.code,
                Account.country,
                Account.created_at,
                Subscription.started_at,
                Subscription.ended_on,
                Subscription.billing_interval,
                Subscription.price_cents,
            )
            .join(Plan, Plan.id == Subscription.plan_id)
            .join(Account, Account.id == Subscription.account_id)
        ).all()
    assert len(rows) == 203
    churned_somewhere = 0
    for i in range(30):
        a = dt.date(2026, 1, 1) + dt.timedelta(days=rng.randrange(3 * 365))
        b = a + dt.timedelta(days=rng.choice((0, 1, 14, 30, 31, rng.randrange(400))))
        a = a.replace(day=1) if i % 5 == 0 else a  # some ranges start on the 1st
        filters = Filters(
            a,
            b,
            plans=tuple(rng.sample(tuple(plans), rng.choice((0, 0, 1, 2)))),
            countries=tuple(rng.sample(countries, rng.choice((0, 0, 1, 3)))),
            tenures=tuple(rng.sample(TENURE_BANDS, rng.choice((0, 0, 1, 2)))),
        )
        got = analytics.churn_rates(db, boss, filters, today=NOW.date())
        want = brute_force(rows, filters)
        assert figures(got.overall) == want["overall"], filters
        assert [figures(c) for c in got.trend] == want["trend"], filters
        assert {k: figures(c) for k, c in got.by_plan} == want["by_plan"], filters
        assert {k: figures(c) for k, c in got.by_country} == want["by_country"], filters
        assert sum(c.base for _, c in got.by_plan) == got.overall.base
        churned_somewhere += got.overall.churned
    assert churned_somewhere > 30  # the ranges do see churn (the test can fail)
