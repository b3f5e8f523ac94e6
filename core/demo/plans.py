"""The catalogue's plans (`core.rules.pricing.PLANS`) in the database, how often the demo
sells each, and an agency on the enterprise plan (the large and the busy agencies)."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.identity.passwords import hash_password
from core.platform.models import Account, Plan, Subscription, User
from core.rules import billing
from core.rules.pricing import CURRENCY, PLANS, PlanSpec  # noqa: F401
from core.rules.vocabulary import ROLE_CUSTOMER, STATUS_ACTIVE

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


def enterprise_customer(
    session: Session,
    plan: Plan,
    *,
    company: str,
    email: str,
    full_name: str,
    password: str,
    created_at: dt.datetime,
    period: tuple[dt.date, dt.date],
) -> Account:
    """An Italian account on `plan`, billed monthly since `created_at` and now in its billing
    cycle `period`, and its customer, who signs in with `email` and `password`."""
    account = Account(company=company, country="IT", created_at=created_at)
    session.add(account)
    session.flush()
    session.add(
        Subscription(
            account_id=account.id,
            plan_id=plan.id,
            billing_interval=billing.MONTH,
            price_cents=plan.monthly_price_cents,
            currency=CURRENCY,
            status=STATUS_ACTIVE,
            started_at=created_at,
            current_period_start=period[0],
            current_period_end=period[1],
        )
    )
    session.add(
        User(
            account_id=account.id,
            email=email,
            full_name=full_name,
            password_hash=hash_password(password),
            role=ROLE_CUSTOMER,
            language=None,
            created_at=created_at,
        )
    )
    session.flush()
    return account
