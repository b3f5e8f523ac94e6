"""The retention playbook's figures for the product manager: which offers customers were shown
and took (`offer_kinds`), and whether the customers saved stayed and paid afterwards
(`verified_saves`).

A save is "verified" k cycles later (k = 1, 2, 3) when its account has paid at least k invoices
since (`CancellationFlow.paid_cycles_after`, which the lifecycle job adds up). A save made on day
D counts for k only once k months have passed: D <= today - k months (`billing.add_months`), so
a save of last week never drags the share down. Saves are grouped by the month (UTC) they were
made in, the kind that saved them ("kept": "Keep my subscription"; else the offer's kind) and
the experiment's variant the flow saw (None: no experiment ran).

Both figures obey the same filter as the rest of the insights (`Filters`: plans, countries,
tenure bands and a date range of UTC days); the date range is the day the flow was saved for
the verified saves (they are read by `finished_at`, through the index on outcome and
finished_at), the day it started for the offers (as every other figure). The database does the
counting: one GROUP BY for the verified saves, two for the offers (and the running totals for
the custom plan's, as on the custom plan's section).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields
from typing import Any

from sqlalchemy import ColumnElement, and_, case, cast, func, literal_column, select
from sqlalchemy.orm import Session
from sqlalchemy.types import Date

from core.identity.auth import CurrentUser, require_admin
from core.insights import totals as running
from core.insights.buckets import utc_midnight
from core.insights.filters import Filters, check
from core.platform import clock
from core.platform.db import Database
from core.platform.models import CancellationFlow, Plan, RetentionOffer
from core.rules import billing
from core.rules.offers import discounted_cents, plan_price
from core.rules.vocabulary import (
    OFFER_KIND_CUSTOM_PLAN,
    OFFER_KIND_DISCOUNT,
    OFFER_KIND_DOWNGRADE,
    OFFER_KIND_PAUSE,
    OFFER_KINDS,
    OUTCOME_SAVED_KEPT,
    OUTCOME_SAVED_OFFER,
    SAVED_OUTCOMES,
)

KEPT = "kept"  # the "kind" of a save by "Keep my subscription"
SAVE_KINDS = (KEPT, *OFFER_KINDS)  # in the order the page lists them
CYCLES = (1, 2, 3)  # verified 1, 2 and 3 cycles after the save

F = CancellationFlow
R = RetentionOffer


def _ratio(part: int, whole: int) -> float | None:
    return part / whole if whole else None


# --- verified saves ----------------------------------------------------------------------------


@dataclass(frozen=True)
class SaveCounts:
    """Saves, and of them: how many are due (old enough) and verified (still paying) k cycles
    later, for k = 1, 2, 3."""

    saves: int
    due_1: int
    verified_1: int
    due_2: int
    verified_2: int
    due_3: int
    verified_3: int

    def due(self, k: int) -> int:
        return int(getattr(self, f"due_{k}"))

    def verified(self, k: int) -> int:
        return int(getattr(self, f"verified_{k}"))

    def share(self, k: int) -> float | None:
        """verified / due k cycles after the save; None while none is due."""
        return _ratio(self.verified(k), self.due(k))

    def counts(self) -> dict[str, int]:
        return {f.name: getattr(self, f.name) for f in fields(SaveCounts)}


@dataclass(frozen=True)
class VerifiedSaves(SaveCounts):
    """The saves of one month, one kind and one variant."""

    month: dt.date  # its first day (UTC)
    kind: str  # "kept" or an offer kind
    variant: str | None  # the experiment's variant the flows saw; None: no experiment


ZERO = SaveCounts(0, 0, 0, 0, 0, 0, 0)


def add_up(rows: Iterable[SaveCounts]) -> SaveCounts:
    """The counts of several rows added up."""
    total = ZERO.counts()
    for row in rows:
        for name, n in row.counts().items():
            total[name] += n
    return SaveCounts(**total)


def by_kind(rows: Iterable[VerifiedSaves]) -> dict[str, SaveCounts]:
    """Every month and variant added up, per kind (in SAVE_KINDS order; kinds with saves)."""
    rows = list(rows)
    found = {r.kind for r in rows}
    order = [k for k in SAVE_KINDS if k in found] + sorted(found - set(SAVE_KINDS))
    return {k: add_up(r for r in rows if r.kind == k) for k in order}


def by_variant(rows: Iterable[VerifiedSaves]) -> dict[str | None, SaveCounts]:
    """Every month and kind added up, per variant (by name; None last: no experiment)."""
    rows = list(rows)
    names = sorted({r.variant for r in rows if r.variant is not None})
    order: list[str | None] = [*names]
    if any(r.variant is None for r in rows):
        order.append(None)
    return {v: add_up(r for r in rows if r.variant == v) for v in order}


def _month(s: Session, column: Any) -> ColumnElement[Any]:
    """The first day (UTC) of the month of a timestamp column, as the database computes it."""
    if s.get_bind().dialect.name == "postgresql":
        return cast(func.date_trunc("month", func.timezone("UTC", column)), Date)
    return func.date(column, "start of month")  # SQLite keeps UTC text 'YYYY-MM-DD HH:MM:SS'


def _as_date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


def _segment_where(filters: Filters) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = []
    if filters.plans:
        where.append(F.plan_code.in_(filters.plans))
    if filters.countries:
        where.append(F.country.in_(filters.countries))
    if filters.tenures:
        where.append(F.tenure_band.in_(filters.tenures))
    return where


def _day_range(column: Any, filters: Filters) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = []
    if filters.start:
        where.append(column >= utc_midnight(filters.start))
    if filters.end:
        where.append(column < utc_midnight(filters.end + dt.timedelta(days=1)))
    return where


def due_before(today: dt.date, k: int) -> dt.datetime:
    """A save counts k cycles later when it was made before this moment: by the end of the
    day k months before today (`billing.add_months`)."""
    return utc_midnight(billing.add_months(today, -k) + dt.timedelta(days=1))


def verified_saves(
    db: Database,
    actor: CurrentUser | None,
    filters: Filters,
    *,
    today: dt.date | None = None,
) -> tuple[VerifiedSaves, ...]:
    """The saves made in the date range (by the day they were made) of the filtered plans,
    countries and tenure bands, per month, kind and variant, with how many are due and verified
    1, 2 and 3 cycles later; by month, then kind (SAVE_KINDS order), then variant (None last).
    One GROUP BY over the saved flows, by the index on (outcome, finished_at)."""
    require_admin(actor)
    filters = check(filters)
    today = today or clock.today()
    kind = case(
        (F.outcome == OUTCOME_SAVED_KEPT, literal_column(f"'{KEPT}'")),
        else_=func.coalesce(F.offer_kind, literal_column(f"'{OFFER_KIND_CUSTOM_PLAN}'")),
    )
    with db.transaction() as s:
        month = _month(s, F.finished_at)
        sums = []
        for k in CYCLES:
            due = F.finished_at < due_before(today, k)
            sums.append(func.sum(case((due, 1), else_=0)))
            sums.append(func.sum(case((and_(due, F.paid_cycles_after >= k), 1), else_=0)))
        statement = (
            select(month, kind, F.variant, func.count(), *sums)
            .where(
                F.outcome.in_(SAVED_OUTCOMES),
                F.finished_at.is_not(None),
                *_day_range(F.finished_at, filters),
                *_segment_where(filters),
            )
            # by position: the same expressions twice would be two sets of parameters
            .group_by(*(literal_column(str(i)) for i in (1, 2, 3)))
        )
        rows = s.connection().execute(statement).all()
    order = {k: i for i, k in enumerate(SAVE_KINDS)}
    out = [
        VerifiedSaves(
            *(int(n or 0) for n in counts), month=_as_date(m), kind=str(kd), variant=variant
        )
        for m, kd, variant, *counts in rows
    ]
    out.sort(
        key=lambda r: (r.month, order.get(r.kind, len(order)), r.kind, r.variant is None,
                       r.variant or "")
    )  # fmt: skip
    return tuple(out)


# --- the offers by kind ------------------------------------------------------------------------


@dataclass(frozen=True)
class PriceSpread:
    """Monthly prices in cents: the median (the mean of the two middle ones for an even count,
    rounded to the cent), the lowest and the highest, and how many."""

    median_cents: int
    low_cents: int
    high_cents: int
    count: int


@dataclass(frozen=True)
class OfferKindFigures:
    """One kind of offer: the flows shown it, the flows it saved, what they pay a month."""

    kind: str
    shown: int  # flows shown an offer of this kind
    accepted: int  # flows saved by it (outcome saved_offer, offer_kind = kind)
    revenue_kept_cents: int  # the monthly revenue of those flows, added up
    requested_prices: PriceSpread | None  # custom plan: the requested monthly prices
    accepted_prices: PriceSpread | None  # pause: 0; discount: discounted; downgrade: new plan

    @property
    def save_rate(self) -> float | None:
        """accepted / shown; None when it was never shown."""
        return _ratio(self.accepted, self.shown)


def spread(prices: Mapping[int, int]) -> PriceSpread | None:
    """The spread of prices given as {price: how many}; None when there are none."""
    values = sorted((p, n) for p, n in prices.items() if n > 0)
    count = sum(n for _p, n in values)
    if not count:
        return None

    def nth(i: int) -> int:  # the i-th price (from 0) in order
        for price, n in values:
            if i < n:
                return price
            i -= n
        raise IndexError(i)  # pragma: no cover

    middle = count // 2
    median = nth(middle) if count % 2 else (nth(middle - 1) + nth(middle) + 1) // 2
    return PriceSpread(median, values[0][0], values[-1][0], count)


def _params(text: str | None) -> dict[str, Any]:
    try:
        value = json.loads(text or "")
    except (TypeError, ValueError):
        return {}
    return value if isinstance(value, dict) else {}


def _accepted_price(
    kind: str, params: dict[str, Any], revenue_cents: int, plans: Mapping[str, int]
) -> int | None:
    """What an accepted offer's customer pays a month from the next cycle (None: not known)."""
    if kind == OFFER_KIND_PAUSE:
        return 0
    if kind == OFFER_KIND_DISCOUNT:
        percent = params.get("percent")
        return discounted_cents(revenue_cents, int(percent)) if percent else None
    if kind == OFFER_KIND_DOWNGRADE:
        code = str(params.get("plan_code") or "")
        return plans.get(code, plan_price(code))
    return None


