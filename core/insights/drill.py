"""The flows behind a figure, a bar or a cross-tab cell, for admins: the filtered flows
narrowed by what was clicked, newest first, a page at a time."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from core.identity.auth import CurrentUser
from core.insights.filters import Filters
from core.platform.db import Database

DRILL_PAGE = 25  # flows a page
NO_REASON = ""  # Drill.reason of the flows whose survey named no reason (skipped, none)


@dataclass(frozen=True)
class Drill:
    """What narrows the filters; None / () means any."""

    outcomes: tuple[str, ...] = ()  # e.g. ("completed",) or SAVED_OUTCOMES
    reason: str | None = None  # a reason of REASONS, or NO_REASON
    plan: str | None = None
    tenure: str | None = None
    country: str | None = None


@dataclass(frozen=True)
class FlowRow:
    flow_id: str
    account_id: int | None  # None once purged
    company: str  # "" once purged
    plan_code: str
    country: str
    tenure_band: str
    reason: str | None
    outcome: str
    started_at: dt.datetime
    finished_at: dt.datetime | None
    effective_on: dt.date | None
    monthly_revenue_cents: int
    comment: str  # the survey's comment and follow-up, whole ("" for none)


@dataclass(frozen=True)
class FlowPage:
    rows: tuple[FlowRow, ...]
    page: int  # 0-based
    page_size: int
    total: int  # flows matching in all

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.page_size))


def flows_behind(
    db: Database,
    actor: CurrentUser | None,
    filters: Filters,
    drill: Drill = Drill(),
    *,
    page: int = 0,
    page_size: int = DRILL_PAGE,
) -> FlowPage:
    raise NotImplementedError
