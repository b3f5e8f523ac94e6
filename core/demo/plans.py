"""The plan catalogue the demo sells: four plans, their monthly prices and limits per cycle."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.platform.models import Plan
from core.rules.pricing import CURRENCY


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
PLAN_CODES = tuple(spec.code for spec in PLANS)
PLAN_WEIGHTS = (35, 35, 22, 8)  # how often each plan is sold, in the order of PLANS


def ensure_plans(session: Session) -> dict[str, Plan]:
    """Insert the plans of the catalogue that are missing; return every plan by code."""
    existing = {plan.code: plan for plan in session.scalars(select(Plan))}
    for spec in PLANS:
        if spec.code not in existing:
            plan = Plan(**asdict(spec), currency=CURRENCY, is_custom=False)
            session.add(plan)
            existing[spec.code] = plan
    session.flush()
    return existing
