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
the verified saves, the day it started for the offers (as every other figure). The database
counts: both read running totals its triggers keep (migration 0007: `insight_saves` by the day
of the save, `insight_offers` by the day of the start, per plan, country and band), added up
like the rest of the page's (`totals`): whole months from month rows, the rest from weeks and
days. A save is due k cycles later by the day it was made alone, so the saves due for k are
the rows of the days up to k months before today.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, fields

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.identity.auth import CurrentUser, require_admin
from core.insights import totals as running
from core.insights.buckets import cells, utc_midnight
from core.insights.filters import Filters, check
from core.platform import clock
from core.platform.db import Database
from core.platform.insight_tables import OFFER_COUNTS, SAVE_COUNTS, InsightOffer, InsightSave
from core.platform.models import ALL_COUNTRIES
from core.rules import billing
from core.rules.vocabulary import OFFER_KIND_CUSTOM_PLAN, OFFER_KINDS

KEPT = "kept"  # the "kind" of a save by "Keep my subscription"
SAVE_KINDS = (KEPT, *OFFER_KINDS)  # in the order the page lists them
CYCLES = (1, 2, 3)  # verified 1, 2 and 3 cycles after the save

S = InsightSave
OFFER = InsightOffer


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


def due_before(today: dt.date, k: int) -> dt.datetime:
    """A save counts k cycles later when it was made before this moment: by the end of the
    day k months before today (`billing.add_months`)."""
    return utc_midnight(billing.add_months(today, -k) + dt.timedelta(days=1))


def last_due_day(today: dt.date, k: int) -> dt.date:
    """The last day a save may have been made on to count k cycles later (see `due_before`)."""
    return billing.add_months(today, -k)


def _days_on_record(s: Session, filters: Filters) -> tuple[dt.date, dt.date] | None:
    """The filter's days, within the first and the last day a save was made on (an open end is
    taken to them); None when there is nothing to count."""
    days = select(S.period).where(S.grain == "d", S.country == ALL_COUNTRIES)
    low = s.scalar(days.order_by(S.period).limit(1))
    high = s.scalar(days.order_by(S.period.desc()).limit(1))
    if low is None or high is None:
        return None
    first, last = max(filters.start or low, low), min(filters.end or high, high)
    return (first, last) if first <= last else None


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

    Read from `insight_saves`: the periods (months, weeks, days) that make up the range give
    the saves; those that make up the range cut at k months before today give the saves due for
    k and, of them, the verified. One GROUP BY over the rows of all those periods."""
    require_admin(actor)
    filters = check(filters)
    today = today or clock.today()
    with db.transaction() as s:
        span = _days_on_record(s, filters)
        if span is None:
            return ()
        first, last = span
        # period -> month, for the saves (0) and the saves due for k
        ranges = {0: cells(first, last, "month")}
        for k in CYCLES:
            cut = min(last, last_due_day(today, k))
            ranges[k] = cells(first, cut, "month") if first <= cut else {}
        every = {cell: month for part in ranges.values() for cell, month in part.items()}
        groups = (S.grain, S.period, S.kind, S.variant)
        counts = [func.sum(getattr(S, name)) for name in SAVE_COUNTS[:4]]
        rows = (
            s.connection()
            .execute(
                select(*groups, *counts)
                .where(*running.Scope(every, filters).where(S))
                .group_by(*groups)
            )
            .all()
        )
    table: dict[tuple[dt.date, str, str | None], dict[str, int]] = {}
    for grain, period, kind, variant, saves, *verified in rows:
        cell = (grain, period)
        key = (every[cell], str(kind), variant or None)
        row = table.setdefault(key, ZERO.counts())
        if cell in ranges[0]:
            row["saves"] += int(saves or 0)
        for k in CYCLES:
            if cell in ranges[k]:
                row[f"due_{k}"] += int(saves or 0)
                row[f"verified_{k}"] += int(verified[k - 1] or 0)
    order = {k: i for i, k in enumerate(SAVE_KINDS)}
    out = [
        VerifiedSaves(**counts, month=month, kind=kind, variant=variant)
        for (month, kind, variant), counts in table.items()
        if counts["saves"]
    ]
    out.sort(
        key=lambda r: (r.month, order.get(r.kind, len(order)), r.kind, r.variant is None,
                       r.variant or "")
    )  # fmt: skip
    return tuple(out)


# --- the offers by kind ------------------------------------------------------------------------


@dataclass(frozen=True)
class PriceSpread:
    """Monthly prices in cents: their average (rounded to the cent, half up) and how many."""

    average_cents: int
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


def spread(total_cents: int, count: int) -> PriceSpread | None:
    """The average of `count` prices adding up to `total_cents`; None when there are none."""
    if count <= 0:
        return None
    return PriceSpread((2 * total_cents + count) // (2 * count), count)


def offer_kinds(
    db: Database, actor: CurrentUser | None, filters: Filters
) -> tuple[OfferKindFigures, ...]:
    """Every offer kind (OFFER_KINDS order, zeros too) for the flows started in the date range
    of the filtered plans, countries and tenure bands: flows shown it (the custom plan: the
    flows' offer fact, the same figure as the custom plan's section), flows it saved, their
    monthly revenue, and the average monthly price asked (custom plan) or taken (the other
    kinds). One sum over the rows of `insight_offers` of the periods that make up the range."""
    require_admin(actor)
    filters = check(filters)
    sums = dict.fromkeys(OFFER_COUNTS, 0)
    with db.transaction() as s:
        scope = running.scope(s, filters)
        if scope is not None:
            row = (
                s.connection()
                .execute(
                    select(*(func.sum(getattr(OFFER, name)) for name in OFFER_COUNTS)).where(
                        *scope.where(OFFER)
                    )
                )
                .one()
            )
            sums = {name: int(n or 0) for name, n in zip(OFFER_COUNTS, row, strict=True)}
    out = []
    for kind in OFFER_KINDS:
        prices = spread(sums[f"price_sum_{kind}"], sums[f"price_count_{kind}"])
        custom = kind == OFFER_KIND_CUSTOM_PLAN
        out.append(
            OfferKindFigures(
                kind=kind,
                shown=sums[f"shown_{kind}"],
                accepted=sums[f"accepted_{kind}"],
                revenue_kept_cents=sums[f"revenue_kept_{kind}"],
                requested_prices=prices if custom else None,
                accepted_prices=None if custom else prices,
            )
        )
    return tuple(out)


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
    "last_due_day",
    "offer_kinds",
    "spread",
    "verified_saves",
]
