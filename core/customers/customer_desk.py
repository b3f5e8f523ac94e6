"""The customer's side of customer service: their own requests (undo, custom plan, ...) with
number, date and status, and the last thing done to their subscription on their behalf or by
them (support undid the cancellation, reactivated the account; they resumed it), read from the
audit log. Customers only, their own account only.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select

from core.identity.auth import CurrentUser
from core.platform.db import Database
from core.platform.models import AuditEntry, SupportRequest
from core.retention import custom_plan
from core.retention.cancellation import _customer, _now

MAX_REQUESTS = 20
NOTICE_DAYS = 60  # how long the overview keeps saying what support did
# Audit actions that change the state of the subscription, newest decides the notice.
STATE_ACTIONS = (
    "cancellation_scheduled",
    "cancellation_undone",
    "cancellation_resumed",
    "subscription_ended",
    "subscription_reactivated",
)
NOTICE_ACTIONS = ("cancellation_undone", "cancellation_resumed", "subscription_reactivated")


@dataclass(frozen=True)
class MyRequest:
    number: int
    kind: str  # undo_cancellation / custom_plan / reactivation / other
    created_at: dt.datetime
    status: str  # open / handled
    handled_at: dt.datetime | None
    plan: custom_plan.PlanRequest | None  # custom-plan requests: configuration and price


def my_requests(db: Database, actor: CurrentUser | None) -> list[MyRequest]:
    """The customer's requests to customer service, newest first (at most 20)."""
    actor = _customer(actor)
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
                plan=custom_plan.parse(r) if r.kind == custom_plan.KIND else None,
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
    actor = _customer(actor)
    now = _now(now)
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
