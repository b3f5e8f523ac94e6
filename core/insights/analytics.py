"""Churn insights for admins: figures, chart data, comments and the raw survey answers.

Every figure describes the **cancellation flows started in the date range** (UTC days, both
ends included) that match the plan, country and tenure filters; survey answers, retention
offers and flow steps count with the flow they belong to. Flows and answers of purged accounts
are included: they keep plan, country and tenure band after the purge (`account_id` is NULL).

Each flow carries the facts the figures need (survey state, reason, satisfaction, the funnel
stages it reached, the offer's state and requested price: see `CancellationFlow`), written by
the same transaction that writes the answer, offer or step, and the database adds them up as it
goes: `insight_totals` holds, per UTC day, week and month and per plan, country and tenure band,
what the flows that started then came to (triggers of migration 0004 keep it, whoever writes).
So the page never reads the flows one by one: the date range is cut into whole months, whole
weeks and single days, and one GROUP BY over their totals (a few dozen rows per period: the
rows of all countries added up, unless countries are chosen) gives every figure and the trend;
the comments' count comes from the totals too, and the requested prices from their own
totals (`insight_prices`, per reason and $25 bucket). The same SQLAlchemy Core statements run
on SQLite and PostgreSQL.
Python never holds more than one row per group, except for the raw-answers CSV and the
(limited) comments table, which are lists of answers by nature.

Every public function refuses anyone who is not an admin (`require_admin`), first thing.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, BinaryIO

from babel import Locale
from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.orm import Session

from core import exports
from core.exports import protect
from core.identity.auth import CurrentUser, require_admin
from core.platform.db import Database
from core.platform.errors import InvalidInput
from core.platform.i18n import locale_of, t
from core.platform.models import (
    ALL_COUNTRIES,
    INSIGHT_COUNTS,
    INSIGHT_REASONS,
    PRICE_COUNTS,
    PRICE_LOWS,
    SUBSCRIPTION_STATUSES,
    Account,
    CancellationFlow,
    InsightPrice,
    InsightTotal,
    Plan,
    Subscription,
    SurveyAnswer,
)
from core.platform.models import FUNNEL as MODEL_FUNNEL
from core.platform.text import lookup_text
from core.rules import billing

F = CancellationFlow
A = SurveyAnswer

REASONS = INSIGHT_REASONS
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
# (`core.platform.models.FUNNEL`; a flow keeps the stages it reached in `CancellationFlow.stages`).
FUNNEL = MODEL_FUNNEL
# requested prices' buckets: $98-124.99, then $125-149.99, ... in steps of $25, and one for $500
# and more (core.platform.models.PRICE_LOWS, the columns of InsightPrice)
PRICE_FROM_CENTS, PRICE_FIRST_EDGE_CENTS, PRICE_TOP_CENTS = PRICE_LOWS[0], PRICE_LOWS[1], 50000
PRICE_STEP_CENTS = PRICE_LOWS[2] - PRICE_LOWS[1]
assert PRICE_LOWS[-1] == PRICE_TOP_CENTS
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


FIRST_DAY, LAST_DAY = dt.date(2000, 1, 1), dt.date(2100, 12, 31)  # the dates a filter may name


def _check(filters: Filters) -> Filters:
    if filters.start and filters.end and filters.start > filters.end:
        raise InvalidInput("insights.error.dates")
    for day in (filters.start, filters.end):
        if day is not None and not (
            isinstance(day, dt.date) and not isinstance(day, dt.datetime)
            and FIRST_DAY <= day <= LAST_DAY
        ):  # fmt: skip
            raise InvalidInput("insights.error.date_range")
    for values in (filters.plans, filters.countries, filters.tenures):
        if len(values) > MAX_FILTER_VALUES or not all(isinstance(v, str) for v in values):
            raise InvalidInput()
        for value in values:
            lookup_text(value, keep="")
    if any(band not in TENURE_BANDS for band in filters.tenures):
        raise InvalidInput()
    return filters


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
# Every figure and chart comes from `insight_totals` (and `insight_prices`), the running
# totals the database keeps per day, week and month, plan, country and tenure band (migration
# 0004: triggers on the flows and the answers). The date range is cut into whole months, whole
# weeks and single days (`_cells`), each inside one bucket of the trend; one GROUP BY over the
# rows of those periods (a few dozen rows per period) gives everything, added up in Python.

SAT_SCORES = range(1, 6)
T = InsightTotal
COUNT_COLUMNS = tuple(getattr(T, name) for name in INSIGHT_COUNTS)


@dataclass
class _Totals:
    """The rows of `insight_totals` in scope, added up."""

    sums: dict[str, int]
    reasons: dict[str, int]  # answered surveys that name the reason
    plans: dict[str, list[int]]  # plan code -> [completed, saved]
    tenures: dict[str, list[int]]  # tenure band -> [completed, saved]
    trend: dict[tuple[dt.date, str], int]  # (bucket, reason) -> answered surveys


def _bucket_of(day: dt.date, granularity: str) -> dt.date:
    return day.replace(day=1) if granularity == "month" else _week_start(day)


def _cells(first: dt.date, last: dt.date, granularity: str) -> dict[tuple[str, dt.date], dt.date]:
    """The periods of `insight_totals` that make up the days first..last, each whole inside one
    bucket of the trend: (grain, period) -> bucket. A whole month is one "m" row; a month cut
    by the range is its whole weeks ("w") and the days left ("d"); a week cut by it, its days."""
    cells: dict[tuple[str, dt.date], dt.date] = {}
    bucket = _bucket_of(first, granularity)
    while bucket <= last:
        after = _bucket_end(bucket, granularity)
        low, high = max(bucket, first), min(after - dt.timedelta(days=1), last)
        if low == bucket and high == after - dt.timedelta(days=1):
            cells[("m" if granularity == "month" else "w", bucket)] = bucket
        else:
            day = low
            while day <= high:
                monday = _week_start(day)
                week_end = monday + dt.timedelta(days=6)
                if granularity == "month" and monday == day and week_end <= high:
                    cells[("w", monday)] = bucket
                    day = week_end + dt.timedelta(days=1)
                else:
                    cells[("d", day)] = bucket
                    day += dt.timedelta(days=1)
        bucket = after
    return cells


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
    earliest = _bucket_of(low, granularity)
    latest = _bucket_end(_bucket_of(high, granularity), granularity) - dt.timedelta(days=1)
    first = max(filters.start or earliest, earliest)
    last = min(filters.end or latest, latest)
    return (first, last) if first <= last else None


@dataclass(frozen=True)
class _Scope:
    """The periods that make up the date range (see `_cells`: (grain, period) -> bucket) and
    the plans, countries and bands in scope, as conditions on InsightTotal or InsightPrice."""

    cells: dict[tuple[str, dt.date], dt.date]
    filters: Filters

    def where(self, table: type[InsightTotal] | type[InsightPrice]) -> list[ColumnElement[bool]]:
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


def _scope(s: Session, filters: Filters, granularity: str) -> _Scope | None:
    """What the filters select, or None when there is nothing on record."""
    span = _range(s, filters, granularity)
    return None if span is None else _Scope(_cells(*span, granularity), filters)


REASON_COUNTS = tuple(
    (name.removeprefix("reason_"), getattr(T, name))
    for name in INSIGHT_COUNTS
    if name.startswith("reason_")
)


def _aggregate(s: Session, scope: _Scope | None) -> _Totals:
    """Add up the totals of the plans, countries and tenure bands in scope over the periods
    that make up the date range: per plan and band every count, and per period the answered
    reasons (for the trend). Two GROUP BYs over the same few thousand rows at most, so Python
    adds up a few dozen."""
    sums = dict.fromkeys(INSIGHT_COUNTS, 0)
    totals = _Totals(sums, {}, {}, {}, {})
    if scope is None:
        return totals
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
        revenue_lost_cents=n["revenue_lost_cents"],
        revenue_saved_cents=n["revenue_saved_cents"],
        revenue_undone_cents=n["revenue_undone_cents"],
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
    conn = s.connection()
    first = conn.scalar(select(func.min(F.started_at)).where(*where))
    last = conn.scalar(select(func.max(F.started_at)).where(*where))
    return first, last


def _bucket_end(day: dt.date, granularity: str) -> dt.date:
    return billing.add_months(day, 1) if granularity == "month" else day + dt.timedelta(weeks=1)


def _utc_midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), dt.UTC)


def _trend(totals: _Totals, filters: Filters, granularity: str) -> Trend:
    """Answered surveys per reason and week (Monday, UTC) or month the flow started; every
    bucket of the range is listed, empty ones too."""
    points = tuple(
        TrendPoint(day, reason, n) for (day, reason), n in sorted(totals.trend.items()) if n
    )
    days = [p.bucket for p in points]
    first = filters.start or (min(days) if days else None)
    last = filters.end or (max(days) if days else None)
    buckets = _buckets(first, last, granularity) if first and last else ()
    return Trend(granularity, buckets, points)


def _funnel(totals: _Totals) -> tuple[tuple[str, int], ...]:
    return tuple((stage, totals.sums[f"stage_{i}"]) for i, (stage, _steps) in enumerate(FUNNEL))


def _satisfaction(totals: _Totals) -> tuple[tuple[int, int], ...]:
    return tuple((score, totals.sums[f"satisfaction_{score}"]) for score in SAT_SCORES)


def _offers(totals: _Totals) -> OfferInterest:
    n = totals.sums
    return OfferInterest(n["offer_shown"], n["offer_opened"], n["offer_requested"])


def _prices(s: Session, scope: _Scope | None) -> tuple[PriceBucket, ...]:
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
    buckets = []
    for i, reason, n in sorted(out, key=lambda b: (b[0], b[1] is None, b[1] or "")):
        high = PRICE_LOWS[i + 1] if i + 1 < len(PRICE_LOWS) else None
        buckets.append(PriceBucket(PRICE_LOWS[i], high, reason, n))
    return tuple(buckets)


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
    conn = s.connection()  # plain statements: a few dozen of them, no ORM bookkeeping
    out: list[str] = []
    value = conn.scalar(select(func.min(column)))
    while value is not None:
        out.append(value)
        value = conn.scalar(select(func.min(column)).where(column > value))
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
    with db.transaction() as s:
        scope = _scope(s, filters, granularity)
        totals = _aggregate(s, scope)
        return Insights(
            filters=filters,
            figures=_figures(totals),
            reasons=_reasons(totals),
            trend=_trend(totals, filters, granularity),
            funnel=_funnel(totals),
            satisfaction=_satisfaction(totals),
            offers=_offers(totals),
            prices=_prices(s, scope),
            by_plan=_by_plan(s, totals),
            by_tenure=_by_tenure(totals),
        )


def figures(db: Database, actor: CurrentUser | None, filters: Filters) -> Figures:
    """Only the headline figures."""
    require_admin(actor)
    filters = _check(filters)
    with db.transaction() as s:
        return _figures(_aggregate(s, _scope(s, filters, "month")))


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
        if not lookup_text(search).strip() and not reasons:  # the running total has it
            scope = _scope(s, filters, "month")
            total = scope and s.scalar(select(func.sum(T.commented)).where(*scope.where(T)))
        else:
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


ANSWERS_BATCH = 2000  # rows fetched and written at a time


def write_answers_csv(
    db: Database, actor: CurrentUser | None, filters: Filters, lang: str, out: BinaryIO
) -> None:
    """Every survey answer (skipped ones too) of the filtered flows, anonymised ones included,
    oldest first, written to `out` as CSV (see `csv_bytes`): codes as stored, plus the reason's
    name in `lang`; formula-safe. Read and written a batch at a time, so a million answers
    take no more memory than a few thousand."""
    require_admin(actor)
    filters = _check(filters)
    names = {r: t(f"reason.{r}", lang) for r in REASONS}
    with db.transaction() as s:
        result = s.connection().execute(
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
            .execution_options(yield_per=ANSWERS_BATCH)
        )
        text_out = io.TextIOWrapper(out, encoding="utf-8-sig", newline="", write_through=False)
        try:
            writer = csv.writer(text_out, lineterminator="\r\n")
            writer.writerow([protect(h) for h in ANSWER_COLUMNS])
            for batch in result.partitions():
                writer.writerows(
                    [
                        _cell(v)
                        for v in (
                            at, started, outcome, bool(skipped), reason,
                            names.get(reason, reason or ""), *rest,
                        )
                    ]
                    for at, started, outcome, skipped, reason, *rest in batch
                )  # fmt: skip
            text_out.flush()
        finally:
            text_out.detach()  # `out` stays open: it is the caller's


def answers_csv(db: Database, actor: CurrentUser | None, filters: Filters, lang: str) -> bytes:
    """The file of `write_answers_csv`, whole (for small scopes and the tests)."""
    out = io.BytesIO()
    write_answers_csv(db, actor, filters, lang, out)
    return out.getvalue()


def answers_file_name(today: dt.date) -> str:
    return f"survey-answers-{today:%Y-%m-%d}.csv"


def answers_download_token(
    db: Database,
    actor: CurrentUser | None,
    filters: Filters,
    lang: str,
    *,
    now: dt.datetime | None = None,
) -> str:
    """A signed link token (`/download/<token>`, as the exports have) for the survey answers
    of these filters: the file is streamed while it is written, never held by the server."""
    require_admin(actor)
    filters = _check(filters)
    payload = {
        "d": [day.isoformat() if day else None for day in (filters.start, filters.end)],
        "p": list(filters.plans),
        "c": list(filters.countries),
        "t": list(filters.tenures),
        "l": lang,
    }
    return exports.sign_download(actor, "answers", payload, now=now)


@dataclass(frozen=True)
class AnswersGrant:
    user: CurrentUser
    filters: Filters
    lang: str


def open_answers_download(
    db: Database, token: str, session_token: str | None, *, now: dt.datetime | None = None
) -> AnswersGrant:
    """The survey answers a link stands for, if it is genuine, unexpired and opened by the
    session it was made for; its user must still be an admin."""
    user, payload = exports.open_signed(db, token, session_token, "answers", now=now)
    try:
        start, end = (dt.date.fromisoformat(d) if d else None for d in payload["d"])
        filters = Filters(
            start,
            end,
            tuple(str(v) for v in payload["p"]),
            tuple(str(v) for v in payload["c"]),
            tuple(str(v) for v in payload["t"]),
        )
        lang = str(payload["l"])
    except (ValueError, KeyError, TypeError):  # cannot happen with a genuine signature
        raise exports.DownloadLinkInvalid() from None
    require_admin(user)
    return AnswersGrant(user, _check(filters), lang)


def stream_answers(
    db: Database, actor: CurrentUser | None, filters: Filters, lang: str
) -> Iterator[bytes]:
    """The file of `write_answers_csv` in chunks, while it is written (`exports.stream_writes`)."""
    return exports.stream_writes(lambda out: write_answers_csv(db, actor, filters, lang, out))


# --- Subscriptions by status, and country names ----------------------------------------------


def _month_start(day: dt.date, months_back: int) -> dt.datetime:
    """Midnight UTC of the first day of the month `months_back` months before `day`'s."""
    return _utc_midnight(billing.add_months(day.replace(day=1), -months_back))


