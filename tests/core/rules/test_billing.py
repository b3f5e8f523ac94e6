import datetime as dt

import pytest

from core.rules import billing


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (dt.date(2026, 1, 31), 1, dt.date(2026, 2, 28)),
        (dt.date(2028, 1, 31), 1, dt.date(2028, 2, 29)),
        (dt.date(2026, 11, 30), 2, dt.date(2027, 1, 30)),
        (dt.date(2026, 12, 15), 12, dt.date(2027, 12, 15)),
    ],
)
def test_add_months_keeps_the_day_or_the_month_end(day, months, expected):
    assert billing.add_months(day, months) == expected


def test_the_period_containing_today_is_counted_from_the_start_without_drift():
    # started on 31 January: the cycles end on the last day of short months, then on the 31st
    start, end = billing.period_containing(dt.date(2026, 1, 31), "month", dt.date(2026, 3, 5))
    assert (start, end) == (dt.date(2026, 2, 28), dt.date(2026, 3, 31))
    start, end = billing.period_containing(dt.date(2025, 6, 1), "year", dt.date(2026, 11, 26))
    assert (start, end) == (dt.date(2026, 6, 1), dt.date(2027, 6, 1))


def test_today_is_always_inside_its_period():
    anchor = dt.date(2024, 5, 31)
    for offset in range(0, 800, 7):
        today = anchor + dt.timedelta(days=offset)
        start, end = billing.period_containing(anchor, "month", today)
        assert start <= today < end


def test_data_is_deleted_two_months_after_the_cycle_ends():
    assert billing.data_deletion_date(dt.date(2026, 12, 31)) == dt.date(2027, 2, 28)


def test_yearly_billing_costs_ten_months():
    assert billing.interval_price_cents(9800, "year") == 98000
    assert billing.monthly_equivalent_cents(98000, "year") == 8167
    with pytest.raises(ValueError):
        billing.period_months("week")
