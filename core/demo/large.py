"""A large agency, for the benchmarks: `seed_large` adds one agency account with a million
influencers (and a million anonymous cancellation flows with their survey answers) to a
database, for `bench/`. It is separate from `seed`, whose data it leaves exactly as it is.
Numbers are drawn with numpy from the seed, rows go in with the driver's bulk path in chunks,
so neither the time nor the memory of seeding grows out of hand."""

from __future__ import annotations

import datetime as dt
import random
import uuid
from dataclasses import dataclass

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from core.identity.passwords import hash_password
from core.platform.db import Database
from core.platform.models import (
    ROLE_CUSTOMER,
    STATUS_ACTIVE,
    Account,
    Influencer,
    Invoice,
    Plan,
    Subscription,
    User,
)
from core.rules import billing

from .answers import (
    COMMENT_SHARE,
    COMMENTS,
    FOLLOW_UPS,
    OUTCOME_WEIGHTS,
    OUTCOMES,
    REASON_WEIGHTS_NOW,
    REASONS,
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
                number=f"INV-LARGE-{account.id}-{day:%Y%m}",
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
    stamp_of = stamp(session.get_bind().dialect.name)
    countries, country_weights = zip(*ACCOUNT_COUNTRIES, strict=True)
    bands = ("<6m", "6-12m", "1-2y", "2y+")
    end = now.timestamp() - 3 * 3600
    start = end - 730 * 86400
    steps_total = offers_total = 0
    for low in range(0, count, CHUNK):
        flows, answers, steps, offers = [], [], [], []
        for _ in range(min(CHUNK, count - low)):
            flow_id = str(uuid.UUID(int=py.getrandbits(128), version=4))
            at = start + py.random() * (end - start)
            outcome = py.choices(OUTCOMES, OUTCOME_WEIGHTS)[0]
            survey = "survey_skipped" if py.random() < SURVEY_SKIP_SHARE else "survey_answered"
            names = [survey, "offer_shown"]
            if outcome == "saved_offer":
                names += ["configurator_opened", "plan_requested"]
            elif outcome == "saved_kept":
                names.append("kept")
            else:
                names += ["continued", "consents_given"]
                names.append("completed" if outcome == "completed" else "abandoned")
            times = {"started": at}
            steps.append((flow_id, "started", stamp_of(at), ""))
            for name in names:
                low_s, high_s = STEP_DELAYS[name]
                at += py.randint(low_s, high_s)
                times[name] = at
                steps.append((flow_id, name, stamp_of(at), ""))
            code = py.choices(PLAN_CODES, PLAN_WEIGHTS)[0]
            country = py.choices(countries, country_weights)[0]
            band = py.choice(bands)
            flow = [
                flow_id,
                None,
                None,
                None,
                stamp_of(times["started"]),
                stamp_of(at),
                outcome,
                None,
                None,
                code,
                country,
                band,
                plans[code].monthly_price_cents,
            ]
            skipped = survey == "survey_skipped"
            reason = None if skipped else py.choices(REASONS, REASON_WEIGHTS_NOW)[0]
            answers.append(
                (
                    flow_id,
                    stamp_of(times[survey]),
                    skipped,
                    reason,
                    "" if skipped else py.choice(FOLLOW_UPS[reason]),
                    "" if skipped or py.random() > COMMENT_SHARE else py.choice(COMMENTS[reason]),
                    None
                    if skipped
                    else py.choices((1, 2, 3, 4, 5), SATISFACTION_WEIGHTS[reason])[0],
                    code,
                    country,
                    band,
                    flow[4],  # the flow's start
                )
            )
            requested = times.get("plan_requested")
            offers.append(
                (
                    flow_id,
                    "custom_plan",
                    stamp_of(times["offer_shown"]),
                    stamp_of(times["configurator_opened"])
                    if "configurator_opened" in times
                    else None,
                    stamp_of(requested) if requested else None,
                    "",
                    py.randrange(9800, 60000, 100) if requested else None,
                )
            )
            facts = insight_facts(
                times.items(),
                {"skipped": skipped, "reason": reason, "satisfaction": answers[-1][6]},
                {
                    "opened_at": offers[-1][3],
                    "requested_at": offers[-1][4],
                    "monthly_price_cents": offers[-1][6],
                },
            )
            flows.append((*flow, *facts.values()))
        bulk(session, "cancellation_flows", _FLOW_COLUMNS, flows)
        bulk(session, "survey_answers", _ANSWER_COLUMNS, answers)
        bulk(session, "flow_steps", ("flow_id", "step", "at", "detail"), steps)
        bulk(session, "retention_offers", _OFFER_COLUMNS, offers)
        steps_total += len(steps)
        offers_total += len(offers)
    return count, count, steps_total, offers_total