def offer_kinds(
    db: Database, actor: CurrentUser | None, filters: Filters
) -> tuple[OfferKindFigures, ...]:
    """Every offer kind (OFFER_KINDS order, zeros too) for the flows started in the date range
    of the filtered plans, countries and tenure bands: flows shown it, flows it saved, their
    monthly revenue, and the prices asked (custom plan) or taken (the other kinds).

    The flows shown the custom plan are the running totals' (`insight_totals.offer_shown`: the
    flow's offer facts are the custom plan's), the same figure as the custom plan's section;
    the other kinds are one GROUP BY over their offers, each looking up its flow; the saved
    flows another, found by their outcome and what they took."""
    require_admin(actor)
    filters = check(filters)
    segment = _segment_where(filters)
    with db.transaction() as s:
        conn = s.connection()
        custom_shown = running.read(s, filters, "month").sums["offer_shown"]
        in_scope = select(literal_column("1")).where(
            F.id == R.flow_id, *_day_range(F.started_at, filters), *segment
        )
        shown = dict(
            conn.execute(
                select(R.kind, func.count(func.distinct(R.flow_id)))
                .where(R.kind != OFFER_KIND_CUSTOM_PLAN, in_scope.exists())
                .group_by(R.kind)
            ).all()
        )
        shown[OFFER_KIND_CUSTOM_PLAN] = custom_shown
        taken = and_(
            R.flow_id == F.id,
            # a flow saved by a custom plan before playbooks may not name its kind
            R.kind == func.coalesce(F.offer_kind, literal_column(f"'{OFFER_KIND_CUSTOM_PLAN}'")),
            (R.accepted_at.is_not(None)) | (R.requested_at.is_not(None)),
        )
        # the saved flows by their outcome and end (a flow ends after it starts), not by the
        # start: a few thousand saves, not every flow of the range
        started = func.coalesce(F.started_at, F.started_at)
        ended = [F.finished_at >= utc_midnight(filters.start)] if filters.start else []
        saves = conn.execute(
            select(F.offer_kind, R.params, R.monthly_price_cents, F.monthly_revenue_cents,
                   func.count())
            .outerjoin(R, taken)
            .where(F.outcome == OUTCOME_SAVED_OFFER, *ended, *_day_range(started, filters),
                   *segment)
            .group_by(F.offer_kind, R.params, R.monthly_price_cents, F.monthly_revenue_cents)
        ).all()  # fmt: skip
        plans = dict(s.execute(select(Plan.code, Plan.monthly_price_cents)).all())
    accepted: dict[str, int] = {}
    revenue: dict[str, int] = {}
    requested: dict[str, dict[int, int]] = {}
    taken_prices: dict[str, dict[int, int]] = {}
    for kind, params, asked, monthly, n in saves:
        kind = kind or OFFER_KIND_CUSTOM_PLAN
        n, monthly = int(n), int(monthly or 0)
        accepted[kind] = accepted.get(kind, 0) + n
        revenue[kind] = revenue.get(kind, 0) + n * monthly
        if kind == OFFER_KIND_CUSTOM_PLAN:
            if asked is not None:
                bucket = requested.setdefault(kind, {})
                bucket[int(asked)] = bucket.get(int(asked), 0) + n
            continue
        price = _accepted_price(kind, _params(params), monthly, plans)
        if price is not None:
            bucket = taken_prices.setdefault(kind, {})
            bucket[price] = bucket.get(price, 0) + n
    return tuple(
        OfferKindFigures(
            kind=kind,
            shown=int(shown.get(kind, 0)),
            accepted=accepted.get(kind, 0),
            revenue_kept_cents=revenue.get(kind, 0),
            requested_prices=spread(requested.get(kind, {})),
            accepted_prices=spread(taken_prices.get(kind, {})),
        )
        for kind in OFFER_KINDS
    )


__all__ = [
    "CYCLES",
    "KEPT",
    "SAVE_KINDS",
    "OfferKindFigures",
    "PriceSpread",
    "SaveCounts",
    "VerifiedSaves",
    "add_up",
    "by_kind",
    "by_variant",
    "due_before",
    "offer_kinds",
    "spread",
    "verified_saves",
]
