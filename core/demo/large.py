"""A large agency, for the benchmarks: `seed_large` adds one agency account with a million
influencers (and a million anonymous cancellation flows with their survey answers) to a
database, for `bench/`. It is separate from `seed`, whose data it leaves exactly as it is.
Numbers are drawn with numpy from the seed, rows go in with the driver's bulk path in chunks,
so neither the time nor the memory of seeding grows out of hand."""

from __future__ import annotations

import datetime as dt
import json
import random
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from core.identity.passwords import hash_password
from core.platform.db import Database
from core.platform.models import (
    Account,
    Influencer,
    Invoice,
    Plan,
    Subscription,
    User,
)
from core.rules import billing
from core.rules.pricing import PlanConfig, price_custom_plan
from core.rules.vocabulary import (
    OFFER_KIND_CUSTOM_PLAN,
    OUTCOME_COMPLETED,
    OUTCOME_SAVED_KEPT,
    OUTCOME_SAVED_OFFER,
    REASONS,
    ROLE_CUSTOMER,
    STATUS_ACTIVE,
    TENURE_BANDS,
)

from .answers import (
    COMMENT_SHARE,
    COMMENTS,
    FOLLOW_UPS,
    OUTCOME_WEIGHTS,
    OUTCOMES,
    REASON_WEIGHTS_NOW,
    SATISFACTION_WEIGHTS,
    STEP_DELAYS,
    SURVEY_SKIP_SHARE,
)
from .draft import ID_TABLES, day_at
from .flows import insight_facts
from .large_content import CHUNK, LargeAgency
from .logins import (
    LARGE_COMPANY,
    LARGE_CUSTOMER_EMAIL,
    LARGE_CUSTOMER_NAME,
    LARGE_CUSTOMER_PASSWORD,
)
from .names import ACCOUNT_COUNTRIES
from .plans import CURRENCY, PLAN_CODES, PLAN_WEIGHTS, ensure_plans
from .seeding import DEFAULT_SEED, reference_time
from .writer import bulk, lock_for_seeding, stamp, sync_sequences

LARGE_INFLUENCERS = 1_000_000
LARGE_ANSWERS = 1_000_000

_FLOW_COLUMNS = (
    "id", "account_id", "user_id", "open_subscription_id", "started_at", "finished_at",
    "outcome", "confirmation_number", "effective_on", "plan_code", "country", "tenure_band",
    "monthly_revenue_cents", "survey", "reason", "satisfaction", "stages", "offer",
    "offer_price_cents",
)  # fmt: skip
_ANSWER_COLUMNS = (
    "flow_id", "answered_at", "skipped", "reason", "follow_up", "comment", "satisfaction",
    "plan_code", "country", "tenure_band", "flow_started_at",
)  # fmt: skip
_OFFER_COLUMNS = (
    "flow_id", "kind", "shown_at", "opened_at", "requested_at", "configuration",
    "monthly_price_cents",
)  # fmt: skip

_Tuple = tuple[Any, ...]


@dataclass(frozen=True)
class LargeSummary:
    account_id: int
    email: str
    influencers: int
    search_results: int
    list_members: int
    campaign_members: int
    flows: int
    survey_answers: int
    flow_steps: int
    retention_offers: int


