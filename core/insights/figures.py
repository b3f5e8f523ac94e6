"""The insights page's figures and charts' data, from the running totals (`totals`): headline
figures, reasons, their trend, the funnel, satisfaction, custom-plan interest and requested
prices, and completed cancellations and saves by plan and by tenure band."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.identity.auth import CurrentUser, require_admin
from core.insights import totals as running
from core.insights.buckets import GRANULARITIES, buckets
from core.insights.filters import Filters, check
from core.platform.db import Database
from core.platform.errors import InvalidInput
from core.platform.models import PRICE_COUNTS, PRICE_LOWS, InsightPrice, Plan
from core.rules.vocabulary import FUNNEL, REASONS, SAVED_OUTCOMES, TENURE_BANDS

SAVED = SAVED_OUTCOMES
# The funnel is `core.rules.vocabulary.FUNNEL`, in order: each stage counts the flows that
# reached it at least once (a flow keeps the stages it reached in `CancellationFlow.stages`).
# requested prices' buckets: $98-124.99, then $125-149.99, ... in steps of $25, and one for $500
# and more (core.platform.models.PRICE_LOWS, the columns of InsightPrice)
PRICE_FROM_CENTS, PRICE_FIRST_EDGE_CENTS, PRICE_TOP_CENTS = PRICE_LOWS[0], PRICE_LOWS[1], 50000
PRICE_STEP_CENTS = PRICE_LOWS[2] - PRICE_LOWS[1]
assert PRICE_LOWS[-1] == PRICE_TOP_CENTS
SAT_SCORES = range(1, 6)


def _ratio(part: int, whole: int) -> float | None:
    return part / whole if whole else None


@dataclass(frozen=True)
class Figures:
    started: int
    completed: int  # cancellations that stand (outcome "completed")
    saved_kept: int
    saved_offer: int
    undone: int  # completed, then undone by support
    abandoned: int
    answered: int  # surveys answered
    skipped: int  # surveys skipped
    revenue_lost_cents: int
    revenue_saved_cents: int
    revenue_undone_cents: int

    @property
    def saved(self) -> int:
        return self.saved_kept + self.saved_offer

    @property
    def save_rate(self) -> float | None:
        """saved / (saved + completed); None when there is neither."""
        return _ratio(self.saved, self.saved + self.completed)

    @property
    def response_rate(self) -> float | None:
        """answered / (answered + skipped); None when nobody reached the survey."""
        return _ratio(self.answered, self.answered + self.skipped)


@dataclass(frozen=True)
class TrendPoint:
    bucket: dt.date  # first day of the week (Monday) or month
    reason: str
    count: int


@dataclass(frozen=True)
class Trend:
    granularity: str
    buckets: tuple[dt.date, ...]  # every week/month of the range, empty ones too
    points: tuple[TrendPoint, ...]


@dataclass(frozen=True)
class OfferInterest:
    shown: int
    opened: int  # configurator opened
    requested: int  # custom plan requested


@dataclass(frozen=True)
class PriceBucket:
    low_cents: int
    high_cents: int | None  # excluded; None for the open top bucket
    reason: str | None  # None: the survey was skipped or named no reason
    count: int


@dataclass(frozen=True)
class GroupCounts:
    """Completed cancellations and saves of one plan or one tenure band."""

    key: str
    label: str  # the plan's name (plans table); for tenure bands the band code
    completed: int
    saved: int


@dataclass(frozen=True)
class Insights:
    filters: Filters
    figures: Figures
    reasons: tuple[tuple[str, int], ...]  # (reason, answers), most frequent first
    trend: Trend
    funnel: tuple[tuple[str, int], ...]  # (stage, flows) in FUNNEL order
    satisfaction: tuple[tuple[int, int], ...]  # (1..5, answers)
    offers: OfferInterest
    prices: tuple[PriceBucket, ...]
    by_plan: tuple[GroupCounts, ...]
    by_tenure: tuple[GroupCounts, ...]


# --- from the totals -------------------------------------------------------------------------


def _figures(totals: running.Totals) -> Figures:
    n = totals.sums
    return Figures(
        started=n["flows"],
        completed=n["completed"],
        saved_kept=n["saved_kept"],
        saved_offer=n["saved_offer"],
        undone=n["undone"],
        abandoned=n["abandoned"],
        answered=n["answered"],
        skipped=n["skipped"],
        revenue_lost_cents=n["revenue_lost_cents"],
        revenue_saved_cents=n["revenue_saved_cents"],
        revenue_undone_cents=n["revenue_undone_cents"],
    )


def _reasons(totals: running.Totals) -> tuple[tuple[str, int], ...]:
    order = {r: i for i, r in enumerate(REASONS)}
    ranked = sorted(
        totals.reasons.items(), key=lambda r: (-r[1], order.get(r[0], len(order)), r[0])
    )
    return tuple(ranked)


def _trend(totals: running.Totals, filters: Filters, granularity: str) -> Trend:
    """Answered surveys per reason and week (Monday, UTC) or month the flow started; every
    bucket of the range is listed, empty ones too."""
    points = tuple(
        TrendPoint(day, reason, n) for (day, reason), n in sorted(totals.trend.items()) if n
    )
    days = [p.bucket for p in points]
    first = filters.start or (min(days) if days else None)
    last = filters.end or (max(days) if days else None)
    listed = buckets(first, last, granularity) if first and last else ()
    return Trend(granularity, listed, points)


def _funnel(totals: running.Totals) -> tuple[tuple[str, int], ...]:
    return tuple((stage, totals.sums[f"stage_{i}"]) for i, (stage, _steps) in enumerate(FUNNEL))


def _satisfaction(totals: running.Totals) -> tuple[tuple[int, int], ...]:
    return tuple((score, totals.sums[f"satisfaction_{score}"]) for score in SAT_SCORES)


def _offers(totals: running.Totals) -> OfferInterest:
    n = totals.sums
    return OfferInterest(n["offer_shown"], n["offer_opened"], n["offer_requested"])


def _prices(s: Session, scope: running.Scope | None) -> tuple[PriceBucket, ...]:
    """Requested monthly prices in buckets, by survey reason, from their running totals."""
    if scope is None:
        return ()
    P = InsightPrice
    columns = [getattr(P, name) for name in PRICE_COUNTS]
    rows = s.connection().execute(
        select(P.reason, *(func.sum(c) for c in columns)).where(*scope.where(P)).group_by(P.reason)
    )
    out = []
    for reason, *counts in rows:
        for i, n in enumerate(counts):
            if n:
                out.append((i, reason or None, int(n)))
    found = []
    for i, reason, n in sorted(out, key=lambda b: (b[0], b[1] is None, b[1] or "")):
        high = PRICE_LOWS[i + 1] if i + 1 < len(PRICE_LOWS) else None
        found.append(PriceBucket(PRICE_LOWS[i], high, reason, n))
    return tuple(found)


def _by_plan(s: Session, totals: running.Totals) -> tuple[GroupCounts, ...]:
    if not totals.plans:
        return ()
    plans = {
        code: (name, price)
        for code, name, price in s.execute(
            select(Plan.code, Plan.name, Plan.monthly_price_cents).where(
                Plan.code.in_(sorted(totals.plans))
            )
        )
    }

    def order(code: str) -> tuple[bool, int, str]:
        price = plans[code][1] if code in plans else None
        return (price is None, price or 0, code)

    return tuple(
        GroupCounts(code, plans[code][0] if code in plans else code, *totals.plans[code])
        for code in sorted(totals.plans, key=order)
    )


def _by_tenure(totals: running.Totals) -> tuple[GroupCounts, ...]:
    rows = totals.tenures
    bands = [b for b in TENURE_BANDS if b in rows] + sorted(set(rows) - set(TENURE_BANDS))
    return tuple(GroupCounts(b, b, *rows[b]) for b in bands)


# --- use cases -------------------------------------------------------------------------------


def insights(
    db: Database, actor: CurrentUser | None, filters: Filters, granularity: str = "month"
) -> Insights:
    """Every figure and chart of the insights page for these filters, in one read."""
    require_admin(actor)
    filters = check(filters)
    if granularity not in GRANULARITIES:
        raise InvalidInput()
    with db.transaction() as s:
        totals = running.read(s, filters, granularity)
        return Insights(
            filters=filters,
            figures=_figures(totals),
            reasons=_reasons(totals),
            trend=_trend(totals, filters, granularity),
            funnel=_funnel(totals),
            satisfaction=_satisfaction(totals),
            offers=_offers(totals),
            prices=_prices(s, totals.scope),
            by_plan=_by_plan(s, totals),
            by_tenure=_by_tenure(totals),
        )


def figures(db: Database, actor: CurrentUser | None, filters: Filters) -> Figures:
    """Only the headline figures."""
    require_admin(actor)
    filters = check(filters)
    with db.transaction() as s:
        return _figures(running.read(s, filters, "month"))
