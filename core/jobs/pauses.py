"""Pauses taken with a retention offer, carried out by the lifecycle job (`core.jobs.lifecycle`):
a pause starts when its cycle ends and is over on its day; and what the demo clock shows of
them (`upcoming`), so a presenter can move the clock to the day a pause starts or resumes.

Each transition is one conditional UPDATE in its own transaction, like the lifecycle's others:
of several runners at once exactly one changes the row."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import or_, select, update

from core.identity.auth import CurrentUser, require_admin
from core.platform import audit, outbox
from core.platform.config import Settings, load_settings
from core.platform.db import Database
from core.platform.errors import NotAuthorized
from core.platform.models import Account, Subscription
from core.rules import offers
from core.rules.vocabulary import (
    ACTION_SUBSCRIPTION_PAUSED,
    ACTION_SUBSCRIPTION_UNPAUSED,
    EVENT_SUBSCRIPTION_PAUSED,
    EVENT_SUBSCRIPTION_RESUMED,
    STATUS_ACTIVE,
    STATUS_PAUSED,
)


def start(db: Database, sub_id: int, as_of: dt.date, now: dt.datetime) -> int | None:
    """A pause taken with a retention offer starts when its cycle ends: the subscription is
    paused until `paused_until`, a period without an invoice."""
    with db.transaction(write=True) as s:
        sub = s.get(Subscription, sub_id)
        if (
            sub is None
            or sub.status != STATUS_ACTIVE
            or sub.pause_cycles is None
            or sub.current_period_end > as_of
        ):
            return None
        old_end, cycles = sub.current_period_end, sub.pause_cycles
        until = sub.paused_until or offers.pause_until(old_end, sub.billing_interval, cycles)
        changed = s.execute(
            update(Subscription)
            .where(
                Subscription.id == sub_id,
                Subscription.status == STATUS_ACTIVE,
                Subscription.current_period_end == old_end,
                Subscription.pause_cycles == cycles,
            )
            .values(
                status=STATUS_PAUSED,
                current_period_start=old_end,
                current_period_end=until,
                paused_until=until,
                pause_cycles=None,
            )
        ).rowcount
        if changed != 1:
            return None
        audit.record(
            s,
            action=ACTION_SUBSCRIPTION_PAUSED,
            account_id=sub.account_id,
            before={"status": STATUS_ACTIVE, "pause_cycles": cycles},
            after={"status": STATUS_PAUSED, "paused_from": old_end, "paused_until": until},
            at=now,
        )
        outbox.emit(
            s,
            EVENT_SUBSCRIPTION_PAUSED,
            account_id=sub.account_id,
            at=now,
            data={**outbox.account_facts(s, sub.account_id), "paused_from": old_end,
                  "paused_until": until},
        )  # fmt: skip
        return sub.account_id


def end(db: Database, sub_id: int, as_of: dt.date, now: dt.datetime) -> int | None:
    """A pause is over on `paused_until`: the subscription is active again; its renewal (the
    lifecycle's next transition) starts the new cycle on that day, with its invoice."""
    with db.transaction(write=True) as s:
        sub = s.get(Subscription, sub_id)
        if sub is None or sub.status != STATUS_PAUSED:
            return None
        until = sub.paused_until or sub.current_period_end
        if until > as_of:
            return None
        changed = s.execute(
            update(Subscription)
            .where(
                Subscription.id == sub_id,
                Subscription.status == STATUS_PAUSED,
                Subscription.current_period_end == sub.current_period_end,
                Subscription.paused_until.is_not_distinct_from(sub.paused_until),
            )
            .values(status=STATUS_ACTIVE, paused_until=None, current_period_end=until)
        ).rowcount
        if changed != 1:
            return None
        audit.record(
            s,
            action=ACTION_SUBSCRIPTION_UNPAUSED,
            account_id=sub.account_id,
            before={"status": STATUS_PAUSED, "paused_until": until},
            after={"status": STATUS_ACTIVE, "period_start": until},  # the new cycle's
            at=now,
        )
        outbox.emit(
            s,
            EVENT_SUBSCRIPTION_RESUMED,
            account_id=sub.account_id,
            at=now,
            data={**outbox.account_facts(s, sub.account_id), "resumed_on": until,
                  "by": "lifecycle"},
        )  # fmt: skip
        return sub.account_id


@dataclass(frozen=True)
class PauseDates:
    """A pause on the demo clock's calendar: taken (starts when the cycle ends) or running."""

    account_id: int
    company: str
    starts_on: dt.date  # the first paused day: the end of the cycle it was taken in
    resumes_on: dt.date  # billing resumes, a new cycle and its invoice start on this day
    running: bool  # paused already (False: it starts on `starts_on`)


def upcoming(
    db: Database,
    actor: CurrentUser | None,
    *,
    limit: int = 10,
    settings: Settings | None = None,
) -> tuple[PauseDates, ...]:
    """Demo mode only, admins only: the pauses taken and not over yet, soonest resume first.
    Running the demo clock as of `starts_on` starts one, as of `resumes_on` resumes it (and
    as of `resumes_on` at once does both)."""
    settings = settings or load_settings()
    require_admin(actor)
    if not settings.demo_mode:
        raise NotAuthorized()
    with db.transaction() as s:
        rows = s.execute(
            select(
                Subscription.account_id,
                Account.company,
                Subscription.status,
                Subscription.current_period_start,
                Subscription.current_period_end,
                Subscription.pause_cycles,
                Subscription.paused_until,
                Subscription.billing_interval,
            )
            .join(Account, Account.id == Subscription.account_id)
            .where(
                or_(
                    Subscription.status == STATUS_PAUSED,
                    (Subscription.status == STATUS_ACTIVE) & Subscription.pause_cycles.is_not(None),
                )
            )
            .order_by(Subscription.paused_until, Subscription.account_id)
        ).all()
    out = []
    for account_id, company, status, start, end, cycles, until, interval in rows:
        running = status == STATUS_PAUSED
        if not running and until is None:
            until = offers.pause_until(end, interval, cycles)
        out.append(
            PauseDates(
                account_id=account_id,
                company=company,
                starts_on=start if running else end,
                resumes_on=until or end,
                running=running,
            )
        )
    return tuple(sorted(out, key=lambda p: (p.resumes_on, p.account_id))[:limit])
