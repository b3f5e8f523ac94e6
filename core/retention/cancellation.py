"""The guided cancellation: survey -> keep or continue (with the custom-plan offer, see
`core.retention.custom_plan`) -> consent -> done. Its way back (the customer resumes, support
undoes or reactivates) is `core.retention.way_back`.
Each step is one use case; each records itself under the flow's id, so the admin funnel can be
drawn from `flow_steps`.

A flow is picked up again: while it is open (and younger than a day) the customer comes back to
the step they left. One open cancellation per subscription is enforced by the database: the UNIQUE
column `cancellation_flows.open_subscription_id` is set when a cancellation is scheduled.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core.customers.messages import clean_message
from core.identity.auth import CurrentUser, require_customer
from core.platform import audit, clock, outbox
from core.platform.config import Settings, load_settings
from core.platform.db import Database
from core.platform.errors import InvalidInput, NotAuthorized, PortalError
from core.platform.models import (
    Account,
    CancellationFlow,
    FlowStep,
    Plan,
    RetentionOffer,
    Subscription,
    SurveyAnswer,
)
from core.retention.offers import record_offers
from core.retention.records import (
    Dates,
    FlowClosed,
    NotCancellable,
    _offer_facts,
    _step,
    _subscription,
    _survey_facts,
    dates_for,
)
from core.rules import billing, numbers
from core.rules.vocabulary import (
    ACTION_CANCELLATION_SCHEDULED,
    EVENT_CANCELLATION_SCHEDULED,
    OFFER_KIND_CUSTOM_PLAN,
    OFFER_NONE,
    OUTCOME_ABANDONED,
    OUTCOME_COMPLETED,
    OUTCOME_OPEN,
    OUTCOME_SAVED_KEPT,
    REASONS,
    STATUS_ACTIVE,
    STATUS_PAUSED,
    STATUS_SCHEDULED,
    SURVEY_NONE,
    tenure_band,
)

MAX_FOLLOW_UP = 200
MAX_COMMENT = 1000
RESUME_HOURS = 24
# A paused subscription can be cancelled too (no lock-in): it ends when the pause would have.
CANCELLABLE = (STATUS_ACTIVE, STATUS_PAUSED)

# Stages a flow can be at, in order.
SURVEY, DECIDE, CONSENT, DONE = "survey", "decide", "consent", "done"


class CancellationAlreadyScheduled(PortalError):
    key = "cancel.error.already_scheduled"


class ConsentIncomplete(PortalError):
    key = "cancel.error.consent"


@dataclass(frozen=True)
class FlowState:
    flow_id: str
    stage: str  # survey / decide / consent / done
    dates: Dates
    survey_done: bool
    configurator_opened: bool


@dataclass(frozen=True)
class Scheduled:
    """A cancellation on record for the customer's subscription."""

    flow_id: str
    confirmation_number: str
    requested_at: dt.datetime
    dates: Dates
    company: str
    plan_name: str
    resumable: bool = False  # the customer can still resume it themselves (before it ends)


@dataclass(frozen=True)
class Survey:
    reason: str | None = None
    follow_up: str = ""
    comment: str = ""
    satisfaction: int | None = None  # 1..5


# --- helpers ---------------------------------------------------------------------------------


def _steps(s: Session, flow_id: str) -> set[str]:
    return set(s.scalars(select(FlowStep.step).where(FlowStep.flow_id == flow_id)))


def _stage(steps: set[str], flow: CancellationFlow) -> str:
    if flow.outcome == OUTCOME_COMPLETED:
        return DONE
    if "continued" in steps:
        return CONSENT
    if steps & {"survey_answered", "survey_skipped"}:
        return DECIDE
    return SURVEY


def _state(s: Session, flow: CancellationFlow, sub: Subscription, settings: Settings) -> FlowState:
    steps = _steps(s, flow.id)
    end = flow.effective_on or sub.current_period_end
    return FlowState(
        flow_id=flow.id,
        stage=_stage(steps, flow),
        dates=dates_for(end, settings),
        survey_done=bool(steps & {"survey_answered", "survey_skipped"}),
        configurator_opened="configurator_opened" in steps,
    )


def _open_flow(s: Session, actor: CurrentUser, flow_id: str) -> CancellationFlow:
    # Locked (on PostgreSQL; SQLite's write transaction holds the whole database) so that the
    # facts read-modify-written on the flow (`stages`, see `_step`) never lose a concurrent bit.
    flow = s.get(CancellationFlow, flow_id, with_for_update=True, populate_existing=True)
    if flow is None or flow.account_id != actor.account_id:
        raise NotAuthorized()
    if flow.outcome != OUTCOME_OPEN:
        raise FlowClosed()
    return flow


