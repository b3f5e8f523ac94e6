"""The audit log for support: its entries searched (dates, actions, who acted, the account by
number, company or customer e-mail), and each entry in words, in the admin's language."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, func, or_, select

from core.identity.auth import CurrentUser, require_admin
from core.platform.audit import LIFECYCLE
from core.platform.db import Database
from core.platform.errors import InvalidInput
from core.platform.i18n import fmt_date, fmt_money, fmt_number, fmt_percent, has_key, t
from core.platform.models import Account, AuditEntry, User
from core.platform.text import lookup_text
from core.rules.pricing import CURRENCY, PLANS, UNIT_NAMES
from core.rules.vocabulary import ACTION_ACCOUNT_PURGED, REQUEST_STATUSES

MAX_AUDIT_ROWS = 500
MAX_ACTOR_SEARCH = 254
MAX_ACCOUNT_NUMBER_DIGITS = 12


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

    @classmethod
    def chosen(
        cls,
        dates: Sequence[dt.date] | dt.date | None,
        action: str | None = None,
        actor: str = "",
        account: str = "",
    ) -> AuditQuery:
        """The query a form holds: a date picker's value (no day, one day, or the first and
        the last day; one day alone is that day), one action or all (None), who acted and
        the account as typed."""
        days = tuple(dates) if isinstance(dates, tuple | list) else (dates,) if dates else ()
        return cls(
            start=days[0] if days else None,
            end=days[-1] if days else None,
            actions=(action,) if action else (),
            actor=actor,
            account=account,
        )


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


def parse_account_number(text: str) -> int:
    """An account's number as people write it: "42", "#42" or "# 42" (spaces around it
    ignored); `InvalidInput` for anything else."""
    number = text.strip().removeprefix("#").strip()
    if not (number.isdecimal() and len(number) <= MAX_ACCOUNT_NUMBER_DIGITS):
        raise InvalidInput("support.audit.account_invalid")
    return int(number)


def _account_matches(text: str) -> ColumnElement[bool]:
    """Entries about the account with this number, or whose company name or a customer's
    e-mail contains the text (ignoring case). A purged account has neither any more: only its
    number finds it."""
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
    try:
        number = parse_account_number(text)
    except InvalidInput:
        return by_name
    return or_(AuditEntry.account_id == number, by_name)


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


# --- the audit log in words ------------------------------------------------------------------

# what an entry's before/after fields are called, and how their values are written
_DATE_FIELDS = (
    "effective_on",
    "ended_on",
    "period_start",
    "period_end",
    "paused_from",
    "paused_until",
    "starts_on",
)


def action_name(action: str, lang: str) -> str:
    """The action in words ("Cancellation undone"); an unknown code as it is."""
    for key in (f"support.audit.action.{action}", f"desk.action.{action}"):
        if has_key(key):
            return t(key, lang)
    return action


_ACTORS = {LIFECYCLE: "lifecycle", "customer (deleted)": "erased", "system": "system"}


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
    if field == "status" and value in REQUEST_STATUSES:  # a support request's
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
        return t("offer.per_month", lang, price=fmt_money(value, CURRENCY, lang))
    if field == "kind" and has_key(f"desk.kind.{value}"):
        return t(f"desk.kind.{value}", lang)
    if field == "offer_kind" and has_key(f"desk.offer_kind.{value}"):
        return t(f"desk.offer_kind.{value}", lang)
    if field == "discount_percent" and isinstance(value, int):
        return fmt_percent(value / 100, lang)
    if field in ("plan", "next_plan_code"):  # a plan of the catalogue, by its name
        return next((p.name for p in PLANS if p.code == value), str(value))
    if field == "via":
        return action_name(str(value), lang)
    if field == "request":
        return t("desk.audit.request_number", lang, number=value)
    if field in UNIT_NAMES and has_key(f"offer.unit.{field}"):
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
    if row.action == ACTION_ACCOUNT_PURGED:
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
