"""The survey answers' comments for admins: the answers with free text (a comment or a
follow-up) of the filtered flows, newest first, searched by words, reasons and the flows'
outcomes."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import ColumnElement, func, or_, select

from core.identity.auth import CurrentUser, require_admin
from core.insights import totals as running
from core.insights.filters import Filters, answer_where, check
from core.platform.db import Database
from core.platform.errors import InvalidInput
from core.platform.models import CancellationFlow, SurveyAnswer
from core.platform.text import lookup_text
from core.rules.vocabulary import OUTCOMES, REASONS

F = CancellationFlow
A = SurveyAnswer
MAX_SEARCH = 200
COMMENTS_LIMIT = 500
# Counted up to this many when the flows' outcome narrows them (no running total keeps that
# count; counting a million answers joined to their flows takes seconds): "more than".
COUNT_CAP = 10_000


@dataclass(frozen=True)
class Comment:
    answered_at: dt.datetime
    reason: str | None
    follow_up: str
    comment: str
    satisfaction: int | None
    plan_code: str
    country: str
    outcome: str


@dataclass(frozen=True)
class Comments:
    rows: tuple[Comment, ...]  # newest first, at most `limit`
    total: int  # how many answers match in all (at most COUNT_CAP when `capped`)
    capped: bool = False  # more than `total` match: they were counted up to COUNT_CAP only


def _comment_where(
    filters: Filters, search: str, reasons: Sequence[str]
) -> list[ColumnElement[bool]]:
    where = [*answer_where(filters), or_(A.comment != "", A.follow_up != "")]
    term = lookup_text(search).strip()
    if len(term) > MAX_SEARCH:
        raise InvalidInput("error.message_too_long", limit=MAX_SEARCH)
    if term:
        where.append(
            or_(
                A.comment.icontains(term, autoescape=True),
                A.follow_up.icontains(term, autoescape=True),
            )
        )
    if reasons:
        if any(r not in REASONS for r in reasons):
            raise InvalidInput()
        where.append(A.reason.in_(tuple(reasons)))
    return where


def comments(
    db: Database,
    actor: CurrentUser | None,
    filters: Filters,
    search: str = "",
    reasons: Sequence[str] = (),
    *,
    limit: int = COMMENTS_LIMIT,
    outcomes: Sequence[str] = (),
) -> Comments:
    """Survey answers with free text (comment or follow-up), newest first; `search` looks for
    the words in either, ignoring case (ASCII letters on SQLite); `reasons` and `outcomes` (of
    the answer's flow) narrow them (none: any)."""
    require_admin(actor)
    filters = check(filters)
    where = _comment_where(filters, search, reasons)
    if isinstance(outcomes, str) or any(o not in OUTCOMES for o in outcomes):
        raise InvalidInput()
    answers, count = select(A), select(func.count()).select_from(A)
    if outcomes:  # the answers do not carry their flow's outcome: only then is the flow joined
        answers = answers.join(F, F.id == A.flow_id)
        where.append(F.outcome.in_(tuple(outcomes)))
    capped = False
    with db.transaction() as s:
        if not lookup_text(search).strip() and not reasons and not outcomes:
            total = running.commented(s, filters)  # the running total has it
        elif outcomes:  # up to COUNT_CAP and one more, to know whether there are more
            found = select(A.id).join(F, F.id == A.flow_id).where(*where).limit(COUNT_CAP + 1)
            ids = list(s.scalars(found))
            capped = len(ids) > COUNT_CAP
            total = min(len(ids), COUNT_CAP)
            if not capped:
                # few enough to name: the newest are read among them, not by walking every
                # answer newest first in search of a rare outcome
                answers, where = select(A), [A.id.in_(ids)]
        else:
            total = s.scalar(count.where(*where))
        newest = (
            answers.where(*where)
            .order_by(A.answered_at.desc(), A.id.desc())
            .limit(max(1, min(limit, COMMENTS_LIMIT)))
            .subquery()
        )
        rows = s.execute(  # only the rows shown look up their flow's outcome
            select(
                newest.c.answered_at,
                newest.c.reason,
                newest.c.follow_up,
                newest.c.comment,
                newest.c.satisfaction,
                newest.c.plan_code,
                newest.c.country,
                F.outcome,
            )
            .join(F, F.id == newest.c.flow_id)
            .order_by(newest.c.answered_at.desc(), newest.c.id.desc())
        ).all()
    return Comments(tuple(Comment(*row) for row in rows), int(total or 0), capped)
