"""The custom plan: what it holds, what it costs, where its configurator starts, and the one
way to ask for it (`ask_for_plan`), from the cancellation flow's step 2 or from the account
overview.

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
from core.identity.auth import CurrentUser
from core.platform.db import Database
from core.platform.errors import InvalidInput, NotAuthorized
from core.platform.models import CancellationFlow, RetentionOffer, SupportRequest, User
from core.retention.cancellation import (
    FlowClosed,
    _audit,
    _customer,
    _now,
    _offer_facts,
    _step,
    _subscription,
)

BASE_PRICE_CENTS = 9800
KIND = "custom_plan"


@dataclass(frozen=True)
class PlanConfig:
    """What a custom plan holds, per month."""

    searches: int = 100
    unlocks: int = 50
    seats: int = 1
    campaigns: int = 2


@dataclass(frozen=True)
class PlanUnit:
    name: str  # a PlanConfig field, and the i18n key suffix of its label
    included: int  # in the base price
    step: int  # sold in steps of this many above what the base includes
    step_cents: int  # the price of one step, per month
    least: int
    most: int


UNITS: tuple[PlanUnit, ...] = (
    PlanUnit("searches", 100, 100, 600, 0, 5000),
    PlanUnit("unlocks", 50, 50, 900, 0, 3000),
    PlanUnit("seats", 1, 1, 1500, 1, 25),
    PlanUnit("campaigns", 2, 1, 1000, 0, 50),
)


@dataclass(frozen=True)
class PlanProblem:
    """A value the plan cannot hold: the customer must choose from `least` to `most`."""

    name: str
    least: int
    most: int


def _whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def plan_problems(config: PlanConfig, seats_in_use: int = 0) -> tuple[PlanProblem, ...]:
    """Every value out of range (or not a whole number); seats at least the users in use."""
    out = []
    for unit in UNITS:
        least = unit.least
        if unit.name == "seats":
            least = max(least, min(seats_in_use, unit.most))
        value = getattr(config, unit.name)
        if not _whole(value) or not least <= value <= unit.most:
            out.append(PlanProblem(unit.name, least, unit.most))
    return tuple(out)


def validate_plan(config: PlanConfig, seats_in_use: int = 0) -> None:
    problems = plan_problems(config, seats_in_use)
    if problems:
        first = problems[0]
        raise InvalidInput("cancel.error.plan_range", least=first.least, most=first.most)


def price_custom_plan(config: PlanConfig) -> int:
    """Monthly price in cents: $98 for the base, plus each step above what the base includes
    (whole steps, rounded up)."""
    validate_plan(config)
    price = BASE_PRICE_CENTS
    for unit in UNITS:
        extra = max(0, getattr(config, unit.name) - unit.included)
        price += math.ceil(extra / unit.step) * unit.step_cents
    return price


@dataclass(frozen=True)
class PlanStart:
    """Where the configurator starts for this customer: what they use this billing cycle
    (rounded up to whole steps, at least what the base includes), and the seats in use."""

    config: PlanConfig
    seats_in_use: int


def plan_start(db: Database, actor: CurrentUser | None) -> PlanStart:
    actor = _customer(actor)
    used = {u.key: u.used for u in accounts.overview(db, actor).usage}
    values = {}
    for unit in UNITS:
        steps = math.ceil(used.get(unit.name, 0) / unit.step)
        values[unit.name] = min(unit.most, max(unit.included, unit.least, steps * unit.step))
    return PlanStart(PlanConfig(**values), used.get("seats", 0))


@dataclass(frozen=True)
class PlanRequest:
    """A custom-plan request as the customer sees it."""

    number: int
    created_at: dt.datetime
    status: str  # open / handled
    config: PlanConfig | None  # None for an old free-text request
    monthly_price_cents: int | None
    existing: bool = False  # True: asked again, this open request was already there


def parse(row: SupportRequest, *, existing: bool = False) -> PlanRequest:
    config, price = None, None
    try:
        data = json.loads(row.message) if row.message.startswith("{") else None
    except ValueError:
        data = None
    if isinstance(data, dict):
        try:
            candidate = PlanConfig(**{u.name: data[u.name] for u in UNITS})
        except KeyError:
            candidate = None
        if candidate is not None and not plan_problems(candidate):
            config = candidate
            cents = data.get("monthly_price_cents")
            price = cents if _whole(cents) else None
    return PlanRequest(row.id, row.created_at, row.status, config, price, existing)


def _open_request(s: Any, account_id: int) -> SupportRequest | None:
    return s.scalar(
        select(SupportRequest)
        .where(
            SupportRequest.account_id == account_id,
            SupportRequest.kind == KIND,
            SupportRequest.status == "open",
        )
        .order_by(SupportRequest.id)
    )


def open_plan_request(db: Database, actor: CurrentUser | None) -> PlanRequest | None:
    """The customer's open custom-plan request, if there is one."""
    actor = _customer(actor)
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
    (`existing=True`) and nothing changes: a second click or tab makes no duplicate.
    """
    actor = _customer(actor)
    now = _now(now)
    price = price_custom_plan(config)  # refuses what the plan cannot hold, before any write
    with db.transaction(write=True) as s:
        _subscription(s, actor.account_id, lock=True)  # one request at a time per account
        flow = None
        if flow_id is not None:
            flow = s.get(CancellationFlow, flow_id, with_for_update=True, populate_existing=True)
            if flow is None or flow.account_id != actor.account_id:
                raise NotAuthorized()
        existing = _open_request(s, actor.account_id)
        if existing is not None:
            return parse(existing, existing=True)
        if flow is not None and flow.outcome != "open":
            raise FlowClosed()
        users = s.scalar(
            select(func.count()).select_from(User).where(User.account_id == actor.account_id)
        )
        validate_plan(config, int(users or 0))
        values = asdict(config)
        if flow is not None:
            offer = s.scalar(select(RetentionOffer).where(RetentionOffer.flow_id == flow.id))
            if offer is None:
                offer = RetentionOffer(flow_id=flow.id, kind=KIND, shown_at=now)
                s.add(offer)
            offer.opened_at = offer.opened_at or now
            offer.requested_at = now
            offer.configuration = json.dumps(values, sort_keys=True)
            offer.monthly_price_cents = price
            _offer_facts(flow, offer)
            flow.outcome = "saved_offer"
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
        _audit(
            s,
            actor,
            "custom_plan_requested",
            actor.account_id,
            {},
            {
                "request": request.id,
                **values,
                "price": price,
                "from": "cancellation" if flow is not None else "overview",
            },
            now,
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
