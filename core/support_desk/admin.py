"""Read-only figures for admins. Every function here refuses anyone who is not an admin."""

from __future__ import annotations

from sqlalchemy import func, select

from core.identity.auth import CurrentUser, require_admin
from core.platform.db import Database
from core.platform.models import (
    SUBSCRIPTION_STATUSES,
    CancellationFlow,
    Subscription,
    SupportRequest,
)


def subscription_counts(db: Database, actor: CurrentUser | None) -> dict[str, int]:
    """How many subscriptions are in each state."""
    require_admin(actor)
    with db.transaction() as s:
        rows = s.execute(
            select(Subscription.status, func.count()).group_by(Subscription.status)
        ).all()
    counts = dict.fromkeys(SUBSCRIPTION_STATUSES, 0)
    counts.update({status: n for status, n in rows})
    return counts


def flow_outcomes(db: Database, actor: CurrentUser | None) -> dict[str, int]:
    """Cancellation flows by outcome (anonymised ones of purged accounts included)."""
    require_admin(actor)
    with db.transaction() as s:
        rows = s.execute(
            select(CancellationFlow.outcome, func.count()).group_by(CancellationFlow.outcome)
        ).all()
    return {outcome: n for outcome, n in rows}


def open_support_requests(db: Database, actor: CurrentUser | None) -> dict[str, int]:
    require_admin(actor)
    with db.transaction() as s:
        rows = s.execute(
            select(SupportRequest.kind, func.count())
            .where(SupportRequest.status == "open")
            .group_by(SupportRequest.kind)
        ).all()
    return {kind: n for kind, n in rows}
