"""Churn rates against the base: of the subscriptions active at the start of a period (the
base), how many ended in it, and what share of the monthly recurring revenue (MRR) they were;
for the whole range, per plan, per country and per calendar month. Read from `subscriptions`
(with the account's country), which outlive a purge."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Row, Select, case, func, literal_column, or_, select

from core.identity.auth import CurrentUser, require_admin
from core.insights.buckets import utc_midnight
from core.insights.filters import Filters, check
from core.platform import clock
from core.platform.db import Database
from core.platform.models import Account, Plan, Subscription
from core.rules import billing
from core.rules.vocabulary import tenure_band


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
    of each period) over the filter's date range (open ends: the first subscription, today).

    What counts, for a period `start`..`end` (UTC days, both included):
    - the base: subscriptions with `started_at` before `start`'s UTC midnight and `ended_on`
      NULL or on/after `start`, whatever their status today (active, paused, cancellation
      scheduled, ended, purged: purged rows keep their plan, country, dates and price);
    - churned: those of the base whose `ended_on` falls in `start`..`end`. `ended_on` is set
      only by the lifecycle job when a scheduled cancellation's cycle is over (`ended_on` = that
      cycle's end, the first day without the subscription) and kept by the purge; a support
      reactivation clears it (one row per account: the reactivated subscription is in the base
      again and not churned), an undone or resumed cancellation never had one. A cancellation
      scheduled but not yet effective is not churn (see `at_risk`);
    - monthly revenue: `billing.monthly_equivalent_cents(price_cents, billing_interval)` of the
      subscription's price today (a yearly price counts a twelfth);
    - plan: the subscription's plan's code today; country: its account's; tenure band:
      `tenure_band(account.created_at, start)` of the period (each month of the trend its own).

    One GROUP BY over the subscriptions (joined to plans and accounts): each row is placed by
    CASE against the periods' first days (which month's base it joins, which month it ended
    in) and, with a tenure filter, against the month starts where a band changes; the sums
    over the groups are done here."""
    require_admin(actor)
    filters = check(filters)
    today = today or clock.today()
    with db.transaction() as s:
        conn = s.connection()
        end = filters.end or today
        start = filters.start
        if start is None:
            first = conn.scalar(select(func.min(Subscription.started_at)))
            start = min(first.date(), end) if first else end
        end = max(end, start)  # an open end before a start in the future: that day alone
        periods = months(start, end)
        rows = conn.execute(_statement(filters, periods)).all()
    return _rates(filters, periods, rows)


def months(start: dt.date, end: dt.date) -> tuple[tuple[dt.date, dt.date], ...]:
    """The calendar months of `start`..`end`, the first and the last cut to it: (first day,
    last day) each."""
    out = []
    day = start
    while day <= end:
        after = billing.add_months(day.replace(day=1), 1)
        out.append((day, min(after - dt.timedelta(days=1), end)))
        day = after
    return tuple(out)


_BAND_MONTHS = (5, 11, 23)  # a tenure band changes at these calendar months of age


def _band_edges(starts: Sequence[dt.date]) -> list[dt.datetime]:
    """The month starts at which an account's tenure band on one of `starts` changes, in order
    (as `core.insights.status_counts` filters them: created on or after the first day of the
    month 5 months back is under 6 months old, and so on)."""
    edges = {
        utc_midnight(billing.add_months(day.replace(day=1), -n))
        for day in starts
        for n in _BAND_MONTHS
    }
    return sorted(edges)


def _n(value: int) -> ColumnElement[Any]:
    """A small integer written into the statement, not bound: the CASE below is then the same
    expression wherever the database meets it."""
    return literal_column(str(int(value)))


