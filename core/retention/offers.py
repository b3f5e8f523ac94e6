"""The retention offers a leaving customer sees on step 2 of the cancellation flow, and taking
one: the playbook chosen for the account (`core.retention.playbook.choose`) is matched to the
flow's survey reason and segment, minus the kinds the account took recently
(`Settings.offer_cooldown_months`) or already carries; each offer shown is a `RetentionOffer`
row of the flow (`record_offers`, called when the survey is answered or skipped).

Accepting a pause, a discount or a downgrade (`accept`) ends the flow saved by that offer and
puts the offer on the subscription, for the lifecycle job to carry out: a pause starts when the
current cycle ends and lasts 1 to 3 cycles without an invoice; a discount comes off the next
invoices; a downgrade moves to a cheaper plan at the next cycle. Every date and amount is
computed here from the subscription (`OfferTerms`), never typed. The custom plan keeps its own
use case (`core.retention.custom_plan`). `resume_now` ends a pause (or drops a pending one)
from the overview.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.customers import renewals
from core.identity.auth import CurrentUser, require_customer
from core.platform import audit, clock, outbox
from core.platform.config import Settings, load_settings
from core.platform.db import Database
from core.platform.errors import InvalidInput, NotAuthorized, PortalError
from core.platform.models import (
    Account,
    CancellationFlow,
    Plan,
    PlaybookVersion,
    RetentionOffer,
    Subscription,
)
from core.retention.playbook import choose
from core.retention.records import FlowClosed, _offer_facts, _step, _subscription
from core.retention.terms import OfferTerms, terms_for
from core.rules import billing, numbers
from core.rules.offers import (
    DEFAULT_PLAYBOOK,
    DISCOUNT_CYCLES,
    DISCOUNT_PERCENT,
    PAUSE_CYCLES,
    Offer,
    Playbook,
    match,
)
from core.rules.vocabulary import (
    ACTION_OFFER_ACCEPTED,
    ACTION_SUBSCRIPTION_UNPAUSED,
    EVENT_SUBSCRIPTION_RESUMED,
    OFFER_KIND_CUSTOM_PLAN,
    OFFER_KIND_DISCOUNT,
    OFFER_KIND_DOWNGRADE,
    OFFER_KIND_PAUSE,
    OUTCOME_OPEN,
    OUTCOME_SAVED_OFFER,
    STATUS_ACTIVE,
    STATUS_PAUSED,
)

ACCEPTABLE = (OFFER_KIND_PAUSE, OFFER_KIND_DISCOUNT, OFFER_KIND_DOWNGRADE)


class OfferNotAvailable(PortalError):
    """The offer is not (or no longer) open to this customer: not shown in this flow, a custom
    plan (asked for with its configurator), taken too recently, or already in force."""

    key = "offers.error.not_available"


@dataclass(frozen=True)
class ShownOffer:
    key: str
    kind: str
    title: dict[str, str]  # per language, the playbook's copy
    body: dict[str, str]
    terms: OfferTerms


@dataclass(frozen=True)
class Accepted:
    """An offer taken: what the done screen and the receipt say."""

    flow_id: str
    kind: str
    confirmation_number: str
    accepted_at: dt.datetime
    terms: OfferTerms
    company: str
    plan_name: str  # the plan when the offer was taken


def _plan_row(s: Session, code: str) -> Plan | None:
    return s.scalar(select(Plan).where(Plan.code == code)) if code else None


def _terms(s: Session, offer: Offer, sub: Subscription) -> OfferTerms:
    target = None
    if offer.kind == OFFER_KIND_DOWNGRADE:
        row = _plan_row(s, offer.plan_code)
        if row is not None:
            target = (row.name, row.monthly_price_cents)
    return terms_for(
        offer,
        period_end=sub.current_period_end,
        billing_interval=sub.billing_interval,
        price_cents=sub.price_cents,
        currency=sub.currency,
        target=target,
    )


def _offer_of(row: RetentionOffer) -> Offer:
    """The offer as it was shown (its stored parameters)."""
    try:
        params = json.loads(row.params) if row.params else {}
    except ValueError:
        params = {}
    return Offer(
        key=row.offer_key,
        kind=row.kind,
        cycles=int(params.get("cycles") or 0),
        percent=int(params.get("percent") or 0),
        plan_code=str(params.get("plan_code") or ""),
    )


# --- who may see what ------------------------------------------------------------------------


def _months_before(now: dt.datetime, months: int) -> dt.datetime:
    day = billing.add_months(now.date(), -months)
    return dt.datetime.combine(day, now.timetz())


def _taken_recently(s: Session, account_id: int, now: dt.datetime, settings: Settings) -> set[str]:
    """The kinds of offer the account took within `offer_cooldown_months` before `now`."""
    since = _months_before(now, settings.offer_cooldown_months)
    kinds = s.scalars(
        select(CancellationFlow.offer_kind)
        .where(
            CancellationFlow.account_id == account_id,
            CancellationFlow.outcome == OUTCOME_SAVED_OFFER,
            CancellationFlow.offer_kind.is_not(None),
            CancellationFlow.finished_at > since,
        )
        .distinct()
    )
    return {k for k in kinds if k}


def _in_force(sub: Subscription) -> set[str]:
    """The kinds the subscription already carries (or cannot take while paused): a pause
    pending or running, a discount with invoices left, a downgrade to come; and no custom-plan
    request while paused (the account is read-only)."""
    out: set[str] = set()
    if sub.status == STATUS_PAUSED or sub.pause_cycles is not None:
        out.add(OFFER_KIND_PAUSE)
    if sub.status == STATUS_PAUSED:
        out.add(OFFER_KIND_CUSTOM_PLAN)
    if (sub.discount_cycles_left or 0) > 0:
        out.add(OFFER_KIND_DISCOUNT)
    if sub.next_plan_code:
        out.add(OFFER_KIND_DOWNGRADE)
    return out


def _unavailable(s: Session, sub: Subscription, now: dt.datetime, settings: Settings) -> set[str]:
    return _taken_recently(s, sub.account_id, now, settings) | _in_force(sub)


def _rows(s: Session, flow_id: str) -> list[RetentionOffer]:
    return list(
        s.scalars(
            select(RetentionOffer)
            .where(RetentionOffer.flow_id == flow_id)
            .order_by(RetentionOffer.id)
        )
    )


def record_offers(
    s: Session,
    flow: CancellationFlow,
    sub: Subscription,
    account: Account,
    now: dt.datetime,
    settings: Settings,
    *,
    show: bool = True,
) -> None:
    """Choose and record the offers step 2 shows for this flow (once per flow), inside the
    caller's transaction: the playbook chosen for the account, matched to the flow's reason
    (`flow.reason`, already set from the survey), plan, tenure band and country, minus the
    kinds the account may not take now. The custom plan's row carries the flow's offer facts.
    `show=False` (the survey was left and the customer went straight on to the consents): only
    the version and variant the flow falls in are recorded, no offer was seen."""
    rows = _rows(s, flow.id)
    if any(r.offer_key for r in rows):
        return  # chosen when the survey was first answered
    chosen = choose(s, account.id, now)
    flow.playbook_version = chosen.version
    flow.variant = chosen.variant
    if not show:
        return
    blocked = _unavailable(s, sub, now, settings)
    matched = match(
        chosen.playbook,
        reason=flow.reason,
        plan_code=flow.plan_code,
        tenure_band=flow.tenure_band,
        country=flow.country,
    )
    for offer in matched:
        if offer.kind in blocked:
            continue
        row = None
        if offer.kind == OFFER_KIND_CUSTOM_PLAN:  # the configurator may have been opened first
            row = next((r for r in rows if r.kind == OFFER_KIND_CUSTOM_PLAN), None)
        if row is None:
            row = RetentionOffer(flow_id=flow.id, kind=offer.kind, shown_at=now)
            s.add(row)
            if offer.kind == OFFER_KIND_CUSTOM_PLAN:
                _step(s, flow, "offer_shown", now)
        row.offer_key = offer.key
        row.params = json.dumps(offer.params(), sort_keys=True)
        if offer.kind == OFFER_KIND_CUSTOM_PLAN:
            _offer_facts(flow, row)


def _version_playbook(s: Session, number: int | None) -> Playbook:
    if number is None:
        return DEFAULT_PLAYBOOK
    content = s.scalar(select(PlaybookVersion.content).where(PlaybookVersion.number == number))
    try:
        return Playbook.from_json(content) if content else DEFAULT_PLAYBOOK
    except ValueError:
        return DEFAULT_PLAYBOOK


def _own_flow(
    s: Session, actor: CurrentUser, flow_id: str, *, lock: bool = False
) -> CancellationFlow:
    flow = s.get(CancellationFlow, flow_id, with_for_update=lock, populate_existing=lock)
    if flow is None or flow.account_id != actor.account_id:
        raise NotAuthorized()
    return flow


def shown(
    db: Database, actor: CurrentUser | None, flow_id: str, *, now: dt.datetime | None = None
) -> tuple[ShownOffer, ...]:
    """The offers recorded for the customer's flow, in the order step 2 shows them, with the
    playbook version's copy and the terms computed from the subscription as it is now."""
    actor = require_customer(actor)
    clock.now(now)
    with db.transaction() as s:
        flow = _own_flow(s, actor, flow_id)
        sub = _subscription(s, actor.account_id)
        playbook = _version_playbook(s, flow.playbook_version)
        out = []
        for row in _rows(s, flow.id):
            offer = _offer_of(row)
            copy = playbook.offer(row.offer_key) or (
                DEFAULT_PLAYBOOK.offers[0] if row.kind == OFFER_KIND_CUSTOM_PLAN else None
            )
            out.append(
                ShownOffer(
                    key=row.offer_key or row.kind,
                    kind=row.kind,
                    title=dict(copy.title) if copy else {},
                    body=dict(copy.body) if copy else {},
                    terms=_terms(s, offer, sub),
                )
            )
        return tuple(out)


