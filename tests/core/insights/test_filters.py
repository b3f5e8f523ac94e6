"""The insights filter as a form fills it (`Filters.chosen`) and the date range shown at
first (`filters.default_range`)."""

from __future__ import annotations

import datetime as dt

import pytest

from core.insights.filters import DEFAULT_MONTHS, Filters, check, default_range

TODAY = dt.date(2026, 11, 26)
EARLIEST = dt.date(2024, 11, 26)  # DEFAULT_MONTHS before TODAY


def test_the_first_range_runs_from_the_first_flow_to_today():
    assert DEFAULT_MONTHS == 24
    assert default_range(dt.date(2026, 3, 4), TODAY) == (dt.date(2026, 3, 4), TODAY)


def test_the_first_range_reaches_back_two_years_at_most():
    assert default_range(dt.date(2019, 1, 1), TODAY) == (EARLIEST, TODAY)
    assert default_range(None, TODAY) == (EARLIEST, TODAY)  # nothing on record yet


def test_the_first_range_ends_today_even_if_a_flow_is_dated_later():
    assert default_range(dt.date(2027, 1, 1), TODAY) == (TODAY, TODAY)


def test_the_first_range_is_todays_by_default():
    start, end = default_range(None)
    assert end == dt.datetime.now(dt.UTC).date() and start < end


@pytest.mark.parametrize(
    ("picked", "start", "end"),
    [
        ((), None, None),
        (None, None, None),
        ((dt.date(2026, 5, 1),), dt.date(2026, 5, 1), dt.date(2026, 5, 1)),  # one day picked
        (dt.date(2026, 5, 1), dt.date(2026, 5, 1), dt.date(2026, 5, 1)),
        ((dt.date(2026, 5, 1), dt.date(2026, 6, 2)), dt.date(2026, 5, 1), dt.date(2026, 6, 2)),
        ([dt.date(2026, 5, 1), dt.date(2026, 6, 2)], dt.date(2026, 5, 1), dt.date(2026, 6, 2)),
    ],
)
def test_a_filter_is_made_from_the_date_pickers_value(picked, start, end):
    filters = Filters.chosen(picked, ["growth"], iter(["IT"]), ("<6m",))
    assert filters == Filters(start, end, ("growth",), ("IT",), ("<6m",))
    assert check(filters) == filters
    hash(filters)  # a page keys its cache on it