def _record_offers(
    s: Session,
    flow: CancellationFlow,
    sub: Subscription,
    now: dt.datetime,
    settings: Settings,
    *,
    show: bool = True,
) -> None:
    account = s.get(Account, flow.account_id)
    assert account is not None
    record_offers(s, flow, sub, account, now, settings, show=show)


def _abandon(s: Session, flow: CancellationFlow, at: dt.datetime) -> None:
    flow.outcome = OUTCOME_ABANDONED
    flow.finished_at = at
    _step(s, flow, "abandoned", at)


# --- use cases -------------------------------------------------------------------------------


def scheduled(
    db: Database,
    actor: CurrentUser | None,
    *,
    now: dt.datetime | None = None,
    settings: Settings | None = None,
) -> Scheduled | None:
    """The customer's scheduled cancellation, if there is one."""
    actor = require_customer(actor)
    now = clock.now(now)
    with db.transaction() as s:
        row = s.execute(
            select(CancellationFlow, Subscription, Account, Plan)
            .join(Subscription, Subscription.id == CancellationFlow.open_subscription_id)
            .join(Account, Account.id == Subscription.account_id)
            .join(Plan, Plan.id == Subscription.plan_id)
            .where(Subscription.account_id == actor.account_id)
        ).first()
        if row is None:
            return None
        flow, sub, account, plan = row
        dates = dates_for(flow.effective_on or sub.current_period_end, settings)
        return Scheduled(
            flow_id=flow.id,
            confirmation_number=flow.confirmation_number or "",
            requested_at=sub.cancel_requested_at or flow.finished_at or flow.started_at,
            dates=dates,
            company=account.company,
            plan_name=plan.name,
            resumable=sub.status == STATUS_SCHEDULED and now.date() < dates.effective_on,
        )


def current(
    db: Database,
    actor: CurrentUser | None,
    *,
    now: dt.datetime | None = None,
    settings: Settings | None = None,
) -> FlowState | None:
    """The customer's open flow, if one was started in the last day (a reload resumes it)."""
    actor = require_customer(actor)
    now = clock.now(now)
    with db.transaction() as s:
        flow = s.scalar(
            select(CancellationFlow)
            .where(
                CancellationFlow.account_id == actor.account_id,
                CancellationFlow.outcome == OUTCOME_OPEN,
                CancellationFlow.started_at > now - dt.timedelta(hours=RESUME_HOURS),
            )
            .order_by(CancellationFlow.started_at.desc())
        )
        if flow is None:
            return None
        return _state(s, flow, _subscription(s, actor.account_id), settings or load_settings())


def start(
    db: Database,
    actor: CurrentUser | None,
    *,
    now: dt.datetime | None = None,
    settings: Settings | None = None,
) -> FlowState:
    """Begin (or resume) the flow. Older open flows of this account count as abandoned."""
    actor = require_customer(actor)
    now = clock.now(now)
    settings = settings or load_settings()
    with db.transaction(write=True) as s:
        sub = _subscription(s, actor.account_id, lock=True)
        if sub.status == STATUS_SCHEDULED:
            raise CancellationAlreadyScheduled()
        if sub.status not in CANCELLABLE:
            raise NotCancellable()
        open_flows = s.scalars(
            select(CancellationFlow)
            .where(
                CancellationFlow.account_id == actor.account_id,
                CancellationFlow.outcome == OUTCOME_OPEN,
            )
            .order_by(CancellationFlow.started_at.desc())
        ).all()
        fresh = [f for f in open_flows if f.started_at > now - dt.timedelta(hours=RESUME_HOURS)]
        for stale in open_flows:
            if not fresh or stale is not fresh[0]:
                _abandon(s, stale, now)
        if fresh:
            return _state(s, fresh[0], sub, settings)
        account = s.get(Account, actor.account_id)
        assert account is not None
        flow = CancellationFlow(
            id=str(uuid.uuid4()),
            account_id=actor.account_id,
            user_id=actor.id,
            started_at=now,
            outcome=OUTCOME_OPEN,
            plan_code=sub.plan.code,
            country=account.country,
            tenure_band=tenure_band(account.created_at, now),
            monthly_revenue_cents=billing.monthly_equivalent_cents(
                sub.price_cents, sub.billing_interval
            ),
            survey=SURVEY_NONE,
            stages=0,
            offer=OFFER_NONE,
        )
        s.add(flow)
        s.flush()
        _step(s, flow, "started", now)
        return _state(s, flow, sub, settings)


