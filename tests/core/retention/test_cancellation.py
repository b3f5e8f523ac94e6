"""The cancellation flow and its rules, through `core`, on SQLite (and PostgreSQL when set)."""

from __future__ import annotations

import datetime as dt
import json
import threading

import pytest
from sqlalchemy import func, select

from core import support_desk
from core.platform.errors import InvalidInput, NotAuthorized
from core.platform.models import (
    AuditEntry,
    CancellationFlow,
    FlowStep,
    RetentionOffer,
    Subscription,
    SupportRequest,
    SurveyAnswer,
)
from core.retention import cancellation, custom_plan, records, way_back
from core.retention.cancellation import Consents, Survey
from core.rules import pricing
from core.rules.pricing import PlanConfig
from tests.support import factories
from tests.support.env import NOW

ALL = Consents(lists=True, campaigns=True, reports=True, account=True)


@pytest.fixture
def shop(db):
    return factories.shop(db, now=NOW, start=dt.date(2026, 3, 10), with_bob=True)


def steps(db, flow_id):
    with db.transaction() as s:
        return list(
            s.scalars(
                select(FlowStep.step).where(FlowStep.flow_id == flow_id).order_by(FlowStep.id)
            )
        )


def subscription(db, account_id):
    with db.transaction() as s:
        return s.scalar(select(Subscription).where(Subscription.account_id == account_id))


def walk_to_consent(db, user, survey=None):
    flow = cancellation.start(db, user, now=NOW)
    cancellation.answer_survey(db, user, flow.flow_id, survey, now=NOW)
    return cancellation.go_on(db, user, flow.flow_id, now=NOW)


def test_the_whole_flow_schedules_the_cancellation_for_the_end_of_the_cycle(db, shop):
    alice, users = shop
    survey = Survey("missing_features", "TikTok analytics", "Great team, <b>but</b>", 4)
    flow = walk_to_consent(db, users["alice"], survey)
    assert flow.stage == cancellation.CONSENT
    done = cancellation.confirm(db, users["alice"], flow.flow_id, ALL, now=NOW)

    assert done.dates.effective_on == dt.date(2026, 12, 10)  # the period end, computed
    assert done.dates.data_deleted_on == dt.date(2027, 2, 10)
    assert done.dates.reactivate_until == dt.date(2027, 2, 9)
    assert done.confirmation_number.startswith("CX-")
    sub = subscription(db, alice.account_id)
    assert sub.status == "cancellation_scheduled"
    assert sub.current_period_end == dt.date(2026, 12, 10)
    assert steps(db, flow.flow_id) == [
        "started",
        "survey_answered",
        "offer_shown",
        "continued",
        "consents_given",
        "completed",
    ]
    with db.transaction() as s:
        answer = s.scalar(select(SurveyAnswer).where(SurveyAnswer.flow_id == flow.flow_id))
        assert (answer.reason, answer.follow_up, answer.satisfaction) == (
            "missing_features",
            "TikTok analytics",
            4,
        )
        assert answer.comment == "Great team, <b>but</b>"  # stored as typed; shown as text
        audit = s.scalars(select(AuditEntry).where(AuditEntry.account_id == alice.account_id)).all()
        assert [a.action for a in audit] == ["cancellation_scheduled"]
        assert json.loads(audit[0].before) == {"status": "active"}
    assert (
        cancellation.scheduled(db, users["alice"]).confirmation_number == done.confirmation_number
    )


def test_consent_must_be_complete_and_nothing_changes_without_it(db, shop):
    alice, users = shop
    flow = walk_to_consent(db, users["alice"])
    for missing in ("lists", "campaigns", "reports", "account"):
        three = Consents(**{k: k != missing for k in ("lists", "campaigns", "reports", "account")})
        with pytest.raises(cancellation.ConsentIncomplete):
            cancellation.confirm(db, users["alice"], flow.flow_id, three, now=NOW)
    assert subscription(db, alice.account_id).status == "active"
    assert "completed" not in steps(db, flow.flow_id)


