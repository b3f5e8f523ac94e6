"""What support does, one entry point each: undo a scheduled cancellation, reactivate an ended
account, mark a request handled. Undo and reactivate change the subscription through
`core.retention.way_back` (which checks its state and writes the audit log) and answer the
account's requests for it in the same transaction; every request closed is audited."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.identity.auth import CurrentUser, require_admin
from core.platform import audit, clock
from core.platform.config import Settings, load_settings
from core.platform.db import Database
from core.platform.errors import InvalidInput, NotFound
from core.platform.models import SupportRequest
from core.retention.way_back import reactivate_in, undo_in
from core.rules.vocabulary import (
    ACTION_CANCELLATION_UNDONE,
    ACTION_REQUEST_HANDLED,
    ACTION_SUBSCRIPTION_REACTIVATED,
    REQUEST_HANDLED,
    REQUEST_OPEN,
    REQUEST_REACTIVATION,
    REQUEST_UNDO,
)


def _handle(
    s: Session, actor: CurrentUser, request: SupportRequest, at: dt.datetime, via: str | None
) -> None:
    before = {"request": request.id, "kind": request.kind, "status": request.status}
    after: dict[str, Any] = {
        "request": request.id,
        "status": REQUEST_HANDLED,
        "handled_by": actor.email,
    }
    if via:
        after["via"] = via  # closed by this action, not by hand
    request.close(actor.id, at)
    audit.record(
        s,
        action=ACTION_REQUEST_HANDLED,
        account_id=request.account_id,
        before=before,
        after=after,
        at=at,
        actor_user_id=actor.id,
        actor_name=actor.email,
    )


def mark_handled(
    db: Database, actor: CurrentUser | None, request_id: int, *, now: dt.datetime | None = None
) -> None:
    """Close a request; refused if it is unknown or already handled."""
    actor = require_admin(actor)
    now = clock.now(now)
    with db.transaction(write=True) as s:
        request = s.scalar(
            select(SupportRequest).where(SupportRequest.id == request_id).with_for_update()
        )
        if request is None:
            raise NotFound("support.error.request_not_found")
        if request.status != REQUEST_OPEN:
            raise InvalidInput("support.error.already_handled")
        _handle(s, actor, request, now, None)


def _close_open_requests(
    s: Session, actor: CurrentUser, account_id: int, kind: str, via: str, now: dt.datetime
) -> int:
    """After an undo or a reactivation, the requests that asked for it are answered, in the
    same transaction: both happen, or neither."""
    open_requests = s.scalars(
        select(SupportRequest)
        .where(
            SupportRequest.account_id == account_id,
            SupportRequest.kind == kind,
            SupportRequest.status == REQUEST_OPEN,
        )
        .order_by(SupportRequest.id)
        .with_for_update()
    ).all()
    for request in open_requests:
        _handle(s, actor, request, now, via)
    return len(open_requests)


def undo(
    db: Database, actor: CurrentUser | None, account_id: int, *, now: dt.datetime | None = None
) -> int:
    """Undo a scheduled cancellation (refused unless it is still scheduled), then close the
    account's open undo requests. Returns how many requests were closed."""
    actor = require_admin(actor)
    now = clock.now(now)
    with db.transaction(write=True) as s:
        undo_in(s, actor, account_id, now)
        return _close_open_requests(
            s, actor, account_id, REQUEST_UNDO, ACTION_CANCELLATION_UNDONE, now
        )


def reactivate(
    db: Database,
    actor: CurrentUser | None,
    account_id: int,
    *,
    now: dt.datetime | None = None,
    settings: Settings | None = None,
) -> int:
    """Reactivate an ended account inside its window (data intact, a new period from today),
    then close the account's open reactivation requests. Returns how many were closed."""
    actor = require_admin(actor)
    now = clock.now(now)
    with db.transaction(write=True) as s:
        reactivate_in(s, actor, account_id, now, settings or load_settings())
        return _close_open_requests(
            s, actor, account_id, REQUEST_REACTIVATION, ACTION_SUBSCRIPTION_REACTIVATED, now
        )
