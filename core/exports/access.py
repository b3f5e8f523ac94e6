"""Who may export what, and until when: the owner (or an admin) of an account that is active,
scheduled for cancellation, or ended less than the export window ago. Every export use case
opens its transaction with `open_for_export`; the operator's command line names its customer
with `actor_for_email`, and the same checks then apply.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.exports.request import ExportUnavailable, ExportWindowClosed
from core.identity.auth import CurrentUser, current_user, export_last_day, require_account
from core.platform import clock
from core.platform.config import Settings, load_settings
from core.platform.db import Database
from core.platform.errors import NotFound
from core.platform.models import Account, Subscription, User
from core.rules import billing
from core.rules.vocabulary import STATUS_ENDED, STATUS_PURGED


def resolve_account_id(actor: CurrentUser | None, account_id: int | None) -> int:
    if account_id is None and actor is not None:
        account_id = actor.account_id
    if account_id is None:
        raise NotFound()
    return account_id


def export_dates(sub: Subscription, settings: Settings | None = None) -> tuple[dt.date, dt.date]:
    """(the day access ends, the last day of the export window after it) for a subscription:
    when it ended, or will end, or would end if it were cancelled today."""
    ends_on = sub.ended_on or sub.current_period_end
    return ends_on, export_last_day(ends_on, settings)


def open_for_export(
    s: Session, actor: CurrentUser | None, account_id: int, now: dt.datetime | None = None
) -> tuple[Account, Subscription]:
    """Who may export what: the owner (or an admin), of an account that is active, scheduled
    for cancellation, or ended less than the export window ago (read-only: exports only).
    After the window the export is refused with its last day; a purged account never exports."""
    require_account(actor, account_id)
    account = s.get(Account, account_id)
    sub = s.scalar(select(Subscription).where(Subscription.account_id == account_id))
    if account is None or sub is None:
        raise NotFound()
    if sub.status == STATUS_PURGED:
        raise ExportUnavailable()
    if sub.status == STATUS_ENDED:
        settings = load_settings()
        ended_on, last_day = export_dates(sub, settings)
        if clock.now(now).date() > last_day:
            raise ExportWindowClosed(
                ended=ended_on,
                last_day=last_day,
                until=billing.last_reactivation_day(ended_on, settings.reactivation_months),
            )
    return account, sub


def actor_for_email(db: Database, email: str) -> CurrentUser:
    """The customer an operator exports for from the command line; the same checks apply."""
    with db.transaction() as s:
        user = s.scalar(select(User).where(User.email == (email or "").strip().lower()))
        if user is None:
            raise NotFound()
        return current_user(s, user)
