"""Retention offers set straight on a subscription (as `core.retention.offers.accept` leaves
them), and what the lifecycle job must make of them by a day: the model the lifecycle's offer
tests check the database against, worked out from the spec alone (not from the job's code)."""

from __future__ import annotations

import datetime as dt
import threading
import uuid
from collections import Counter
from dataclasses import dataclass

from sqlalchemy import select

from core.jobs import lifecycle
from core.platform.db import Database, connect
from core.platform.models import AuditEntry, CancellationFlow, Invoice, Plan, Subscription
from core.rules import billing, offers
from core.rules.vocabulary import STATUS_ACTIVE, STATUS_PAUSED
from tests.support.env import NOW

CURRENT_PLAN = ("growth", 24900)  # what the customers pay for
CHEAPER_PLAN = ("starter", 9800)  # what a downgrade moves them to


@dataclass(frozen=True)
class Taken:
    """The offers an account took: a pause of `pause` cycles, `percent` off `cycles` invoices,
    a move to `downgrade_to` (a plan code)."""

    pause: int | None = None
    percent: int | None = None
    cycles: int | None = None
    downgrade_to: str | None = None


@dataclass(frozen=True)
class Start:
    """A subscription as it was before the job ran: its cycle, interval and price."""

    account_id: int
    interval: str
    period_start: dt.date
    period_end: dt.date
    price_cents: int  # per interval
    plan_code: str


def take(db: Database, account_id: int, taken: Taken) -> Start:
    """Set the offers on the account's subscription; what it was before."""
    with db.transaction() as s:
        sub = s.scalar(select(Subscription).where(Subscription.account_id == account_id))
        if taken.pause:
            sub.pause_cycles = taken.pause
            sub.paused_until = offers.pause_until(
                sub.current_period_end, sub.billing_interval, taken.pause
            )
        if taken.percent:
            sub.discount_percent = taken.percent
            sub.discount_cycles_left = taken.cycles
        if taken.downgrade_to:
            sub.next_plan_code = taken.downgrade_to
        return Start(
            account_id,
            sub.billing_interval,
            sub.current_period_start,
            sub.current_period_end,
            sub.price_cents,
            sub.plan.code,
        )


def saved_flow(db: Database, account_id: int, finished_at: dt.datetime, outcome: str) -> str:
    """A finished cancellation flow of the account (saved, or not), as the flow leaves it."""
    flow_id = str(uuid.uuid4())
    with db.transaction() as s:
        s.add(
            CancellationFlow(
                id=flow_id,
                account_id=account_id,
                started_at=finished_at - dt.timedelta(minutes=5),
                finished_at=finished_at,
                outcome=outcome,
                plan_code=CURRENT_PLAN[0],
                country="IT",
                tenure_band="<6m",
                monthly_revenue_cents=CURRENT_PLAN[1],
            )
        )
    return flow_id


@dataclass(frozen=True)
class Expected:
    invoices: tuple[tuple[dt.date, dt.date, int], ...]  # (period start, end, amount), in order
    status: str
    period: tuple[dt.date, dt.date]
    pause: tuple[dt.date, dt.date] | None  # a pause that has started: (first day, resume day)
    resumed: bool
    discount_ended: bool
    downgraded: bool
    plan_code: str
    price_cents: int


