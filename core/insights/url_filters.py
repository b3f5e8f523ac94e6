"""The insights' filters in a link: to the query parameters of the page's URL and back, with
every value checked (a reversed, unreadable or out-of-range date, an unknown plan, country or
band is dropped and named, so the page can say so and use its defaults).

`from=2026-01-01&to=2026-03-31&plan=growth,pro&country=IT,DE&tenure=<6m,1-2y`: each parameter
once, a list comma-separated, an empty choice left out. A link typed or pasted by hand is read
kindly where nothing is lost by it (a parameter given twice, a country in lower case, the `+`
of "2y+" that a query string turns into a space) and never raises."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from core.insights.filters import (
    FIRST_DAY,
    LAST_DAY,
    MAX_FILTER_VALUES,
    FilterOptions,
    Filters,
    default_range,
)

PARAMS = ("from", "to", "plan", "country", "tenure")  # the query parameters the filters own
MAX_PARAM_CHARS = 2000  # a longer value is not read at all (it cannot name a real filter)
ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")

DATES_UNREADABLE = "insights.url.dates_unreadable"
DATES_REVERSED = "insights.url.dates_reversed"
DATES_OUT_OF_RANGE = "insights.url.dates_out_of_range"
UNKNOWN = {
    "plan": "insights.url.unknown_plan",
    "country": "insights.url.unknown_country",
    "tenure": "insights.url.unknown_tenure",
}
TOO_MANY = "insights.url.too_many"  # more values than a filter may hold (MAX_FILTER_VALUES)


@dataclass(frozen=True)
class FromUrl:
    filters: Filters | None  # None: the URL named no filter at all
    problems: tuple[str, ...]  # i18n keys of what was wrong and left out, in order


def query_of(filters: Filters) -> dict[str, str]:
    """The query parameters that name the filters (none for an empty choice)."""
    query: dict[str, str] = {}
    if filters.start:
        query["from"] = filters.start.isoformat()
    if filters.end:
        query["to"] = filters.end.isoformat()
    for name, values in (
        ("plan", filters.plans),
        ("country", filters.countries),
        ("tenure", filters.tenures),
    ):
        if values:
            query[name] = ",".join(values)
    return query


def _given(value: str | Sequence[str]) -> list[str]:
    """Every value given for a parameter (a parameter may come more than once), as text."""
    if isinstance(value, str):
        return [value]
    return [v for v in value if isinstance(v, str)]


def _day(text: str) -> dt.date | None:
    """A `YYYY-MM-DD` day; None for anything else (fromisoformat alone would take "20260101")."""
    text = text.strip()
    if len(text) != 10 or not ISO_DAY.fullmatch(text):
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        return None


def _dates(
    given: Mapping[str, list[str]], default: tuple[dt.date, dt.date], today: dt.date
) -> tuple[tuple[dt.date, dt.date], str | None]:
    """The first and the last day the URL names (a missing end: the default's), or the default
    range and the problem that made the URL's unusable."""
    days: list[dt.date] = []
    for name, fallback in (("from", default[0]), ("to", default[1])):
        values = {v.strip() for v in given.get(name, [])} - {""}
        if not values:
            days.append(fallback)
            continue
        if len(values) > 1 or any(len(v) > MAX_PARAM_CHARS for v in values):
            return default, DATES_UNREADABLE  # two different days for one end
        day = _day(values.pop())
        if day is None:
            return default, DATES_UNREADABLE
        days.append(day)
    start, end = days
    if any(not (FIRST_DAY <= d <= LAST_DAY) or d > today for d in (start, end)):
        return default, DATES_OUT_OF_RANGE
    if start > end:
        return default, DATES_REVERSED
    return (start, end), None


def _choice(
    values: list[str], known: Iterable[str], *, tidy: Callable[[str], str] = str.strip
) -> tuple[tuple[str, ...], bool, bool]:
    """The known values named (in the order offered, once each), whether an unknown one was
    dropped, and whether more were named than a filter may hold."""
    pieces: list[str] = []
    unknown = False
    for value in values:
        if len(value) > MAX_PARAM_CHARS:
            unknown = True
            continue
        pieces += [tidy(p) for p in value.split(",")]
    named = {p for p in pieces if p}
    offered = list(known)
    unknown = unknown or bool(named - set(offered))
    chosen = tuple(v for v in offered if v in named)
    return chosen[:MAX_FILTER_VALUES], unknown, len(chosen) > MAX_FILTER_VALUES


def _tenure(text: str) -> str:
    """A band as written in a URL: typed by hand, "2y+" comes as "2y " (a query string's "+"
    is a space), which gets its "+" back."""
    tidy = text.strip()
    return f"{tidy}+" if tidy and text.endswith(" ") and not tidy.endswith("+") else tidy


def filters_from_query(
    params: Mapping[str, str | Sequence[str]], options: FilterOptions, today: dt.date
) -> FromUrl:
    """The filters a URL's query parameters name, every value checked against what the filters
    offer (`options`) and the dates a filter may hold (2000-01-01 to 2100-12-31, not after
    `today`). What is wrong is left out and named, in the order of the parameters; with any
    date problem both dates are the default range's. Parameters the filters do not own are
    ignored; a URL naming none of theirs gives `filters=None` (the page's own defaults)."""
    given = {name: _given(params[name]) for name in PARAMS if name in params}
    if not given:
        return FromUrl(None, ())
    problems: list[str] = []
    (start, end), problem = _dates(given, default_range(options.first_day, today), today)
    if problem:
        problems.append(problem)
    chosen: dict[str, tuple[str, ...]] = {}
    for name, known, tidy in (
        ("plan", [code for code, _name in options.plans], str.strip),
        ("country", options.countries, lambda s: s.strip().upper()),
        ("tenure", options.tenures, _tenure),
    ):
        values, unknown, too_many = _choice(given.get(name, []), known, tidy=tidy)
        chosen[name] = values
        if unknown:
            problems.append(UNKNOWN[name])
        if too_many and TOO_MANY not in problems:
            problems.append(TOO_MANY)
    filters = Filters(start, end, chosen["plan"], chosen["country"], chosen["tenure"])
    return FromUrl(filters, tuple(problems))
