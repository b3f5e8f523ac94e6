"""A large agency, for the benchmarks: `seed_large` adds one agency account with a million
influencers (and a million anonymous cancellation flows with their survey answers, the offers of
the demo's playbook they saw and took, and the invoices their saved customers paid since) to a
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

from core.platform.db import Database
from core.platform.insight_tables import OFFER_BITS
from core.platform.models import (
    Influencer,
    Invoice,
    Plan,
    User,
)
from core.rules import billing
from core.rules.offers import Offer, discounted_cents
from core.rules.pricing import PlanConfig, price_custom_plan
from core.rules.vocabulary import (
    OFFER_KIND_CUSTOM_PLAN,
    OFFER_KIND_DISCOUNT,
    OFFER_KIND_DOWNGRADE,
    OFFER_KIND_PAUSE,
    OUTCOME_COMPLETED,
    OUTCOME_SAVED_KEPT,
    OUTCOME_SAVED_OFFER,
    REASONS,
    TENURE_BANDS,
)

from .answers import (
    COMMENT_SHARE,
    COMMENTS,
    FOLLOW_UPS,
    OUTCOME_WEIGHTS,
    OUTCOME_WEIGHTS_V2,
    OUTCOMES,
    REASON_WEIGHTS_NOW,
    SATISFACTION_WEIGHTS,
    STEP_DELAYS,
    SURVEY_SKIP_SHARE,
)
from .draft import ID_TABLES, day_at
from .flows import ACCEPTED_STEP, insight_facts
from .large_content import CHUNK, LargeAgency
from .logins import (
    LARGE_COMPANY,
    LARGE_CUSTOMER_EMAIL,
    LARGE_CUSTOMER_NAME,
    LARGE_CUSTOMER_PASSWORD,
)
from .names import ACCOUNT_COUNTRIES
from .plans import CURRENCY, PLAN_CODES, PLAN_WEIGHTS, ensure_plans, enterprise_customer
from .playbook import NEVER, TAKE_WEIGHTS, VARIANTS, Schedule, cycles_kept
from .seeding import DEFAULT_SEED, reference_time
from .writer import bulk, lock_for_seeding, stamp, sync_sequences

LARGE_INFLUENCERS = 1_000_000
LARGE_ANSWERS = 1_000_000

_FLOW_COLUMNS = (
    "id", "account_id", "user_id", "open_subscription_id", "started_at", "finished_at",
    "outcome", "confirmation_number", "effective_on", "plan_code", "country", "tenure_band",
    "monthly_revenue_cents", "survey", "reason", "satisfaction", "stages", "offer",
    "offer_price_cents", "playbook_version", "variant", "offer_kind", "paid_cycles_after",
    "offers_shown",
)  # fmt: skip
_ANSWER_COLUMNS = (
    "flow_id", "answered_at", "skipped", "reason", "follow_up", "comment", "satisfaction",
    "plan_code", "country", "tenure_band", "flow_started_at",
)  # fmt: skip
_OFFER_COLUMNS = (
    "flow_id", "kind", "shown_at", "opened_at", "requested_at", "configuration",
    "monthly_price_cents", "offer_key", "params", "accepted_at",
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
    account = enterprise_customer(
        session,
        plan,
        company=company,
        email=email,
        full_name=LARGE_CUSTOMER_NAME,
        password=LARGE_CUSTOMER_PASSWORD,
        created_at=created_at,
        period=period,
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
            flow, answer, flow_steps, flow_offers = maker.flow()
            flows.append(flow)
            answers.append(answer)
            steps += flow_steps
            offers += flow_offers
        bulk(session, "cancellation_flows", _FLOW_COLUMNS, flows)
        bulk(session, "survey_answers", _ANSWER_COLUMNS, answers)
        bulk(session, "flow_steps", ("flow_id", "step", "at", "detail"), steps)
        bulk(session, "retention_offers", _OFFER_COLUMNS, offers)
        steps_total += len(steps)
        offers_total += len(offers)
    return count, count, steps_total, offers_total


class _AnonymousFlows:
    """Flows of accounts long purged, as plain tuples in the columns' order; what they record
    (outcomes, reasons, bands, the playbook's offers shown and taken, offer prices, insights
    facts, invoices paid after a save) follows the live rules."""

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
        self.today = now.date()
        self.start = self.end - 730 * 86400
        self.countries, self.country_weights = zip(*ACCOUNT_COUNTRIES, strict=True)
        self.schedule = Schedule(now, 0)
        self.published = {n: at.timestamp() for n, at in self.schedule.published.items()}
        self.experiment = self.schedule.experiment_started.timestamp()

    def _seen(self, at: float) -> tuple[int | None, str | None]:
        """The version and variant a flow started at `at` saw (half the accounts each)."""
        if at >= self.experiment:
            name, version, _share = VARIANTS[0] if self.py.random() < 0.5 else VARIANTS[1]
            return version, name
        if at >= self.published[2]:
            return 2, None
        return (1, None) if at >= self.published[1] else (None, None)

    def _paid_since(self, kind: str | None, taken: Any, saved_at: float) -> int:
        """The invoices a saved customer paid since: one a month (a pause has none for its
        cycles), until they leave (`playbook.cycles_kept`)."""
        if kind is None:
            return 0
        saved_on = dt.datetime.fromtimestamp(saved_at, dt.UTC).date()
        today = self.today
        months = (today.year - saved_on.year) * 12 + today.month - saved_on.month
        if billing.add_months(saved_on, months) > today:
            months -= 1  # the cycles begun since: one a month, on the save's day
        if taken is not None and taken.kind == OFFER_KIND_PAUSE:
            months = max(0, months - taken.cycles)
        kept = cycles_kept(self.py, kind)
        return months if kept == NEVER else min(months, kept)

    def _step_names(self, outcome: str, skipped: bool, taken: str | None) -> list[str]:
        survey = "survey_skipped" if skipped else "survey_answered"
        names = [survey, "offer_shown"]
        if outcome == OUTCOME_SAVED_OFFER:
            if taken != OFFER_KIND_CUSTOM_PLAN:
                return [*names, ACCEPTED_STEP]
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

    def _taken_price(self, offer: Offer, revenue_cents: int) -> int | None:
        """The monthly price of a flow saved by a pause, discount or downgrade from then on."""
        if offer.kind == OFFER_KIND_DISCOUNT:
            return discounted_cents(revenue_cents, offer.percent)
        if offer.kind == OFFER_KIND_DOWNGRADE:
            plan = self.plans.get(offer.plan_code)
            return plan.monthly_price_cents if plan else None
        return 0  # a pause

    def flow(self) -> tuple[_Tuple, _Tuple, list[_Tuple], list[_Tuple]]:
        """One flow: its row, its survey answer, its steps and the offers it was shown."""
        py, stamp_of = self.py, self.stamp
        flow_id = str(uuid.UUID(int=py.getrandbits(128), version=4))
        at = self.start + py.random() * (self.end - self.start)
        version, variant = self._seen(at)
        weights = OUTCOME_WEIGHTS_V2 if version == 2 else OUTCOME_WEIGHTS
        outcome = py.choices(OUTCOMES, weights)[0]
        code = py.choices(PLAN_CODES, PLAN_WEIGHTS)[0]
        country = py.choices(self.countries, self.country_weights)[0]
        band = py.choice(TENURE_BANDS)
        skipped = py.random() < SURVEY_SKIP_SHARE
        reason = None if skipped else py.choices(REASONS, REASON_WEIGHTS_NOW)[0]
        shown = self.schedule.offers(version, reason, code, band, country)
        taken = None
        if outcome == OUTCOME_SAVED_OFFER:
            taken = py.choices(shown, [TAKE_WEIGHTS.get(o.kind, 1) for o in shown])[0]
        names = self._step_names(outcome, skipped, taken.kind if taken else None)
        survey = names[0]
        requested = "plan_requested" in names
        configuration, price = self._plan() if requested else ("", None)
        times = {"started": at}
        steps = [(flow_id, "started", stamp_of(at), "")]
        for name in names:
            low, high = STEP_DELAYS[name]
            at += py.randint(low, high)
            times[name] = at
            detail = ""
            if name == "plan_requested":
                detail = json.dumps({"monthly_price_cents": price})
            elif name == ACCEPTED_STEP and taken:
                detail = json.dumps({"key": taken.key, "kind": taken.kind}, sort_keys=True)
            steps.append((flow_id, name, stamp_of(at), detail))
        started = stamp_of(times["started"])
        satisfaction = None
        follow_up = comment = ""
        if reason is not None:
            follow_up = py.choice(FOLLOW_UPS[reason])
            if py.random() <= COMMENT_SHARE:
                comment = py.choice(COMMENTS[reason])
            satisfaction = py.choices((1, 2, 3, 4, 5), SATISFACTION_WEIGHTS[reason])[0]
        answer = (
            flow_id, stamp_of(times[survey]), skipped, reason, follow_up, comment, satisfaction,
            code, country, band, started,
        )  # fmt: skip
        opened = times.get("configurator_opened")
        offers, custom = [], None
        for offer in shown:
            is_custom = offer.kind == OFFER_KIND_CUSTOM_PLAN
            accepted = offer == taken and not is_custom
            row = (
                flow_id,
                offer.kind,
                stamp_of(times["offer_shown"]),
                stamp_of(opened) if opened and is_custom else None,
                stamp_of(times["plan_requested"]) if requested and is_custom else None,
                configuration if is_custom else "",
                price if is_custom else None,
                offer.key,
                json.dumps(offer.params(), sort_keys=True),
                stamp_of(times[ACCEPTED_STEP]) if accepted else None,
            )
            offers.append(row)
            if is_custom:
                custom = {"opened_at": row[3], "requested_at": row[4], "monthly_price_cents": price}
        facts = insight_facts(
            times.items(),
            {"skipped": skipped, "reason": reason, "satisfaction": satisfaction},
            custom,
        )
        kind = "kept" if outcome == OUTCOME_SAVED_KEPT else taken.kind if taken else None
        revenue = self.plans[code].monthly_price_cents
        if taken and taken.kind != OFFER_KIND_CUSTOM_PLAN:
            # what migration 0007's trigger on the offers would write: written here, the
            # trigger finds nothing to change (a million flows are not written twice)
            facts["offer_price_cents"] = self._taken_price(taken, revenue)
        flow = (
            flow_id, None, None, None, started, stamp_of(at), outcome, None, None, code, country,
            band, revenue, *facts.values(), version, variant,
            taken.kind if taken else None, self._paid_since(kind, taken, at),
            sum({OFFER_BITS[o.kind] for o in shown}),
        )  # fmt: skip
        return flow, answer, steps, offers