# --- taking an offer -------------------------------------------------------------------------


def _check(
    s: Session, offer: Offer, sub: Subscription, now: dt.datetime, settings: Settings
) -> Plan | None:
    """Refuse what cannot be taken now; a downgrade's plan row when it can."""
    if offer.kind not in ACCEPTABLE:
        raise OfferNotAvailable()
    if sub.status not in (STATUS_ACTIVE, STATUS_PAUSED):
        raise OfferNotAvailable()
    if offer.kind in _unavailable(s, sub, now, settings):
        raise OfferNotAvailable()
    if offer.kind == OFFER_KIND_PAUSE and offer.cycles not in PAUSE_CYCLES:
        raise InvalidInput(
            "offers.error.pause_cycles", least=PAUSE_CYCLES[0], most=PAUSE_CYCLES[-1]
        )
    if offer.kind == OFFER_KIND_DISCOUNT and not (
        DISCOUNT_PERCENT[0] <= offer.percent <= DISCOUNT_PERCENT[1]
        and DISCOUNT_CYCLES[0] <= offer.cycles <= DISCOUNT_CYCLES[1]
    ):
        raise InvalidInput("offers.error.discount")
    if offer.kind != OFFER_KIND_DOWNGRADE:
        return None
    target = _plan_row(s, offer.plan_code)
    if target is None:
        raise OfferNotAvailable()
    new_price = billing.interval_price_cents(target.monthly_price_cents, sub.billing_interval)
    if target.id == sub.plan_id or new_price >= sub.price_cents:
        raise InvalidInput("offers.error.not_cheaper", plan=target.name)
    return target


