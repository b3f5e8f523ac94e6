"""The custom plan's use cases: where its configurator starts (`plan_start`), the account's
open request, and the one way to ask for it (`ask_for_plan`), from the cancellation flow's
step 2 or from the account overview. What a plan holds and costs is `core.rules.pricing`.

A request is a `support_requests` row of kind `custom_plan` whose message is the configuration
and the monthly price the customer saw, as JSON; from the flow it is also recorded on the flow's
retention offer (for the insights). An account has at most one open custom-plan request: asking
again returns that request and changes nothing.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import func, select

from core.customers import accounts
from core.customers.customer_desk import PlanRequest, parse
from core.identity.auth import CurrentUser, require_customer
from core.platform import audit, clock, outbox
from core.platform.db import Database
from core.platform.errors import InvalidInput, NotAuthorized
from core.platform.models import CancellationFlow, RetentionOffer, SupportRequest, User
from core.retention.records import FlowClosed, _offer_facts, _step, _subscription
from core.rules.pricing import (
    CUSTOM_PLAN_FLOOR_CENTS,
    UNITS,
    PlanConfig,
    plan_problems,
    price_custom_plan,
)
from core.rules.vocabulary import (
    ACTION_CUSTOM_PLAN_REQUESTED,
    OFFER_KIND_CUSTOM_PLAN,
    OUTCOME_OPEN,
    OUTCOME_SAVED_OFFER,
    REQUEST_CUSTOM_PLAN,
    REQUEST_OPEN,
    STATUS_PAUSED,
)

BASE_PRICE_CENTS = CUSTOM_PLAN_FLOOR_CENTS  # the configurator states it
KIND = REQUEST_CUSTOM_PLAN


@dataclass(frozen=True)
class PlanStart:
    """Where the configurator starts for this customer: what they use this billing cycle
    (rounded up to whole steps, at least what the base includes), and the seats in use."""

    config: PlanConfig
    seats_in_use: int


def validate_plan(config: PlanConfig, seats_in_use: int = 0) -> None:
    """Refuse a plan that `plan_problems` finds fault with, naming the first value's range."""
    problems = plan_problems(config, seats_in_use)
    if problems:
        first = problems[0]
        raise InvalidInput("cancel.error.plan_range", least=first.least, most=first.most)


def plan_start(db: Database, actor: CurrentUser | None) -> PlanStart:
    actor = require_customer(actor)
    used = {u.key: u.used for u in accounts.overview(db, actor).usage}
    values = {}
    for unit in UNITS:
        steps = math.ceil(used.get(unit.name, 0) / unit.step)
        values[unit.name] = min(unit.most, max(unit.included, unit.least, steps * unit.step))
    return PlanStart(PlanConfig(**values), used.get("seats", 0))


def _open_request(s: Any, account_id: int) -> SupportRequest | None:
    return s.scalar(
        select(SupportRequest)
        .where(
            SupportRequest.account_id == account_id,
            SupportRequest.kind == KIND,
            SupportRequest.status == REQUEST_OPEN,
        )
        .order_by(SupportRequest.id)
    )


def open_plan_request(db: Database, actor: CurrentUser | None) -> PlanRequest | None:
    """The customer's open custom-plan request, if there is one."""
    actor = require_customer(actor)
    with db.transaction() as s:
        row = _open_request(s, actor.account_id)
        return parse(row) if row is not None else None


def ask_for_plan(
    db: Database,
    actor: CurrentUser | None,
    config: PlanConfig,
    *,
    flow_id: str | None = None,
    now: dt.datetime | None = None,
) -> PlanRequest:
    """Ask customer service for this custom plan at the price the configurator showed.

    From the cancellation flow (`flow_id`) the flow ends saved by the offer; from the overview
    no flow is needed. Refused if a value is out of range or there are fewer seats than users.
    If the account already has an open custom-plan request, that request is returned
    (`existing=True`) and nothing changes: a second click or tab makes no duplicate. Refused
    while the subscription is paused (the account is read-only).
    """
    actor = require_customer(actor)
    now = clock.now(now)
    validate_plan(config)  # refuses what no plan can hold, before any write
    price = price_custom_plan(config)
    with db.transaction(write=True) as s:
        sub = _subscription(s, actor.account_id, lock=True)  # one request at a time per account
        flow = None
        if flow_id is not None:
            flow = s.get(CancellationFlow, flow_id, with_for_update=True, populate_existing=True)
            if flow is None or flow.account_id != actor.account_id:
                raise NotAuthorized()
        existing = _open_request(s, actor.account_id)
        if existing is not None:
            return parse(existing, existing=True)
        if flow is not None and flow.outcome != OUTCOME_OPEN:
            raise FlowClosed()
        if sub.status == STATUS_PAUSED:  # read-only while paused
            raise InvalidInput(
                "offers.error.paused", date=sub.paused_until or sub.current_period_end
            )
        users = s.scalar(
            select(func.count()).select_from(User).where(User.account_id == actor.account_id)
        )
        validate_plan(config, int(users or 0))
        values = asdict(config)
        if flow is not None:
            offer = s.scalar(
                select(RetentionOffer).where(
                    RetentionOffer.flow_id == flow.id,
                    RetentionOffer.kind == OFFER_KIND_CUSTOM_PLAN,
                )
            )
            if offer is None:
                offer = RetentionOffer(flow_id=flow.id, kind=OFFER_KIND_CUSTOM_PLAN, shown_at=now)
                s.add(offer)
            offer.opened_at = offer.opened_at or now
            offer.requested_at = now
            offer.configuration = json.dumps(values, sort_keys=True)
            offer.monthly_price_cents = price
            _offer_facts(flow, offer)
            flow.outcome = OUTCOME_SAVED_OFFER
            flow.offer_kind = OFFER_KIND_CUSTOM_PLAN
            flow.finished_at = now
            _step(s, flow, "plan_requested", now, monthly_price_cents=price)
        request = SupportRequest(
            account_id=actor.account_id,
            user_id=actor.id,
            flow_id=flow.id if flow is not None else None,
            kind=KIND,
            message=json.dumps({**values, "monthly_price_cents": price}, sort_keys=True),
            created_at=now,
        )
        s.add(request)
        s.flush()
        outbox.support_request(s, request, now)
        if flow is not None:  # saved by the custom plan (the request's e-mail tells the customer)
            outbox.flow_saved(
                s,
                actor.account_id,
                flow.id,
                at=now,
                offer={
                    "kind": OFFER_KIND_CUSTOM_PLAN,
                    "monthly_price_cents": price,
                    "configuration": values,
                },
                mail=False,
                request_id=request.id,
            )
        audit.record(
            s,
            action=ACTION_CUSTOM_PLAN_REQUESTED,
            account_id=actor.account_id,
            before={},
            after={
                "request": request.id,
                **values,
                "price": price,
                "from": "cancellation" if flow is not None else "overview",
            },
            at=now,
            actor_user_id=actor.id,
            actor_name=actor.email,
        )
        return parse(request)


def request_plan(
    db: Database,
    actor: CurrentUser | None,
    flow_id: str,
    config: PlanConfig,
    *,
    now: dt.datetime | None = None,
) -> int:
    """`ask_for_plan` from the cancellation flow; returns the requested monthly price."""
    made = ask_for_plan(db, actor, config, flow_id=flow_id, now=now)
    return made.monthly_price_cents or 0
