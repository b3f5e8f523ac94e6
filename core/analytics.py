"""Churn insights for admins: figures, chart data, comments and the raw survey answers.

Every figure describes the **cancellation flows started in the date range** (UTC days, both
ends included) that match the plan, country and tenure filters; survey answers, retention
offers and flow steps count with the flow they belong to. Flows and answers of purged accounts
are included: they keep plan, country and tenure band after the purge (`account_id` is NULL).

Each flow carries the facts the figures need (survey state, reason, satisfaction, the funnel
stages it reached, the offer's state and requested price: see `CancellationFlow`), written by
the same transaction that writes the answer, offer or step. So the page never joins answers,
offers or steps: one GROUP BY over the flows in scope (read from a covering index, a few
thousand groups) gives every figure, added up in Python; the trend counts answered reasons per
week or month by index ranges, and the requested prices come from one small query. The same
SQLAlchemy Core statements run on SQLite and PostgreSQL. Python never holds more than one row
per group, except for the raw-answers CSV and the (limited) comments table, which are lists of
answers by nature.

Every public function refuses anyone who is not an admin (`require_admin`), first thing.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Integer,
    String,
    func,
    literal,
    or_,
    select,
    true,
    union_all,
)
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import UnaryExpression
from sqlalchemy.sql.operators import custom_op

from core import billing
from core.auth import CurrentUser, require_admin
from core.db import Database
from core.errors import InvalidInput
from core.exports import protect
from core.i18n import t
from core.models import FUNNEL as MODEL_FUNNEL
from core.models import (
    INSIGHT_GROUP_COLUMNS,
    OFFER_NONE,
    OFFER_OPENED,
    OFFER_REQUESTED,
    SURVEY_ANSWERED,
    SURVEY_SKIPPED,
    CancellationFlow,
    Plan,
    SurveyAnswer,
    UTCDateTime,
)
from core.text import lookup_text

F = CancellationFlow
A = SurveyAnswer

REASONS = (
    "too_expensive",
    "missing_features",
    "not_using",
    "switching_tool",
    "one_campaign",
    "technical_issues",
    "other",
)
TENURE_BANDS = ("<6m", "6-12m", "1-2y", "2y+")
# i18n key of each tenure band (the band codes themselves are not key-friendly)
TENURE_KEYS = {
    "<6m": "insights.tenure.under_six_months",
    "6-12m": "insights.tenure.six_to_twelve_months",
    "1-2y": "insights.tenure.one_to_two_years",
    "2y+": "insights.tenure.over_two_years",
}
SAVED = ("saved_kept", "saved_offer")
GRANULARITIES = ("week", "month")
# The funnel, in order: each stage counts the flows that reached it at least once
# (`core.models.FUNNEL`; a flow keeps the stages it reached in `CancellationFlow.stages`).
FUNNEL = MODEL_FUNNEL
PRICE_FROM_CENTS = 9800  # custom plans start at $98/month
PRICE_FIRST_EDGE_CENTS = 12500  # price buckets: $98-124.99, then $125-149.99, ...
PRICE_STEP_CENTS = 2500  # ... in steps of $25
PRICE_TOP_CENTS = 50000  # and one bucket for $500 and more
MAX_FILTER_VALUES = 50
MAX_SEARCH = 200
COMMENTS_LIMIT = 500


# --- Filters ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Filters:
    """What every figure and chart obeys. Empty tuples mean "all". Hashable, so a page can key
    a cache on it."""

    start: dt.date | None = None
    end: dt.date | None = None  # included
    plans: tuple[str, ...] = ()
    countries: tuple[str, ...] = ()
    tenures: tuple[str, ...] = ()


def _check(filters: Filters) -> Filters:
    if filters.start and filters.end and filters.start > filters.end:
        raise InvalidInput("insights.error.dates")
    for values in (filters.plans, filters.countries, filters.tenures):
        if len(values) > MAX_FILTER_VALUES or not all(isinstance(v, str) for v in values):
            raise InvalidInput()
        for value in values:
            lookup_text(value, keep="")
    if any(band not in TENURE_BANDS for band in filters.tenures):
        raise InvalidInput()
    return filters


def _where(filters: Filters, dialect: str | None = None) -> list[ColumnElement[bool]]:
    """The conditions on `cancellation_flows` that the filters stand for.

    With `dialect="sqlite"` the columns are written `+column`, which SQLite will not look up in
    an index: the insights then read the covering indexes made for them (a bounded pass over
    the index) instead of ranging over `ix_cancellation_flows_started_at` or the plan, country
    or tenure index and fetching and sorting every row in range (7 s for the page's default
    two years on a million flows, against 0.4 s). PostgreSQL's planner chooses well by itself.
    """
    where: list[ColumnElement[bool]] = []

    def col(column: Any) -> Any:
        if dialect != "sqlite":
            return column
        return UnaryExpression(column, operator=custom_op("+"), type_=column.type)

    if filters.start:
        where.append(col(F.started_at) >= dt.datetime.combine(filters.start, dt.time(), dt.UTC))
    if filters.end:
        after = filters.end + dt.timedelta(days=1)
        where.append(col(F.started_at) < dt.datetime.combine(after, dt.time(), dt.UTC))
    if filters.plans:
        where.append(col(F.plan_code).in_(filters.plans))
    if filters.countries:
        where.append(col(F.country).in_(filters.countries))
    if filters.tenures:
        where.append(col(F.tenure_band).in_(filters.tenures))
    return where


# --- Results ---------------------------------------------------------------------------------


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


@dataclass(frozen=True)
class FilterOptions:
    plans: tuple[tuple[str, str], ...]  # (code, name), cheapest first
    countries: tuple[str, ...]
    tenures: tuple[str, ...]
    first_day: dt.date | None  # of the first flow on record
    last_day: dt.date | None


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
    total: int  # how many answers match in all


# --- Queries (one transaction's worth each; the caller has checked the actor) ----------------
#
# Every figure and chart comes from the facts each flow carries (`CancellationFlow.survey`,
# `reason`, `satisfaction`, `stages`, `offer`, `offer_price_cents`, kept by the code that writes
# answers, offers and steps): one pass over the flows in scope, counted per combination of a
# few columns of few values; Python adds the groups up. The trend and the requested prices are
# two more small reads, from their own covering indexes.

SAT_SCORES = range(1, 6)
# What the aggregate groups the flows by: few values each (a few thousand groups in all), and
# the order of `ix_cancellation_flows_insights`, so the database streams the groups out of that
# covering index without sorting.
GROUP_KEYS = tuple(getattr(F, name) for name in INSIGHT_GROUP_COLUMNS)


@dataclass
class _Totals:
    """The groups of the aggregate, added up."""

    sums: dict[str, int]
    reasons: dict[str, int]  # answered surveys that name the reason
    plans: dict[str, list[int]]  # plan code -> [completed, saved]
    tenures: dict[str, list[int]]  # tenure band -> [completed, saved]


def _aggregate(s: Session, where: list[ColumnElement[bool]]) -> _Totals:
    """One pass over the flows in scope: how many flows (and how much monthly revenue) have
    each combination of the grouped facts; every figure is a sum of some of these groups."""
    names = (
        "flows", "completed", "saved_kept", "saved_offer", "undone", "abandoned", "lost",
        "saved_rev", "undone_rev", "answered", "skipped", "shown", "opened", "requested",
    )  # fmt: skip
    sums = dict.fromkeys(names, 0)
    sums.update({f"sat{n}": 0 for n in SAT_SCORES})
    sums.update({f"stage{i}": 0 for i in range(len(FUNNEL))})
    totals = _Totals(sums, {}, {}, {})
    rows = s.execute(
        select(*GROUP_KEYS, func.count(), func.coalesce(func.sum(F.monthly_revenue_cents), 0))
        .where(*where)
        .group_by(*GROUP_KEYS)
    )
    for plan, band, reason, outcome, survey, satisfaction, stages, offer, n, revenue in rows:
        n, revenue = int(n), int(revenue)
        sums["flows"] += n
        completed = saved = 0
        if outcome == "completed":
            completed = n
            sums["lost"] += revenue
        elif outcome in SAVED:
            saved = n
            sums["saved_rev"] += revenue
        elif outcome == "undone":
            sums["undone_rev"] += revenue
        if outcome in ("completed", "saved_kept", "saved_offer", "undone", "abandoned"):
            sums[outcome] += n
        if survey == SURVEY_ANSWERED:
            sums["answered"] += n
            if reason is not None:
                totals.reasons[reason] = totals.reasons.get(reason, 0) + n
        elif survey == SURVEY_SKIPPED:
            sums["skipped"] += n
        if satisfaction is not None and satisfaction in SAT_SCORES:
            sums[f"sat{satisfaction}"] += n
        for i in range(len(FUNNEL)):
            if int(stages) & (1 << i):
                sums[f"stage{i}"] += n
        if offer != OFFER_NONE:
            sums["shown"] += n
            if offer in (OFFER_OPENED, OFFER_REQUESTED):
                sums["opened"] += n
            if offer == OFFER_REQUESTED:
                sums["requested"] += n
        for table, key in ((totals.plans, plan), (totals.tenures, band)):
            pair = table.setdefault(key, [0, 0])
            pair[0] += completed
            pair[1] += saved
    return totals


def _figures(totals: _Totals) -> Figures:
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
        revenue_lost_cents=n["lost"],
        revenue_saved_cents=n["saved_rev"],
        revenue_undone_cents=n["undone_rev"],
    )


def _reasons(totals: _Totals) -> tuple[tuple[str, int], ...]:
    order = {r: i for i, r in enumerate(REASONS)}
    ranked = sorted(
        totals.reasons.items(), key=lambda r: (-r[1], order.get(r[0], len(order)), r[0])
    )
    return tuple(ranked)


def _week_start(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def _buckets(first: dt.date, last: dt.date, granularity: str) -> tuple[dt.date, ...]:
    if granularity == "month":
        day, last = first.replace(day=1), last.replace(day=1)
        out = []
        while day <= last:
            out.append(day)
            day = billing.add_months(day, 1)
        return tuple(out)
    day, last = _week_start(first), _week_start(last)
    return tuple(day + dt.timedelta(weeks=i) for i in range((last - day).days // 7 + 1))


def _first_and_last(
    s: Session, where: list[ColumnElement[bool]]
) -> tuple[dt.datetime | None, dt.datetime | None]:
    """When the first and the last flow in scope started. Two statements: SQLite answers a lone
    MIN or MAX from the index in one step, but scans the table for both at once."""
    first = s.scalar(select(func.min(F.started_at)).where(*where))
    last = s.scalar(select(func.max(F.started_at)).where(*where))
    return first, last


def _bucket_end(day: dt.date, granularity: str) -> dt.date:
    return billing.add_months(day, 1) if granularity == "month" else day + dt.timedelta(weeks=1)


def _utc_midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), dt.UTC)


TREND_CHUNK = 400  # buckets per statement (SQLite allows 500 terms in a compound SELECT)


def _trend(
    s: Session,
    totals: _Totals,
    filters: Filters,
    where: list[ColumnElement[bool]],
    granularity: str,
) -> Trend:
    """Answered surveys per reason and week (Monday, UTC) or month the flow started. Each
    (bucket, reason) is counted by an index range (`ix_cancellation_flows_trend`: survey,
    reason, started_at) rather than by sorting every answer into its bucket."""
    counts: dict[tuple[dt.date, str], int] = {}
    reasons = sorted(totals.reasons)
    first, last = filters.start, filters.end
    if reasons and (first is None or last is None):
        low, high = _first_and_last(s, where)
        first, last = first or low.date(), last or high.date()
    spans = _buckets(first, last, granularity) if reasons and first and last else ()
    reason_rows = union_all(*(select(literal(r, String).label("reason")) for r in reasons))
    for at in range(0, len(spans), TREND_CHUNK):
        chunk = spans[at : at + TREND_CHUNK]
        bucket_rows = union_all(
            *(
                select(
                    literal(i, Integer).label("i"),
                    literal(_utc_midnight(day), UTCDateTime).label("low"),
                    literal(_utc_midnight(_bucket_end(day, granularity)), UTCDateTime).label(
                        "high"
                    ),
                )
                for i, day in enumerate(chunk)
            )
        ).subquery("b")
        named = reason_rows.subquery("r")
        answered = (
            select(func.count())
            .select_from(F)
            .where(
                F.survey == SURVEY_ANSWERED,
                F.reason == named.c.reason,
                F.started_at >= bucket_rows.c.low,
                F.started_at < bucket_rows.c.high,
                *where,
            )
            .scalar_subquery()
        )
        rows = s.execute(
            select(bucket_rows.c.i, named.c.reason, answered).select_from(
                bucket_rows.join(named, true())
            )
        )
        for i, reason, n in rows:
            if n:
                counts[(chunk[int(i)], reason)] = int(n)
    points = tuple(TrendPoint(day, reason, n) for (day, reason), n in sorted(counts.items()))
    days = [p.bucket for p in points]
    first = filters.start or (min(days) if days else None)
    last = filters.end or (max(days) if days else None)
    buckets = _buckets(first, last, granularity) if first and last else ()
    return Trend(granularity, buckets, points)


def _funnel(totals: _Totals) -> tuple[tuple[str, int], ...]:
    return tuple((stage, totals.sums[f"stage{i}"]) for i, (stage, _steps) in enumerate(FUNNEL))


def _satisfaction(totals: _Totals) -> tuple[tuple[int, int], ...]:
    return tuple((score, totals.sums[f"sat{score}"]) for score in SAT_SCORES)


def _offers(totals: _Totals) -> OfferInterest:
    n = totals.sums
    return OfferInterest(n["shown"], n["opened"], n["requested"])


def _price_low(cents: int) -> int:
    if cents >= PRICE_TOP_CENTS:
        return PRICE_TOP_CENTS
    if cents < PRICE_FIRST_EDGE_CENTS:
        return PRICE_FROM_CENTS
    return cents // PRICE_STEP_CENTS * PRICE_STEP_CENTS


def _prices(s: Session, where: list[ColumnElement[bool]]) -> tuple[PriceBucket, ...]:
    """Requested monthly prices in buckets, by survey reason. The database groups by price
    and reason in the order of `ix_cancellation_flows_prices` (requested offers only)."""
    price = F.offer_price_cents
    rows = s.execute(
        select(price, F.reason, func.count())
        .where(F.offer == OFFER_REQUESTED, price.is_not(None), *where)
        .group_by(price, F.reason)
    )
    counts: dict[tuple[int, str | None], int] = {}
    for cents, reason, n in rows:
        key = (_price_low(int(cents)), reason)
        counts[key] = counts.get(key, 0) + int(n)
    out = []
    for (low_cents, reason), n in sorted(
        counts.items(), key=lambda item: (item[0][0], item[0][1] is None, item[0][1] or "")
    ):
        if low_cents >= PRICE_TOP_CENTS:
            high = None
        elif low_cents == PRICE_FROM_CENTS:
            high = PRICE_FIRST_EDGE_CENTS
        else:
            high = low_cents + PRICE_STEP_CENTS
        out.append(PriceBucket(low_cents, high, reason, n))
    return tuple(out)


def _by_plan(s: Session, totals: _Totals) -> tuple[GroupCounts, ...]:
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


def _by_tenure(totals: _Totals) -> tuple[GroupCounts, ...]:
    rows = totals.tenures
    bands = [b for b in TENURE_BANDS if b in rows] + sorted(set(rows) - set(TENURE_BANDS))
    return tuple(GroupCounts(b, b, *rows[b]) for b in bands)


# --- Use cases -------------------------------------------------------------------------------


def _distinct(s: Session, column: Any) -> list[str]:
    """The values of an indexed column in order, one index lookup each (the smallest, then the
    smallest above it, ...): a handful of plans or countries without reading a million rows."""
    out: list[str] = []
    value = s.scalar(select(func.min(column)))
    while value is not None:
        out.append(value)
        value = s.scalar(select(func.min(column)).where(column > value))
    return out


def filter_options(db: Database, actor: CurrentUser | None) -> FilterOptions:
    """The values the filters offer: plans, countries and tenure bands on record."""
    require_admin(actor)
    with db.transaction() as s:
        plans = s.execute(
            select(Plan.code, Plan.name)
            .where(Plan.is_custom.is_(False))
            .order_by(Plan.monthly_price_cents, Plan.code)
        ).all()
        known = {code for code, _ in plans}
        other = _distinct(s, F.plan_code)
        countries = _distinct(s, F.country)
        first, last = _first_and_last(s, [])
    return FilterOptions(
        plans=tuple((c, n) for c, n in plans) + tuple((c, c) for c in other if c not in known),
        countries=tuple(countries),
        tenures=TENURE_BANDS,
        first_day=first.date() if first else None,
        last_day=last.date() if last else None,
    )


def insights(
    db: Database, actor: CurrentUser | None, filters: Filters, granularity: str = "month"
) -> Insights:
    """Every figure and chart of the insights page for these filters, in one read."""
    require_admin(actor)
    filters = _check(filters)
    if granularity not in GRANULARITIES:
        raise InvalidInput()
    where = _where(filters, db.dialect)
    with db.transaction() as s:
        totals = _aggregate(s, where)
        return Insights(
            filters=filters,
            figures=_figures(totals),
            reasons=_reasons(totals),
            trend=_trend(s, totals, filters, where, granularity),
            funnel=_funnel(totals),
            satisfaction=_satisfaction(totals),
            offers=_offers(totals),
            prices=_prices(s, where),
            by_plan=_by_plan(s, totals),
            by_tenure=_by_tenure(totals),
        )


def figures(db: Database, actor: CurrentUser | None, filters: Filters) -> Figures:
    """Only the headline figures."""
    require_admin(actor)
    filters = _check(filters)
    with db.transaction() as s:
        return _figures(_aggregate(s, _where(filters, db.dialect)))


def _answer_where(filters: Filters) -> list[ColumnElement[bool]]:
    """The filters on the answers' own copies of their flow's start, plan, country and tenure
    band: no answer needs its flow to be found."""
    where: list[ColumnElement[bool]] = []
    if filters.plans:
        where.append(A.plan_code.in_(filters.plans))
    if filters.countries:
        where.append(A.country.in_(filters.countries))
    if filters.tenures:
        where.append(A.tenure_band.in_(filters.tenures))
    if filters.start:
        where.append(A.flow_started_at >= _utc_midnight(filters.start))
    if filters.end:
        where.append(A.flow_started_at < _utc_midnight(filters.end + dt.timedelta(days=1)))
    return where


def _comment_where(
    filters: Filters, search: str, reasons: Sequence[str]
) -> list[ColumnElement[bool]]:
    where = [*_answer_where(filters), or_(A.comment != "", A.follow_up != "")]
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
) -> Comments:
    """Survey answers with free text (comment or follow-up), newest first; `search` looks for
    the words in either, ignoring case (ASCII letters on SQLite)."""
    require_admin(actor)
    filters = _check(filters)
    where = _comment_where(filters, search, reasons)
    with db.transaction() as s:
        total = s.scalar(select(func.count()).select_from(A).where(*where))
        newest = (
            select(A)
            .where(*where)
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
    return Comments(tuple(Comment(*row) for row in rows), int(total or 0))


# --- CSV ---------------------------------------------------------------------------------


def csv_bytes(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    """A CSV file (UTF-8 with BOM, CRLF), formula-safe: a text cell that starts with = + - @,
    tab or CR (see `core.exports.protect`) gets a leading apostrophe; numbers stay numbers."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([protect(h) for h in header])
    for row in rows:
        writer.writerow([_cell(v) for v in row])
    return out.getvalue().encode("utf-8-sig")


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return value
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return protect(str(value))


