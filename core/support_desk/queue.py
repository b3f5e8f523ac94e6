"""What waits for support: scheduled cancellations, requests by kind (open ones first), ended
accounts inside their reactivation window, and how many requests are open."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, and_, func, select
from sqlalchemy.orm import aliased

from core.identity.auth import CurrentUser, require_admin
from core.platform import clock
from core.platform.config import Settings, load_settings
from core.platform.db import Database
from core.platform.errors import InvalidInput
from core.platform.models import (
    Account,
    CancellationFlow,
    Plan,
    RetentionOffer,
    Subscription,
    SupportRequest,
    User,
)
from core.retention.records import dates_for
from core.rules.pricing import UNIT_NAMES
from core.rules.vocabulary import (
    REQUEST_CUSTOM_PLAN,
    REQUEST_KINDS,
    REQUEST_OPEN,
    REQUEST_REACTIVATION,
    REQUEST_UNDO,
    STATUS_ENDED,
    STATUS_SCHEDULED,
)


def _as_date(value: Any) -> dt.date:
    """COALESCE of two DATE columns: a date (PostgreSQL) or possibly ISO text (SQLite)."""
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))


def _owner_email() -> Any:
    """The first user's email of the account (correlated), for the agent to write to."""
    return (
        select(func.min(User.email))
        .where(User.account_id == Account.id)
        .correlate(Account)
        .scalar_subquery()
    )


def _open_requests(kind: str) -> Any:
    """How many open requests of this kind the account has (correlated)."""
    return (
        select(func.count())
        .select_from(SupportRequest)
        .where(
            SupportRequest.account_id == Account.id,
            SupportRequest.kind == kind,
            SupportRequest.status == REQUEST_OPEN,
        )
        .correlate(Account)
        .scalar_subquery()
    )


# --- scheduled cancellations -----------------------------------------------------------------


@dataclass(frozen=True)
class ScheduledCancellation:
    account_id: int
    company: str
    email: str
    plan_name: str
    requested_at: dt.datetime | None
    effective_on: dt.date  # access ends, the subscription ends
    data_deleted_on: dt.date
    confirmation_number: str
    open_undo_requests: int


def scheduled_cancellations(
    db: Database, actor: CurrentUser | None, *, settings: Settings | None = None
) -> list[ScheduledCancellation]:
    """Subscriptions whose cancellation is scheduled, the soonest to take effect first."""
    require_admin(actor)
    settings = settings or load_settings()
    with db.transaction() as s:
        rows = s.execute(
            select(
                Account.id,
                Account.company,
                _owner_email(),
                Plan.name,
                Subscription.cancel_requested_at,
                func.coalesce(CancellationFlow.effective_on, Subscription.current_period_end),
                CancellationFlow.confirmation_number,
                _open_requests(REQUEST_UNDO),
            )
            .join(Subscription, Subscription.account_id == Account.id)
            .join(Plan, Plan.id == Subscription.plan_id)
            .outerjoin(CancellationFlow, CancellationFlow.open_subscription_id == Subscription.id)
            .where(Subscription.status == STATUS_SCHEDULED)
            .order_by(Subscription.current_period_end, Account.id)
        ).all()
    out = []
    for account_id, company, email, plan, requested, effective, number, undo in rows:
        effective = _as_date(effective)
        out.append(
            ScheduledCancellation(
                account_id=account_id,
                company=company,
                email=email or "",
                plan_name=plan,
                requested_at=requested,
                effective_on=effective,
                data_deleted_on=dates_for(effective, settings).data_deleted_on,
                confirmation_number=number or "",
                open_undo_requests=int(undo or 0),
            )
        )
    return out


# --- requests --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Request:
    id: int
    kind: str
    account_id: int
    company: str
    email: str
    subscription_status: str | None
    period_end: dt.date | None
    message: str
    created_at: dt.datetime
    status: str  # open / handled
    handled_at: dt.datetime | None
    handled_by: str  # the admin's email, "" while open
    # custom-plan requests: what was configured (the plan's units only) and its monthly price
    configuration: dict[str, Any] | None = None
    monthly_price_cents: int | None = None
    # an ended subscription: the last day support can reactivate it (None otherwise)
    reactivate_until: dt.date | None = None


