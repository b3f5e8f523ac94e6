"""Cross-tabs of the churn insights: survey reasons by plan and by tenure band (answered
surveys of the filtered flows, from the running totals) and revenue lost by reason (completed
cancellations and their monthly revenue, per reason, from `insight_reasons`)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.identity.auth import CurrentUser, require_admin
from core.insights import totals as running
from core.insights.filters import Filters, check
from core.platform.db import Database
from core.platform.insight_tables import InsightReason
from core.platform.models import InsightTotal, Plan
from core.rules.vocabulary import REASONS, TENURE_BANDS

T = InsightTotal
R = InsightReason


@dataclass(frozen=True)
class CrossTab:
    """Answered surveys naming each reason (columns) per plan or tenure band (rows)."""

    rows: tuple[str, ...]  # plan codes (cheapest first) or tenure bands (in TENURE_BANDS order)
    labels: tuple[str, ...]  # the rows' names: plan names; for bands the band code
    columns: tuple[str, ...]  # reasons, in REASONS order, those that occur
    counts: tuple[tuple[int, ...], ...]  # counts[row][column]

    def row_total(self, row: int) -> int:
        return sum(self.counts[row])

    def share(self, row: int, column: int) -> float | None:
        """The cell's share of its row (None for an empty row)."""
        total = self.row_total(row)
        return self.counts[row][column] / total if total else None


@dataclass(frozen=True)
class ReasonLoss:
    reason: str | None  # None: the survey was skipped or named no reason
    completed: int  # cancellations that stand
    revenue_lost_cents: int


@dataclass(frozen=True)
class CrossTabs:
    filters: Filters
    reason_by_plan: CrossTab
    reason_by_tenure: CrossTab
    lost_by_reason: tuple[ReasonLoss, ...]  # most revenue lost first


EMPTY = CrossTab((), (), (), ())


def _plan_names(s: Session, codes: set[str]) -> list[tuple[str, str]]:
    """(code, name) of the plans, cheapest first (as the insights' "by plan" lists them); a
    code the plans table does not know (any more) comes last, named by its code."""
    plans = {
        code: (name, price)
        for code, name, price in s.execute(
            select(Plan.code, Plan.name, Plan.monthly_price_cents).where(
                Plan.code.in_(sorted(codes))
            )
        )
    }

    def order(code: str) -> tuple[bool, int, str]:
        price = plans[code][1] if code in plans else None
        return (price is None, price or 0, code)

    return [(code, plans[code][0] if code in plans else code) for code in sorted(codes, key=order)]


def _table(
    rows: list[tuple[str, str]], counts: dict[str, dict[str, int]], columns: tuple[str, ...]
) -> CrossTab:
    if not rows:
        return EMPTY
    return CrossTab(
        rows=tuple(code for code, _ in rows),
        labels=tuple(label for _, label in rows),
        columns=columns,
        counts=tuple(tuple(counts[code].get(c, 0) for c in columns) for code, _ in rows),
    )


def _tables(s: Session, scope: running.Scope) -> tuple[CrossTab, CrossTab]:
    """Reason by plan and by tenure band: one GROUP BY plan and band over the running totals
    in scope (a few dozen rows per period), added up both ways in Python. A plan or band with
    flows in scope is a row, even when none of them answered the survey."""
    reasons = running.REASON_COUNTS
    groups = (T.plan_code, T.tenure_band)
    by_plan: dict[str, dict[str, int]] = {}
    by_band: dict[str, dict[str, int]] = {}
    for plan, band, flows, *counts in s.connection().execute(
        select(*groups, func.sum(T.flows), *(func.sum(c) for _r, c in reasons))
        .where(*scope.where(T))
        .group_by(*groups)
    ):
        if not flows:
            continue  # no flow (any more) of this plan and band in the range
        for table, key in ((by_plan, plan), (by_band, band)):
            row = table.setdefault(key, {})
            for (reason, _c), n in zip(reasons, counts, strict=True):
                if n:
                    row[reason] = row.get(reason, 0) + int(n)
    seen = {r for table in (by_plan, by_band) for row in table.values() for r in row}
    columns = tuple(r for r, _c in reasons if r in seen)  # the totals' columns: REASONS order
    bands = [b for b in TENURE_BANDS if b in by_band] + sorted(set(by_band) - set(TENURE_BANDS))
    return (
        _table(_plan_names(s, set(by_plan)), by_plan, columns),
        _table([(b, b) for b in bands], by_band, columns),
    )


def _lost(s: Session, scope: running.Scope) -> tuple[ReasonLoss, ...]:
    """Completed cancellations and their monthly revenue per survey reason: one GROUP BY over
    `insight_reasons` in scope. Most revenue lost first, then most cancellations, then in
    REASONS order, no reason last."""
    found = [
        ReasonLoss(reason or None, int(n or 0), int(cents or 0))
        for reason, n, cents in s.connection().execute(
            select(R.reason, func.sum(R.completed), func.sum(R.revenue_lost_cents))
            .where(*scope.where(R))
            .group_by(R.reason)
        )
        if n
    ]
    order = {r: i for i, r in enumerate(REASONS)}

    def rank(loss: ReasonLoss) -> tuple[int, int, bool, int, str]:
        reason = loss.reason or ""
        return (
            -loss.revenue_lost_cents,
            -loss.completed,
            loss.reason is None,
            order.get(reason, len(order)),
            reason,
        )

    return tuple(sorted(found, key=rank))


def crosstabs(db: Database, actor: CurrentUser | None, filters: Filters) -> CrossTabs:
    """Survey reasons by plan and by tenure band, and the revenue lost by reason, of the flows
    started in the range under the filters: from the running totals, two GROUP BYs over a few
    dozen rows per period."""
    require_admin(actor)
    filters = check(filters)
    with db.transaction() as s:
        scope = running.scope(s, filters, "month")
        if scope is None:
            return CrossTabs(filters, EMPTY, EMPTY, ())
        by_plan, by_tenure = _tables(s, scope)
        return CrossTabs(filters, by_plan, by_tenure, _lost(s, scope))
