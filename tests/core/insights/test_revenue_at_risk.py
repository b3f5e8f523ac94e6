"""Revenue at risk through `core.insights.analytics`, on SQLite and PostgreSQL, with the real
cancellation flow, support's undo and reactivation and the lifecycle job: what is scheduled
and not yet effective, its monthly revenue and the days it takes effect; the churn rates count
the subscriptions the lifecycle ends (and not the ones support brings back)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select, update

from core import support_desk
from core.identity import auth
from core.insights import analytics
from core.insights.analytics import AtRiskAccount, Filters
from core.jobs import lifecycle
from core.platform.config import Settings
from core.platform.errors import InvalidInput, NotAuthorized
from core.platform.models import Account, Plan, Subscription
from core.retention import cancellation
from core.retention.cancellation import Consents
from tests.support import factories
from tests.support.env import NOW

ALL = Consents(lists=True, campaigns=True, reports=True, account=True)
TODAY = NOW.date()  # 2026-11-26
DEC_10, DEC_17, MAR_10 = dt.date(2026, 12, 10), dt.date(2026, 12, 17), dt.date(2027, 3, 10)
CAROL_MONTHLY = 20750  # a year of growth billed yearly: 249000 / 12


def d(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


def on(day: dt.date, hour: int = 6) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), dt.UTC)


@pytest.fixture
def shop(db):
    """Alice (Acme Srl, since 10 March 2026: cycle 10 November - 10 December) and Bob (Bob Ltd,
    since 17 October: cycle to 17 December) on growth monthly, Carol (Carol GmbH, Germany) on
    growth yearly (cycle to 10 March 2027); each confirms a cancellation today through the
    real flow."""
    _, users = factories.shop(db, now=NOW, start=d("2026-03-10"), with_bob=True)
    with db.transaction() as s:
        growth = s.scalar(select(Plan.id).where(Plan.code == "growth"))
    carol = factories.customer(
        db,
        "carol@example.com",
        growth,
        now=NOW,
        start=d("2026-03-10"),
        interval="year",
        company="Carol GmbH",
    )
    with db.transaction() as s:
        s.execute(update(Account).where(Account.id == carol.account_id).values(country="DE"))
    users["carol"] = auth.sign_in(db, "carol@example.com", factories.PASSWORD, now=NOW).user
    with db.transaction() as s:
        ids = dict(s.execute(select(Account.company, Account.id)).all())
    effective = {}
    for who in ("alice", "bob", "carol"):
        flow = cancellation.start(db, users[who], now=NOW)
        cancellation.answer_survey(db, users[who], flow.flow_id, None, now=NOW)
        cancellation.go_on(db, users[who], flow.flow_id, now=NOW)
        done = cancellation.confirm(db, users[who], flow.flow_id, ALL, now=NOW)
        effective[who] = done.dates.effective_on
    assert effective == {"alice": DEC_10, "bob": DEC_17, "carol": MAR_10}
    return ids, users


def at_risk(db, users, filters=None, **kw):
    return analytics.revenue_at_risk(db, users["boss"], filters or Filters(), **kw)


def test_the_scheduled_cancellations_their_monthly_revenue_and_their_days(db, shop):
    ids, users = shop
    got = at_risk(db, users, today=TODAY)
    assert (got.today, got.count, got.monthly_cents) == (TODAY, 3, 24900 + 24900 + CAROL_MONTHLY)
    assert got.by_day == ((DEC_10, 1, 24900), (DEC_17, 1, 24900), (MAR_10, 1, CAROL_MONTHLY))
    assert got.accounts == (
        AtRiskAccount(ids["Acme Srl"], "Acme Srl", "growth", "IT", 24900, DEC_10),
        AtRiskAccount(ids["Bob Ltd"], "Bob Ltd", "growth", "IT", 24900, DEC_17),
        AtRiskAccount(ids["Carol GmbH"], "Carol GmbH", "growth", "DE", CAROL_MONTHLY, MAR_10),
    )
    # the flows recorded the same days
    assert cancellation.scheduled(db, users["carol"]).dates.effective_on == MAR_10
    # at most `limit` accounts, the figures count them all
    few = at_risk(db, users, today=TODAY, limit=1)
    assert (few.count, [a.company for a in few.accounts]) == (3, ["Acme Srl"])


def test_plan_country_and_tenure_filters_apply_and_dates_do_not(db, shop):
    _, users = shop
    assert at_risk(db, users, Filters(countries=("DE",)), today=TODAY).monthly_cents == 20750
    assert at_risk(db, users, Filters(plans=("growth",)), today=TODAY).count == 3
    assert at_risk(db, users, Filters(plans=("pro",)), today=TODAY).count == 0
    # the accounts were made 40 days before today: under 6 months old
    assert at_risk(db, users, Filters(tenures=("<6m",)), today=TODAY).count == 3
    assert at_risk(db, users, Filters(tenures=("6-12m", "2y+")), today=TODAY).count == 0
    # ... and 6 months old on 1 April 2027 (created in October 2026)
    assert at_risk(db, users, Filters(tenures=("6-12m",)), today=d("2027-04-01")).count == 3
    long_ago = Filters(d("2020-01-01"), d("2020-01-31"))
    assert at_risk(db, users, long_ago, today=TODAY).count == 3


def test_an_undo_takes_it_off_and_the_lifecycle_ending_it_too(db, shop):
    ids, users = shop
    support_desk.undo(db, users["boss"], ids["Acme Srl"], now=NOW + dt.timedelta(hours=1))
    got = at_risk(db, users, today=TODAY)
    assert (got.count, got.monthly_cents) == (2, 24900 + CAROL_MONTHLY)
    assert [a.company for a in got.accounts] == ["Bob Ltd", "Carol GmbH"]

    # 17 December: Bob's cycle is over, his subscription ends; Alice's renews
    run = lifecycle.run(db, DEC_17, now=on(DEC_17), settings=Settings())
    assert run.ended == [ids["Bob Ltd"]]
    got = at_risk(db, users, today=DEC_17)
    assert (got.count, got.monthly_cents, got.by_day) == (
        1,
        CAROL_MONTHLY,
        ((MAR_10, 1, CAROL_MONTHLY),),
    )
    # ... and the churn rates count it: December's base is the three of them, Bob left
    december = analytics.churn_rates(
        db, users["boss"], Filters(d("2026-12-01"), d("2026-12-31")), today=d("2026-12-31")
    )
    o = december.overall
    assert (o.base, o.base_mrr_cents, o.churned, o.churned_mrr_cents) == (
        3,
        49800 + CAROL_MONTHLY,
        1,
        24900,
    )
    assert o.customer_rate == pytest.approx(1 / 3)
    november = analytics.churn_rates(
        db, users["boss"], Filters(d("2026-11-01"), d("2026-11-30")), today=d("2026-12-31")
    )
    assert november.overall.churned == 0  # scheduled in November is at risk, not churn

    # 10 March 2027: Carol's year is over; nothing is at risk any more; Bob is purged (on 17
    # February, two months after his end) and still counts in December
    lifecycle.run(db, MAR_10, now=on(MAR_10), settings=Settings())
    assert at_risk(db, users, today=MAR_10).count == 0
    with db.transaction() as s:
        statuses = dict(s.execute(select(Subscription.account_id, Subscription.status)).all())
    assert statuses[ids["Bob Ltd"]] == "purged"
    assert statuses[ids["Carol GmbH"]] == "ended"
    again = analytics.churn_rates(
        db, users["boss"], Filters(d("2026-12-01"), d("2026-12-31")), today=MAR_10
    )
    assert (again.overall.base, again.overall.churned) == (3, 1)
    march = analytics.churn_rates(
        db, users["boss"], Filters(d("2027-03-01"), d("2027-03-31")), today=MAR_10
    )
    o = march.overall
    assert (o.base, o.churned, o.churned_mrr_cents) == (2, 1, CAROL_MONTHLY)  # Alice, Carol


def test_a_reactivated_subscription_is_no_longer_churned(db, shop):
    ids, users = shop
    lifecycle.run(db, DEC_17, now=on(DEC_17), settings=Settings())
    december = Filters(d("2026-12-01"), d("2026-12-31"))
    assert analytics.churn_rates(db, users["boss"], december, today=DEC_17).overall.churned == 2
    support_desk.reactivate(
        db, users["boss"], ids["Bob Ltd"], now=on(d("2026-12-20")), settings=Settings()
    )
    got = analytics.churn_rates(db, users["boss"], december, today=d("2026-12-20")).overall
    assert (got.base, got.churned, got.churned_mrr_cents) == (3, 1, 24900)  # Alice only
    assert at_risk(db, users, today=d("2026-12-20")).count == 1  # Carol


def test_bad_input_and_customers_are_refused(db, shop):
    _, users = shop
    with pytest.raises(InvalidInput):
        at_risk(db, users, Filters(d("2026-12-31"), d("2026-12-01")), today=TODAY)
    with pytest.raises(InvalidInput):
        at_risk(db, users, Filters(tenures=("ages",)), today=TODAY)
    with pytest.raises(InvalidInput):
        at_risk(db, users, today=TODAY, limit=-1)
    with pytest.raises(NotAuthorized):
        analytics.revenue_at_risk(db, users["alice"], Filters(), today=TODAY)
