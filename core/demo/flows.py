"""The demo's cancellation flows: when each happened (spread over the last twelve months), how
it went (the steps, with plausible time between them), the survey answer and the retention
offer, and the facts the insights read off the flow itself."""

from __future__ import annotations

import datetime as dt
import json
import random
import uuid
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any

from core.platform.models import CancellationFlow, FlowStep, RetentionOffer, SurveyAnswer
from core.rules import billing
from core.rules.pricing import PlanConfig, price_custom_plan
from core.rules.vocabulary import (
    OFFER_KIND_CUSTOM_PLAN,
    OFFER_NONE,
    OUTCOME_COMPLETED,
    OUTCOME_SAVED_KEPT,
    OUTCOME_SAVED_OFFER,
    REASONS,
    STATUS_SCHEDULED,
    SURVEY_ANSWERED,
    SURVEY_NONE,
    SURVEY_SKIPPED,
    offer_state,
    stage_bit,
    tenure_band,
)

from .accounts import AccountContext, AccountFacts, Fate
from .answers import (
    ABANDON_AFTER,
    COMMENT_SHARE,
    COMMENTS,
    CONFIGURATOR_SHARE,
    FOLLOW_UPS,
    MONTH_DAYS,
    OUTCOME_WEIGHTS,
    OUTCOMES,
    REASON_WEIGHTS_NOW,
    REASON_WEIGHTS_YEAR_AGO,
    SATISFACTION_WEIGHTS,
    STEP_DELAYS,
    SURVEY_SKIP_SHARE,
)
from .draft import Draft, Row
from .records import Records


@dataclass(frozen=True)
class FlowFacts:
    id: str
    outcome: str
    months_ago: int
    steps: tuple[tuple[str, dt.datetime], ...]

    @property
    def started_at(self) -> dt.datetime:
        return self.steps[0][1]

    @property
    def finished_at(self) -> dt.datetime:
        return self.steps[-1][1]


def insight_facts(
    steps: Iterable[tuple[str, Any]], answer: Row | None, offer: Row | None
) -> dict[str, Any]:
    """The insights facts of a generated flow (see `CancellationFlow.survey` and the next
    columns), as `core.retention.cancellation` keeps them on a flow it writes."""
    stages = 0
    for name, _at in steps:
        stages |= stage_bit(name)
    survey, reason, satisfaction = SURVEY_NONE, None, None
    if answer is not None:
        survey = SURVEY_SKIPPED if answer["skipped"] else SURVEY_ANSWERED
        reason, satisfaction = answer["reason"], answer["satisfaction"]
    state, price = OFFER_NONE, None
    if offer is not None:
        state = offer_state(offer["opened_at"], offer["requested_at"])
        price = offer["monthly_price_cents"] if offer["requested_at"] else None
    return {
        "survey": survey,
        "reason": reason,
        "satisfaction": satisfaction,
        "stages": stages,
        "offer": state,
        "offer_price_cents": price,
    }


def step_names(rng: random.Random, outcome: str) -> list[str]:
    """The steps after "started", in order, for a flow with this outcome."""
    survey = "survey_skipped" if rng.random() < SURVEY_SKIP_SHARE else "survey_answered"
    names = [survey, "offer_shown"]
    if outcome == OUTCOME_SAVED_OFFER:
        return [*names, "configurator_opened", "plan_requested"]
    if rng.random() < CONFIGURATOR_SHARE:
        names.append("configurator_opened")
    if outcome == OUTCOME_SAVED_KEPT:
        return [*names, "kept"]
    names += ["continued", "consents_given"]
    if outcome == OUTCOME_COMPLETED:
        return [*names, "completed"]
    reached = ["started", *names]  # abandoned: leave after one of these
    last = rng.choices(reached, [ABANDON_AFTER[name] for name in reached])[0]
    return [*reached[1 : reached.index(last) + 1], "abandoned"]