def requests(
    db: Database,
    actor: CurrentUser | None,
    kind: str,
    *,
    include_handled: bool = False,
    settings: Settings | None = None,
) -> list[Request]:
    """Requests of one kind: open ones first (oldest first, they waited longest), then handled
    ones (newest first) when asked for."""
    require_admin(actor)
    settings = settings or load_settings()
    if kind not in REQUEST_KINDS:
        raise InvalidInput()
    admin = aliased(User)
    where: list[ColumnElement[bool]] = [SupportRequest.kind == kind]
    if not include_handled:
        where.append(SupportRequest.status == REQUEST_OPEN)
    with db.transaction() as s:
        rows = s.execute(
            select(
                SupportRequest,
                Account.company,
                _owner_email(),
                Subscription.status,
                Subscription.current_period_end,
                Subscription.ended_on,
                admin.email,
                RetentionOffer.configuration,
                RetentionOffer.monthly_price_cents,
            )
            .join(Account, Account.id == SupportRequest.account_id)
            .outerjoin(Subscription, Subscription.account_id == Account.id)
            .outerjoin(admin, admin.id == SupportRequest.handled_by)
            .outerjoin(
                RetentionOffer,
                and_(
                    RetentionOffer.flow_id == SupportRequest.flow_id,
                    RetentionOffer.requested_at.is_not(None),
                    SupportRequest.kind == REQUEST_CUSTOM_PLAN,
                ),
            )
            .where(*where)
        ).all()
    out = [
        Request(
            id=r.id,
            kind=r.kind,
            account_id=r.account_id,
            company=company,
            email=email or "",
            subscription_status=status,
            period_end=period_end,
            message=r.message,
            created_at=r.created_at,
            status=r.status,
            handled_at=r.handled_at,
            handled_by=handler or "",
            configuration=_units(_json_object(config)) or _request_configuration(r),
            monthly_price_cents=price or _request_price(r),
            reactivate_until=(
                dates_for(ended or period_end, settings).reactivate_until
                if status == STATUS_ENDED and (ended or period_end)
                else None
            ),
        )
        for r, company, email, status, period_end, ended, handler, config, price in rows
    ]
    open_ = sorted((r for r in out if r.status == REQUEST_OPEN), key=lambda r: (r.created_at, r.id))
    done = sorted(
        (r for r in out if r.status != REQUEST_OPEN),
        key=lambda r: (r.created_at, r.id),
        reverse=True,
    )
    return open_ + done


def _units(value: dict[str, Any] | None) -> dict[str, Any] | None:
    """A custom plan's configuration: its units' values as stored, in the configurator's order
    of the units (None if there is none)."""
    if not value:
        return None
    return {name: value[name] for name in UNIT_NAMES if name in value} or None


def _request_configuration(request: SupportRequest) -> dict[str, Any] | None:
    """A custom-plan request keeps what was asked for in its message (JSON), flow or not."""
    if request.kind != REQUEST_CUSTOM_PLAN:
        return None
    return _units(_json_object(request.message))


def _request_price(request: SupportRequest) -> int | None:
    value = _json_object(request.message) if request.kind == REQUEST_CUSTOM_PLAN else None
    price = value.get("monthly_price_cents") if value else None
    return price if isinstance(price, int) and not isinstance(price, bool) else None


def _json_object(raw: str | None) -> dict[str, Any] | None:
    if not raw:
        return None
    try:
        value = json.loads(raw)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def open_request_counts(db: Database, actor: CurrentUser | None) -> dict[str, int]:
    """Open requests by kind (every kind present, zeros included)."""
    require_admin(actor)
    with db.transaction() as s:
        rows = s.execute(
            select(SupportRequest.kind, func.count())
            .where(SupportRequest.status == REQUEST_OPEN)
            .group_by(SupportRequest.kind)
        ).all()
    counts = dict.fromkeys(REQUEST_KINDS, 0)
    counts.update({kind: int(n) for kind, n in rows})
    return counts


# --- the reactivation window -----------------------------------------------------------------


@dataclass(frozen=True)
class EndedAccount:
    account_id: int
    company: str
    email: str
    plan_name: str
    ended_on: dt.date
    reactivate_until: dt.date  # the deadline: the last day support can reactivate
    data_deleted_on: dt.date
    open_reactivation_requests: int
    days_left: int  # days from today (UTC) to the deadline: 0 on its last day


def reactivation_window(
    db: Database,
    actor: CurrentUser | None,
    *,
    now: dt.datetime | None = None,
    settings: Settings | None = None,
) -> list[EndedAccount]:
    """Ended accounts that can still be reactivated today, the nearest deadline first."""
    require_admin(actor)
    settings = settings or load_settings()
    today = clock.today(now)
    with db.transaction() as s:
        rows = s.execute(
            select(
                Account.id,
                Account.company,
                _owner_email(),
                Plan.name,
                func.coalesce(Subscription.ended_on, Subscription.current_period_end),
                _open_requests(REQUEST_REACTIVATION),
            )
            .join(Subscription, Subscription.account_id == Account.id)
            .join(Plan, Plan.id == Subscription.plan_id)
            .where(Subscription.status == STATUS_ENDED)
        ).all()
    out = []
    for account_id, company, email, plan, ended, open_requests in rows:
        ended = _as_date(ended)
        dates = dates_for(ended, settings)
        if today > dates.reactivate_until:
            continue  # the lifecycle job purges it at its next run
        out.append(
            EndedAccount(
                account_id=account_id,
                company=company,
                email=email or "",
                plan_name=plan,
                ended_on=ended,
                reactivate_until=dates.reactivate_until,
                data_deleted_on=dates.data_deleted_on,
                open_reactivation_requests=int(open_requests or 0),
                days_left=(dates.reactivate_until - today).days,
            )
        )
    return sorted(out, key=lambda e: (e.reactivate_until, e.account_id))