def seed_large(
    db: Database,
    *,
    influencers: int = LARGE_INFLUENCERS,
    answers: int = LARGE_ANSWERS,
    seed: int = DEFAULT_SEED,
    now: dt.datetime | None = None,
    email: str = LARGE_CUSTOMER_EMAIL,
) -> LargeSummary:
    """Add a large agency (by default `agency@demo.test`, password `demo-agency`) with
    `influencers` influencers, and `answers` anonymous cancellation flows with a survey answer
    each. Another `email` adds another agency (its company name carries the address's name)."""
    import numpy as np

    if influencers < 0 or answers < 0:
        raise ValueError("sizes must not be negative")
    now = reference_time(now)
    rng = np.random.default_rng(seed)
    py = random.Random(f"large:{seed}")  # not the demo's stream: no flow id repeats
    with db.transaction(write=True) as session:
        lock_for_seeding(session)
        if session.scalar(select(User.id).where(User.email == email)):
            raise ValueError(f"{email} is already there")
        plans = ensure_plans(session)
        account_id, first_influencer = _account(session, plans, email, now)
        counts = LargeAgency(session, account_id, rng, now).fill(first_influencer, influencers)
        flows = _flows(session, answers, plans, py, now)
        if session.get_bind().dialect.name == "postgresql":
            extra = ("survey_answers", "flow_steps", "retention_offers", "invoices")
            sync_sequences(session, (*(m.__tablename__ for m in ID_TABLES), *extra))
        session.execute(text("ANALYZE"))  # fresh statistics, so the planner uses the indexes
    return LargeSummary(account_id, email, influencers, *counts, *flows)


def _account(
    session: Session, plans: dict[str, Plan], email: str, now: dt.datetime
) -> tuple[int, int]:
    today = now.date()
    anchor = billing.add_months(today + dt.timedelta(days=20), -30)
    period = billing.period_containing(anchor, billing.MONTH, today)
    created_at = day_at(anchor, 8, 30)
    plan = plans["enterprise"]
    company = LARGE_COMPANY
    if email != LARGE_CUSTOMER_EMAIL:
        company = f"{LARGE_COMPANY} ({email.split('@')[0]})"
    account = Account(company=company, country="IT", created_at=created_at)
    session.add(account)
    session.flush()
    session.add(
        Subscription(
            account_id=account.id,
            plan_id=plan.id,
            billing_interval=billing.MONTH,
            price_cents=plan.monthly_price_cents,
            currency=CURRENCY,
            status=STATUS_ACTIVE,
            started_at=created_at,
            current_period_start=period[0],
            current_period_end=period[1],
        )
    )
    session.add(
        User(
            account_id=account.id,
            email=email,
            full_name=LARGE_CUSTOMER_NAME,
            password_hash=hash_password(LARGE_CUSTOMER_PASSWORD),
            role=ROLE_CUSTOMER,
            language=None,
            created_at=created_at,
        )
    )
    day = anchor
    while day <= period[0]:
        session.add(
            Invoice(
                account_id=account.id,
                number=billing.invoice_number(account.id, day),
                issued_on=day,
                period_start=day,
                period_end=billing.add_months(day, 1),
                amount_cents=plan.monthly_price_cents,
                currency=CURRENCY,
                status="paid",
            )
        )
        day = billing.add_months(day, 1)
    session.flush()
    first = (session.scalar(select(func.coalesce(func.max(Influencer.id), 0))) or 0) + 1
    return account.id, first


def _flows(
    session: Session, count: int, plans: dict[str, Plan], py: random.Random, now: dt.datetime
) -> tuple[int, int, int, int]:
    """`count` anonymous flows over the last two years, each with a survey answer."""
    maker = _AnonymousFlows(py, plans, stamp(session.get_bind().dialect.name), now)
    steps_total = offers_total = 0
    for low in range(0, count, CHUNK):
        flows, answers, steps, offers = [], [], [], []
        for _ in range(min(CHUNK, count - low)):
            flow, answer, flow_steps, offer = maker.flow()
            flows.append(flow)
            answers.append(answer)
            steps += flow_steps
            offers.append(offer)
        bulk(session, "cancellation_flows", _FLOW_COLUMNS, flows)
        bulk(session, "survey_answers", _ANSWER_COLUMNS, answers)
        bulk(session, "flow_steps", ("flow_id", "step", "at", "detail"), steps)
        bulk(session, "retention_offers", _OFFER_COLUMNS, offers)
        steps_total += len(steps)
        offers_total += len(offers)
    return count, count, steps_total, offers_total