def test_a_skipped_survey_is_recorded_as_skipped(db, shop):
    _, users = shop
    flow = walk_to_consent(db, users["alice"], None)
    assert steps(db, flow.flow_id)[:2] == ["started", "survey_skipped"]
    with db.transaction() as s:
        answer = s.scalar(select(SurveyAnswer).where(SurveyAnswer.flow_id == flow.flow_id))
        assert answer.skipped and answer.reason is None and answer.satisfaction is None


def test_closing_the_pop_up_and_continuing_counts_as_skipping(db, shop):
    _, users = shop
    flow = cancellation.start(db, users["alice"], now=NOW)
    state = cancellation.go_on(db, users["alice"], flow.flow_id, now=NOW)
    assert state.stage == cancellation.CONSENT
    assert steps(db, flow.flow_id) == ["started", "survey_skipped", "continued"]


@pytest.mark.parametrize(
    ("survey", "key"),
    [
        (Survey(comment="x" * 1_000_001), "error.message_too_long"),
        (Survey(follow_up="y" * 201), "error.message_too_long"),
        (Survey(reason="hates_us"), "cancel.error.reason"),
        (Survey(satisfaction=6), "cancel.error.satisfaction"),
        (Survey(satisfaction=0), "cancel.error.satisfaction"),
    ],
)
def test_bad_survey_input_is_refused_and_stores_nothing(db, shop, survey, key):
    _, users = shop
    flow = cancellation.start(db, users["alice"], now=NOW)
    with pytest.raises(InvalidInput) as err:
        cancellation.answer_survey(db, users["alice"], flow.flow_id, survey, now=NOW)
    assert err.value.key == key
    assert steps(db, flow.flow_id) == ["started"]
    with db.transaction() as s:
        assert s.scalar(select(func.count()).select_from(SurveyAnswer)) == 0


def test_control_characters_are_dropped_but_every_script_is_kept(db, shop):
    _, users = shop
    flow = cancellation.start(db, users["alice"], now=NOW)
    comment = "Grazie 👩‍👩‍👧 张伟\x00\x07 مرحبا\n<script>alert(1)</script>"
    cancellation.answer_survey(db, users["alice"], flow.flow_id, Survey(comment=comment), now=NOW)
    with db.transaction() as s:
        stored = s.scalar(select(SurveyAnswer.comment))
    assert stored == "Grazie 👩‍👩‍👧 张伟 مرحبا\n<script>alert(1)</script>"


def test_keeping_the_subscription_ends_the_flow_as_saved(db, shop):
    alice, users = shop
    flow = cancellation.start(db, users["alice"], now=NOW)
    cancellation.answer_survey(db, users["alice"], flow.flow_id, Survey("too_expensive"), now=NOW)
    cancellation.keep(db, users["alice"], flow.flow_id, now=NOW)
    assert subscription(db, alice.account_id).status == "active"
    assert steps(db, flow.flow_id)[-1] == "kept"
    assert cancellation.current(db, users["alice"], now=NOW) is None
    with pytest.raises(records.FlowClosed):
        cancellation.confirm(db, users["alice"], flow.flow_id, ALL, now=NOW)


def test_requesting_a_custom_plan_saves_the_customer_and_reaches_support(db, shop):
    alice, users = shop
    flow = cancellation.start(db, users["alice"], now=NOW)
    cancellation.answer_survey(db, users["alice"], flow.flow_id, None, now=NOW)
    cancellation.open_configurator(db, users["alice"], flow.flow_id, now=NOW)
    cancellation.open_configurator(db, users["alice"], flow.flow_id, now=NOW)  # recorded once
    config = PlanConfig(searches=300, unlocks=100, seats=2, campaigns=2)
    price = custom_plan.request_plan(db, users["alice"], flow.flow_id, config, now=NOW)
    assert price == 9800 + 2 * 600 + 1 * 900 + 1 * 1500
    assert subscription(db, alice.account_id).status == "active"
    assert steps(db, flow.flow_id) == [
        "started",
        "survey_skipped",
        "offer_shown",
        "configurator_opened",
        "plan_requested",
    ]
    with db.transaction() as s:
        offer = s.scalar(select(RetentionOffer).where(RetentionOffer.flow_id == flow.flow_id))
        assert offer.monthly_price_cents == price and offer.requested_at is not None
        assert json.loads(offer.configuration)["seats"] == 2
        request = s.scalar(select(SupportRequest).where(SupportRequest.flow_id == flow.flow_id))
        assert (request.kind, request.status) == ("custom_plan", "open")
        assert s.get(CancellationFlow, flow.flow_id).outcome == "saved_offer"


