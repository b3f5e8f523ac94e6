"""The catalogue's plans (`core.rules.pricing.PLANS`) in the database, and how often the demo
sells each."""

from __future__ import annotations

from dataclasses import asdict

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.platform.models import Plan
from core.rules.pricing import CURRENCY, PLANS, PlanSpec  # noqa: F401

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
