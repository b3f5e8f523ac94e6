"""The demo's cancellation flows: when each happened (spread over the last twelve months), how
it went (the steps, with plausible time between them), the survey answer, the offers of the
playbook the flow saw (`playbook.Schedule`) and the one that saved it, and the facts the
insights read off the flow itself. A saved customer may leave later on: a second flow."""

from __future__ import annotations

import datetime as dt
import json
import random
import uuid
from collections.abc import Iterable
from dataclasses import asdict, dataclass, replace
from typing import Any

from core.platform.models import CancellationFlow, FlowStep, RetentionOffer, SurveyAnswer
from core.rules import billing
from core.rules.offers import Offer
from core.rules.pricing import PlanConfig, price_custom_plan
from core.rules.vocabulary import (
    OFFER_KIND_CUSTOM_PLAN,
    OFFER_KIND_PAUSE,
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
    OUTCOME_WEIGHTS_V2,
    OUTCOMES,
    REASON_WEIGHTS_NOW,
    REASON_WEIGHTS_YEAR_AGO,
    SATISFACTION_WEIGHTS,
    STEP_DELAYS,
    SURVEY_SKIP_SHARE,
)
from .draft import Draft, Row
from .playbook import TAKE_WEIGHTS, Schedule
from .records import Records

ACCEPTED_STEP = "offer_accepted"  # the step `core.retention.offers.accept` records


@dataclass(frozen=True)
class FlowFacts:
    id: str
    outcome: str
    months_ago: int
    steps: tuple[tuple[str, dt.datetime], ...]
    reason: str | None = None  # the survey's, when it was answered
    version: int | None = None  # the playbook version and variant the flow saw
    variant: str | None = None
    shown: tuple[Offer, ...] = ()  # the offers step 2 showed (none if it was never reached)
    taken: Offer | None = None  # the offer that saved it

    @property
    def started_at(self) -> dt.datetime:
        return self.steps[0][1]

    @property
    def finished_at(self) -> dt.datetime:
        return self.steps[-1][1]

    @property
    def kind(self) -> str | None:
        """What saved it: an offer's kind, "kept", or None (not saved)."""
        if self.outcome == OUTCOME_SAVED_KEPT:
            return "kept"
        return self.taken.kind if self.taken else None


def insight_facts(
    steps: Iterable[tuple[str, Any]], answer: Row | None, offer: Row | None
) -> dict[str, Any]:
    """The insights facts of a generated flow (see `CancellationFlow.survey` and the next
    columns), as `core.retention.cancellation` keeps them on a flow it writes; `offer` is the
    custom plan's (the flow's offer facts are about the custom plan only)."""
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


