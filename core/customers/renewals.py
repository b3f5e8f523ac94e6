"""New billing cycles, written once for the lifecycle job's renewal and for a customer who ends
a pause early: what the cycles cost (a pending downgrade applies from the first of them, a
running discount to as many invoices as it has cycles left, then it ends), their invoices, the
paid cycle each invoice adds to the account's saves (the verified saves), and the audit entries
of a downgrade carried out and a discount ended. `plan` works it out without writing;
`bill` writes it, in the caller's transaction, once the caller has moved the subscription on
(the lifecycle with one conditional UPDATE, the customer's use case under its lock)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from core.customers.accounts import add_invoice
from core.platform import audit
from core.platform.models import CancellationFlow, Plan, Subscription
from core.rules import billing, offers
from core.rules.vocabulary import ACTION_DISCOUNT_ENDED, ACTION_PLAN_DOWNGRADED, SAVED_OUTCOMES


@dataclass(frozen=True)
class Renewal:
    """New cycles of a subscription, worked out: the values it takes, and its invoices."""

    account_id: int
    interval: str
    old_plan_code: str
    old_price_cents: int  # per interval
    plan_id: int
    plan_code: str
    price_cents: int  # per interval, from the first new cycle
    next_plan_code: str | None
    discount_percent: int | None
    discount_cycles_left: int | None
    old_discount: tuple[int | None, int | None]  # (percent, cycles left) before
    invoices: tuple[tuple[dt.date, dt.date, int], ...]  # (start, end, amount), in order

    @property
    def period(self) -> tuple[dt.date, dt.date]:
        """The cycle the subscription is in afterwards: the last new one."""
        return self.invoices[-1][0], self.invoices[-1][1]

    @property
    def downgraded(self) -> bool:
        return self.plan_code != self.old_plan_code

    @property
    def discount_ended(self) -> bool:
        return self.old_discount != (None, None) and self.discount_percent is None

    def values(self) -> dict[str, Any]:
        """The subscription's columns after the renewal (for an UPDATE or to set)."""
        start, end = self.period
        return {
            "current_period_start": start,
            "current_period_end": end,
            "plan_id": self.plan_id,
            "price_cents": self.price_cents,
            "next_plan_code": self.next_plan_code,
            "discount_percent": self.discount_percent,
            "discount_cycles_left": self.discount_cycles_left,
        }


def plan(s: Session, sub: Subscription, start: dt.date, as_of: dt.date) -> Renewal:
    """The cycles from `start` on, up to the one that contains `as_of` (at least one). A pending
    downgrade to a plan that does not exist stays pending, at the old price."""
    interval = sub.billing_interval
    plan_row, price, next_plan_code = sub.plan, sub.price_cents, sub.next_plan_code
    if next_plan_code is not None:
        target = s.scalar(select(Plan).where(Plan.code == next_plan_code))
        if target is not None:
            plan_row, next_plan_code = target, None
            price = billing.interval_price_cents(target.monthly_price_cents, interval)
    percent, left = sub.discount_percent, sub.discount_cycles_left
    invoices = []
    cycle_start = start
    while True:
        cycle_start, cycle_end = billing.next_period(cycle_start, interval)
        if percent and left and left > 0:
            invoices.append((cycle_start, cycle_end, offers.discounted_cents(price, percent)))
            left -= 1
        else:
            invoices.append((cycle_start, cycle_end, price))
        if cycle_end > as_of:
            break
        cycle_start = cycle_end
    if not (percent and left and left > 0):
        percent = left = None
    return Renewal(
        account_id=sub.account_id,
        interval=interval,
        old_plan_code=sub.plan.code,
        old_price_cents=sub.price_cents,
        plan_id=plan_row.id,
        plan_code=plan_row.code,
        price_cents=price,
        next_plan_code=next_plan_code,
        discount_percent=percent,
        discount_cycles_left=left,
        old_discount=(sub.discount_percent, sub.discount_cycles_left),
        invoices=tuple(invoices),
    )


def bill(s: Session, sub: Subscription, renewal: Renewal, now: dt.datetime) -> None:
    """Write the renewal's invoices, the paid cycles of the account's saves, and the audit
    entries of a downgrade carried out and a discount ended."""
    for start, end, amount in renewal.invoices:
        add_invoice(s, sub, start, end, amount)
        count_paid_cycle(s, renewal.account_id, start)
    if renewal.downgraded:
        audit.record(
            s,
            action=ACTION_PLAN_DOWNGRADED,
            account_id=renewal.account_id,
            before={
                "plan": renewal.old_plan_code,
                "price": billing.monthly_equivalent_cents(
                    renewal.old_price_cents, renewal.interval
                ),
            },
            after={
                "plan": renewal.plan_code,
                "price": billing.monthly_equivalent_cents(renewal.price_cents, renewal.interval),
                "period_start": renewal.invoices[0][0],  # the first cycle on the cheaper plan
            },
            at=now,
        )
    if renewal.discount_ended:
        percent, left = renewal.old_discount
        audit.record(
            s,
            action=ACTION_DISCOUNT_ENDED,
            account_id=renewal.account_id,
            before={"discount_percent": percent, "discount_cycles_left": left},
            after={"discount_percent": None, "discount_cycles_left": None},
            at=now,
        )


def count_paid_cycle(s: Session, account_id: int, period_start: dt.date) -> None:
    """One more paid cycle for each of the account's saves made before the cycle starts."""
    s.execute(
        update(CancellationFlow)
        .where(
            CancellationFlow.account_id == account_id,
            CancellationFlow.outcome.in_(SAVED_OUTCOMES),
            CancellationFlow.finished_at < dt.datetime.combine(period_start, dt.time(), dt.UTC),
        )
        .values(paid_cycles_after=CancellationFlow.paid_cycles_after + 1)
    )