ANSWER_COLUMNS = (
    "answered_at",
    "flow_started_at",
    "outcome",
    "skipped",
    "reason",
    "reason_name",
    "follow_up",
    "comment",
    "satisfaction",
    "plan",
    "country",
    "tenure_band",
)


def answers_csv(db: Database, actor: CurrentUser | None, filters: Filters, lang: str) -> bytes:
    """Every survey answer (skipped ones too) of the filtered flows, anonymised ones included,
    oldest first. Codes as stored, plus the reason's name in `lang`; formula-safe."""
    require_admin(actor)
    filters = _check(filters)
    names = {r: t(f"reason.{r}", lang) for r in REASONS}
    with db.transaction() as s:
        result = s.execute(
            select(
                A.answered_at,
                F.started_at,
                F.outcome,
                A.skipped,
                A.reason,
                A.follow_up,
                A.comment,
                A.satisfaction,
                F.plan_code,
                F.country,
                F.tenure_band,
            )
            .join(F, F.id == A.flow_id)
            .where(*_answer_where(filters))
            .order_by(A.answered_at, A.id)
            .execution_options(yield_per=1000)
        )
        rows = (
            (at, started, outcome, bool(skipped), reason, names.get(reason, reason or ""), *rest)
            for at, started, outcome, skipped, reason, *rest in result
        )
        return csv_bytes(ANSWER_COLUMNS, rows)
