"""Revenue at risk: the scheduled cancellations not yet effective (status
`cancellation_scheduled`), their monthly revenue, the days they take effect and the accounts
behind them. A state of today, not of the date range: the plan, country and tenure filters
apply, the dates do not."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import ColumnElement, select

from core.identity.auth import CurrentUser, require_admin
from core.insights.filters import Filters, check
from core.platform import clock
from core.platform.db import Database
from core.platform.errors import InvalidInput
from core.platform.models import Account, Plan, Subscription
from core.rules import billing
from core.rules.vocabulary import STATUS_SCHEDULED, tenure_band

AT_RISK_LIMIT = 200  # accounts listed at most (the figures count them all)


@dataclass(frozen=True)
class AtRiskAccount:
    account_id: int
    company: str
    plan_code: str
    country: str
    monthly_cents: int
    effective_on: dt.date  # the first day without the subscription (its cycle's end)


@dataclass(frozen=True)
class RevenueAtRisk:
    today: dt.date
    count: int  # scheduled cancellations in scope
    monthly_cents: int  # their monthly revenue
    by_day: tuple[tuple[dt.date, int, int], ...]  # (effective day, subscriptions, cents), by day
    accounts: tuple[AtRiskAccount, ...]  # soonest first (then company), at most `limit`


def revenue_at_risk(
    db: Database,
    actor: CurrentUser | None,
    filters: Filters,
    *,
    today: dt.date | None = None,
    limit: int = AT_RISK_LIMIT,
) -> RevenueAtRisk:
    """The subscriptions whose cancellation is scheduled today (status
    `cancellation_scheduled`: the customer confirmed it, neither they nor support took it
    back, and the lifecycle job has not ended it yet), of the chosen plans, countries and tenure
    bands (the account's age today). Each takes effect on its `current_period_end`, the day the
    cancellation recorded as the flow's `effective_on` (the end of the cycle it was confirmed
    in, or of the pause it was confirmed during) and the day the lifecycle job ends it. Monthly
    revenue: `billing.monthly_equivalent_cents` of its price. The date range is ignored: this
    is money still here today. Scheduled cancellations are few (at most a cycle's worth): one
    statement reads them, the tenure band is worked out here."""
    require_admin(actor)
    filters = check(filters)
    today = today or clock.today()
    if not isinstance(limit, int) or limit < 0:
        raise InvalidInput()
    S = Subscription
    where: list[ColumnElement[bool]] = [S.status == STATUS_SCHEDULED]
    if filters.plans:
        where.append(Plan.code.in_(filters.plans))
    if filters.countries:
        where.append(Account.country.in_(filters.countries))
    with db.transaction() as s:
        rows = (
            s.connection()
            .execute(
                select(
                    Account.id,
                    Account.company,
                    Account.country,
                    Account.created_at,
                    Plan.code,
                    S.billing_interval,
                    S.price_cents,
                    S.current_period_end,
                )
                .join(Plan, Plan.id == S.plan_id)
                .join(Account, Account.id == S.account_id)
                .where(*where)
            )
            .all()
        )
    accounts = sorted(
        (
            AtRiskAccount(
                account_id=row.id,
                company=row.company,
                plan_code=row.code,
                country=row.country,
                monthly_cents=billing.monthly_equivalent_cents(
                    row.price_cents, row.billing_interval
                ),
                effective_on=row.current_period_end,
            )
            for row in rows
            if not filters.tenures or tenure_band(row.created_at, today) in filters.tenures
        ),
        key=lambda a: (a.effective_on, a.company, a.account_id),
    )
    days: dict[dt.date, list[int]] = {}
    for account in accounts:
        day = days.setdefault(account.effective_on, [0, 0])
        day[0] += 1
        day[1] += account.monthly_cents
    return RevenueAtRisk(
        today=today,
        count=len(accounts),
        monthly_cents=sum(a.monthly_cents for a in accounts),
        by_day=tuple((day, n, cents) for day, (n, cents) in sorted(days.items())),
        accounts=tuple(accounts[:limit]),
    )
