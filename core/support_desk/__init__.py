"""The support desk: what the cancellation window sends to support, and what support does.

Lists: scheduled cancellations, undo requests, custom-plan requests, ended accounts inside
the reactivation window, and the audit log. Actions: undo a scheduled cancellation and
reactivate an ended account (both through `core.retention.cancellation`, which checks the state and
writes the audit log), and mark a request handled (audited here).

Every function refuses anyone who is not an admin (`require_admin`), first thing.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.orm import Session, aliased

from core.identity.auth import CurrentUser, require_admin
from core.platform.config import Settings, load_settings
from core.platform.db import Database
from core.platform.errors import InvalidInput, NotFound
from core.platform.i18n import fmt_date, fmt_money, fmt_number, has_key, t
from core.platform.models import (
    STATUS_ENDED,
    STATUS_SCHEDULED,
    Account,
    AuditEntry,
    CancellationFlow,
    Plan,
    RetentionOffer,
    Subscription,
    SupportRequest,
    User,
)
from core.platform.text import lookup_text
from core.retention import cancellation

OPEN, HANDLED = "open", "handled"
KINDS = ("undo_cancellation", "custom_plan", "reactivation", "other")
MAX_AUDIT_ROWS = 500
MAX_ACTOR_SEARCH = 254
_UNITS = ("searches", "unlocks", "seats", "campaigns")  # a custom plan's configuration


def _now(now: dt.datetime | None) -> dt.datetime:
    return now or dt.datetime.now(dt.UTC)


def _audit(
    s: Session,
    actor: CurrentUser,
    action: str,
    account_id: int | None,
    before: dict[str, Any],
    after: dict[str, Any],
    at: dt.datetime,
) -> None:
    s.add(
        AuditEntry(
            at=at,
            actor_user_id=actor.id,
            actor=actor.email,
            action=action,
            account_id=account_id,
            before=json.dumps(before, default=str),
            after=json.dumps(after, default=str),
        )
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
            SupportRequest.status == OPEN,
        )
        .correlate(Account)
        .scalar_subquery()
    )


# --- Lists -----------------------------------------------------------------------------------


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
                _open_requests("undo_cancellation"),
            )
            .join(Subscription, Subscription.account_id == Account.id)
            .join(Plan, Plan.id == Subscription.plan_id)
            .outerjoin(CancellationFlow, CancellationFlow.open_subscription_id == Subscription.id)
            .where(Subscription.status == STATUS_SCHEDULED)
            .order_by(Subscription.current_period_end, Account.id)
        ).all()
    out = []
    for account_id, company, email, plan, requested, effective, number, undo in rows:
        effective = (
            effective if isinstance(effective, dt.date) else dt.date.fromisoformat(effective)
        )
        out.append(
            ScheduledCancellation(
                account_id=account_id,
                company=company,
                email=email or "",
                plan_name=plan,
                requested_at=requested,
                effective_on=effective,
                data_deleted_on=cancellation.dates_for(effective, settings).data_deleted_on,
                confirmation_number=number or "",
                open_undo_requests=int(undo or 0),
            )
        )
    return out


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
    # custom-plan requests: what was configured and its monthly price
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
    if kind not in KINDS:
        raise InvalidInput()
    admin = aliased(User)
    where: list[ColumnElement[bool]] = [SupportRequest.kind == kind]
    if not include_handled:
        where.append(SupportRequest.status == OPEN)
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
                    SupportRequest.kind == "custom_plan",
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
            configuration=_configuration(config) or _request_configuration(r),
            monthly_price_cents=price or _request_price(r),
            reactivate_until=(
                cancellation.dates_for(ended or period_end, settings).reactivate_until
                if status == STATUS_ENDED and (ended or period_end)
                else None
            ),
        )
        for r, company, email, status, period_end, ended, handler, config, price in rows
    ]
    open_ = sorted((r for r in out if r.status == OPEN), key=lambda r: (r.created_at, r.id))
    done = sorted(
        (r for r in out if r.status != OPEN), key=lambda r: (r.created_at, r.id), reverse=True
    )
    return open_ + done


def _request_configuration(request: SupportRequest) -> dict[str, Any] | None:
    """A custom-plan request keeps what was asked for in its message (JSON), flow or not."""
    if request.kind != "custom_plan":
        return None
    value = _configuration(request.message)
    return {k: v for k, v in value.items() if k in _UNITS} or None if value else None


def _request_price(request: SupportRequest) -> int | None:
    value = _configuration(request.message) if request.kind == "custom_plan" else None
    price = value.get("monthly_price_cents") if value else None
    return price if isinstance(price, int) and not isinstance(price, bool) else None


def _configuration(raw: str | None) -> dict[str, Any] | None:
    if not raw:
        return None
    try:
        value = json.loads(raw)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


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
    today = _now(now).date()
    with db.transaction() as s:
        rows = s.execute(
            select(
                Account.id,
                Account.company,
                _owner_email(),
                Plan.name,
                func.coalesce(Subscription.ended_on, Subscription.current_period_end),
                _open_requests("reactivation"),
            )
            .join(Subscription, Subscription.account_id == Account.id)
            .join(Plan, Plan.id == Subscription.plan_id)
            .where(Subscription.status == STATUS_ENDED)
        ).all()
    out = []
    for account_id, company, email, plan, ended, open_requests in rows:
        ended = _as_date(ended)
        dates = cancellation.dates_for(ended, settings)
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
            )
        )
    return sorted(out, key=lambda e: (e.reactivate_until, e.account_id))


def open_request_counts(db: Database, actor: CurrentUser | None) -> dict[str, int]:
    """Open requests by kind (every kind present, zeros included)."""
    require_admin(actor)
    with db.transaction() as s:
        rows = s.execute(
            select(SupportRequest.kind, func.count())
            .where(SupportRequest.status == OPEN)
            .group_by(SupportRequest.kind)
        ).all()
    counts = dict.fromkeys(KINDS, 0)
    counts.update({kind: int(n) for kind, n in rows})
    return counts


# --- Actions ---------------------------------------------------------------------------------


def _handle(
    s: Session, actor: CurrentUser, request: SupportRequest, at: dt.datetime, via: str | None
) -> None:
    before = {"request": request.id, "kind": request.kind, "status": request.status}
    after: dict[str, Any] = {"request": request.id, "status": HANDLED, "handled_by": actor.email}
    if via:
        after["via"] = via  # closed by this action, not by hand
    request.status = HANDLED
    request.handled_by = actor.id
    request.handled_at = at
    _audit(s, actor, "support_request_handled", request.account_id, before, after, at)


def mark_handled(
    db: Database, actor: CurrentUser | None, request_id: int, *, now: dt.datetime | None = None
) -> None:
    """Close a request; refused if it is unknown or already handled."""
    actor = require_admin(actor)
    now = _now(now)
    with db.transaction(write=True) as s:
        request = s.scalar(
            select(SupportRequest).where(SupportRequest.id == request_id).with_for_update()
        )
        if request is None:
            raise NotFound("support.error.request_not_found")
        if request.status != OPEN:
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
            SupportRequest.status == OPEN,
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
    now = _now(now)
    with db.transaction(write=True) as s:
        cancellation.undo_in(s, actor, account_id, now)
        return _close_open_requests(
            s, actor, account_id, "undo_cancellation", "cancellation_undone", now
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
    now = _now(now)
    with db.transaction(write=True) as s:
        cancellation.reactivate_in(s, actor, account_id, now, settings or load_settings())
        return _close_open_requests(
            s, actor, account_id, "reactivation", "subscription_reactivated", now
        )


# --- Audit log -------------------------------------------------------------------------------


@dataclass(frozen=True)
class AuditQuery:
    start: dt.date | None = None
    end: dt.date | None = None  # included
    actions: tuple[str, ...] = ()
    actor: str = ""  # part of the actor's email (or "lifecycle")
    account_id: int | None = None
    # the account: its number ("42" or "#42"), or part of its company name or of a customer's
    # e-mail address
    account: str = ""


@dataclass(frozen=True)
class AuditRow:
    id: int
    at: dt.datetime
    actor: str
    action: str
    account_id: int | None
    company: str
    before: dict[str, Any]
    after: dict[str, Any]


@dataclass(frozen=True)
class AuditPage:
    rows: tuple[AuditRow, ...]  # newest first, at most `limit`
    total: int


def _json(raw: str) -> dict[str, Any]:
    try:
        value = json.loads(raw) if raw else {}
    except ValueError:
        return {"raw": raw}
    return value if isinstance(value, dict) else {"value": value}


def _account_matches(text: str) -> ColumnElement[bool]:
    """Entries about the account with this number, or whose company name or a customer's
    e-mail contains the text (ignoring case). A purged account has neither any more: only its
    number finds it."""
    number = text.removeprefix("#").strip()
    by_name = or_(
        AuditEntry.account_id.in_(
            select(Account.id).where(Account.company.icontains(text, autoescape=True))
        ),
        AuditEntry.account_id.in_(
            select(User.account_id).where(
                User.account_id.is_not(None), User.email.icontains(text, autoescape=True)
            )
        ),
    )
    if number.isdigit() and len(number) <= 12:
        return or_(AuditEntry.account_id == int(number), by_name)
    return by_name


def audit_log(
    db: Database,
    actor: CurrentUser | None,
    query: AuditQuery | None = None,
    *,
    limit: int = 200,
) -> AuditPage:
    """Audit entries matching the query, newest first."""
    require_admin(actor)
    query = query or AuditQuery()
    if query.start and query.end and query.start > query.end:
        raise InvalidInput("insights.error.dates")
    if len(query.actor) > MAX_ACTOR_SEARCH or len(query.actions) > 50:
        raise InvalidInput()
    lookup_text(query.actor, keep="")
    if len(query.account) > MAX_ACTOR_SEARCH:
        raise InvalidInput()
    lookup_text(query.account, keep="")
    for action in query.actions:
        lookup_text(action, keep="")
    where: list[ColumnElement[bool]] = []
    if query.start:
        where.append(AuditEntry.at >= dt.datetime.combine(query.start, dt.time(), dt.UTC))
    if query.end:
        after = query.end + dt.timedelta(days=1)
        where.append(AuditEntry.at < dt.datetime.combine(after, dt.time(), dt.UTC))
    if query.actions:
        where.append(AuditEntry.action.in_(query.actions))
    if query.actor.strip():
        where.append(AuditEntry.actor.icontains(query.actor.strip(), autoescape=True))
    if query.account_id is not None:
        where.append(AuditEntry.account_id == query.account_id)
    if query.account.strip():
        where.append(_account_matches(query.account.strip()))
    with db.transaction() as s:
        total = s.scalar(select(func.count()).select_from(AuditEntry).where(*where))
        rows = s.execute(
            select(AuditEntry, Account.company)
            .outerjoin(Account, Account.id == AuditEntry.account_id)
            .where(*where)
            .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
            .limit(max(1, min(limit, MAX_AUDIT_ROWS)))
        ).all()
    return AuditPage(
        rows=tuple(
            AuditRow(
                id=e.id,
                at=e.at,
                actor=e.actor,
                action=e.action,
                account_id=e.account_id,
                company=company or "",
                before=_json(e.before),
                after=_json(e.after),
            )
            for e, company in rows
        ),
        total=int(total or 0),
    )


def audit_actions(db: Database, actor: CurrentUser | None) -> list[str]:
    """The actions that occur in the audit log, for the filter."""
    require_admin(actor)
    with db.transaction() as s:
        return list(s.scalars(select(AuditEntry.action).distinct().order_by(AuditEntry.action)))


# --- The audit log in words ------------------------------------------------------------------

# what an entry's before/after fields are called, and how their values are written
_DATE_FIELDS = ("effective_on", "ended_on", "period_start", "period_end")
_PURGED = "account_purged"  # core.jobs.lifecycle.ACCOUNT_PURGED (no import: lifecycle is above us)


def action_name(action: str, lang: str) -> str:
    """The action in words ("Cancellation undone"); an unknown code as it is."""
    for key in (f"support.audit.action.{action}", f"desk.action.{action}"):
        if has_key(key):
            return t(key, lang)
    return action


_ACTORS = {"lifecycle": "lifecycle", "customer (deleted)": "erased", "system": "system"}


def actor_label(row: AuditRow, lang: str) -> str:
    """Who acted: an e-mail address, or in words the lifecycle job, the system, a customer
    whose data is erased."""
    name = _ACTORS.get(row.actor)
    return t(f"desk.actor.{name}", lang) if name else row.actor


def account_label(row: AuditRow, lang: str) -> str:
    """ "#42 · Lumière Srl", or "#42" once the account's data is erased."""
    if row.account_id is None:
        return ""
    number = t("desk.audit.account_number", lang, number=row.account_id)
    return f"{number} · {row.company}" if row.company else number


