"""Revenue at risk: the scheduled cancellations not yet effective (status
`cancellation_scheduled`), their monthly revenue, the days they take effect and the accounts
behind them. A state of today, not of the date range: the plan, country and tenure filters
apply, the dates do not."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from core.identity.auth import CurrentUser
from core.insights.filters import Filters
from core.platform.db import Database

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
    raise NotImplementedError
