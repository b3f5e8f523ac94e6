"""An offer's terms: what taking it changes and from when (the day it starts, the day a
pause ends, the next invoices' price, a downgrade's plan), computed from the subscription's
cycle and price, never typed. Pure: step 2, the receipt and the playbook's preview show them;
`core.retention.offers` stores them with the offer taken."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from core.rules import billing
from core.rules.offers import Offer, discounted_cents, pause_until
from core.rules.pricing import PLANS
from core.rules.vocabulary import (
    OFFER_KIND_CUSTOM_PLAN,
    OFFER_KIND_DISCOUNT,
    OFFER_KIND_DOWNGRADE,
    OFFER_KIND_PAUSE,
)


@dataclass(frozen=True)
class OfferTerms:
    """What an offer changes and from when, computed from the subscription."""

    kind: str
    starts_on: dt.date | None  # when it takes effect (the next cycle); None for a custom plan
    resumes_on: dt.date | None  # a pause: billing resumes on this day
    cycles: int  # a pause: cycles without an invoice; a discount: invoices it comes off
    percent: int  # a discount: percent off
    current_price_cents: int  # per billing interval, as now
    new_price_cents: int | None  # per billing interval, the next invoices (discount, downgrade)
    plan_code: str | None  # a downgrade's plan
    plan_name: str | None
    currency: str
    billing_interval: str

    def as_json(self) -> dict[str, Any]:
        return {
            name: (value.isoformat() if isinstance(value, dt.date) else value)
            for name, value in self.__dict__.items()
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> OfferTerms:
        values = dict(data)
        for name in ("starts_on", "resumes_on"):
            if values.get(name):
                values[name] = dt.date.fromisoformat(values[name])
        return cls(**values)


def terms_for(
    offer: Offer,
    *,
    period_end: dt.date,
    billing_interval: str,
    price_cents: int,
    currency: str,
    target: tuple[str, int] | None = None,
) -> OfferTerms:
    """An offer's terms for a subscription whose cycle ends on `period_end`, at `price_cents`
    per `billing_interval`. `target`: a downgrade's plan (name, monthly price in cents); by
    default the catalogue's. Pure: the playbook's preview uses it too."""
    kind = offer.kind
    new_price = None
    plan_code = plan_name = None
    if kind == OFFER_KIND_DISCOUNT:
        new_price = discounted_cents(price_cents, offer.percent)
    if kind == OFFER_KIND_DOWNGRADE:
        plan_code = offer.plan_code
        if target is None:
            spec = next((p for p in PLANS if p.code == offer.plan_code), None)
            target = (spec.name, spec.monthly_price_cents) if spec else (offer.plan_code, 0)
        plan_name = target[0]
        new_price = billing.interval_price_cents(target[1], billing_interval)
    return OfferTerms(
        kind=kind,
        starts_on=None if kind == OFFER_KIND_CUSTOM_PLAN else period_end,
        resumes_on=(
            pause_until(period_end, billing_interval, offer.cycles)
            if kind == OFFER_KIND_PAUSE
            else None
        ),
        cycles=offer.cycles if kind in (OFFER_KIND_PAUSE, OFFER_KIND_DISCOUNT) else 0,
        percent=offer.percent if kind == OFFER_KIND_DISCOUNT else 0,
        current_price_cents=price_cents,
        new_price_cents=new_price,
        plan_code=plan_code,
        plan_name=plan_name,
        currency=currency,
        billing_interval=billing_interval,
    )
