"""The demo's data carries exactly what the live rules compute for the same inputs, so the
insights a presenter shows on demo data are the ones live flows would give."""

from __future__ import annotations

import json
import re
from collections import Counter, defaultdict

import pytest
from sqlalchemy import select

from core import demo
from core.customers.customer_desk import parse
from core.demo import answers
from core.platform import audit
from core.platform.db import Database
from core.platform.models import (
    Account,
    AuditEntry,
    CancellationFlow,
    FlowStep,
    Invoice,
    RetentionOffer,
    Subscription,
    SupportRequest,
    SurveyAnswer,
    User,
)
from core.rules import billing, numbers, vocabulary
from core.rules.pricing import CUSTOM_PLAN_FLOOR_CENTS, PlanConfig, plan_problems, price_custom_plan
from core.rules.vocabulary import (
    FINISHED_OUTCOMES,
    OFFER_KIND_CUSTOM_PLAN,
    REASONS,
    REQUEST_CUSTOM_PLAN,
    REQUEST_KINDS,
    REQUEST_STATUSES,
    SUBSCRIPTION_STATUSES,
    SURVEY_ANSWERED,
    SURVEY_NONE,
    SURVEY_SKIPPED,
    TENURE_BANDS,
    offer_state,
    stage_bit,
    tenure_band,
)
from tests.support.env import NOW

ACTIONS = {value for name, value in vars(vocabulary).items() if name.startswith("ACTION_")}


@pytest.fixture
def seeded(db: Database) -> Database:
    demo.seed(db, accounts=250, influencers_per_account=2, now=NOW)
    return db


def _all(db: Database, model) -> list:
    with db.transaction() as s:
        rows = s.scalars(select(model)).all()
        s.expunge_all()
        return rows


def test_every_flow_carries_the_live_tenure_band(seeded: Database) -> None:
    accounts = {a.id: a for a in _all(seeded, Account)}
    flows = _all(seeded, CancellationFlow)
    answers_of = {a.flow_id: a for a in _all(seeded, SurveyAnswer)}
    with_account = [f for f in flows if f.account_id is not None]
    assert len(with_account) >= 20
    for flow in with_account:
        created_at = accounts[flow.account_id].created_at
        assert flow.tenure_band == tenure_band(created_at, flow.started_at), flow.id
    for flow in flows:
        assert flow.tenure_band in TENURE_BANDS
        if flow.id in answers_of:
            assert answers_of[flow.id].tenure_band == flow.tenure_band
    # accounts of every age cancel
    assert len({f.tenure_band for f in with_account}) >= 3


def test_every_requested_plan_is_priced_as_the_configurator_prices_it(seeded: Database) -> None:
    offers = [o for o in _all(seeded, RetentionOffer) if o.requested_at is not None]
    flows = {f.id: f for f in _all(seeded, CancellationFlow)}
    users = Counter(u.account_id for u in _all(seeded, User) if u.account_id is not None)
    steps = {
        x.flow_id: json.loads(x.detail)
        for x in _all(seeded, FlowStep)
        if x.step == "plan_requested"
    }
    requests = {r.flow_id: r for r in _all(seeded, SupportRequest) if r.kind == REQUEST_CUSTOM_PLAN}
    assert len(offers) >= 3  # the custom plan is one of four kinds of offer that save
    for offer in offers:
        config = PlanConfig(**json.loads(offer.configuration))
        price = price_custom_plan(config)
        assert offer.kind == OFFER_KIND_CUSTOM_PLAN
        assert offer.monthly_price_cents == price >= CUSTOM_PLAN_FLOOR_CENTS
        flow = flows[offer.flow_id]
        assert flow.offer_price_cents == price
        assert steps[offer.flow_id] == {"monthly_price_cents": price}
        if flow.account_id is None:
            continue  # purged: the request went with the account
        assert plan_problems(config, users[flow.account_id]) == ()  # a seat for every user
        shown = parse(requests[offer.flow_id])  # what "My requests" shows the customer
        assert (shown.config, shown.monthly_price_cents) == (config, price)
        assert shown.created_at == offer.requested_at


def test_every_invoice_is_numbered_as_the_lifecycle_job_numbers_it(seeded: Database) -> None:
    invoices = _all(seeded, Invoice)
    assert len(invoices) > 100
    for invoice in invoices:
        assert invoice.number == billing.invoice_number(invoice.account_id, invoice.period_start)