def _clean_survey(survey: Survey) -> Survey:
    if survey.reason is not None and survey.reason not in REASONS:
        raise InvalidInput("cancel.error.reason")
    if survey.satisfaction is not None and (
        isinstance(survey.satisfaction, bool) or survey.satisfaction not in range(1, 6)
    ):
        raise InvalidInput("cancel.error.satisfaction")
    if len(survey.follow_up or "") > MAX_FOLLOW_UP:
        raise InvalidInput("error.message_too_long", limit=MAX_FOLLOW_UP)
    if len(survey.comment or "") > MAX_COMMENT:
        raise InvalidInput("error.message_too_long", limit=MAX_COMMENT)
    follow_up = clean_message(survey.follow_up)
    comment = clean_message(survey.comment)
    return Survey(survey.reason, follow_up, comment, survey.satisfaction)


def answer_survey(
    db: Database,
    actor: CurrentUser | None,
    flow_id: str,
    survey: Survey | None,
    *,
    now: dt.datetime | None = None,
    settings: Settings | None = None,
) -> FlowState:
    """Record the survey, or that it was skipped (`survey=None`); then choose the offers step 2
    shows (`offers.record_offers`)."""
    actor = require_customer(actor)
    now = clock.now(now)
    cleaned = _clean_survey(survey) if survey is not None else None
    with db.transaction(write=True) as s:
        flow = _open_flow(s, actor, flow_id)
        answer = s.scalar(select(SurveyAnswer).where(SurveyAnswer.flow_id == flow.id))
        if answer is None:
            answer = SurveyAnswer(
                flow_id=flow.id,
                flow_started_at=flow.started_at,
                plan_code=flow.plan_code,
                country=flow.country,
                tenure_band=flow.tenure_band,
            )
            s.add(answer)
        answer.answered_at = now
        answer.skipped = cleaned is None
        answer.reason = cleaned.reason if cleaned else None
        answer.follow_up = cleaned.follow_up if cleaned else ""
        answer.comment = cleaned.comment if cleaned else ""
        answer.satisfaction = cleaned.satisfaction if cleaned else None
        _survey_facts(flow, answer)
        _step(s, flow, "survey_skipped" if cleaned is None else "survey_answered", now)
        settings = settings or load_settings()
        sub = _subscription(s, actor.account_id)
        _record_offers(s, flow, sub, now, settings)
        return _state(s, flow, sub, settings)


def open_configurator(
    db: Database, actor: CurrentUser | None, flow_id: str, *, now: dt.datetime | None = None
) -> None:
    """The customer opened the custom-plan configurator (recorded once)."""
    actor = require_customer(actor)
    now = clock.now(now)
    with db.transaction(write=True) as s:
        flow = _open_flow(s, actor, flow_id)
        offer = s.scalar(
            select(RetentionOffer).where(
                RetentionOffer.flow_id == flow.id, RetentionOffer.kind == OFFER_KIND_CUSTOM_PLAN
            )
        )
        if offer is None:
            offer = RetentionOffer(flow_id=flow.id, kind=OFFER_KIND_CUSTOM_PLAN, shown_at=now)
            s.add(offer)
            _step(s, flow, "offer_shown", now)
        if offer.opened_at is None:
            offer.opened_at = now
            _step(s, flow, "configurator_opened", now)
        _offer_facts(flow, offer)


def keep(
    db: Database, actor: CurrentUser | None, flow_id: str, *, now: dt.datetime | None = None
) -> None:
    """Keep my subscription: the flow ends saved and nothing changes."""
    actor = require_customer(actor)
    now = clock.now(now)
    with db.transaction(write=True) as s:
        flow = _open_flow(s, actor, flow_id)
        flow.outcome = OUTCOME_SAVED_KEPT
        flow.finished_at = now
        _step(s, flow, "kept", now)
        # other systems hear of it; the customer, who changed nothing, gets no e-mail
        outbox.flow_saved(s, actor.account_id, flow.id, at=now, offer=None, mail=False)


def go_on(
    db: Database,
    actor: CurrentUser | None,
    flow_id: str,
    *,
    now: dt.datetime | None = None,
    settings: Settings | None = None,
) -> FlowState:
    """Continue and cancel: on to the consents. A survey left without choosing counts as
    skipped; the flow then records the playbook version and variant it falls in."""
    actor = require_customer(actor)
    now = clock.now(now)
    settings = settings or load_settings()
    with db.transaction(write=True) as s:
        flow = _open_flow(s, actor, flow_id)
        sub = _subscription(s, actor.account_id)
        steps = _steps(s, flow.id)
        if not steps & {"survey_answered", "survey_skipped"}:
            _step(s, flow, "survey_skipped", now)  # left the pop-up without choosing
            answer = SurveyAnswer(
                flow_id=flow.id,
                answered_at=now,
                skipped=True,
                flow_started_at=flow.started_at,
                plan_code=flow.plan_code,
                country=flow.country,
                tenure_band=flow.tenure_band,
            )
            s.add(answer)
            _survey_facts(flow, answer)
            # straight on to the consents: the flow's version and variant, no offer seen
            _record_offers(s, flow, sub, now, settings, show=False)
        if "continued" not in steps:
            _step(s, flow, "continued", now)
        return _state(s, flow, sub, settings)


