"""What a customer sees of their account: plan, billing cycle, status, usage and invoices; and
the invoice each new billing cycle adds (`add_invoice`)."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.identity.auth import CurrentUser, require_account
from core.platform.config import Settings, load_settings
from core.platform.db import Database
from core.platform.errors import NotFound
from core.platform.models import (
    Account,
    Campaign,
    Influencer,
    InfluencerList,
    Invoice,
    Plan,
    Report,
    SavedSearch,
    SearchResult,
    Subscription,
    User,
)
from core.rules import billing
from core.rules.offers import discounted_cents, pause_until
from core.rules.pricing import CUSTOM_PLAN_FLOOR_CENTS, PLANS
from core.rules.vocabulary import STATUS_ACTIVE, STATUS_ENDED, STATUS_PAUSED, STATUS_SCHEDULED


@dataclass(frozen=True)
class Usage:
    key: str  # searches / unlocks / seats / campaigns / lists (an i18n key suffix)
    used: int
    limit: int

    @property
    def ratio(self) -> float:
        return min(1.0, self.used / self.limit) if self.limit else 0.0


@dataclass(frozen=True)
class InvoiceLine:
    number: str
    issued_on: dt.date
    period_start: dt.date
    period_end: dt.date  # the cycle ends (and access with a cancellation) on this day
    amount_cents: int
    currency: str
    status: str

    @classmethod
    def of(cls, invoice: Invoice) -> InvoiceLine:
        return cls(
            number=invoice.number,
            issued_on=invoice.issued_on,
            period_start=invoice.period_start,
            period_end=invoice.period_end,
            amount_cents=invoice.amount_cents,
            currency=invoice.currency,
            status=invoice.status,
        )


@dataclass(frozen=True)
class AccountOverview:
    account_id: int
    company: str
    country: str
    created_at: dt.datetime
    plan_code: str
    plan_name: str
    monthly_price_cents: int
    price_cents: int  # per billing interval
    currency: str
    billing_interval: str
    period_start: dt.date
    period_end: dt.date  # the cycle ends (and access with a cancellation) on this day
    next_renewal: dt.date | None  # None once a cancellation is scheduled or the plan ended
    status: str
    data_deleted_on: dt.date | None  # when a cancellation or end is on record
    usage: tuple[Usage, ...]
    invoices: tuple[InvoiceLine, ...]
    custom_plan_from_cents: int
    # Retention offers the subscription carries (core.retention.offers): a pause (still to
    # come, or running: status "paused"), a discount, a move to a cheaper plan at the next cycle.
    pause_starts_on: dt.date | None = None
    paused_until: dt.date | None = None  # the pause ends and billing resumes on this day
    pause_cycles: int | None = None
    discount_percent: int | None = None
    discount_cycles_left: int | None = None  # invoices the discount still comes off
    next_plan_code: str | None = None
    next_plan_name: str | None = None
    next_invoice_cents: int | None = None  # None while paused or ending

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        for key, value in list(data.items()):
            if isinstance(value, dt.date | dt.datetime):
                data[key] = value.isoformat()
        data["invoices"] = [
            {k: (v.isoformat() if isinstance(v, dt.date) else v) for k, v in inv.items()}
            for inv in data["invoices"]
        ]
        return data


def _usage(s: Session, account_id: int, sub: Subscription) -> tuple[Usage, ...]:
    start = dt.datetime.combine(sub.current_period_start, dt.time(), dt.UTC)
    end = dt.datetime.combine(sub.current_period_end, dt.time(), dt.UTC)

    def count(model: Any, *where: Any) -> int:
        return s.scalar(select(func.count()).select_from(model).where(*where)) or 0

    plan = sub.plan
    return (
        Usage(
            "searches",
            count(
                SavedSearch,
                SavedSearch.account_id == account_id,
                SavedSearch.created_at >= start,
                SavedSearch.created_at < end,
            ),
            plan.searches_limit,
        ),
        Usage(
            "unlocks",
            count(
                Influencer,
                Influencer.account_id == account_id,
                Influencer.unlocked_at >= start,
                Influencer.unlocked_at < end,
            ),
            plan.unlocks_limit,
        ),
        Usage("seats", count(User, User.account_id == account_id), plan.seats_limit),
        Usage(
            "campaigns",
            count(Campaign, Campaign.account_id == account_id, Campaign.status == "active"),
            plan.campaigns_limit,
        ),
        Usage(
            "lists",
            count(InfluencerList, InfluencerList.account_id == account_id),
            plan.lists_limit,
        ),
    )


PAID = "paid"  # `Invoice.status`: the portal charges when the cycle starts


def add_invoice(
    s: Session,
    sub: Subscription,
    start: dt.date,
    end: dt.date,
    amount_cents: int | None = None,
) -> None:
    """The invoice of the subscription's cycle from `start` to `end`, paid, numbered by
    `billing.invoice_number`, for `amount_cents` (default: the subscription's price; the
    lifecycle job passes a discounted one); in the caller's transaction (the lifecycle job's
    renewal, support's reactivation)."""
    s.add(
        Invoice(
            account_id=sub.account_id,
            number=billing.invoice_number(sub.account_id, start),
            issued_on=start,
            period_start=start,
            period_end=end,
            amount_cents=sub.price_cents if amount_cents is None else amount_cents,
            currency=sub.currency,
            status=PAID,
        )
    )


def overview(
    db: Database,
    actor: CurrentUser | None,
    account_id: int | None = None,
    *,
    settings: Settings | None = None,
) -> AccountOverview:
    """The account page's content, for its owner (or an admin)."""
    settings = settings or load_settings()
    if account_id is None and actor is not None:
        account_id = actor.account_id
    if account_id is None:
        raise NotFound()
    require_account(actor, account_id)
    with db.transaction() as s:
        return _overview(s, account_id, settings)