def test_outcomes_reasons_statuses_and_kinds_are_the_vocabulary(seeded: Database) -> None:
    flows = _all(seeded, CancellationFlow)
    answers_of = {a.flow_id: a for a in _all(seeded, SurveyAnswer)}
    # the flow's offer facts are about the custom plan's offer only
    offers_of = {
        o.flow_id: o for o in _all(seeded, RetentionOffer) if o.kind == OFFER_KIND_CUSTOM_PLAN
    }
    steps_of: dict[str, list[str]] = defaultdict(list)
    for step in _all(seeded, FlowStep):
        steps_of[step.flow_id].append(step.step)
    assert {f.outcome for f in flows} <= set(FINISHED_OUTCOMES)
    assert {a.reason for a in answers_of.values() if a.reason} <= set(REASONS)
    assert {x.status for x in _all(seeded, Subscription)} <= set(SUBSCRIPTION_STATUSES)
    requests = _all(seeded, SupportRequest)
    assert {r.kind for r in requests} <= set(REQUEST_KINDS)
    assert {r.status for r in requests} <= set(REQUEST_STATUSES)
    for flow in flows:  # the insights facts, as the live flow keeps them on the flow
        stages = 0
        for name in steps_of[flow.id]:
            stages |= stage_bit(name)
        assert flow.stages == stages
        answer, offer = answers_of.get(flow.id), offers_of.get(flow.id)
        if answer is None:
            assert (flow.survey, flow.reason) == (SURVEY_NONE, None)
        else:
            assert flow.survey == (SURVEY_SKIPPED if answer.skipped else SURVEY_ANSWERED)
            assert (flow.reason, flow.satisfaction) == (answer.reason, answer.satisfaction)
        if offer is not None:
            assert flow.offer == offer_state(offer.opened_at, offer.requested_at)
        else:
            assert flow.offer == "none"


def test_audit_entries_name_the_live_actions_and_actors(seeded: Database) -> None:
    entries = _all(seeded, AuditEntry)
    emails = {u.id: u.email for u in _all(seeded, User)}
    assert entries
    assert {e.action for e in entries} <= ACTIONS
    for entry in entries:
        if entry.actor_user_id is None:
            assert entry.actor == audit.LIFECYCLE
        else:
            assert entry.actor == emails[entry.actor_user_id]
        assert isinstance(json.loads(entry.before), dict)
        assert isinstance(json.loads(entry.after), dict)
    requested = [e for e in entries if e.action == vocabulary.ACTION_CUSTOM_PLAN_REQUESTED]
    requests = {r.id: r for r in _all(seeded, SupportRequest)}
    assert requested
    for entry in requested:
        after = json.loads(entry.after)
        assert requests[after["request"]].account_id == entry.account_id
        assert after["price"] == parse(requests[after["request"]]).monthly_price_cents


def test_the_large_agency_follows_the_same_rules(db: Database) -> None:
    demo.seed(db, accounts=0, now=NOW)
    demo.seed_large(db, influencers=20, answers=400, now=NOW)
    offers = [o for o in _all(db, RetentionOffer) if o.requested_at is not None]
    flows = {f.id: f for f in _all(db, CancellationFlow)}
    assert offers
    for offer in offers:
        price = price_custom_plan(PlanConfig(**json.loads(offer.configuration)))
        assert offer.monthly_price_cents == flows[offer.flow_id].offer_price_cents == price
    assert {f.outcome for f in flows.values()} <= set(FINISHED_OUTCOMES)
    assert {f.tenure_band for f in flows.values()} <= set(TENURE_BANDS)
    for invoice in _all(db, Invoice):
        assert invoice.number == billing.invoice_number(invoice.account_id, invoice.period_start)


def test_the_demo_weighs_every_reason_of_the_survey() -> None:
    assert len(answers.REASON_WEIGHTS_NOW) == len(answers.REASON_WEIGHTS_YEAR_AGO) == len(REASONS)
    for reason in REASONS:
        assert answers.FOLLOW_UPS[reason] and answers.COMMENTS[reason]
        assert len(answers.SATISFACTION_WEIGHTS[reason]) == 5
    assert set(answers.OUTCOMES) <= set(FINISHED_OUTCOMES)


def test_every_confirmation_number_has_the_live_shape(seeded: Database) -> None:
    shape = re.compile(
        re.escape(numbers.CONFIRMATION_PREFIX)
        + f"[{re.escape(numbers.CONFIRMATION_ALPHABET)}]{{{numbers.CONFIRMATION_LENGTH}}}"
    )
    confirmed = [f.confirmation_number for f in _all(seeded, CancellationFlow)]
    confirmed = [n for n in confirmed if n is not None]
    assert confirmed and all(shape.fullmatch(n) for n in confirmed), confirmed[:5]
