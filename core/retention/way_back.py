"""The way back from a cancellation: the customer resumes it before it takes effect (`resume`)
or writes to customer service (`contact_support`); support undoes a scheduled cancellation
(`undo_in`) or reactivates an ended account within its window (`reactivate_in`), inside the
support desk's use cases (`core.support_desk.undo`, `.reactivate`), which answer the
requests in the same transaction."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.customers.accounts import add_invoice
from core.customers.messages import clean_message
from core.identity.auth import CurrentUser, require_admin, require_customer
from core.platform import audit, clock, outbox
from core.platform.config import Settings
from core.platform.db import Database
from core.platform.errors import InvalidInput, PortalError
from core.platform.models import CancellationFlow, Subscription, SupportRequest
from core.retention.records import _step, _subscription, dates_for
from core.rules import billing
from core.rules.vocabulary import (
    ACTION_CANCELLATION_RESUMED,
    ACTION_CANCELLATION_UNDONE,
    ACTION_SUBSCRIPTION_REACTIVATED,
    EVENT_ACCOUNT_REACTIVATED,
    EVENT_CANCELLATION_UNDONE,
    MESSAGE_KINDS,
    OUTCOME_COMPLETED,
    OUTCOME_UNDONE,
    REQUEST_OPEN,
    REQUEST_UNDO,
    STATUS_ACTIVE,
    STATUS_ENDED,
    STATUS_PAUSED,
    STATUS_SCHEDULED,
)


class NotResumable(PortalError):
    """Nothing to resume: the subscription has ended (support can reactivate it)."""

    key = "journey.error.resume_ended"


class ResumeTooLate(PortalError):
    """The cancellation has taken effect: only support can reactivate now."""

    key = "journey.error.resume_too_late"


def contact_support(
    db: Database,
    actor: CurrentUser | None,
    message: str,
    *,
    kind: str = REQUEST_UNDO,
    now: dt.datetime | None = None,
) -> int:
    """A message to customer service from the done window (or the ended-account page)."""
    actor = require_customer(actor)
    if kind not in MESSAGE_KINDS:
        raise InvalidInput()
    if len(message or "") > 2000:
        raise InvalidInput("error.message_too_long", limit=2000)
    text = clean_message(message)
    if not text:
        raise InvalidInput("cancel.error.empty_message")
    now = clock.now(now)
    with db.transaction(write=True) as s:
        flow_id = s.scalar(
            select(CancellationFlow.id)
            .where(
                CancellationFlow.account_id == actor.account_id,
                CancellationFlow.outcome == OUTCOME_COMPLETED,
            )
            .order_by(CancellationFlow.finished_at.desc())
        )
        request = SupportRequest(
            account_id=actor.account_id,
            user_id=actor.id,
            flow_id=flow_id,
            kind=kind,
            message=text,
            created_at=now,
        )
        s.add(request)
        s.flush()
        outbox.support_request(s, request, now)
        return request.id


@dataclass(frozen=True)
class Resumed:
    """The answer to "Resume my subscription"."""

    changed: bool  # False: it was already active (a second click or tab), nothing changed
    renews_on: dt.date
    requests_closed: int = 0  # the customer's open undo requests, answered by the resume


def status_after_cancellation(sub: Subscription) -> str:
    """What a subscription is again once its scheduled cancellation is taken back: paused if
    it was cancelled during a pause (the pause runs on to its day), else active."""
    if sub.paused_until is not None and sub.paused_until == sub.current_period_end:
        return STATUS_PAUSED
    return STATUS_ACTIVE


def resume(db: Database, actor: CurrentUser | None, *, now: dt.datetime | None = None) -> Resumed:
    """The customer takes back their scheduled cancellation before it takes effect: the
    subscription is active again and renews as before; their open undo requests are answered;
    audited. Only the account's own customer; idempotent (already active: nothing changes)."""
    actor = require_customer(actor)
    now = clock.now(now)
    with db.transaction(write=True) as s:
        sub = _subscription(s, actor.account_id, lock=True)
        if sub.status in (STATUS_ACTIVE, STATUS_PAUSED):  # a second click or tab
            return Resumed(changed=False, renews_on=sub.current_period_end)
        if sub.status != STATUS_SCHEDULED:
            raise NotResumable()
        flow = s.scalar(
            select(CancellationFlow).where(CancellationFlow.open_subscription_id == sub.id)
        )
        effective = (flow.effective_on if flow else None) or sub.current_period_end
        if now.date() >= effective:
            raise ResumeTooLate(date=effective)
        if flow is not None:
            flow.open_subscription_id = None
            flow.outcome = OUTCOME_UNDONE
            _step(s, flow, "resumed", now)
        sub.status = status_after_cancellation(sub)
        sub.cancel_requested_at = None
        undo_requests = s.scalars(
            select(SupportRequest)
            .where(
                SupportRequest.account_id == actor.account_id,
                SupportRequest.kind == REQUEST_UNDO,
                SupportRequest.status == REQUEST_OPEN,
            )
            .order_by(SupportRequest.id)
            .with_for_update()
        ).all()
        for request in undo_requests:
            request.close(actor.id, now)
        audit.record(
            s,
            action=ACTION_CANCELLATION_RESUMED,
            account_id=actor.account_id,
            before={"status": STATUS_SCHEDULED, "effective_on": effective.isoformat()},
            after={
                "status": sub.status,
                "confirmation": flow.confirmation_number if flow else None,
                "requests_closed": [r.id for r in undo_requests],
            },
            at=now,
            actor_user_id=actor.id,
            actor_name=actor.email,
        )
        _undone_event(s, actor.account_id, effective, "customer", now)
        return Resumed(
            changed=True, renews_on=sub.current_period_end, requests_closed=len(undo_requests)
        )