class Flows:
    """Builds cancellation flows with their steps, survey answers and retention offers; what a
    flow leaves elsewhere (requests, audit entries) is `Records`'."""

    def __init__(self, draft: Draft, records: Records) -> None:
        self.draft = draft
        self.rng = draft.rng
        self.records = records
        self.slots: list[int] = []

    def _next_slot(self) -> int:
        """Months ago (0-11) for the next flow: spread evenly over the last twelve months."""
        if not self.slots:
            self.slots = list(range(12))
            self.rng.shuffle(self.slots)
        return self.slots.pop()

    def facts(self, facts: AccountFacts) -> FlowFacts:
        """Pick when the flow happened and how it went; an account is older than its flow."""
        rng = self.rng
        months_ago = self._next_slot()
        ago = dt.timedelta(days=(months_ago + rng.random()) * MONTH_DAYS)
        started_at = (self.draft.now - max(ago, dt.timedelta(hours=3))).replace(microsecond=0)
        if (started_at - facts.created_at).days < 21:
            facts.created_at = started_at - dt.timedelta(days=rng.uniform(21, 700))
            facts.created_at = facts.created_at.replace(microsecond=0)
        outcome = rng.choices(OUTCOMES, OUTCOME_WEIGHTS)[0]
        steps = [("started", started_at)]
        at = started_at
        for name in step_names(rng, outcome):
            low, high = STEP_DELAYS[name]
            at += dt.timedelta(seconds=rng.randint(low, high))
            steps.append((name, at))
        flow_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        while flow_id in self.draft.flow_ids:  # only when seeding more into a seeded database
            flow_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        self.draft.flow_ids.add(flow_id)
        return FlowFacts(flow_id, outcome, months_ago, tuple(steps))

    def rows(
        self,
        flow: FlowFacts,
        facts: AccountFacts,
        fate: Fate,
        ctx: AccountContext | None,
        owner: Row | None,
    ) -> None:
        """The flow's rows; without an account (purged) they are anonymous. The tenure band, the
        plan's price and the insights facts are what the live flow records for the same inputs."""
        completed = flow.outcome == OUTCOME_COMPLETED
        band = tenure_band(facts.created_at, flow.started_at)
        common = {"plan_code": facts.plan.code, "country": facts.country, "tenure_band": band}
        flow_row = self.draft.add(
            CancellationFlow,
            {
                "id": flow.id,
                "account_id": ctx.id if ctx else None,
                "user_id": owner["id"] if ctx and owner else None,
                "open_subscription_id": (
                    ctx.subscription["id"] if ctx and fate.status == STATUS_SCHEDULED else None
                ),
                "started_at": flow.started_at,
                "finished_at": flow.finished_at,
                "outcome": flow.outcome,
                "confirmation_number": self.records.confirmation_number() if completed else None,
                "effective_on": fate.effective_on if completed else None,
                "monthly_revenue_cents": billing.monthly_equivalent_cents(
                    facts.price_cents, facts.interval
                ),
                **common,
            },
        )
        answer = self._survey(flow, common)
        offer = self._offer(flow, ctx.users if ctx else 0)
        flow_row.update(insight_facts(flow.steps, answer, offer))
        for name, at in flow.steps:
            detail = ""  # as the live flow records its steps: only the request names its price
            if name == "plan_requested" and offer:
                detail = json.dumps({"monthly_price_cents": offer["monthly_price_cents"]})
            self.draft.add(FlowStep, {"flow_id": flow.id, "step": name, "at": at, "detail": detail})
        if ctx is None or owner is None:
            return  # purged: nothing personal is left
        if offer and offer["requested_at"]:
            self.records.custom_plan_request(flow.id, ctx.id, owner, offer)
        if completed and fate.effective_on is not None:
            self.records.cancellation(
                flow.id, flow.finished_at, fate.effective_on, fate.status, ctx, owner
            )

    def _survey(self, flow: FlowFacts, common: Row) -> Row | None:
        rng = self.rng
        step = next(((n, at) for n, at in flow.steps if n.startswith("survey_")), None)
        if step is None:
            return None
        row: Row = {
            "flow_id": flow.id,
            "answered_at": step[1],
            "skipped": step[0] == "survey_skipped",
            "reason": None,
            "follow_up": "",
            "comment": "",
            "satisfaction": None,
            "flow_started_at": flow.started_at,
            **common,
        }
        if not row["skipped"]:
            recent = 1 - flow.months_ago / 11
            weights = [
                old + (new - old) * recent
                for old, new in zip(REASON_WEIGHTS_YEAR_AGO, REASON_WEIGHTS_NOW, strict=True)
            ]
            reason = rng.choices(REASONS, weights)[0]
            comment = ""
            if rng.random() < COMMENT_SHARE:
                comment = rng.choice(COMMENTS[reason] + COMMENTS["generic"])
            row.update(
                reason=reason,
                follow_up=rng.choice(FOLLOW_UPS[reason]) if rng.random() < 0.85 else "",
                comment=comment,
                satisfaction=rng.choices((1, 2, 3, 4, 5), SATISFACTION_WEIGHTS[reason])[0],
            )
        self.draft.add(SurveyAnswer, row)
        return row

    def _offer(self, flow: FlowFacts, seats_in_use: int) -> Row | None:
        """The custom-plan offer, and the plan requested from it: values the configurator
        offers (whole steps), at least a seat per user, priced as the configurator prices it."""
        rng = self.rng
        times = dict(flow.steps)
        if "offer_shown" not in times:
            return None
        row: Row = {
            "flow_id": flow.id,
            "kind": OFFER_KIND_CUSTOM_PLAN,
            "shown_at": times["offer_shown"],
            "opened_at": times.get("configurator_opened"),
            "requested_at": times.get("plan_requested"),
            "configuration": "",
            "monthly_price_cents": None,
        }
        if row["requested_at"]:
            config = PlanConfig(
                searches=rng.choice((100, 200, 300, 500, 800)),
                unlocks=rng.choice((50, 100, 150, 200, 300)),
                seats=max(seats_in_use, rng.randint(1, 5)),
                campaigns=rng.choice((2, 3, 5, 8)),
            )
            row.update(
                configuration=json.dumps(asdict(config), sort_keys=True),
                monthly_price_cents=price_custom_plan(config, seats_in_use),
            )
        self.draft.add(RetentionOffer, row)
        return row
