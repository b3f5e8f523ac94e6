"""Subscriptions by their status today, for the insights page: of the filtered plans,
countries and tenure bands, that ran at some time in the filter's date range."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import ColumnElement, and_, func, or_, select

from core.identity.auth import CurrentUser, require_admin
from core.insights.buckets import utc_midnight
from core.insights.filters import Filters, check
from core.platform import clock
from core.platform.db import Database
from core.platform.models import Account, Plan, Subscription
from core.rules import billing
from core.rules.vocabulary import SUBSCRIPTION_STATUSES


def _month_start(day: dt.date, months_back: int) -> dt.datetime:
    """Midnight UTC of the first day of the month `months_back` months before `day`'s."""
    return utc_midnight(billing.add_months(day.replace(day=1), -months_back))


def _tenure_where(bands: Sequence[str], at: dt.date) -> ColumnElement[bool]:
    """Accounts whose time as a customer on `at` falls in one of the bands, as
    `core.rules.vocabulary.tenure_band` counts it (calendar months: under 6, 6-11, 12-23, 24
    or more), as ranges of `Account.created_at`: an index range each, no per-row arithmetic."""
    six, twelve, twenty_four = (_month_start(at, n) for n in (5, 11, 23))
    created = Account.created_at
    ranges = {
        "<6m": created >= six,
        "6-12m": and_(created >= twelve, created < six),
        "1-2y": and_(created >= twenty_four, created < twelve),
        "2y+": created < twenty_four,
    }
    return or_(*(ranges[band] for band in bands))


def subscriptions_by_status(
    db: Database,
    actor: CurrentUser | None,
    filters: Filters,
    *,
    today: dt.date | None = None,
) -> dict[str, int]:
    """Subscriptions by their status today, of the chosen plans, countries and tenure bands,
    that ran at some time in the date range (started by its end, not ended before its start).
    Tenure is the time as a customer on the range's last day (today at the latest). Every
    status is present, zeros included. One GROUP BY over the subscriptions."""
    require_admin(actor)
    filters = check(filters)
    today = today or clock.today()
    where: list[ColumnElement[bool]] = []
    if filters.plans:
        where.append(Plan.code.in_(filters.plans))
    if filters.countries:
        where.append(Account.country.in_(filters.countries))
    if filters.tenures:
        where.append(_tenure_where(filters.tenures, min(filters.end or today, today)))
    if filters.end:
        where.append(Subscription.started_at < utc_midnight(filters.end + dt.timedelta(days=1)))
    if filters.start:
        where.append(or_(Subscription.ended_on.is_(None), Subscription.ended_on >= filters.start))
    with db.transaction() as s:
        rows = s.connection().execute(
            select(Subscription.status, func.count())
            .join(Plan, Plan.id == Subscription.plan_id)
            .join(Account, Account.id == Subscription.account_id)
            .where(*where)
            .group_by(Subscription.status)
        )
        counts = dict.fromkeys(SUBSCRIPTION_STATUSES, 0)
        counts.update({status: int(n) for status, n in rows})
    return counts