def _carried(sub: Subscription) -> dict[str, Any]:
    return {
        "status": sub.status,
        "pause_cycles": sub.pause_cycles,
        "paused_until": sub.paused_until,
        "discount_percent": sub.discount_percent,
        "discount_cycles_left": sub.discount_cycles_left,
        "next_plan_code": sub.next_plan_code,
    }


def _accepted(s: Session, flow: CancellationFlow, row: RetentionOffer) -> Accepted:
    account = s.get(Account, flow.account_id)
    stored = json.loads(row.configuration)
    return Accepted(
        flow_id=flow.id,
        kind=row.kind,
        confirmation_number=flow.confirmation_number or "",
        accepted_at=row.accepted_at or flow.finished_at or flow.started_at,
        terms=OfferTerms.from_json(stored["terms"]),
        company=account.company if account else "",
        plan_name=stored.get("plan_name", ""),
    )


def accept(
    db: Database,
    actor: CurrentUser | None,
    flow_id: str,
    offer_key: str,
    *,
    now: dt.datetime | None = None,
    settings: Settings | None = None,
) -> Accepted:
    """Take a pause, a discount or a downgrade shown in this flow: the flow ends saved by it,
    with a confirmation number, and the subscription carries the offer from its next cycle.

    Refused, changing nothing: a custom plan (`custom_plan.ask_for_plan`), an offer not shown
    in this flow, one taken within the cooldown or already in force, a downgrade that is not
    cheaper; a flow no longer open (FlowClosed). Twice for the same flow and offer (a double
    click, a second tab) returns the same answer."""
    actor = require_customer(actor)
    now = clock.now(now)
    settings = settings or load_settings()
    with db.transaction(write=True) as s:
        sub = _subscription(s, actor.account_id, lock=True)  # lock first, then read
        flow = _own_flow(s, actor, flow_id, lock=True)
        row = next((r for r in _rows(s, flow.id) if r.offer_key == offer_key), None)
        if flow.outcome == OUTCOME_SAVED_OFFER and row is not None and row.accepted_at:
            return _accepted(s, flow, row)  # the same request again: answer as the first time
        if flow.outcome != OUTCOME_OPEN:
            raise FlowClosed()
        if row is None or not offer_key:
            raise OfferNotAvailable()
        offer = _offer_of(row)
        target = _check(s, offer, sub, now, settings)
        terms = _terms(s, offer, sub)
        before = _carried(sub)
        if offer.kind == OFFER_KIND_PAUSE:
            sub.pause_cycles = offer.cycles
            sub.paused_until = terms.resumes_on
        elif offer.kind == OFFER_KIND_DISCOUNT:
            sub.discount_percent = offer.percent
            sub.discount_cycles_left = offer.cycles
        elif target is not None:
            sub.next_plan_code = target.code
        flow.outcome = OUTCOME_SAVED_OFFER
        flow.offer_kind = offer.kind
        flow.finished_at = now
        flow.confirmation_number = numbers.confirmation_number()
        row.accepted_at = now
        row.configuration = json.dumps(
            {"terms": terms.as_json(), "plan_name": sub.plan.name}, sort_keys=True
        )
        if terms.new_price_cents is not None:
            row.monthly_price_cents = billing.monthly_equivalent_cents(
                terms.new_price_cents, sub.billing_interval
            )
        _step(s, flow, "offer_accepted", now, kind=offer.kind, key=offer.key)
        audit.record(
            s,
            action=ACTION_OFFER_ACCEPTED,
            account_id=actor.account_id,
            before=before,
            after={
                **_carried(sub),
                "offer": offer.key,
                "offer_kind": offer.kind,
                "starts_on": terms.starts_on,
                "confirmation": flow.confirmation_number,
            },
            at=now,
            actor_user_id=actor.id,
            actor_name=actor.email,
        )
        s.flush()
        taken = _accepted(s, flow, row)
        outbox.flow_saved(
            s,
            actor.account_id,
            flow.id,
            at=now,
            offer={"key": offer.key, "kind": offer.kind, "terms": terms.as_json()},
            mail=True,  # with the offer's receipt
            confirmation_number=flow.confirmation_number,
            accepted_at=now,
            plan_name_before=taken.plan_name,
        )
        return taken


