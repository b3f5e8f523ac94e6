"""The rules in core.rules: tenure bands, the custom plan's price and limits, invoice numbers."""

from __future__ import annotations

import datetime as dt

import pytest

from core.platform import i18n
from core.platform.errors import InvalidInput
from core.retention import custom_plan
from core.rules import billing, pricing, vocabulary
from core.rules.pricing import CUSTOM_PLAN_FLOOR_CENTS, PlanConfig, PlanProblem
from core.rules.vocabulary import TENURE_BANDS, tenure_band


def at(year: int, month: int, day: int, hour: int = 12) -> dt.datetime:
    return dt.datetime(year, month, day, hour, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("created", "when", "band"),
    [
        (at(2026, 1, 31), at(2026, 7, 1), "6-12m"),  # calendar months: 6, though 151 days
        (at(2026, 1, 1), at(2026, 6, 30), "<6m"),  # 5 calendar months, 180 days
        (at(2026, 1, 15), at(2026, 7, 14), "6-12m"),
        (at(2025, 1, 31), at(2025, 12, 31), "6-12m"),  # 11 months
        (at(2025, 1, 31), at(2026, 1, 1), "1-2y"),  # 12 months, 335 days
        (at(2024, 12, 1), at(2026, 11, 30), "1-2y"),  # 23 months
        (at(2024, 12, 31), at(2026, 12, 1), "2y+"),  # 24 months
        (at(2026, 3, 1, 23), at(2026, 3, 1, 0), "<6m"),  # the same day
    ],
)
def test_tenure_bands_count_calendar_months(created, when, band):
    assert tenure_band(created, when) == band
    assert band in TENURE_BANDS


def test_tenure_bands_take_dates_as_well():
    assert tenure_band(dt.date(2026, 1, 31), dt.date(2026, 7, 1)) == "6-12m"


def test_the_base_plan_costs_the_floor():
    assert CUSTOM_PLAN_FLOOR_CENTS == 9800
    assert pricing.price_custom_plan(PlanConfig()) == CUSTOM_PLAN_FLOOR_CENTS
    # less than the base includes costs no less
    assert pricing.price_custom_plan(PlanConfig(searches=0, unlocks=0, campaigns=0)) == 9800


def test_200_searches_and_2_seats():
    # one step of 100 searches ($6) and one seat ($15) above the base
    assert pricing.price_custom_plan(PlanConfig(searches=200, seats=2)) == 9800 + 600 + 1500


def test_steps_are_whole_and_rounded_up():
    assert pricing.price_custom_plan(PlanConfig(searches=101)) == 9800 + 600
    assert pricing.price_custom_plan(PlanConfig(unlocks=51)) == 9800 + 900
    assert pricing.price_custom_plan(PlanConfig(campaigns=5)) == 9800 + 3 * 1000


def test_every_unit_is_priced_and_named_once():
    assert pricing.UNIT_NAMES == ("searches", "unlocks", "seats", "campaigns")
    assert set(pricing.UNIT_NAMES) == set(PlanConfig.__dataclass_fields__)
    for name in pricing.UNIT_NAMES:
        assert i18n.has_key(f"offer.unit.{name}")  # in every language


def test_seats_below_the_users_in_use_are_refused_with_the_catalog_message():
    config = PlanConfig(seats=2)
    assert pricing.plan_problems(config, seats_in_use=3) == (PlanProblem("seats", 3, 25),)
    with pytest.raises(InvalidInput) as refused:
        custom_plan.validate_plan(config, seats_in_use=3)
    assert refused.value.key == "cancel.error.plan_range"
    assert refused.value.params == {"least": 3, "most": 25}
    for lang in i18n.LANGUAGES:
        message = i18n.t(refused.value.key, lang, **refused.value.params)
        assert "3" in message and "25" in message
    with pytest.raises(ValueError):
        pricing.price_custom_plan(config, seats_in_use=3)
    assert pricing.price_custom_plan(PlanConfig(seats=3), seats_in_use=3) == 9800 + 2 * 1500


