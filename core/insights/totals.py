"""The running totals the insights are read from, added up for a filter.

The database keeps, per UTC day, week and month and per plan, country and tenure band, what
the flows that started then came to (`insight_totals`; the requested prices per reason and $25
bucket in `insight_prices`; triggers of migration 0004 keep both, whoever writes). A date range
is cut into whole months, whole weeks and single days (`buckets.cells`), each inside one bucket
of the trend; one GROUP BY over the rows of those periods (a few dozen rows per period: the
rows of all countries added up, unless countries are chosen) gives every figure and the trend,
added up in Python. Python never holds more than one row per group.

These run inside the transaction of a use case that has checked its actor.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.orm import Session

from core.insights.buckets import bucket_end, bucket_of, cells
from core.insights.filters import Filters
from core.platform.insight_tables import InsightOffer, InsightReason, InsightSave
from core.platform.models import ALL_COUNTRIES, INSIGHT_COUNTS, InsightPrice, InsightTotal

T = InsightTotal
COUNT_COLUMNS = tuple(getattr(T, name) for name in INSIGHT_COUNTS)
REASON_COUNTS = tuple(
    (name.removeprefix("reason_"), getattr(T, name))
    for name in INSIGHT_COUNTS
    if name.startswith("reason_")
)


@dataclass(frozen=True)
class Scope:
    """The periods that make up the date range (see `buckets.cells`: (grain, period) -> bucket)
    and the plans, countries and bands in scope, as conditions on a table of running totals."""

    cells: dict[tuple[str, dt.date], dt.date]
    filters: Filters

    def where(
        self,
        table: type[InsightTotal | InsightPrice | InsightSave | InsightOffer | InsightReason],
    ) -> list[ColumnElement[bool]]:
        by_grain: dict[str, list[dt.date]] = {}
        for grain, period in self.cells:
            by_grain.setdefault(grain, []).append(period)
        where: list[ColumnElement[bool]] = [
            or_(
                *(
                    and_(table.grain == grain, table.period.in_(periods))
                    for grain, periods in by_grain.items()
                )
            )
        ]
        # the rows of every country added up, unless countries are chosen (a "country" that
        # is the rows' mark for all countries matches nothing, like any unknown one)
        countries = self.filters.countries
        chosen = [c for c in countries if c != ALL_COUNTRIES]
        where.append(table.country.in_(chosen) if countries else table.country == ALL_COUNTRIES)
        if self.filters.plans:
            where.append(table.plan_code.in_(self.filters.plans))
        if self.filters.tenures:
            where.append(table.tenure_band.in_(self.filters.tenures))
        return where


@dataclass
class Totals:
    """The rows of `insight_totals` in scope, added up."""

    scope: Scope | None  # None: nothing on record in the range
    sums: dict[str, int] = field(default_factory=lambda: dict.fromkeys(INSIGHT_COUNTS, 0))
    reasons: dict[str, int] = field(default_factory=dict)  # answered surveys naming the reason
    plans: dict[str, list[int]] = field(default_factory=dict)  # plan -> [completed, saved]
    tenures: dict[str, list[int]] = field(default_factory=dict)  # band -> [completed, saved]
    # (bucket, reason) -> answered surveys
    trend: dict[tuple[dt.date, str], int] = field(default_factory=dict)


def _range(s: Session, filters: Filters, granularity: str) -> tuple[dt.date, dt.date] | None:
    """The days to count: the filter's, within the whole buckets of the first and the last day
    on record (an open end is taken to them). None when there is nothing to count."""
    days = select(T.period).where(T.grain == "d", T.country == ALL_COUNTRIES)
    low = s.scalar(days.order_by(T.period).limit(1))
    high = s.scalar(days.order_by(T.period.desc()).limit(1))
    if low is None or high is None:
        return None
    # nothing lies outside the buckets of the first and the last day on record: a range that
    # reaches beyond them reads no more periods than the data has
    earliest = bucket_of(low, granularity)
    latest = bucket_end(bucket_of(high, granularity), granularity) - dt.timedelta(days=1)
    first = max(filters.start or earliest, earliest)
    last = min(filters.end or latest, latest)
    return (first, last) if first <= last else None


def _scope(s: Session, filters: Filters, granularity: str) -> Scope | None:
    """What the filters select, or None when there is nothing on record."""
    span = _range(s, filters, granularity)
    return None if span is None else Scope(cells(*span, granularity), filters)


def scope(s: Session, filters: Filters, granularity: str = "month") -> Scope | None:
    """The periods and segment the filters select (by the flows' start), or None when there is
    nothing on record."""
    return _scope(s, filters, granularity)


def read(s: Session, filters: Filters, granularity: str) -> Totals:
    """Add up the totals of the plans, countries and tenure bands in scope over the periods
    that make up the date range: per plan and band every count, and per period the answered
    reasons (for the trend). Two GROUP BYs over the same few thousand rows at most, so Python
    adds up a few dozen."""
    scope = _scope(s, filters, granularity)
    totals = Totals(scope)
    if scope is None:
        return totals
    sums = totals.sums
    where = scope.where(T)
    conn = s.connection()  # plain rows: no ORM bookkeeping for what is only numbers
    groups = (T.plan_code, T.tenure_band)
    for plan, band, *counts in conn.execute(
        select(*groups, *(func.sum(c) for c in COUNT_COLUMNS)).where(*where).group_by(*groups)
    ):
        row = dict(zip(INSIGHT_COUNTS, (int(n or 0) for n in counts), strict=True))
        for name, n in row.items():
            sums[name] += n
        if not row["flows"]:
            continue  # no flow (any more) of this plan and band in the range
        saved = row["saved_kept"] + row["saved_offer"]
        for table, key in ((totals.plans, plan), (totals.tenures, band)):
            pair = table.setdefault(key, [0, 0])
            pair[0] += row["completed"]
            pair[1] += saved
    for reason, _column in REASON_COUNTS:
        if sums[f"reason_{reason}"]:
            totals.reasons[reason] = sums[f"reason_{reason}"]
    periods = (T.grain, T.period)
    for grain, period, *counts in conn.execute(
        select(*periods, *(func.sum(c) for _r, c in REASON_COUNTS)).where(*where).group_by(*periods)
    ):
        bucket = scope.cells[(grain, period)]
        for (reason, _column), n in zip(REASON_COUNTS, counts, strict=True):
            if n:
                key = (bucket, reason)
                totals.trend[key] = totals.trend.get(key, 0) + int(n)
    return totals


def commented(s: Session, filters: Filters) -> int:
    """How many survey answers of the filtered flows carry a comment or a follow-up."""
    scope = _scope(s, filters, "month")
    return int((scope and s.scalar(select(func.sum(T.commented)).where(*scope.where(T)))) or 0)