def _overview(s: Session, account_id: int, settings: Settings) -> AccountOverview:
    account = s.get(Account, account_id)
    sub = s.scalar(select(Subscription).where(Subscription.account_id == account_id))
    if account is None or sub is None:
        raise NotFound()
    invoices = s.scalars(
        select(Invoice)
        .where(Invoice.account_id == account_id)
        .order_by(Invoice.issued_on.desc(), Invoice.id.desc())
    ).all()
    data_deleted_on = None
    if sub.status in (STATUS_SCHEDULED, STATUS_ENDED):
        data_deleted_on = billing.data_deletion_date(
            sub.current_period_end, settings.reactivation_months
        )
    offers = _offers(s, sub)
    return AccountOverview(
        account_id=account.id,
        company=account.company,
        country=account.country,
        created_at=account.created_at,
        plan_code=sub.plan.code,
        plan_name=sub.plan.name,
        monthly_price_cents=billing.monthly_equivalent_cents(sub.price_cents, sub.billing_interval),
        price_cents=sub.price_cents,
        currency=sub.currency,
        billing_interval=sub.billing_interval,
        period_start=sub.current_period_start,
        period_end=sub.current_period_end,
        next_renewal=_next_renewal(sub),
        status=sub.status,
        data_deleted_on=data_deleted_on,
        usage=_usage(s, account_id, sub),
        invoices=tuple(InvoiceLine.of(i) for i in invoices),
        custom_plan_from_cents=CUSTOM_PLAN_FLOOR_CENTS,
        **offers,
    )


def _next_renewal(sub: Subscription) -> dt.date | None:
    """The next invoice's day: the cycle's end, or the end of a pause to come."""
    if sub.status != STATUS_ACTIVE:
        return None
    return _paused_until(sub) if sub.pause_cycles is not None else sub.current_period_end


def _paused_until(sub: Subscription) -> dt.date:
    """The day a pause (running, or to come) ends and billing resumes."""
    if sub.paused_until is not None:
        return sub.paused_until
    if sub.status == STATUS_PAUSED:  # a running pause's cycle ends with it
        return sub.current_period_end
    return pause_until(sub.current_period_end, sub.billing_interval, sub.pause_cycles or 1)


def _offers(s: Session, sub: Subscription) -> dict[str, Any]:
    """The overview's fields about the retention offers the subscription carries."""
    paused = sub.status == STATUS_PAUSED
    pending = sub.status == STATUS_ACTIVE and sub.pause_cycles is not None
    next_plan = None
    if sub.next_plan_code:
        next_plan = s.scalar(select(Plan).where(Plan.code == sub.next_plan_code))
    # a plan the portal does not sell (no row) stays pending: the price does not change
    next_monthly = next_plan.monthly_price_cents if next_plan else None
    next_name = next_plan.name if next_plan else None
    if sub.next_plan_code and next_plan is None:
        spec = next((p for p in PLANS if p.code == sub.next_plan_code), None)
        next_name = spec.name if spec else sub.next_plan_code
    amount = None
    if sub.status == STATUS_ACTIVE:
        amount = sub.price_cents
        if next_monthly is not None:
            amount = billing.interval_price_cents(next_monthly, sub.billing_interval)
        if (sub.discount_cycles_left or 0) > 0:
            amount = discounted_cents(amount, sub.discount_percent)
    return {
        "pause_starts_on": (
            sub.current_period_start if paused else sub.current_period_end if pending else None
        ),
        "paused_until": _paused_until(sub) if paused or pending else None,
        "pause_cycles": sub.pause_cycles if paused or pending else None,
        "discount_percent": sub.discount_percent if sub.discount_cycles_left else None,
        "discount_cycles_left": sub.discount_cycles_left or None,
        "next_plan_code": sub.next_plan_code,
        "next_plan_name": next_name,
        "next_invoice_cents": amount,
    }


def overview_by_email(
    db: Database, email: str, *, settings: Settings | None = None
) -> AccountOverview:
    """For the operator's command line (`python -m core account show`): no actor check."""
    settings = settings or load_settings()
    with db.transaction() as s:
        user = s.scalar(select(User).where(User.email == email.strip().lower()))
        if user is None or user.account_id is None:
            raise NotFound()
        return _overview(s, user.account_id, settings)


@dataclass(frozen=True)
class DataCounts:
    """How much the customer holds: what an export saves and a cancellation deletes."""

    searches: int
    search_results: int
    influencers: int
    lists: int
    campaigns: int
    reports: int
    invoices: int


def data_counts(
    db: Database, actor: CurrentUser | None, account_id: int | None = None
) -> DataCounts:
    if account_id is None and actor is not None:
        account_id = actor.account_id
    if account_id is None:
        raise NotFound()
    require_account(actor, account_id)

    with db.transaction() as s:

        def count(model: Any, *where: Any) -> int:
            return s.scalar(select(func.count()).select_from(model).where(*where)) or 0

        return DataCounts(
            searches=count(SavedSearch, SavedSearch.account_id == account_id),
            search_results=count(
                SearchResult.__table__.join(SavedSearch.__table__),
                SavedSearch.account_id == account_id,
            ),
            influencers=count(Influencer, Influencer.account_id == account_id),
            lists=count(InfluencerList, InfluencerList.account_id == account_id),
            campaigns=count(Campaign, Campaign.account_id == account_id),
            reports=count(Report, Report.account_id == account_id),
            invoices=count(Invoice, Invoice.account_id == account_id),
        )
