"""The insights' filters in a link: what a share link says, and what a link typed, cut or
tampered with gives (the defaults and the names of what was left out, never an exception)."""

from __future__ import annotations

import datetime as dt

import pytest

from core.insights import analytics
from core.insights.analytics import FilterOptions, Filters, filters_from_query, query_of

TODAY = dt.date(2026, 11, 26)
FIRST = dt.date(2025, 3, 4)  # the first flow on record: the default range starts there
DEFAULT = (FIRST, TODAY)
OPTIONS = FilterOptions(
    plans=(("starter", "Starter"), ("growth", "Growth"), ("pro", "Pro")),
    countries=("AT", "DE", "IT"),
    tenures=analytics.TENURE_BANDS,
    first_day=FIRST,
    last_day=TODAY,
)


def read(**params):
    return filters_from_query(params, OPTIONS, TODAY)


def test_a_share_link_names_every_filter_and_leaves_out_empty_choices():
    chosen = Filters(
        dt.date(2026, 1, 1), dt.date(2026, 3, 31), ("growth", "pro"), ("IT", "DE"), ("<6m", "1-2y")
    )
    assert query_of(chosen) == {
        "from": "2026-01-01",
        "to": "2026-03-31",
        "plan": "growth,pro",
        "country": "IT,DE",
        "tenure": "<6m,1-2y",
    }
    assert query_of(Filters(dt.date(2026, 1, 1), dt.date(2026, 1, 1))) == {
        "from": "2026-01-01",
        "to": "2026-01-01",
    }
    assert query_of(Filters()) == {}


def test_the_link_opens_the_same_filters():
    chosen = Filters(
        dt.date(2026, 1, 1), dt.date(2026, 3, 31), ("starter", "pro"), ("DE", "IT"), ("2y+",)
    )
    back = filters_from_query(query_of(chosen), OPTIONS, TODAY)
    assert back == analytics.FromUrl(chosen, ())


def test_a_url_naming_no_filter_gives_none_and_other_parameters_are_ignored():
    assert read() == analytics.FromUrl(None, ())
    assert read(utm_source="mail", account="12") == analytics.FromUrl(None, ())


def test_a_plan_alone_keeps_the_default_dates():
    assert read(plan="growth") == analytics.FromUrl(Filters(*DEFAULT, ("growth",)), ())


def test_one_end_alone_takes_the_other_from_the_defaults():
    start = dt.date(2026, 6, 1)
    assert read(**{"from": "2026-06-01"}).filters == Filters(start, TODAY)
    assert read(to="2026-06-01").filters == Filters(FIRST, start)
    # an end before the default start is a reversed range: both defaults
    assert read(to="2025-01-01") == analytics.FromUrl(
        Filters(*DEFAULT), ("insights.url.dates_reversed",)
    )


@pytest.mark.parametrize(
    ("start", "end", "problem"),
    [
        ("2026-13-01", "2026-03-31", "insights.url.dates_unreadable"),  # no 13th month
        ("2026-02-30", "2026-03-31", "insights.url.dates_unreadable"),
        ("yesterday", "2026-03-31", "insights.url.dates_unreadable"),
        ("20260101", "2026-03-31", "insights.url.dates_unreadable"),  # not YYYY-MM-DD
        ("2026-1-1", "2026-03-31", "insights.url.dates_unreadable"),
        ("2026-01-01T00:00", "2026-03-31", "insights.url.dates_unreadable"),
        ("1999-12-31", "2026-03-31", "insights.url.dates_out_of_range"),
        ("2026-01-01", "2101-01-01", "insights.url.dates_out_of_range"),
        ("2026-01-01", "2026-11-27", "insights.url.dates_out_of_range"),  # after today
        ("2026-03-31", "2026-01-01", "insights.url.dates_reversed"),
    ],
)
def test_a_bad_date_range_gives_the_defaults_and_says_why(start, end, problem):
    got = read(**{"from": start, "to": end, "plan": "growth"})
    assert got == analytics.FromUrl(Filters(*DEFAULT, ("growth",)), (problem,))


def test_the_edges_are_allowed():
    got = read(**{"from": "2000-01-01", "to": TODAY.isoformat()})
    assert got == analytics.FromUrl(Filters(dt.date(2000, 1, 1), TODAY), ())


