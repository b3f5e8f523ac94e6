"""What the insights are filtered by: the filter (a date range of UTC days, plans, countries,
tenure bands), its checks, the values it offers, the date range shown at first, and the
countries' names in the admin's language."""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from babel import Locale
from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from core.identity.auth import CurrentUser, require_admin
from core.insights.buckets import utc_midnight
from core.platform import clock
from core.platform.db import Database
from core.platform.errors import InvalidInput
from core.platform.i18n import locale_of
from core.platform.models import CancellationFlow, Plan, SurveyAnswer
from core.platform.text import lookup_text
from core.rules import billing
from core.rules.vocabulary import TENURE_BANDS

# i18n key of each tenure band (the band codes themselves are not key-friendly)
TENURE_KEYS = {
    "<6m": "insights.tenure.under_six_months",
    "6-12m": "insights.tenure.six_to_twelve_months",
    "1-2y": "insights.tenure.one_to_two_years",
    "2y+": "insights.tenure.over_two_years",
}
MAX_FILTER_VALUES = 50
FIRST_DAY, LAST_DAY = dt.date(2000, 1, 1), dt.date(2100, 12, 31)  # the dates a filter may name
DEFAULT_MONTHS = 24  # the date range shown at first reaches this far back at most


@dataclass(frozen=True)
class Filters:
    """What every figure and chart obeys. Empty tuples mean "all". Hashable, so a page can key
    a cache on it."""

    start: dt.date | None = None
    end: dt.date | None = None  # included
    plans: tuple[str, ...] = ()
    countries: tuple[str, ...] = ()
    tenures: tuple[str, ...] = ()

    @classmethod
    def chosen(
        cls,
        dates: Sequence[dt.date] | dt.date | None,
        plans: Iterable[str] = (),
        countries: Iterable[str] = (),
        tenures: Iterable[str] = (),
    ) -> Filters:
        """The filter a form holds: a date picker's value (no day, one day, or the first and
        the last day; one day alone is that day) and the values chosen (none: all)."""
        days = tuple(dates) if isinstance(dates, tuple | list) else (dates,) if dates else ()
        start = days[0] if days else None
        end = days[1] if len(days) > 1 else start
        return cls(start, end, tuple(plans), tuple(countries), tuple(tenures))

    def previous(self) -> Filters | None:
        """The same filters over the period of the same length just before (`end` the day
        before `start`); None when either end is open or it would start before FIRST_DAY.
        1-15 March 2028 (15 days) gives 15-29 February 2028; a whole month gives the days just
        before it, not the month before (March 2028's 31 days: 30 January to 29 February)."""
        if self.start is None or self.end is None or self.end < self.start:
            return None
        end = self.start - dt.timedelta(days=1)
        start = end - (self.end - self.start)
        if start < FIRST_DAY:
            return None
        return replace(self, start=start, end=end)


def check(filters: Filters) -> Filters:
    """The filters, if every value is one a filter may hold; `InvalidInput` otherwise."""
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


def answer_where(filters: Filters) -> list[ColumnElement[bool]]:
    """The filters on the answers' own copies of their flow's start, plan, country and tenure
    band: no answer needs its flow to be found."""
    A = SurveyAnswer
    where: list[ColumnElement[bool]] = []
    if filters.plans:
        where.append(A.plan_code.in_(filters.plans))
    if filters.countries:
        where.append(A.country.in_(filters.countries))
    if filters.tenures:
        where.append(A.tenure_band.in_(filters.tenures))
    if filters.start:
        where.append(A.flow_started_at >= utc_midnight(filters.start))
    if filters.end:
        where.append(A.flow_started_at < utc_midnight(filters.end + dt.timedelta(days=1)))
    return where


# --- what the filters offer ------------------------------------------------------------------


@dataclass(frozen=True)
class FilterOptions:
    plans: tuple[tuple[str, str], ...]  # (code, name), cheapest first
    countries: tuple[str, ...]
    tenures: tuple[str, ...]
    first_day: dt.date | None  # of the first flow on record
    last_day: dt.date | None


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


def _first_and_last(s: Session) -> tuple[dt.datetime | None, dt.datetime | None]:
    """When the first and the last flow on record started. Two statements: SQLite answers a
    lone MIN or MAX from the index in one step, but scans the table for both at once."""
    conn = s.connection()
    first = conn.scalar(select(func.min(CancellationFlow.started_at)))
    last = conn.scalar(select(func.max(CancellationFlow.started_at)))
    return first, last


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
        other = _distinct(s, CancellationFlow.plan_code)
        countries = _distinct(s, CancellationFlow.country)
        first, last = _first_and_last(s)
    return FilterOptions(
        plans=tuple((c, n) for c, n in plans) + tuple((c, c) for c in other if c not in known),
        countries=tuple(countries),
        tenures=TENURE_BANDS,
        first_day=first.date() if first else None,
        last_day=last.date() if last else None,
    )


def default_range(
    first_day: dt.date | None, today: dt.date | None = None
) -> tuple[dt.date, dt.date]:
    """The date range shown at first: from the first flow on record (`first_day`, see
    `FilterOptions`), at most `DEFAULT_MONTHS` months back, to today (UTC)."""
    today = today or clock.today()
    earliest = billing.add_months(today, -DEFAULT_MONTHS)
    start = max(first_day, earliest) if first_day else earliest
    return min(start, today), today


# --- countries by name -----------------------------------------------------------------------


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