def _statement(filters: Filters, periods: Sequence[tuple[dt.date, dt.date]]) -> Select[Any]:
    """Subscriptions counted by plan, country, price and where they fall among the periods:
    `joined_in`, the first period whose base has them (started before its first day);
    `ended_in`, the period their `ended_on` falls in (one past the last: not ended in the
    range); with a tenure filter, `created_in`, the slot of the account's creation between two
    of `_band_edges`. Grouped by the labels, so the CASEs are worked out once a row."""
    S = Subscription
    starts = [first for first, _ in periods]
    last = len(periods) - 1
    end = periods[-1][1]
    joined = case(
        *((S.started_at < utc_midnight(day), _n(i)) for i, day in enumerate(starts)),
        else_=_n(len(starts)),
    )
    ended = case(
        (S.ended_on.is_(None), _n(last + 1)),
        *((S.ended_on < day, _n(i)) for i, day in enumerate(starts[1:])),
        (S.ended_on <= end, _n(last)),
        else_=_n(last + 1),
    )
    columns: list[ColumnElement[Any]] = [
        Plan.code,
        Plan.monthly_price_cents,
        Account.country,
        S.billing_interval,
        S.price_cents,
    ]
    slots = [joined.label("joined_in"), ended.label("ended_in")]
    if filters.tenures:
        edges = _band_edges(starts)
        created = case(
            *((Account.created_at < edge, _n(i)) for i, edge in enumerate(edges)),
            else_=_n(len(edges)),
        )
        slots.append(created.label("created_in"))
    where: list[ColumnElement[bool]] = [
        S.started_at < utc_midnight(starts[-1]),
        or_(S.ended_on.is_(None), S.ended_on >= starts[0]),
    ]
    if filters.plans:
        where.append(Plan.code.in_(filters.plans))
    if filters.countries:
        where.append(Account.country.in_(filters.countries))
    return (
        select(*columns, *slots, func.count().label("n"))
        .join(Plan, Plan.id == S.plan_id)
        .join(Account, Account.id == S.account_id)
        .where(*where)
        .group_by(*columns, *(literal_column(slot.name) for slot in slots))
    )


class _Sums:
    __slots__ = ("base", "base_mrr", "churned", "churned_mrr")

    def __init__(self) -> None:
        self.base = self.base_mrr = self.churned = self.churned_mrr = 0

    def add(self, n: int, cents: int, churned: bool) -> None:
        self.base += n
        self.base_mrr += cents
        if churned:
            self.churned += n
            self.churned_mrr += cents

    def churn(self, start: dt.date, end: dt.date) -> Churn:
        return Churn(start, end, self.base, self.base_mrr, self.churned, self.churned_mrr)


def _rates(
    filters: Filters,
    periods: Sequence[tuple[dt.date, dt.date]],
    rows: Sequence[Row[Any]],
) -> ChurnRates:
    starts = [first for first, _ in periods]
    last = len(periods) - 1
    overall, trend = _Sums(), [_Sums() for _ in periods]
    plans: dict[str, _Sums] = {}
    prices: dict[str, int] = {}
    countries: dict[str, _Sums] = {}
    edges = _band_edges(starts) if filters.tenures else []
    everyone = [True] * len(periods)
    chosen: dict[int, list[bool]] = {}

    def in_bands(created: int) -> list[bool]:
        """For accounts created in the slot `created` (between two of `edges`): whether they
        are in one of the chosen bands on the first day of each period. The slot's first month
        decides: no band changes inside a slot."""
        if not filters.tenures:
            return everyone
        if created not in chosen:
            since = edges[created - 1] if created else dt.date(1, 1, 1)
            chosen[created] = [tenure_band(since, day) in filters.tenures for day in starts]
        return chosen[created]

    for row in rows:
        n = int(row.n)
        cents = n * billing.monthly_equivalent_cents(int(row.price_cents), row.billing_interval)
        joined, ended = int(row.joined_in), int(row.ended_in)
        counted = in_bands(int(row.created_in) if filters.tenures else 0)
        if joined == 0 and counted[0]:
            gone = ended <= last
            overall.add(n, cents, gone)
            plans.setdefault(row.code, _Sums()).add(n, cents, gone)
            prices[row.code] = int(row.monthly_price_cents)
            countries.setdefault(row.country, _Sums()).add(n, cents, gone)
        for period in range(joined, min(ended, last) + 1):
            if counted[period]:
                trend[period].add(n, cents, ended == period)

    start, end = periods[0][0], periods[-1][1]
    return ChurnRates(
        filters=filters,
        overall=overall.churn(start, end),
        by_plan=tuple(
            (code, plans[code].churn(start, end))
            for code in sorted(plans, key=lambda c: (prices[c], c))
        ),
        by_country=tuple(
            (code, sums.churn(start, end))
            for code, sums in sorted(countries.items(), key=lambda kv: (-kv[1].base, kv[0]))
        ),
        trend=tuple(
            sums.churn(first, last_day)
            for sums, (first, last_day) in zip(trend, periods, strict=True)
        ),
    )
