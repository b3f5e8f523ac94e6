"""Cross-tabs of the churn insights: survey reasons by plan and by tenure band (answered
surveys of the filtered flows, from the running totals) and revenue lost by reason (completed
cancellations and their monthly revenue, per reason, from `insight_reasons`)."""

from __future__ import annotations

from dataclasses import dataclass

from core.identity.auth import CurrentUser
from core.insights.filters import Filters
from core.platform.db import Database


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


def crosstabs(db: Database, actor: CurrentUser | None, filters: Filters) -> CrossTabs:
    raise NotImplementedError
