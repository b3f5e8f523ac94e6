"""The calendar of the insights, in UTC days: the trend's buckets (weeks from Monday, or
months) and the periods of `insight_totals` (days, weeks, months) that make up a date range.
Pure date arithmetic: no database."""

from __future__ import annotations

import datetime as dt

from core.rules import billing

GRANULARITIES = ("week", "month")


def utc_midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), dt.UTC)


def week_start(day: dt.date) -> dt.date:
    """The Monday of the day's week."""
    return day - dt.timedelta(days=day.weekday())


def bucket_of(day: dt.date, granularity: str) -> dt.date:
    """The first day of the day's bucket: its month's first day, or its week's Monday."""
    return day.replace(day=1) if granularity == "month" else week_start(day)


def bucket_end(day: dt.date, granularity: str) -> dt.date:
    """The first day after the bucket that starts on `day`."""
    return billing.add_months(day, 1) if granularity == "month" else day + dt.timedelta(weeks=1)


def buckets(first: dt.date, last: dt.date, granularity: str) -> tuple[dt.date, ...]:
    """Every bucket from the one of `first` to the one of `last`, empty ones too."""
    if granularity == "month":
        day, last = first.replace(day=1), last.replace(day=1)
        out = []
        while day <= last:
            out.append(day)
            day = billing.add_months(day, 1)
        return tuple(out)
    day, last = week_start(first), week_start(last)
    return tuple(day + dt.timedelta(weeks=i) for i in range((last - day).days // 7 + 1))


def cells(first: dt.date, last: dt.date, granularity: str) -> dict[tuple[str, dt.date], dt.date]:
    """The periods of `insight_totals` that make up the days first..last, each whole inside one
    bucket of the trend: (grain, period) -> bucket. A whole month is one "m" row; a month cut
    by the range is its whole weeks ("w") and the days left ("d"); a week cut by it, its days."""
    out: dict[tuple[str, dt.date], dt.date] = {}
    bucket = bucket_of(first, granularity)
    while bucket <= last:
        after = bucket_end(bucket, granularity)
        low, high = max(bucket, first), min(after - dt.timedelta(days=1), last)
        if low == bucket and high == after - dt.timedelta(days=1):
            out[("m" if granularity == "month" else "w", bucket)] = bucket
        else:
            day = low
            while day <= high:
                monday = week_start(day)
                week_end = monday + dt.timedelta(days=6)
                if granularity == "month" and monday == day and week_end <= high:
                    out[("w", monday)] = bucket
                    day = week_end + dt.timedelta(days=1)
                else:
                    out[("d", day)] = bucket
                    day += dt.timedelta(days=1)
        bucket = after
    return out
