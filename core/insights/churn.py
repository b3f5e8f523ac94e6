"""Churn rates against the base: of the subscriptions active at the start of a period (the
base), how many ended in it, and what share of the monthly recurring revenue (MRR) they were;
for the whole range, per plan, per country and per calendar month. Read from `subscriptions`
(with the account's country), which outlive a purge."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from core.identity.auth import CurrentUser
from core.insights.filters import Filters
from core.platform.db import Database


@dataclass(frozen=True)
class Churn:
    """One period (`start`..`end`, UTC days, both included): the base is every subscription
    active at the start of `start`; `churned` are those of the base that ended in the period
    (`ended_on` within it), with their monthly revenue."""

    start: dt.date
    end: dt.date
    base: int
    base_mrr_cents: int
    churned: int
    churned_mrr_cents: int

    @property
    def customer_rate(self) -> float | None:
        """churned / base; None without a base."""
        return self.churned / self.base if self.base else None

    @property
    def mrr_rate(self) -> float | None:
        """churned MRR / base MRR; None without a base MRR."""
        return self.churned_mrr_cents / self.base_mrr_cents if self.base_mrr_cents else None


@dataclass(frozen=True)
class ChurnRates:
    filters: Filters
    overall: Churn
    by_plan: tuple[tuple[str, Churn], ...]  # (plan code, its churn), cheapest plan first
    by_country: tuple[tuple[str, Churn], ...]  # (country code, its churn), largest base first
    trend: tuple[Churn, ...]  # one per calendar month of the range, each cut to the range


def churn_rates(
    db: Database, actor: CurrentUser | None, filters: Filters, *, today: dt.date | None = None
) -> ChurnRates:
    """The churn rates of the filtered subscriptions (plans, countries, tenure band at the start
    of each period) over the filter's date range (open ends: the first subscription, today)."""
    raise NotImplementedError