def _value(field: str, value: Any, lang: str) -> str:
    if value is None or value == "":
        return "–"
    if field == "status" and value in (OPEN, HANDLED):  # a support request's
        return t(f"support.request_status.{value}", lang)
    if field == "status" and has_key(f"desk.status.{value}"):
        return t(f"desk.status.{value}", lang)
    if field in _DATE_FIELDS:
        try:
            day = value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)[:10])
        except ValueError:
            return str(value)
        return fmt_date(day, lang, "medium")
    if field == "price" and isinstance(value, int) and not isinstance(value, bool):
        return t("offer.per_month", lang, price=fmt_money(value, "USD", lang))
    if field == "kind" and has_key(f"desk.kind.{value}"):
        return t(f"desk.kind.{value}", lang)
    if field == "via":
        return action_name(str(value), lang)
    if field == "request":
        return t("desk.audit.request_number", lang, number=value)
    if field in _UNITS and has_key(f"offer.unit.{field}"):
        return fmt_number(value, lang) if isinstance(value, int | float) else str(value)
    if field == "from" and has_key(f"desk.audit.from.{value}"):
        return t(f"desk.audit.from.{value}", lang)
    return str(value)


def _field(field: str, lang: str) -> str:
    for key in (f"desk.audit.field.{field}", f"offer.unit.{field}"):
        if has_key(key):
            return t(key, lang)
    return field


def describe(row: AuditRow, lang: str) -> str:
    """What an entry changed, in the admin's language, without codes: "Status: Cancellation
    scheduled → Active", "Takes effect: Dec 11, 2026"; a purge: "Data erased for account #42"."""
    if row.action == _PURGED:
        return t("desk.audit.purged", lang, number=row.account_id or "?")
    parts = []
    for field in dict.fromkeys([*row.before, *row.after]):
        if field == "request":  # "Request no. 5": the number names itself
            parts.append(_value(field, row.after.get(field, row.before.get(field)), lang))
            continue
        before, after = row.before.get(field), row.after.get(field)
        name = _field(field, lang)
        if field in row.before and field in row.after and before != after:
            parts.append(
                t(
                    "desk.audit.change",
                    lang,
                    field=name,
                    before=_value(field, before, lang),
                    after=_value(field, after, lang),
                )
            )
        elif field in row.after:
            parts.append(t("desk.audit.value", lang, field=name, value=_value(field, after, lang)))
        elif before is not None:
            parts.append(
                t("desk.audit.value_before", lang, field=name, value=_value(field, before, lang))
            )
    return "; ".join(parts)