def _tenure_where(bands: Sequence[str], at: dt.date) -> ColumnElement[bool]:
    """Accounts whose time as a customer on `at` falls in one of the bands, as
    `cancellation.tenure_band` counts it (whole calendar months: under 6, 6-11, 12-23, 24 or
    more), as ranges of `Account.created_at`: an index range each, no per-row arithmetic."""
    six, twelve, twenty_four = (_month_start(at, n) for n in (5, 11, 23))
    created = Account.created_at
    ranges = {
        "<6m": created >= six,
        "6-12m": and_(created >= twelve, created < six),
        "1-2y": and_(created >= twenty_four, created < twelve),
        "2y+": created < twenty_four,
    }
    return or_(*(ranges[band] for band in bands))


def subscriptions_by_status(
    db: Database,
    actor: CurrentUser | None,
    filters: Filters,
    *,
    today: dt.date | None = None,
) -> dict[str, int]:
    """Subscriptions by their status today, of the chosen plans, countries and tenure bands,
    that ran at some time in the date range (started by its end, not ended before its start).
    Tenure is the time as a customer on the range's last day (today at the latest). Every
    status is present, zeros included. One GROUP BY over the subscriptions."""
    require_admin(actor)
    filters = _check(filters)
    today = today or dt.datetime.now(dt.UTC).date()
    where: list[ColumnElement[bool]] = []
    if filters.plans:
        where.append(Plan.code.in_(filters.plans))
    if filters.countries:
        where.append(Account.country.in_(filters.countries))
    if filters.tenures:
        where.append(_tenure_where(filters.tenures, min(filters.end or today, today)))
    if filters.end:
        where.append(Subscription.started_at < _utc_midnight(filters.end + dt.timedelta(days=1)))
    if filters.start:
        where.append(or_(Subscription.ended_on.is_(None), Subscription.ended_on >= filters.start))
    with db.transaction() as s:
        rows = s.connection().execute(
            select(Subscription.status, func.count())
            .join(Plan, Plan.id == Subscription.plan_id)
            .join(Account, Account.id == Subscription.account_id)
            .where(*where)
            .group_by(Subscription.status)
        )
        counts = dict.fromkeys(SUBSCRIPTION_STATUSES, 0)
        counts.update({status: int(n) for status, n in rows})
    return counts


def country_name(code: str, lang: str) -> str:
    """The country's name in the language (CLDR, through Babel); an unknown code as it is."""
    return Locale.parse(locale_of(lang)).territories.get(code, code)


def _collation_key(text: str) -> str:
    """A sort key that reads as people expect: case and accents ignored first ("Åland" with
    the A's, "Österreich" with the O's), then as written, for a stable order."""
    plain = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    return plain.casefold()


def sort_countries(codes: Iterable[str], lang: str) -> list[str]:
    """Country codes in the order of their names in the language ("Argentina, Australia,
    Austria"; Italian "Germania" among the G's), not of their ISO codes."""
    return sorted(codes, key=lambda c: (_collation_key(country_name(c, lang)), c))