def accepted(db: Database, actor: CurrentUser | None, flow_id: str) -> Accepted | None:
    """The offer taken in the customer's flow (None if none was): the done screen after a
    reload, and the receipt."""
    actor = require_customer(actor)
    with db.transaction() as s:
        flow = _own_flow(s, actor, flow_id)
        if flow.outcome != OUTCOME_SAVED_OFFER:
            return None
        row = next((r for r in _rows(s, flow.id) if r.accepted_at is not None), None)
        if row is None or not row.configuration:
            return None
        return _accepted(s, flow, row)


# --- ending a pause early --------------------------------------------------------------------


def resume_now(db: Database, actor: CurrentUser | None, *, now: dt.datetime | None = None) -> None:
    """The customer ends their pause from the overview: a pause still to come is dropped (the
    subscription renews as before); a running pause ends today, the subscription is active
    again and a new cycle starts today with its invoice. Nothing to resume: nothing changes (a
    second click or tab). Audited."""
    actor = require_customer(actor)
    now = clock.now(now)
    with db.transaction(write=True) as s:
        sub = _subscription(s, actor.account_id, lock=True)
        before = _carried(sub)
        was_paused = sub.status == STATUS_PAUSED
        if was_paused:
            renewal = renewals.plan(s, sub, now.date(), now.date())
            for name, value in {
                **renewal.values(),
                "status": STATUS_ACTIVE,
                "pause_cycles": None,
                "paused_until": None,
            }.items():
                setattr(sub, name, value)
            s.flush()
            s.expire(sub, ["plan"])  # a downgrade carried out: the plan is read again
            renewals.bill(s, sub, renewal, now)
        elif sub.pause_cycles is not None or sub.paused_until is not None:
            sub.pause_cycles = sub.paused_until = None
        else:
            return
        audit.record(
            s,
            action=ACTION_SUBSCRIPTION_UNPAUSED,
            account_id=actor.account_id,
            before=before,
            after={**_carried(sub), "period_end": sub.current_period_end, "by": "customer"},
            at=now,
            actor_user_id=actor.id,
            actor_name=actor.email,
        )
        if was_paused:  # a pause still to come, dropped, was never announced as started
            outbox.emit(
                s,
                EVENT_SUBSCRIPTION_RESUMED,
                account_id=actor.account_id,
                at=now,
                data={**outbox.account_facts(s, actor.account_id), "resumed_on": now.date(),
                      "period_end": sub.current_period_end, "by": "customer"},
            )  # fmt: skip