def test_custom_plans_start_at_98_dollars_and_refuse_impossible_sizes():
    assert pricing.price_custom_plan(PlanConfig()) == 9800
    assert pricing.price_custom_plan(PlanConfig(searches=0, unlocks=0, campaigns=0)) == 9800
    assert pricing.price_custom_plan(PlanConfig(searches=150)) == 9800 + 600  # whole steps
    for bad in (PlanConfig(seats=26), PlanConfig(searches=-1), PlanConfig(unlocks=10**9)):
        with pytest.raises(InvalidInput):
            custom_plan.validate_plan(bad)
        with pytest.raises(ValueError):
            pricing.price_custom_plan(bad)


def test_a_second_cancellation_is_impossible_whatever_is_clicked_twice(db, shop):
    _alice, users = shop
    flow = walk_to_consent(db, users["alice"])
    first = cancellation.confirm(db, users["alice"], flow.flow_id, ALL, now=NOW)
    again = cancellation.confirm(db, users["alice"], flow.flow_id, ALL, now=NOW)  # double click
    assert again.confirmation_number == first.confirmation_number
    with pytest.raises(cancellation.CancellationAlreadyScheduled):
        cancellation.start(db, users["alice"], now=NOW)  # a second tab starting over
    with db.transaction() as s:
        assert s.scalar(select(func.count()).select_from(AuditEntry)) == 1
        opened = s.scalar(
            select(func.count())
            .select_from(CancellationFlow)
            .where(CancellationFlow.open_subscription_id.is_not(None))
        )
        assert opened == 1


def test_two_tabs_with_two_flows_still_give_one_cancellation(db, shop):
    _, users = shop
    tab1 = walk_to_consent(db, users["alice"])
    with db.transaction() as s:  # a flow from a second tab, started before the first finished
        s.add(
            CancellationFlow(
                id="tab-two",
                account_id=users["alice"].account_id,
                user_id=users["alice"].id,
                started_at=NOW,
                outcome="open",
                plan_code="growth",
                country="IT",
                tenure_band="6-12m",
            )
        )
    cancellation.confirm(db, users["alice"], tab1.flow_id, ALL, now=NOW)
    with pytest.raises(cancellation.CancellationAlreadyScheduled):
        cancellation.confirm(db, users["alice"], "tab-two", ALL, now=NOW)


def test_the_database_itself_refuses_a_second_open_cancellation(db, shop):
    alice, _ = shop
    sub_id = subscription(db, alice.account_id).id
    from sqlalchemy.exc import IntegrityError

    with pytest.raises(IntegrityError), db.transaction() as s:
        for n in range(2):
            s.add(
                CancellationFlow(
                    id=f"raw-{n}",
                    account_id=alice.account_id,
                    open_subscription_id=sub_id,
                    started_at=NOW,
                    plan_code="growth",
                    country="IT",
                    tenure_band="<6m",
                )
            )