def test_unknown_plans_countries_and_bands_are_dropped_and_named_in_order():
    got = read(plan="growth,gold", country="IT,XX,atlantis", tenure="<6m,10y")
    assert got.filters == Filters(*DEFAULT, ("growth",), ("IT",), ("<6m",))
    assert got.problems == (
        "insights.url.unknown_plan",
        "insights.url.unknown_country",
        "insights.url.unknown_tenure",
    )
    nothing_known = read(plan="gold")
    assert nothing_known == analytics.FromUrl(Filters(*DEFAULT), ("insights.url.unknown_plan",))


def test_dates_and_values_wrong_at_once_are_all_named():
    got = read(**{"from": "2026-03-31", "to": "2026-01-01", "country": "ZZ"})
    assert got.problems == ("insights.url.dates_reversed", "insights.url.unknown_country")
    assert got.filters == Filters(*DEFAULT)


def test_a_hand_typed_link_is_read_kindly():
    # a country in lower case, spaces after commas, a value twice, empty pieces, "2y+" whose
    # "+" a query string turned into a space
    got = read(country="it, de,,IT", plan=" pro ,", tenure="2y ")
    assert got == analytics.FromUrl(Filters(*DEFAULT, ("pro",), ("DE", "IT"), ("2y+",)), ())
    assert read(plan="") == analytics.FromUrl(Filters(*DEFAULT), ())


def test_a_parameter_given_twice():
    # lists: both are read
    got = read(plan=["growth", "pro"], country=["IT"])
    assert got == analytics.FromUrl(Filters(*DEFAULT, ("growth", "pro"), ("IT",)), ())
    # the same day twice is that day; two different days for one end are unreadable
    same = read(**{"from": ["2026-01-01", "2026-01-01"]})
    assert same.filters == Filters(dt.date(2026, 1, 1), TODAY)
    two = read(**{"from": ["2026-01-01", "2026-02-01"], "to": "2026-03-01"})
    assert two == analytics.FromUrl(Filters(*DEFAULT), ("insights.url.dates_unreadable",))


def test_a_huge_parameter_is_not_read():
    huge = "growth," * 100_000
    got = read(plan=huge, **{"from": "2026-01-01" * 1000})
    assert got == analytics.FromUrl(
        Filters(*DEFAULT), ("insights.url.dates_unreadable", "insights.url.unknown_plan")
    )
    # thousands of pieces that are not too long in all: read, and the unknown ones named
    many = ",".join(f"P{i}" for i in range(300))
    assert read(plan=many).problems == ("insights.url.unknown_plan",)


def test_more_values_than_a_filter_may_hold_are_cut_and_named():
    countries = tuple(f"{a}{b}" for a in "ABCDEFGH" for b in "ABCDEFGH")  # 64 codes
    options = FilterOptions((), countries, analytics.TENURE_BANDS, FIRST, TODAY)
    got = filters_from_query({"country": ",".join(countries)}, options, TODAY)
    assert got.filters.countries == countries[: analytics.MAX_FILTER_VALUES]
    assert got.problems == ("insights.url.too_many",)


def test_what_is_not_text_is_ignored_without_an_exception():
    got = filters_from_query({"plan": [None, 3, "pro"]}, OPTIONS, TODAY)  # type: ignore[list-item]
    assert got == analytics.FromUrl(Filters(*DEFAULT, ("pro",)), ())


def test_the_defaults_without_any_flow_on_record():
    options = FilterOptions(OPTIONS.plans, (), analytics.TENURE_BANDS, None, None)
    got = filters_from_query({"to": "1999-01-01"}, options, TODAY)
    assert got.filters == Filters(dt.date(2024, 11, 26), TODAY)  # 24 months back at most
    assert got.problems == ("insights.url.dates_out_of_range",)


def test_every_problem_is_said_in_both_languages():
    from core.insights import url_filters
    from core.platform import i18n

    keys = [
        url_filters.DATES_UNREADABLE,
        url_filters.DATES_REVERSED,
        url_filters.DATES_OUT_OF_RANGE,
        url_filters.TOO_MANY,
        *url_filters.UNKNOWN.values(),
    ]
    for key in keys:
        assert i18n.has_key(key), key
