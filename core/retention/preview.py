"""Step 2 as a chosen kind of customer would see it, without a flow: for the playbook page's
preview. The offers a playbook matches to a reason and a segment, each with its terms computed
for a monthly subscription to the chosen plan whose billing cycle ends a month from `today`
(the same rules as the real flow: `core.rules.offers`, `core.rules.billing`). Pure: no
database, nothing recorded."""

from __future__ import annotations

import datetime as dt

from core.retention import terms
from core.retention.offers import ShownOffer
from core.retention.terms import OfferTerms
from core.rules import billing
from core.rules import offers as rules
from core.rules.pricing import CURRENCY

INTERVAL = billing.MONTH  # the preview's subscription is billed monthly


def cycle_end(today: dt.date) -> dt.date:
    """When the preview's billing cycle ends (and an offer takes effect): a month from today."""
    return billing.add_months(today, billing.period_months(INTERVAL))


def terms_for(offer: rules.Offer, plan_code: str, today: dt.date) -> OfferTerms:
    """What `offer` would do to a monthly subscription to `plan_code` whose cycle ends a month
    from `today` (the real flow's rule: `core.retention.terms.terms_for`). ValueError for a
    plan that is not in the catalogue."""
    monthly = rules.plan_price(plan_code)
    if monthly is None:
        raise ValueError(f"unknown plan {plan_code!r}")
    return terms.terms_for(
        offer,
        period_end=cycle_end(today),
        billing_interval=INTERVAL,
        price_cents=billing.interval_price_cents(monthly, INTERVAL),
        currency=CURRENCY,
    )


def preview(
    playbook: rules.Playbook,
    *,
    reason: str | None,
    plan_code: str,
    tenure_band: str,
    country: str,
    today: dt.date,
) -> tuple[ShownOffer, ...]:
    """The offers step 2 would show a customer of that segment who gave that reason (None or
    NO_REASON: no reason given), in order, with their terms."""
    matched = rules.match(
        playbook, reason=reason, plan_code=plan_code, tenure_band=tenure_band, country=country
    )
    return tuple(
        ShownOffer(
            key=o.key,
            kind=o.kind,
            title=dict(o.title),
            body=dict(o.body),
            terms=terms_for(o, plan_code, today),
        )
        for o in matched
    )