def test_a_plan_needs_at_least_one_seat_whatever_is_in_use():
    assert pricing.plan_problems(PlanConfig(seats=0)) == (PlanProblem("seats", 1, 25),)
    with pytest.raises(ValueError):
        pricing.price_custom_plan(PlanConfig(seats=0))


def test_values_must_be_whole_numbers_in_range():
    for bad in (
        PlanConfig(seats=26),
        PlanConfig(searches=-1),
        PlanConfig(unlocks=1.5),
        PlanConfig(campaigns=True),
    ):  # type: ignore[arg-type]
        with pytest.raises(InvalidInput):
            custom_plan.validate_plan(bad)
        with pytest.raises(ValueError):
            pricing.price_custom_plan(bad)


def test_a_stored_configuration_is_read_back_only_when_the_plan_can_hold_it():
    assert pricing.plan_from({"searches": 200, "unlocks": 50, "seats": 2, "campaigns": 2}) == (
        PlanConfig(searches=200, seats=2)
    )
    assert pricing.plan_from({"searches": 200}) is None
    assert pricing.plan_from({"searches": 200, "unlocks": 50, "seats": 0, "campaigns": 2}) is None


def test_invoice_numbers_are_unique_per_account_and_period():
    starts = [dt.date(2026, 1, 31), dt.date(2026, 2, 28), dt.date(2027, 1, 31)]
    numbers = {billing.invoice_number(a, d) for a in (1, 2, 999_999) for d in starts}
    assert len(numbers) == 9
    assert billing.invoice_number(42, dt.date(2026, 11, 10)) == "INV-20261110-000042"
    # the same account and period always give the same number (a renewal cannot bill twice)
    assert billing.invoice_number(42, dt.date(2026, 11, 10)) == billing.invoice_number(
        42, dt.date(2026, 11, 10)
    )


def test_the_last_days_derived_from_a_billing_period():
    end = dt.date(2026, 12, 10)
    assert billing.data_deletion_date(end) == dt.date(2027, 2, 10)
    assert billing.last_reactivation_day(end) == dt.date(2027, 2, 9)
    assert billing.last_resume_day(end) == dt.date(2026, 12, 9)
    assert billing.days_left(dt.date(2027, 2, 9), dt.date(2027, 2, 9)) == 0
    assert billing.days_left(dt.date(2027, 2, 9), dt.date(2027, 1, 30)) == 10


def test_the_vocabulary_is_consistent():
    assert set(vocabulary.SAVED_OUTCOMES) < set(vocabulary.OUTCOMES)
    assert vocabulary.OUTCOME_OPEN not in vocabulary.FINISHED_OUTCOMES
    assert set(vocabulary.MESSAGE_KINDS) < set(vocabulary.REQUEST_KINDS)
    assert len(set(vocabulary.REASONS)) == len(vocabulary.REASONS) == 7
    for reason in vocabulary.REASONS:
        assert i18n.has_key(f"reason.{reason}")  # in every language
    # each funnel stage has its own bit; a step that is no stage sets none
    bits = [vocabulary.stage_bit(steps[0]) for _stage, steps in vocabulary.FUNNEL]
    assert bits == [1, 2, 4, 8, 16]
    assert vocabulary.stage_bit("offer_shown") == 0


def test_confirmation_numbers_are_read_out_without_doubt():
    import random
    import re

    from core.rules import numbers

    shape = re.compile(r"CX-[A-HJ-NP-Z2-9]{8}")
    drawn = {numbers.confirmation_number() for _ in range(500)}
    assert len(drawn) == 500 and all(shape.fullmatch(n) for n in drawn)
    assert not any(c in n[3:] for n in drawn for c in "01IO")
    # the demo's seeded generator gives the same numbers for the same seed
    first = [numbers.confirmation_number(random.Random(7)) for _ in range(3)]
    assert first == [numbers.confirmation_number(random.Random(7)) for _ in range(3)]