def test_twenty_threads_completing_the_same_flow_make_one_cancellation(db, shop):
    alice, users = shop
    flows = [walk_to_consent(db, users["alice"])]
    results: list[object] = []
    barrier = threading.Barrier(20)

    def click() -> None:
        barrier.wait()
        try:
            results.append(cancellation.confirm(db, users["alice"], flows[0].flow_id, ALL))
        except Exception as exc:
            results.append(exc)

    threads = [threading.Thread(target=click) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    numbers = {r.confirmation_number for r in results if isinstance(r, cancellation.Scheduled)}
    errors = [r for r in results if not isinstance(r, cancellation.Scheduled)]
    assert len(numbers) == 1, (numbers, errors)
    assert all(isinstance(e, cancellation.CancellationAlreadyScheduled) for e in errors), errors
    with db.transaction() as s:
        assert s.scalar(select(func.count()).select_from(AuditEntry)) == 1
        completed = s.scalar(
            select(func.count()).select_from(FlowStep).where(FlowStep.step == "completed")
        )
        assert completed == 1
    assert subscription(db, alice.account_id).status == "cancellation_scheduled"


def test_a_reload_resumes_the_flow_and_a_day_later_it_starts_afresh(db, shop):
    _, users = shop
    flow = cancellation.start(db, users["alice"], now=NOW)
    cancellation.answer_survey(db, users["alice"], flow.flow_id, None, now=NOW)
    resumed = cancellation.current(db, users["alice"], now=NOW + dt.timedelta(minutes=5))
    assert (resumed.flow_id, resumed.stage) == (flow.flow_id, cancellation.DECIDE)
    assert cancellation.start(db, users["alice"], now=NOW).flow_id == flow.flow_id
    later = NOW + dt.timedelta(days=2)
    assert cancellation.current(db, users["alice"], now=later) is None
    fresh = cancellation.start(db, users["alice"], now=later)
    assert fresh.flow_id != flow.flow_id and fresh.stage == cancellation.SURVEY
    assert steps(db, flow.flow_id)[-1] == "abandoned"


def test_only_the_owner_walks_the_flow(db, shop):
    _, users = shop
    flow = cancellation.start(db, users["alice"], now=NOW)
    with pytest.raises(NotAuthorized):
        cancellation.answer_survey(db, users["bob"], flow.flow_id, None, now=NOW)
    with pytest.raises(NotAuthorized):
        cancellation.confirm(db, users["bob"], flow.flow_id, ALL, now=NOW)
    with pytest.raises(NotAuthorized):
        cancellation.start(db, users["boss"], now=NOW)
    with pytest.raises(NotAuthorized):
        cancellation.start(db, None, now=NOW)
    with pytest.raises(NotAuthorized):
        support_desk.undo(db, users["alice"], users["alice"].account_id, now=NOW)


def test_contact_from_the_done_window_lands_in_the_support_queue(db, shop):
    alice, users = shop
    flow = walk_to_consent(db, users["alice"])
    cancellation.confirm(db, users["alice"], flow.flow_id, ALL, now=NOW)
    number = way_back.contact_support(db, users["alice"], "Please undo, we stay!", now=NOW)
    with db.transaction() as s:
        request = s.get(SupportRequest, number)
        assert (request.kind, request.flow_id, request.account_id) == (
            "undo_cancellation",
            flow.flow_id,
            alice.account_id,
        )
    for bad in ("", "   ", "z" * 2001):
        with pytest.raises(InvalidInput):
            way_back.contact_support(db, users["alice"], bad, now=NOW)


def test_support_undoes_a_scheduled_cancellation(db, shop):
    alice, users = shop
    flow = walk_to_consent(db, users["alice"])
    cancellation.confirm(db, users["alice"], flow.flow_id, ALL, now=NOW)
    support_desk.undo(db, users["boss"], alice.account_id, now=NOW)
    assert subscription(db, alice.account_id).status == "active"
    assert cancellation.scheduled(db, users["alice"]) is None
    with pytest.raises(InvalidInput):
        support_desk.undo(db, users["boss"], alice.account_id, now=NOW)  # nothing to undo now
    # and the customer may cancel again later
    again = walk_to_consent(db, users["alice"])
    cancellation.confirm(db, users["alice"], again.flow_id, ALL, now=NOW)
    with db.transaction() as s:
        actions = list(s.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))
    assert actions == ["cancellation_scheduled", "cancellation_undone", "cancellation_scheduled"]
