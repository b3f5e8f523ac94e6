"""Billing periods, money and invoice numbers: every date the portal shows is computed here
(the cycle, the renewal, when data is deleted, the last days to resume, reactivate and
export), and every invoice is numbered here."""

from __future__ import annotations

import calendar
import datetime as dt

MONTH = "month"
YEAR = "year"
INTERVALS = (MONTH, YEAR)


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day `months` later, clamped to the month's last day (31 Jan + 1 = 28/29 Feb)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def period_months(interval: str) -> int:
    if interval not in INTERVALS:
        raise ValueError(f"unknown billing interval {interval!r}")
    return 1 if interval == MONTH else 12


def next_period(start: dt.date, interval: str) -> tuple[dt.date, dt.date]:
    """The period that starts on `start`: (start, end), end exclusive of the next period."""
    return start, add_months(start, period_months(interval))


def period_containing(anchor: dt.date, interval: str, today: dt.date) -> tuple[dt.date, dt.date]:
    """The billing period, counted from `anchor`, that contains `today`."""
    step = period_months(interval)
    n = 0
    start = anchor
    while True:
        end = add_months(anchor, (n + 1) * step)
        if today < end:
            return start, end
        n += 1
        start = end


def interval_price_cents(monthly_cents: int, interval: str) -> int:
    """The price charged per interval: yearly billing gives two months free."""
    return monthly_cents if interval == MONTH else monthly_cents * 10


def monthly_equivalent_cents(price_cents: int, interval: str) -> int:
    return price_cents if interval == MONTH else round(price_cents / 12)


def data_deletion_date(period_end: dt.date, reactivation_months: int = 2) -> dt.date:
    """The day personal data is purged: `reactivation_months` after the cycle ends."""
    return add_months(period_end, reactivation_months)


def last_reactivation_day(period_end: dt.date, reactivation_months: int = 2) -> dt.date:
    """The last day support can reactivate an account whose cycle ended on `period_end`
    with its data: the day before the purge."""
    return data_deletion_date(period_end, reactivation_months) - dt.timedelta(days=1)


def last_resume_day(effective_on: dt.date) -> dt.date:
    """The last day a customer can resume a cancellation that takes effect on `effective_on`."""
    return effective_on - dt.timedelta(days=1)


def days_left(last_day: dt.date, today: dt.date) -> int:
    """Whole days from `today` to `last_day` (0 on the last day itself, negative after it)."""
    return (last_day - today).days


def invoice_number(account_id: int, period_start: dt.date) -> str:
    """The number of the account's invoice for the cycle that starts on `period_start`:
    `INV-20261110-000042`. Derived from the two, so the same cycle can never be billed twice
    (the number is UNIQUE) and two accounts never share a number."""
    return f"INV-{period_start:%Y%m%d}-{account_id:06d}"


def export_last_day(ended_on: dt.date, days: int = 30, reactivation_months: int = 2) -> dt.date:
    """The last day an ended subscription's data can still be exported (read-only): the
    window is the `days` days from the day the subscription ends (that day included), and
    always closes before the purge. `days=0`: the day before the end (no window)."""
    last = ended_on + dt.timedelta(days=days - 1)
    purge = data_deletion_date(ended_on, reactivation_months)
    return min(last, purge - dt.timedelta(days=1))