@dataclass(frozen=True)
class Consents:
    lists: bool = False
    campaigns: bool = False
    reports: bool = False
    account: bool = False

    @property
    def complete(self) -> bool:
        return all((self.lists, self.campaigns, self.reports, self.account))


ALL_CONSENTS = Consents(lists=True, campaigns=True, reports=True, account=True)


def confirm(
    db: Database,
    actor: CurrentUser | None,
    flow_id: str,
    consents: Consents,
    *,
    now: dt.datetime | None = None,
    settings: Settings | None = None,
) -> Scheduled:
    """Schedule the cancellation for the end of the billing cycle.

    Twice for the same flow (a double click, a second tab) returns the same confirmation;
    any other attempt while one is scheduled raises CancellationAlreadyScheduled.
    """
    actor = require_customer(actor)
    now = clock.now(now)
    settings = settings or load_settings()
    if not consents.complete:
        raise ConsentIncomplete()
    try:
        with db.transaction(write=True) as s:
            sub = _subscription(s, actor.account_id, lock=True)  # lock first, then read
            flow = s.get(CancellationFlow, flow_id, populate_existing=True)
            if flow is None or flow.account_id != actor.account_id:
                raise NotAuthorized()
            if flow.outcome == OUTCOME_COMPLETED and flow.open_subscription_id == sub.id:
                done = flow  # the same request again: answer as the first time
            else:
                if sub.status == STATUS_SCHEDULED:
                    raise CancellationAlreadyScheduled()
                if sub.status not in CANCELLABLE:
                    raise NotCancellable()
                if flow.outcome != OUTCOME_OPEN:
                    raise FlowClosed()
                done = _schedule(s, actor, flow, sub, now)
                _emit_scheduled(s, done, sub, dates_for(sub.current_period_end, settings), now)
            account = s.get(Account, actor.account_id)
            assert account is not None
            dates = dates_for(done.effective_on or sub.current_period_end, settings)
            return Scheduled(
                flow_id=done.id,
                confirmation_number=done.confirmation_number or "",
                requested_at=sub.cancel_requested_at or now,
                dates=dates,
                company=account.company,
                plan_name=sub.plan.name,
                resumable=now.date() < dates.effective_on,
            )
    except IntegrityError as exc:  # another transaction scheduled one first
        raise CancellationAlreadyScheduled() from exc


def _emit_scheduled(
    s: Session, flow: CancellationFlow, sub: Subscription, dates: Dates, now: dt.datetime
) -> None:
    """The event (and the customer's e-mail, with the receipt) of a cancellation scheduled."""
    outbox.emit(
        s,
        EVENT_CANCELLATION_SCHEDULED,
        account_id=sub.account_id,
        at=now,
        data={
            **outbox.account_facts(s, sub.account_id),
            "flow_id": flow.id,
            "confirmation_number": flow.confirmation_number,
            "requested_at": now,
            "effective_on": dates.effective_on,
            "data_deleted_on": dates.data_deleted_on,
            "reactivate_until": dates.reactivate_until,
            "resume_until": dates.resume_until,
        },
    )


def _schedule(
    s: Session, actor: CurrentUser, flow: CancellationFlow, sub: Subscription, now: dt.datetime
) -> CancellationFlow:
    steps = _steps(s, flow.id)
    if "continued" not in steps:
        _step(s, flow, "continued", now)
    flow.open_subscription_id = sub.id
    flow.outcome = OUTCOME_COMPLETED
    flow.finished_at = now
    flow.effective_on = sub.current_period_end
    flow.confirmation_number = numbers.confirmation_number()
    before: dict[str, object] = {"status": sub.status}
    if sub.pause_cycles is not None or sub.paused_until is not None:
        before.update(pause_cycles=sub.pause_cycles, paused_until=sub.paused_until)
    if sub.status != STATUS_PAUSED:  # a pause still to come is dropped; a running one stays
        sub.paused_until = None  # on record, so resuming the cancellation goes back to it
    sub.pause_cycles = None
    sub.status = STATUS_SCHEDULED
    sub.cancel_requested_at = now
    s.flush()  # the UNIQUE constraint speaks here if another flow got there first
    _step(s, flow, "consents_given", now)
    _step(s, flow, "completed", now)
    audit.record(
        s,
        action=ACTION_CANCELLATION_SCHEDULED,
        account_id=sub.account_id,
        before=before,
        after={"status": sub.status, "effective_on": sub.current_period_end.isoformat()},
        at=now,
        actor_user_id=actor.id,
        actor_name=actor.email,
    )
    return flow