def expected(start: Start, taken: Taken, as_of: dt.date) -> Expected:
    """What the subscription must look like once the job has run as of `as_of` (once or many
    times, on any earlier days too)."""
    months = billing.period_months(start.interval)
    period = (start.period_start, start.period_end)
    end = start.period_end
    status, pause, resumed = STATUS_ACTIVE, None, False
    if taken.pause and end <= as_of:
        until = billing.add_months(end, months * taken.pause)
        pause, status, period = (end, until), STATUS_PAUSED, (end, until)
        if until <= as_of:
            status, resumed = STATUS_ACTIVE, True
    elif taken.pause:
        return Expected((), status, period, None, False, False, False, start.plan_code,
                        start.price_cents)  # fmt: skip
    if status == STATUS_PAUSED:
        return Expected((), status, period, pause, False, False, False, start.plan_code,
                        start.price_cents)  # fmt: skip
    end = period[1]
    price, plan_code = start.price_cents, start.plan_code
    invoices = []
    while end <= as_of:
        first, end = end, billing.add_months(end, months)
        if taken.downgrade_to:
            plan_code = taken.downgrade_to
            monthly = dict([CURRENT_PLAN, CHEAPER_PLAN])[plan_code]
            price = billing.interval_price_cents(monthly, start.interval)
        discounted = taken.percent and len(invoices) < (taken.cycles or 0)
        amount = (price * (100 - taken.percent) + 50) // 100 if discounted else price
        invoices.append((first, end, amount))
        period = (first, end)
    discount_ended = bool(taken.percent) and len(invoices) >= (taken.cycles or 0)
    downgraded = bool(taken.downgrade_to) and bool(invoices)
    return Expected(
        tuple(invoices), status, period, pause, resumed, discount_ended, downgraded, plan_code,
        price,
    )  # fmt: skip


def invoices(db: Database, account_id: int) -> tuple[tuple[dt.date, dt.date, int], ...]:
    with db.transaction() as s:
        rows = s.execute(
            select(Invoice.period_start, Invoice.period_end, Invoice.amount_cents)
            .where(Invoice.account_id == account_id)
            .order_by(Invoice.period_start)
        ).all()
    return tuple(tuple(r) for r in rows)


def subscription(db: Database, account_id: int) -> dict:
    """The subscription's row as a dict, with its plan's code."""
    with db.transaction() as s:
        sub = s.scalar(select(Subscription).where(Subscription.account_id == account_id))
        row = {c.key: getattr(sub, c.key) for c in Subscription.__table__.columns}
        row["plan_code"] = s.get(Plan, sub.plan_id).code
        return row


def audits(db: Database, account_id: int) -> Counter:
    """How many audit entries of each action the account has."""
    with db.transaction() as s:
        return Counter(
            s.scalars(select(AuditEntry.action).where(AuditEntry.account_id == account_id))
        )


def paid_cycles(db: Database, flow_id: str) -> int:
    with db.transaction() as s:
        return s.get(CancellationFlow, flow_id).paid_cycles_after


def everything(db: Database) -> tuple:
    """Every row the job may change, to compare before and after a run that must do nothing."""
    with db.transaction() as s:
        subs = [
            tuple(getattr(sub, c.key) for c in Subscription.__table__.columns)
            for sub in s.scalars(select(Subscription).order_by(Subscription.id))
        ]
        invoices = s.execute(
            select(
                Invoice.number, Invoice.amount_cents, Invoice.period_start, Invoice.period_end
            ).order_by(Invoice.number)
        ).all()
        flows = s.execute(
            select(CancellationFlow.id, CancellationFlow.paid_cycles_after).order_by(
                CancellationFlow.id
            )
        ).all()
        entries = s.execute(
            select(AuditEntry.action, AuditEntry.account_id, AuditEntry.after).order_by(
                AuditEntry.id
            )
        ).all()
    return (
        subs,
        [tuple(r) for r in invoices],
        [tuple(r) for r in flows],
        [tuple(r) for r in entries],
    )


def four_at_once(url: str, as_of: dt.date) -> list[lifecycle.LifecycleRun]:
    """Four runners released together, each with its own engine on the same database."""
    barrier = threading.Barrier(4)
    reports: list[lifecycle.LifecycleRun] = []
    errors: list[BaseException] = []

    def runner() -> None:
        mine = connect(url)
        try:
            barrier.wait()
            reports.append(lifecycle.run(mine, as_of, now=NOW))
        except BaseException as exc:  # asserted on below
            errors.append(exc)
        finally:
            mine.engine.dispose()

    threads = [threading.Thread(target=runner) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    assert len(reports) == 4
    return reports