def _undone_event(
    s: Session, account_id: int, effective: dt.date, by: str, now: dt.datetime
) -> None:
    outbox.emit(
        s,
        EVENT_CANCELLATION_UNDONE,
        account_id=account_id,
        at=now,
        data={**outbox.account_facts(s, account_id), "by": by, "was_effective_on": effective},
    )


# --- support actions (admins) ----------------------------------------------------------------


def undo_in(s: Session, actor: CurrentUser, account_id: int, now: dt.datetime) -> None:
    """Support undoes a scheduled cancellation: the subscription is active again. Runs inside
    the caller's transaction (the use case is `core.support_desk.undo`, which answers the undo
    requests in the same transaction)."""
    require_admin(actor)
    sub = _subscription(s, account_id, lock=True)
    if sub.status != STATUS_SCHEDULED:
        raise InvalidInput("support.error.not_scheduled")
    flow = s.scalar(select(CancellationFlow).where(CancellationFlow.open_subscription_id == sub.id))
    if flow is not None:
        flow.open_subscription_id = None
        flow.outcome = OUTCOME_UNDONE
        _step(s, flow, "undone", now)
    effective = (flow.effective_on if flow else None) or sub.current_period_end
    sub.status = status_after_cancellation(sub)
    sub.cancel_requested_at = None
    _undone_event(s, account_id, effective, "support", now)
    audit.record(
        s,
        action=ACTION_CANCELLATION_UNDONE,
        account_id=account_id,
        before={"status": STATUS_SCHEDULED},
        after={"status": sub.status},
        at=now,
        actor_user_id=actor.id,
        actor_name=actor.email,
    )


def reactivate_in(
    s: Session, actor: CurrentUser, account_id: int, now: dt.datetime, settings: Settings
) -> None:
    """Support reactivates an ended account within the window: data intact, a new period from
    today, invoiced. Runs inside the caller's transaction (the use case is
    `core.support_desk.reactivate`, which answers the reactivation requests with it)."""
    require_admin(actor)
    sub = _subscription(s, account_id, lock=True)
    if sub.status != STATUS_ENDED:
        raise InvalidInput("support.error.not_ended")
    deadline = dates_for(sub.ended_on or sub.current_period_end, settings).reactivate_until
    if now.date() > deadline:
        raise InvalidInput("support.error.window_closed")
    before = {"status": sub.status, "ended_on": sub.ended_on}
    start, end = billing.next_period(now.date(), sub.billing_interval)
    sub.status = STATUS_ACTIVE
    sub.current_period_start, sub.current_period_end = start, end
    sub.ended_on = None
    sub.cancel_requested_at = None
    add_invoice(s, sub, start, end)
    outbox.emit(
        s,
        EVENT_ACCOUNT_REACTIVATED,
        account_id=account_id,
        at=now,
        data={**outbox.account_facts(s, account_id), "period_start": start, "period_end": end},
    )
    audit.record(
        s,
        action=ACTION_SUBSCRIPTION_REACTIVATED,
        account_id=account_id,
        before=before,
        after={"status": STATUS_ACTIVE, "period_start": start, "period_end": end},
        at=now,
        actor_user_id=actor.id,
        actor_name=actor.email,
    )
