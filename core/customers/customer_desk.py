"""The customer's side of customer service: their own requests (undo, custom plan, ...) with
number, date and status, and the last thing done to their subscription on their behalf or by
them (support undid the cancellation, reactivated the account; they resumed it), read from the
audit log. Customers only, their own account only.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

from sqlalchemy import select

from core.identity.auth import CurrentUser, require_customer
from core.platform import clock
from core.platform.db import Database
from core.platform.models import AuditEntry, SupportRequest
from core.rules.pricing import PlanConfig, plan_from, whole
from core.rules.vocabulary import (
    ACTION_CANCELLATION_RESUMED,
    ACTION_CANCELLATION_UNDONE,
    ACTION_SUBSCRIPTION_REACTIVATED,
    REQUEST_CUSTOM_PLAN,
    STATE_ACTIONS,
)

MAX_REQUESTS = 20
NOTICE_DAYS = 60  # how long the overview keeps saying what support did
# Of the audit actions that change the state of the subscription (`STATE_ACTIONS`, the newest
# decides), those the overview tells the customer about.
NOTICE_ACTIONS = (
    ACTION_CANCELLATION_UNDONE,
    ACTION_CANCELLATION_RESUMED,
    ACTION_SUBSCRIPTION_REACTIVATED,
)


@dataclass(frozen=True)
class PlanRequest:
    """A custom-plan request as the customer sees it."""

    number: int
    created_at: dt.datetime
    status: str  # open / handled
    config: PlanConfig | None  # None for an old free-text request
    monthly_price_cents: int | None
    existing: bool = False  # True: asked again, this open request was already there


def parse(row: SupportRequest, *, existing: bool = False) -> PlanRequest:
    """A custom-plan request row as the customer sees it: its message is the configuration and
    the monthly price they saw, as JSON (an old request's free text names no configuration)."""
    config, price = None, None
    try:
        data = json.loads(row.message) if row.message.startswith("{") else None
    except ValueError:
        data = None
    if isinstance(data, dict):
        config = plan_from(data)
        if config is not None:
            cents = data.get("monthly_price_cents")
            price = cents if whole(cents) else None
    return PlanRequest(row.id, row.created_at, row.status, config, price, existing)


@dataclass(frozen=True)
class MyRequest:
    number: int
    kind: str  # undo_cancellation / custom_plan / reactivation / other
    created_at: dt.datetime
    status: str  # open / handled
    handled_at: dt.datetime | None
    plan: PlanRequest | None  # custom-plan requests: configuration and price


def my_requests(db: Database, actor: CurrentUser | None) -> list[MyRequest]:
    """The customer's requests to customer service, newest first (at most 20)."""
    actor = require_customer(actor)
    with db.transaction() as s:
        rows = s.scalars(
            select(SupportRequest)
            .where(SupportRequest.account_id == actor.account_id)
            .order_by(SupportRequest.created_at.desc(), SupportRequest.id.desc())
            .limit(MAX_REQUESTS)
        ).all()
        return [
            MyRequest(
                number=r.id,
                kind=r.kind,
                created_at=r.created_at,
                status=r.status,
                handled_at=r.handled_at,
                plan=parse(r) if r.kind == REQUEST_CUSTOM_PLAN else None,
            )
            for r in rows
        ]


@dataclass(frozen=True)
class Notice:
    action: str  # cancellation_undone / cancellation_resumed / subscription_reactivated
    at: dt.datetime


def latest_notice(
    db: Database, actor: CurrentUser | None, *, now: dt.datetime | None = None
) -> Notice | None:
    """What the overview tells the customer: support undid their cancellation or reactivated
    their account (or they resumed it), if that is the latest change of their subscription and
    happened in the last 60 days."""
    actor = require_customer(actor)
    now = clock.now(now)
    with db.transaction() as s:
        entry = s.scalar(
            select(AuditEntry)
            .where(
                AuditEntry.account_id == actor.account_id,
                AuditEntry.action.in_(STATE_ACTIONS),
            )
            .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
            .limit(1)
        )
        if entry is None or entry.action not in NOTICE_ACTIONS:
            return None
        if entry.at < now - dt.timedelta(days=NOTICE_DAYS):
            return None
        return Notice(entry.action, entry.at)
