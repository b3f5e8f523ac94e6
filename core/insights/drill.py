"""The flows behind a figure, a bar or a cross-tab cell, for admins: the filtered flows
narrowed by what was clicked, newest first, a page at a time."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import ColumnElement, and_, func, not_, select

from core.identity.auth import CurrentUser, require_admin
from core.insights.buckets import utc_midnight
from core.insights.filters import Filters, check
from core.platform.db import Database
from core.platform.errors import InvalidInput
from core.platform.models import Account, CancellationFlow, SurveyAnswer
from core.platform.text import lookup_text
from core.rules.vocabulary import OUTCOMES, REASONS, SURVEY_ANSWERED, TENURE_BANDS

F = CancellationFlow
A = SurveyAnswer
DRILL_PAGE = 25  # flows a page
MAX_DRILL_PAGE = 200  # the most flows a page may hold
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
    """The flows started in the range under the filters, narrowed by `drill`, newest first
    (then by id), `page_size` at a time from page `page` (0-based; past the last page: no
    rows). Each with its account's company ("" once purged) and its survey's reason, comment
    and follow-up. `total` counts them all, so a drill from a figure (the completed
    cancellations, a cross-tab cell, a reason's lost revenue) totals that figure."""
    require_admin(actor)
    filters = check(filters)
    where = _where(filters, _checked(drill))
    if not all(isinstance(n, int) and not isinstance(n, bool) for n in (page, page_size)):
        raise InvalidInput()
    if page < 0 or not 1 <= page_size <= MAX_DRILL_PAGE:
        raise InvalidInput()
    with db.transaction() as s:
        conn = s.connection()  # plain rows: a page of them, no ORM bookkeeping
        total = int(conn.scalar(select(func.count()).select_from(F).where(*where)) or 0)
        rows = conn.execute(
            select(
                F.id,
                F.account_id,
                Account.company,
                F.plan_code,
                F.country,
                F.tenure_band,
                F.reason,
                F.outcome,
                F.started_at,
                F.finished_at,
                F.effective_on,
                F.monthly_revenue_cents,
                A.follow_up,
                A.comment,
            )
            .outerjoin(Account, Account.id == F.account_id)
            .outerjoin(A, A.flow_id == F.id)
            .where(*where)
            .order_by(F.started_at.desc(), F.id)
            .limit(page_size)
            .offset(page * page_size)
        ).all()
    return FlowPage(tuple(_row(*row) for row in rows), page=page, page_size=page_size, total=total)


def _checked(drill: Drill) -> Drill:
    """The drill, if it names only outcomes, a reason and a tenure band there are, and a plan
    and country a filter could hold; `InvalidInput` otherwise."""
    outcomes = drill.outcomes
    if isinstance(outcomes, str) or any(o not in OUTCOMES for o in outcomes):
        raise InvalidInput()
    if drill.reason is not None and drill.reason != NO_REASON and drill.reason not in REASONS:
        raise InvalidInput()
    if drill.tenure is not None and drill.tenure not in TENURE_BANDS:
        raise InvalidInput()
    for value in (drill.plan, drill.country):
        if value is not None:
            if not isinstance(value, str):
                raise InvalidInput()
            lookup_text(value, keep="")
    return drill


def _where(filters: Filters, drill: Drill) -> list[ColumnElement[bool]]:
    """The filters and the drill on the flows' own columns (what the running totals group by:
    the reason counts when the survey was answered, as the cross-tabs and insight_reasons do)."""
    where: list[ColumnElement[bool]] = []
    if filters.start:
        where.append(F.started_at >= utc_midnight(filters.start))
    if filters.end:
        where.append(F.started_at < utc_midnight(filters.end + dt.timedelta(days=1)))
    for column, chosen, one in (
        (F.plan_code, filters.plans, drill.plan),
        (F.country, filters.countries, drill.country),
        (F.tenure_band, filters.tenures, drill.tenure),
    ):
        if chosen:
            where.append(column.in_(chosen))
        if one is not None:
            where.append(column == one)
    if drill.outcomes:
        where.append(F.outcome.in_(tuple(drill.outcomes)))
    named = and_(F.survey == SURVEY_ANSWERED, F.reason.is_not(None), F.reason != NO_REASON)
    if drill.reason == NO_REASON:
        where.append(not_(named))
    elif drill.reason is not None:
        where.append(and_(F.survey == SURVEY_ANSWERED, F.reason == drill.reason))
    return where


def _row(
    flow_id: str,
    account_id: int | None,
    company: str | None,
    plan_code: str,
    country: str,
    tenure_band: str,
    reason: str | None,
    outcome: str,
    started_at: dt.datetime,
    finished_at: dt.datetime | None,
    effective_on: dt.date | None,
    revenue: int | None,
    follow_up: str | None,
    comment: str | None,
) -> FlowRow:
    return FlowRow(
        flow_id=flow_id,
        account_id=account_id,
        company=company or "",
        plan_code=plan_code,
        country=country,
        tenure_band=tenure_band,
        reason=reason,
        outcome=outcome,
        started_at=started_at,
        finished_at=finished_at,
        effective_on=effective_on,
        monthly_revenue_cents=revenue or 0,
        comment="\n".join(text for text in (follow_up, comment) if text),
    )