class _AnonymousFlows:
    """Flows of accounts long purged, as plain tuples in the columns' order; what they record
    (outcomes, reasons, bands, offer prices, insights facts) follows the live rules."""

    def __init__(
        self,
        py: random.Random,
        plans: dict[str, Plan],
        stamp_of: Callable[[float], str],
        now: dt.datetime,
    ) -> None:
        self.py = py
        self.plans = plans
        self.stamp = stamp_of
        self.end = now.timestamp() - 3 * 3600
        self.start = self.end - 730 * 86400
        self.countries, self.country_weights = zip(*ACCOUNT_COUNTRIES, strict=True)

    def _step_names(self, outcome: str) -> list[str]:
        survey = "survey_skipped" if self.py.random() < SURVEY_SKIP_SHARE else "survey_answered"
        names = [survey, "offer_shown"]
        if outcome == OUTCOME_SAVED_OFFER:
            return [*names, "configurator_opened", "plan_requested"]
        if outcome == OUTCOME_SAVED_KEPT:
            return [*names, "kept"]
        last = "completed" if outcome == OUTCOME_COMPLETED else "abandoned"
        return [*names, "continued", "consents_given", last]

    def _plan(self) -> tuple[str, int]:
        """A requested custom plan: its stored configuration and its price."""
        py = self.py
        config = PlanConfig(
            searches=py.choice((100, 200, 300, 500, 800, 1500)),
            unlocks=py.choice((50, 100, 150, 200, 300, 600)),
            seats=py.randint(1, 8),
            campaigns=py.choice((2, 3, 5, 8, 12)),
        )
        return json.dumps(asdict(config), sort_keys=True), price_custom_plan(config)

    def flow(self) -> tuple[_Tuple, _Tuple, list[_Tuple], _Tuple]:
        """One flow: its row, its survey answer, its steps and its retention offer."""
        py, stamp_of = self.py, self.stamp
        flow_id = str(uuid.UUID(int=py.getrandbits(128), version=4))
        at = self.start + py.random() * (self.end - self.start)
        outcome = py.choices(OUTCOMES, OUTCOME_WEIGHTS)[0]
        names = self._step_names(outcome)
        survey = names[0]
        requested = "plan_requested" in names
        configuration, price = self._plan() if requested else ("", None)
        times = {"started": at}
        steps = [(flow_id, "started", stamp_of(at), "")]
        for name in names:
            low, high = STEP_DELAYS[name]
            at += py.randint(low, high)
            times[name] = at
            detail = json.dumps({"monthly_price_cents": price}) if name == "plan_requested" else ""
            steps.append((flow_id, name, stamp_of(at), detail))
        code = py.choices(PLAN_CODES, PLAN_WEIGHTS)[0]
        country = py.choices(self.countries, self.country_weights)[0]
        band = py.choice(TENURE_BANDS)
        started = stamp_of(times["started"])
        skipped = survey == "survey_skipped"
        reason = satisfaction = None
        follow_up = comment = ""
        if not skipped:
            reason = py.choices(REASONS, REASON_WEIGHTS_NOW)[0]
            follow_up = py.choice(FOLLOW_UPS[reason])
            if py.random() <= COMMENT_SHARE:
                comment = py.choice(COMMENTS[reason])
            satisfaction = py.choices((1, 2, 3, 4, 5), SATISFACTION_WEIGHTS[reason])[0]
        answer = (
            flow_id, stamp_of(times[survey]), skipped, reason, follow_up, comment, satisfaction,
            code, country, band, started,
        )  # fmt: skip
        opened = times.get("configurator_opened")
        offer = (
            flow_id,
            OFFER_KIND_CUSTOM_PLAN,
            stamp_of(times["offer_shown"]),
            stamp_of(opened) if opened else None,
            stamp_of(times["plan_requested"]) if requested else None,
            configuration,
            price,
        )
        facts = insight_facts(
            times.items(),
            {"skipped": skipped, "reason": reason, "satisfaction": satisfaction},
            {"opened_at": offer[3], "requested_at": offer[4], "monthly_price_cents": price},
        )
        flow = (
            flow_id, None, None, None, started, stamp_of(at), outcome, None, None, code, country,
            band, self.plans[code].monthly_price_cents, *facts.values(),
        )  # fmt: skip
        return flow, answer, steps, offer
