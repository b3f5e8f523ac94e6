"""What is sold and at what price: the plans of the catalogue (`PLANS`: monthly price and
limits per billing cycle) and the custom plan: what it holds, the values it may take, and what
it costs per month ($98 for the base, plus whole steps of each unit above what the base
includes). The configurator, the use cases of `core.retention.custom_plan`, the support desk
and the demo generator all price and check a plan here."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

CUSTOM_PLAN_FLOOR_CENTS = 9800  # the base price: no custom plan costs less, per month
CURRENCY = "USD"


@dataclass(frozen=True)
class PlanSpec:
    """One plan of the catalogue: monthly price in cents and the limits per billing cycle."""

    code: str
    name: str
    monthly_price_cents: int
    searches_limit: int
    unlocks_limit: int
    seats_limit: int
    campaigns_limit: int
    lists_limit: int


PLANS = (
    PlanSpec("starter", "Starter", 9800, 100, 50, 1, 2, 5),
    PlanSpec("growth", "Growth", 24900, 500, 300, 3, 5, 20),
    PlanSpec("pro", "Pro", 49900, 2000, 1000, 10, 20, 100),
    PlanSpec("enterprise", "Enterprise", 129900, 10000, 5000, 50, 100, 500),
)


@dataclass(frozen=True)
class PlanConfig:
    """What a custom plan holds, per month."""

    searches: int = 100
    unlocks: int = 50
    seats: int = 1
    campaigns: int = 2


@dataclass(frozen=True)
class PlanUnit:
    name: str  # a PlanConfig field, and the i18n key suffix of its label (`offer.unit.<name>`)
    included: int  # in the base price
    step: int  # sold in steps of this many above what the base includes
    step_cents: int  # the price of one step, per month
    least: int
    most: int


UNITS: tuple[PlanUnit, ...] = (
    PlanUnit("searches", 100, 100, 600, 0, 5000),
    PlanUnit("unlocks", 50, 50, 900, 0, 3000),
    PlanUnit("seats", 1, 1, 1500, 1, 25),
    PlanUnit("campaigns", 2, 1, 1000, 0, 50),
)
UNIT_NAMES: tuple[str, ...] = tuple(u.name for u in UNITS)
SEATS = "seats"  # the unit that can never be below the account's users


@dataclass(frozen=True)
class PlanProblem:
    """A value the plan cannot hold: the customer must choose from `least` to `most`."""

    name: str
    least: int
    most: int


def whole(value: Any) -> bool:
    """An int that is not a bool: what a plan's values must be."""
    return isinstance(value, int) and not isinstance(value, bool)


def plan_problems(config: PlanConfig, seats_in_use: int = 0) -> tuple[PlanProblem, ...]:
    """Every value out of range (or not a whole number), in the order of `UNITS`. The seats
    are at least the unit's minimum and at least the users the account has (`seats_in_use`)."""
    out = []
    for unit in UNITS:
        least = unit.least
        if unit.name == SEATS:
            least = max(least, min(seats_in_use, unit.most))
        value = getattr(config, unit.name)
        if not whole(value) or not least <= value <= unit.most:
            out.append(PlanProblem(unit.name, least, unit.most))
    return tuple(out)


def price_custom_plan(config: PlanConfig, seats_in_use: int = 0) -> int:
    """Monthly price in cents: the floor for the base, plus each step above what the base
    includes (whole steps, rounded up). A plan out of range is a caller's mistake (a request is
    checked first, with `core.retention.custom_plan.validate_plan`): ValueError."""
    if plan_problems(config, seats_in_use):
        raise ValueError(f"no custom plan holds {config} with {seats_in_use} seats in use")
    price = CUSTOM_PLAN_FLOOR_CENTS
    for unit in UNITS:
        extra = max(0, getattr(config, unit.name) - unit.included)
        price += math.ceil(extra / unit.step) * unit.step_cents
    return price


def plan_from(values: dict[str, Any]) -> PlanConfig | None:
    """The plan a stored configuration names (a dict with every unit), or None if it names
    none or one the plan cannot hold."""
    try:
        config = PlanConfig(**{name: values[name] for name in UNIT_NAMES})
    except (KeyError, TypeError):
        return None
    return None if plan_problems(config) else config
