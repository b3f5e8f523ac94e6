"""Subscriptions by status through `core.insights.analytics`, on SQLite and PostgreSQL: each
filter of the churn insights (plan, country, time as a customer, dates) narrows them, with the
tenure bands counted in whole calendar months as the cancellation flows count them."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import update

from core.identity import auth
from core.insights import analytics
from core.insights.analytics import Filters
from core.platform.models import Account, Subscription
from core.rules import billing, vocabulary
from tests.support import factories
from tests.support.env import NOW

TODAY = NOW.date()  # 2026-11-26


def test_each_filter_narrows_the_subscriptions_by_status(db):
    growth = factories.plan(db, "growth", 24900)
    starter = factories.plan(db, "starter", 9900)
    # (email, plan, country, created, status, ended_on)
    rows = [
        ("a@example.com", growth, "IT", dt.datetime(2026, 6, 1, tzinfo=dt.UTC), "active", None),
        ("b@example.com", starter, "ES", dt.datetime(2026, 5, 31, 23, tzinfo=dt.UTC), "active",
         None),
        ("c@example.com", growth, "ES", dt.datetime(2025, 1, 5, tzinfo=dt.UTC), "ended",
         dt.date(2026, 11, 1)),
        ("d@example.com", starter, "IT", dt.datetime(2024, 1, 5, tzinfo=dt.UTC),
         "cancellation_scheduled", None),
    ]  # fmt: skip
    for email, plan, country, created, status, ended in rows:
        made = factories.customer(db, email, plan, now=NOW)
        with db.transaction() as s:
            s.execute(
                update(Account)
                .where(Account.id == made.account_id)
                .values(country=country, created_at=created)
            )
            s.execute(
                update(Subscription)
                .where(Subscription.account_id == made.account_id)
                .values(status=status, ended_on=ended, started_at=created)
            )
    factories.admin(db, "boss@example.com", now=NOW)
    boss = auth.sign_in(db, "boss@example.com", factories.PASSWORD, now=NOW).user

    def counts(**filters) -> dict[str, int]:
        got = analytics.subscriptions_by_status(db, boss, Filters(**filters), today=TODAY)
        return {k: v for k, v in got.items() if v}

    assert counts() == {"active": 2, "ended": 1, "cancellation_scheduled": 1}
    assert counts(plans=("growth",)) == {"active": 1, "ended": 1}
    assert counts(countries=("ES",)) == {"active": 1, "ended": 1}
    # on 2026-11-26: June 1 is 5 months back (under 6), May 31 is 6 months back
    assert counts(tenures=("<6m",)) == {"active": 1}
    assert counts(tenures=("6-12m",)) == {"active": 1}
    assert counts(tenures=("1-2y",)) == {"ended": 1}
    assert counts(tenures=("2y+",)) == {"cancellation_scheduled": 1}
    assert counts(tenures=("<6m", "2y+")) == {"active": 1, "cancellation_scheduled": 1}
    # as the flows count it, at the same moment
    for created in (rows[0][3], rows[1][3], rows[2][3], rows[3][3]):
        band = vocabulary.tenure_band(created, NOW)
        assert counts(tenures=(band,)), band
    # dates: running at some time in the range
    assert counts(start=dt.date(2026, 11, 2), end=TODAY) == {
        "active": 2,
        "cancellation_scheduled": 1,
    }  # fmt: skip  (c ended on November 1)
    assert counts(end=dt.date(2025, 12, 31)) == {"ended": 1, "cancellation_scheduled": 1}
    # tenure on the range's last day: a year ago, the June account was not a customer yet
    year_ago = billing.add_months(TODAY, -12)
    assert counts(end=year_ago, tenures=("<6m",)) == {}
    assert counts(plans=("growth",), countries=("IT",), tenures=("<6m",)) == {"active": 1}
