"""The flows behind a figure, a bar or a cross-tab cell, for admins: the filtered flows
narrowed by what was clicked, newest first, a page at a time."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace

from sqlalchemy import ColumnElement, and_, func, literal, not_, select
from sqlalchemy.orm import Session

from core.identity.auth import CurrentUser, require_admin
from core.insights import totals as running
from core.insights.buckets import utc_midnight
from core.insights.filters import Filters, check
from core.platform.db import Database
from core.platform.errors import InvalidInput
from core.platform.insight_tables import InsightReason
from core.platform.models import Account, CancellationFlow, InsightTotal, SurveyAnswer
from core.platform.text import lookup_text
from core.rules.vocabulary import (
    OUTCOME_COMPLETED,
    OUTCOME_OPEN,
    OUTCOMES,
    REASONS,
    SURVEY_ANSWERED,
    TENURE_BANDS,
)

F = CancellationFlow
A = SurveyAnswer
DRILL_PAGE = 25  # flows a page
MAX_DRILL_PAGE = 200  # the most flows a page may hold
# the outcomes insight_totals counts (a column each); "open" is the flows that came to none
COUNTED_OUTCOMES = tuple(o for o in OUTCOMES if o != OUTCOME_OPEN)
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
    drill = _checked(drill)
    where = _where(filters, drill)
    if not all(isinstance(n, int) and not isinstance(n, bool) for n in (page, page_size)):
        raise InvalidInput()
    if page < 0 or not 1 <= page_size <= MAX_DRILL_PAGE:
        raise InvalidInput()
    with db.transaction() as s:
        conn = s.connection()  # plain rows: a page of them, no ORM bookkeeping
        total = _running_total(s, filters, drill)
        if total is None:  # not a count the running totals keep: count the flows
            total = int(conn.scalar(select(func.count()).select_from(F).where(*where)) or 0)
        offset = page * page_size
        if offset >= total:
            return FlowPage((), page=page, page_size=page_size, total=total)
        # A page in the older half is read from the oldest end: the database walks past at
        # most half the flows (and only their ids) to reach any page.
        take = min(page_size, total - offset)
        newer = offset <= total - offset - take
        ids = (
            select(F.id.label("id"), F.started_at.label("started_at"))
            .where(*where)
            .order_by(*((F.started_at.desc(), F.id) if newer else (F.started_at, F.id.desc())))
            .limit(take)
            .offset(offset if newer else total - offset - take)
            .subquery()
        )
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
            .select_from(ids)
            .join(F, F.id == ids.c.id)
            .outerjoin(Account, Account.id == F.account_id)
            .outerjoin(A, A.flow_id == F.id)
            .order_by(ids.c.started_at.desc(), ids.c.id)
        ).all()
    return FlowPage(tuple(_row(*row) for row in rows), page=page, page_size=page_size, total=total)


def _running_total(s: Session, filters: Filters, drill: Drill) -> int | None:
    """How many flows the drill finds, from the running totals when they keep exactly that
    count (any outcomes without a reason; a reason of any outcome; a reason's completed
    cancellations), else None. A few dozen rows per period, not the flows."""
    outcomes, reason = set(drill.outcomes), drill.reason
    T, R = InsightTotal, InsightReason
    if reason is None:
        if not outcomes:
            table, count = T, func.sum(T.flows)
        elif OUTCOME_OPEN in outcomes:  # open: the flows that came to none of the others
            others = [getattr(T, o) for o in COUNTED_OUTCOMES if o not in outcomes]
            table, count = T, func.sum(T.flows - sum(others, start=literal(0)))
        else:
            table, count = T, func.sum(sum((getattr(T, o) for o in outcomes), start=literal(0)))
    elif not outcomes and reason != NO_REASON:
        table, count = T, func.sum(getattr(T, f"reason_{reason}"))
    elif outcomes == {OUTCOME_COMPLETED}:
        table, count = R, func.sum(R.completed)
    else:
        return None
    narrowed: dict[str, tuple[str, ...]] = {}
    for name, chosen, one in (
        ("plans", filters.plans, drill.plan),
        ("countries", filters.countries, drill.country),
        ("tenures", filters.tenures, drill.tenure),
    ):
        if one is not None and chosen and one not in chosen:
            return 0  # the drill asks for what the filters leave out
        narrowed[name] = (one,) if one is not None else chosen
    scope = running.scope(s, replace(filters, **narrowed))
    if scope is None:
        return 0
    where = scope.where(table)
    if table is R:
        where.append(R.reason == (reason or NO_REASON))
    return int(s.connection().scalar(select(count).where(*where)) or 0)


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