def step_names(
    rng: random.Random, outcome: str, skipped: bool, taken: str | None, custom_shown: bool
) -> list[str]:
    """The steps after "started", in order, for a flow with this outcome."""
    names = ["survey_skipped" if skipped else "survey_answered", "offer_shown"]
    if outcome == OUTCOME_SAVED_OFFER:
        if taken == OFFER_KIND_CUSTOM_PLAN:
            return [*names, "configurator_opened", "plan_requested"]
        return [*names, ACCEPTED_STEP]
    if custom_shown and rng.random() < CONFIGURATOR_SHARE:
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

    def __init__(self, draft: Draft, records: Records, schedule: Schedule) -> None:
        self.draft = draft
        self.rng = draft.rng
        self.records = records
        self.schedule = schedule
        self.slots: list[int] = []
        self.taken_kinds: set[str] = set()  # kinds some flow of this seeding was saved by

    def _next_slot(self) -> int:
        """Months ago (0-11) for the next flow: spread evenly over the last twelve months."""
        if not self.slots:
            self.slots = list(range(12))
            self.rng.shuffle(self.slots)
        return self.slots.pop()

    def facts(self, facts: AccountFacts, account_id: int) -> FlowFacts:
        """Pick when the flow happened and how it went; an account is older than its flow."""
        rng = self.rng
        months_ago = self._next_slot()
        ago = dt.timedelta(days=(months_ago + rng.random()) * MONTH_DAYS)
        started_at = (self.draft.now - max(ago, dt.timedelta(hours=3))).replace(microsecond=0)
        if (started_at - facts.created_at).days < 21:
            facts.created_at = started_at - dt.timedelta(days=rng.uniform(21, 700))
            facts.created_at = facts.created_at.replace(microsecond=0)
        version, _variant = self.schedule.seen(account_id, started_at)
        weights = OUTCOME_WEIGHTS_V2 if version == 2 else OUTCOME_WEIGHTS
        outcome = rng.choices(OUTCOMES, weights)[0]
        return self._flow(facts, account_id, started_at, outcome, months_ago)

    def later(
        self, facts: AccountFacts, account_id: int, saved: FlowFacts, started_at: dt.datetime
    ) -> FlowFacts:
        """The cancellation a saved customer completes later on (`started_at`); the kind of
        offer that saved them is not offered again (the cooldown)."""
        months_ago = int((self.draft.now - started_at).days / MONTH_DAYS)
        flow = self._flow(facts, account_id, started_at, OUTCOME_COMPLETED, months_ago)
        if saved.taken is not None:
            shown = tuple(o for o in flow.shown if o.kind != saved.taken.kind)
            if not shown:  # nothing else to show: no offer step
                steps = tuple((n, at) for n, at in flow.steps if n != "offer_shown")
                return replace(flow, shown=(), steps=steps)
            flow = replace(flow, shown=shown)
        return flow

    def _flow(
        self,
        facts: AccountFacts,
        account_id: int,
        started_at: dt.datetime,
        outcome: str,
        months_ago: int,
    ) -> FlowFacts:
        rng = self.rng
        skipped = rng.random() < SURVEY_SKIP_SHARE
        reason = None if skipped else self._reason(months_ago)
        version, variant = self.schedule.seen(account_id, started_at)
        band = tenure_band(facts.created_at, started_at)
        shown = self.schedule.offers(version, reason, facts.plan.code, band, facts.country)
        taken = None
        if outcome == OUTCOME_SAVED_OFFER:
            taken = self._take(shown, facts.interval)
        custom_shown = any(o.kind == OFFER_KIND_CUSTOM_PLAN for o in shown)
        names = step_names(rng, outcome, skipped, taken.kind if taken else None, custom_shown)
        steps = [("started", started_at)]
        at = started_at
        for name in names:
            low, high = STEP_DELAYS[name]
            at += dt.timedelta(seconds=rng.randint(low, high))
            steps.append((name, at))
        flow_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        while flow_id in self.draft.flow_ids:  # only when seeding more into a seeded database
            flow_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        self.draft.flow_ids.add(flow_id)
        reached = "offer_shown" in names
        return FlowFacts(
            flow_id,
            outcome,
            months_ago,
            tuple(steps),
            reason=reason if "survey_answered" in names else None,
            version=version,
            variant=variant,
            shown=shown if reached else (),
            taken=taken,
        )

    def _reason(self, months_ago: int) -> str:
        recent = 1 - months_ago / 11
        weights = [
            old + (new - old) * recent
            for old, new in zip(REASON_WEIGHTS_YEAR_AGO, REASON_WEIGHTS_NOW, strict=True)
        ]
        return self.rng.choices(REASONS, weights)[0]

    def _take(self, shown: tuple[Offer, ...], interval: str) -> Offer:
        """The offer a customer saved by one takes: a pause of a yearly plan (years without
        the product) is rare, so they take another when there is one; a kind nobody took yet
        goes first, so that even a small demo shows every kind taken."""
        candidates = [o for o in shown if not (o.kind == OFFER_KIND_PAUSE and interval != "month")]
        candidates = candidates or list(shown)
        fresh = [o for o in candidates if o.kind not in self.taken_kinds]
        candidates = fresh or candidates
        weights = [TAKE_WEIGHTS.get(o.kind, 1) for o in candidates]
        taken = self.rng.choices(candidates, weights)[0]
        self.taken_kinds.add(taken.kind)
        return taken

    def rows(
        self,
        flow: FlowFacts,
        facts: AccountFacts,
        fate: Fate,
        ctx: AccountContext | None,
        owner: Row | None,
        *,
        revenue_cents: int | None = None,
        plan_code: str | None = None,
    ) -> None:
        """The flow's rows; without an account (purged) they are anonymous. The tenure band, the
        plan's price and the insights facts are what the live flow records for the same inputs;
        a saved flow counts the invoices issued since (`paid_cycles_after`). `revenue_cents`
        and `plan_code`: of a later flow, after an offer changed the plan."""
        completed = flow.outcome == OUTCOME_COMPLETED
        band = tenure_band(facts.created_at, flow.started_at)
        plan_code = plan_code or facts.plan.code  # the plan now, after a downgrade
        common = {"plan_code": plan_code, "country": facts.country, "tenure_band": band}
        taken = flow.taken
        accepted = taken is not None and taken.kind != OFFER_KIND_CUSTOM_PLAN
        if revenue_cents is None:
            revenue_cents = billing.monthly_equivalent_cents(facts.price_cents, facts.interval)
        flow_row = self.draft.add(
            CancellationFlow,
            {
                "id": flow.id,
                "account_id": ctx.id if ctx else None,
                "user_id": owner["id"] if ctx and owner else None,
                "open_subscription_id": (
                    ctx.subscription["id"]
                    if ctx and completed and fate.status == STATUS_SCHEDULED
                    else None
                ),
                "started_at": flow.started_at,
                "finished_at": flow.finished_at,
                "outcome": flow.outcome,
                "confirmation_number": (
                    self.records.confirmation_number() if completed or accepted else None
                ),
                "effective_on": fate.effective_on if completed else None,
                "monthly_revenue_cents": revenue_cents,
                "playbook_version": flow.version,
                "variant": flow.variant,
                "offer_kind": taken.kind if taken else None,
                "paid_cycles_after": self._paid_since(flow, ctx),
                **common,
            },
        )
        answer = self._survey(flow, common)
        custom = self._offers(flow, ctx.users if ctx else 0)
        flow_row.update(insight_facts(flow.steps, answer, custom))
        for name, at in flow.steps:
            detail = ""  # as the live flow records its steps: only the request names its price
            if name == "plan_requested" and custom:
                detail = json.dumps({"monthly_price_cents": custom["monthly_price_cents"]})
            elif name == ACCEPTED_STEP and taken:
                detail = json.dumps({"key": taken.key, "kind": taken.kind}, sort_keys=True)
            self.draft.add(FlowStep, {"flow_id": flow.id, "step": name, "at": at, "detail": detail})
        if ctx is None or owner is None:
            return  # purged: nothing personal is left
        if custom and custom["requested_at"]:
            self.records.custom_plan_request(flow.id, ctx.id, owner, custom)
        if accepted and taken:
            self.records.offer_accepted(
                flow.finished_at, ctx.id, owner, taken, flow_row["confirmation_number"]
            )
        if completed and fate.effective_on is not None:
            self.records.cancellation(
                flow.id, flow.finished_at, fate.effective_on, fate.status, ctx, owner
            )

    @staticmethod
    def _paid_since(flow: FlowFacts, ctx: AccountContext | None) -> int:
        """The invoices issued for cycles that began after the save (as the lifecycle job
        counts them on a saved flow); 0 for a flow that was not saved."""
        if ctx is None or flow.kind is None:
            return 0
        saved_on = flow.finished_at.date()
        return sum(1 for invoice in ctx.invoices if invoice["period_start"] > saved_on)

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
            reason = flow.reason or REASONS[-1]
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

    def _offers(self, flow: FlowFacts, seats_in_use: int) -> Row | None:
        """A row for each offer shown (its key and parameters, when it was taken); returns
        the custom plan's, with the plan requested from it: values the configurator offers
        (whole steps), at least a seat per user, priced as the configurator prices it."""
        times = dict(flow.steps)
        if "offer_shown" not in times:
            return None
        custom = None
        for offer in flow.shown:
            row: Row = {
                "flow_id": flow.id,
                "kind": offer.kind,
                "shown_at": times["offer_shown"],
                "opened_at": None,
                "requested_at": None,
                "configuration": "",
                "monthly_price_cents": None,
                "offer_key": offer.key,
                "params": json.dumps(offer.params(), sort_keys=True),
                "accepted_at": times.get(ACCEPTED_STEP) if offer == flow.taken else None,
            }
            if offer.kind == OFFER_KIND_CUSTOM_PLAN:
                self._custom_plan(row, times, seats_in_use)
                custom = row
            self.draft.add(RetentionOffer, row)
        return custom

    def _custom_plan(self, row: Row, times: dict[str, dt.datetime], seats_in_use: int) -> None:
        rng = self.rng
        row.update(
            opened_at=times.get("configurator_opened"), requested_at=times.get("plan_requested")
        )
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
