"""The audit writer: one row in `audit_log` per change made for an account, by a person
(its user id and e-mail), by the lifecycle job ("lifecycle") or by the system."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from sqlalchemy.orm import Session

from core.platform.models import AuditEntry

LIFECYCLE = "lifecycle"  # the actor name of the lifecycle job's entries


def record(
    s: Session,
    *,
    action: str,
    account_id: int | None,
    before: dict[str, Any],
    after: dict[str, Any],
    at: dt.datetime,
    actor_user_id: int | None = None,
    actor_name: str = LIFECYCLE,
) -> None:
    """Add the entry to the session's transaction: it is written with the change or not at all."""
    s.add(
        AuditEntry(
            at=at,
            actor_user_id=actor_user_id,
            actor=actor_name,
            action=action,
            account_id=account_id,
            before=json.dumps(before, default=str),
            after=json.dumps(after, default=str),
        )
    )
