"""The retention offers a leaving customer sees and takes (core.retention.offers), on SQLite
(and PostgreSQL when set): matched to the survey's reason, kept from those who took the same
kind lately, and what taking each one changes, exactly."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
import re
import subprocess
import sys

import pytest
from sqlalchemy import select, update

from core.customers import accounts
from core.platform.config import Settings
from core.platform.errors import InvalidInput, NotAuthorized
from core.platform.models import (
    AuditEntry,
    CancellationFlow,
    FlowStep,
    Invoice,
    Plan,
    PlaybookVersion,
    RetentionOffer,
    Subscription,
)
from core.retention import cancellation, custom_plan, experiments, offers, playbook
from core.retention.cancellation import ALL_CONSENTS, Survey
from core.retention.offers import OfferNotAvailable
from core.retention.records import FlowClosed
from core.rules.offers import ANY, NO_REASON, Offer, Playbook, Rule, variant_for
from core.rules.pricing import PlanConfig
from tests.support import factories
from tests.support.env import NOW, ROOT

START = dt.date(2026, 3, 10)  # alice's cycle: 10 November to 10 December 2026 at NOW
PERIOD_END = dt.date(2026, 12, 10)


def copy(en: str, it: str) -> dict[str, str]:
    return {"en": en, "it": it}


PLAYBOOK = Playbook(
    offers=(
        Offer("pause2", "pause", cycles=2, title=copy("Take a break", "Sospendi")),
        Offer("off30", "discount", cycles=3, percent=30, title=copy("30% off", "30% di sconto")),
        Offer("starter", "downgrade", plan_code="starter", title=copy("Starter", "Starter")),
        Offer("custom", "custom_plan", title=copy("Your plan", "Il tuo piano")),
    ),
    rules=(
        Rule("too_expensive", ("off30", "starter", "pause2")),
        Rule("not_using", ("pause2", "custom")),
        Rule(NO_REASON, ("custom",)),
        Rule(ANY, ("custom",)),
    ),
)


def publish(db, playbook: Playbook = PLAYBOOK, number: int = 1) -> None:
    """A published version, as the admin's page leaves it (core.retention.playbook)."""
    with db.transaction() as s:
        s.add(
            PlaybookVersion(
                number=number,
                status="published",
                content=playbook.to_json(),
                note="",
                created_at=NOW - dt.timedelta(days=1),
                published_at=NOW - dt.timedelta(days=1),
            )
        )


@pytest.fixture
def shop(db):
    alice, users = factories.shop(db, now=NOW, start=START, with_bob=True)
    factories.plan(db, "starter", 9800)
    publish(db)
    return alice, users


def flow_to_offers(db, user, reason, *, now=NOW, settings=None):
    flow = cancellation.start(db, user, now=now)
    survey = Survey(reason) if reason != "skip" else None
    cancellation.answer_survey(db, user, flow.flow_id, survey, now=now, settings=settings)
    return flow.flow_id


def rows(db, flow_id):
    with db.transaction() as s:
        return [
            (r.kind, r.offer_key, json.loads(r.params))
            for r in s.scalars(
                select(RetentionOffer)
                .where(RetentionOffer.flow_id == flow_id)
                .order_by(RetentionOffer.id)
            )
        ]


def sub_state(db, account_id):
    with db.transaction() as s:
        sub = s.scalar(select(Subscription).where(Subscription.account_id == account_id))
        return {
            c.name: getattr(sub, c.key)
            for c in Subscription.__table__.columns  # every column: nothing else may change
        }


def flow_row(db, flow_id):
    with db.transaction() as s:
        return s.get(CancellationFlow, flow_id)


def invoices(db, account_id):
    with db.transaction() as s:
        return [
            (i.number, i.period_start, i.period_end, i.amount_cents)
            for i in s.scalars(
                select(Invoice).where(Invoice.account_id == account_id).order_by(Invoice.id)
            )
        ]


def set_sub(db, account_id, **values):
    with db.transaction() as s:
        s.execute(
            update(Subscription).where(Subscription.account_id == account_id).values(**values)
        )


# --- what is shown ---------------------------------------------------------------------------


def test_each_reason_gets_its_rules_offers_recorded_on_the_flow(db, shop):
    _, users = shop
    expensive = flow_to_offers(db, users["alice"], "too_expensive")
    assert rows(db, expensive) == [
        ("discount", "off30", {"kind": "discount", "cycles": 3, "percent": 30}),
        ("downgrade", "starter", {"kind": "downgrade", "plan_code": "starter"}),
        ("pause", "pause2", {"kind": "pause", "cycles": 2}),
    ]
    saw = flow_row(db, expensive)
    assert (saw.playbook_version, saw.variant) == (1, None)
    assert saw.offer == "none"  # the flow's offer facts stay about the custom plan

    shown = offers.shown(db, users["alice"], expensive, now=NOW)
    assert [o.key for o in shown] == ["off30", "starter", "pause2"]
    discount, downgrade, pause = (o.terms for o in shown)
    assert shown[0].title == {"en": "30% off", "it": "30% di sconto"}
    assert (discount.starts_on, discount.percent, discount.cycles) == (PERIOD_END, 30, 3)
    assert (discount.current_price_cents, discount.new_price_cents) == (24900, 17430)
    assert (downgrade.plan_code, downgrade.plan_name, downgrade.new_price_cents) == (
        "starter",
        "Starter",
        9800,
    )
    assert downgrade.starts_on == PERIOD_END
    assert (pause.starts_on, pause.resumes_on, pause.cycles) == (
        PERIOD_END,
        dt.date(2027, 2, 10),
        2,
    )
    assert "offer_shown" not in steps(db, expensive)  # that step is the custom plan's

    # Bob gave another reason: other offers, the custom plan with its facts and step
    not_using = flow_to_offers(db, users["bob"], "not_using")
    assert [r[:2] for r in rows(db, not_using)] == [("pause", "pause2"), ("custom_plan", "custom")]
    assert flow_row(db, not_using).offer == "shown"
    assert steps(db, not_using)[-1] == "offer_shown"

    # answering again (a reload) records nothing twice
    cancellation.answer_survey(db, users["bob"], not_using, Survey("other"), now=NOW)
    assert len(rows(db, not_using)) == 2


def test_a_skipped_survey_gets_the_no_reason_rule_and_a_left_one_no_offer(db, shop):
    _, users = shop
    skipped = flow_to_offers(db, users["alice"], "skip")
    assert [r[:2] for r in rows(db, skipped)] == [("custom_plan", "custom")]
    cancellation.keep(db, users["alice"], skipped, now=NOW)

    left = cancellation.start(db, users["bob"], now=NOW).flow_id
    cancellation.go_on(db, users["bob"], left, now=NOW)  # the survey was closed unanswered
    assert rows(db, left) == []  # straight on to the consents: nothing was seen
    assert flow_row(db, left).playbook_version == 1  # but the flow counts for its version


def test_before_any_playbook_is_published_everyone_gets_the_custom_plan(db):
    _, users = factories.shop(db, now=NOW, start=START)
    flow_id = flow_to_offers(db, users["alice"], "too_expensive")
    assert [r[:2] for r in rows(db, flow_id)] == [("custom_plan", "custom_plan")]
    assert flow_row(db, flow_id).playbook_version is None
    [shown] = offers.shown(db, users["alice"], flow_id, now=NOW)
    assert shown.title["it"] == "Personalizza il tuo piano"
    assert shown.terms.starts_on is None


def test_only_the_owner_sees_the_offers_of_a_flow(db, shop):
    _, users = shop
    flow_id = flow_to_offers(db, users["alice"], "too_expensive")
    for who in ("bob", "boss"):
        with pytest.raises(NotAuthorized):
            offers.shown(db, users[who], flow_id, now=NOW)
        with pytest.raises(NotAuthorized):
            offers.accept(db, users[who], flow_id, "pause2", now=NOW)


# --- the cooldown ----------------------------------------------------------------------------


def lifecycle_carried_out_the_pause(db, account_id, today):
    """What the lifecycle job leaves once the pause is over: active again, a new cycle."""
    set_sub(
        db,
        account_id,
        status="active",
        pause_cycles=None,
        paused_until=None,
        current_period_start=today,
        current_period_end=today + dt.timedelta(days=28),
    )


@pytest.mark.parametrize(
    ("months", "months_later", "offered"), [(12, 6, False), (12, 13, True), (3, 6, True)]
)
def test_a_pause_taken_is_not_offered_again_within_the_cooldown(
    db, shop, months, months_later, offered
):
    alice, users = shop
    settings = Settings(offer_cooldown_months=months)
    first = flow_to_offers(db, users["alice"], "not_using", settings=settings)
    offers.accept(db, users["alice"], first, "pause2", now=NOW, settings=settings)
    later = NOW + dt.timedelta(days=round(30.5 * months_later))
    lifecycle_carried_out_the_pause(db, alice.account_id, later.date())
    again = flow_to_offers(db, users["alice"], "not_using", now=later, settings=settings)
    kinds = [r[0] for r in rows(db, again)]
    assert kinds == (["pause", "custom_plan"] if offered else ["custom_plan"])


def test_a_pause_pending_is_not_offered_while_it_is_on_the_subscription(db, shop):
    _, users = shop
    first = flow_to_offers(db, users["alice"], "not_using")
    offers.accept(
        db, users["alice"], first, "pause2", now=NOW, settings=Settings(offer_cooldown_months=0)
    )
    again = flow_to_offers(
        db, users["alice"], "too_expensive", settings=Settings(offer_cooldown_months=0)
    )
    assert [r[0] for r in rows(db, again)] == ["discount", "downgrade"]


# --- taking an offer -------------------------------------------------------------------------


def steps(db, flow_id):
    with db.transaction() as s:
        return list(
            s.scalars(
                select(FlowStep.step).where(FlowStep.flow_id == flow_id).order_by(FlowStep.id)
            )
        )


def audit_actions(db, account_id):
    with db.transaction() as s:
        return [
            (e.action, json.loads(e.before), json.loads(e.after))
            for e in s.scalars(
                select(AuditEntry)
                .where(AuditEntry.account_id == account_id)
                .order_by(AuditEntry.id)
            )
        ]


CHANGES = {
    "pause2": {"pause_cycles": 2, "paused_until": dt.date(2027, 2, 10)},
    "off30": {"discount_percent": 30, "discount_cycles_left": 3},
    "starter": {"next_plan_code": "starter"},
}


@pytest.mark.parametrize("key", ["pause2", "off30", "starter"])
def test_taking_an_offer_saves_the_flow_and_changes_exactly_what_it_says(db, shop, key):
    alice, users = shop
    flow_id = flow_to_offers(db, users["alice"], "too_expensive")
    before = sub_state(db, alice.account_id)
    bills = invoices(db, alice.account_id)
    at = NOW + dt.timedelta(minutes=3)
    done = offers.accept(db, users["alice"], flow_id, key, now=at)

    after = sub_state(db, alice.account_id)
    assert {k: v for k, v in after.items() if before[k] != v} == CHANGES[key]
    assert after["status"] == "active" and after["price_cents"] == 24900  # from the next cycle
    assert invoices(db, alice.account_id) == bills

    flow = flow_row(db, flow_id)
    kind = {"pause2": "pause", "off30": "discount", "starter": "downgrade"}[key]
    assert (flow.outcome, flow.offer_kind, flow.finished_at) == ("saved_offer", kind, at)
    assert re.fullmatch(r"CX-[A-Z2-9]{8}", flow.confirmation_number)
    assert (done.kind, done.confirmation_number, done.accepted_at) == (
        kind,
        flow.confirmation_number,
        at,
    )
    assert (done.company, done.plan_name, done.terms.starts_on) == (
        "Acme Srl",
        "Growth",
        PERIOD_END,
    )
    assert steps(db, flow_id)[-1] == "offer_accepted"
    with db.transaction() as s:
        taken = s.scalars(
            select(RetentionOffer.offer_key).where(
                RetentionOffer.flow_id == flow_id, RetentionOffer.accepted_at.is_not(None)
            )
        ).all()
    assert taken == [key]
    [(action, was, now_)] = [a for a in audit_actions(db, alice.account_id)]
    assert action == "retention_offer_accepted"
    assert now_["offer"] == key and now_["confirmation"] == flow.confirmation_number
    assert {k for k in CHANGES[key] if was[k] != now_[k]} == set(CHANGES[key])

    # twice (a double click, a second tab): the same answer, nothing more
    assert offers.accept(db, users["alice"], flow_id, key, now=at + dt.timedelta(seconds=2)) == done
    assert offers.accepted(db, users["alice"], flow_id) == done
    assert sub_state(db, alice.account_id) == after
    assert len(audit_actions(db, alice.account_id)) == 1
    # another offer of the same flow now: the flow is closed
    other = next(k for k in CHANGES if k != key)
    with pytest.raises(FlowClosed):
        offers.accept(db, users["alice"], flow_id, other, now=at)


def snapshot(db, alice, flow_id):
    return (
        sub_state(db, alice.account_id),
        flow_row(db, flow_id).outcome,
        rows(db, flow_id),
        len(audit_actions(db, alice.account_id)),
    )


def test_what_cannot_be_taken_is_refused_and_changes_nothing(db, shop):
    alice, users = shop
    flow_id = flow_to_offers(db, users["alice"], "too_expensive")
    bob_flow = flow_to_offers(db, users["bob"], "not_using")
    start = snapshot(db, alice, flow_id)
    for key in ("custom", "nope", "", "custom_plan"):  # the custom plan has its configurator
        with pytest.raises(OfferNotAvailable):
            offers.accept(db, users["alice"], flow_id, key, now=NOW)
    with pytest.raises(NotAuthorized):  # another customer's flow
        offers.accept(db, users["alice"], bob_flow, "pause2", now=NOW)
    assert snapshot(db, alice, flow_id) == start

    # the plan changed since step 2 showed the downgrade: Starter is no longer cheaper
    with db.transaction() as s:
        starter = s.scalar(select(Plan).where(Plan.code == "starter"))
        s.execute(
            update(Subscription)
            .where(Subscription.account_id == alice.account_id)
            .values(plan_id=starter.id, price_cents=9800)
        )
    start = snapshot(db, alice, flow_id)
    with pytest.raises(InvalidInput) as refused:
        offers.accept(db, users["alice"], flow_id, "starter", now=NOW)
    assert refused.value.key == "offers.error.not_cheaper"
    assert snapshot(db, alice, flow_id) == start

    # a pause taken meanwhile elsewhere (the cooldown), or already on the subscription
    with db.transaction() as s:
        s.add(
            CancellationFlow(
                id="00000000-0000-0000-0000-000000000001",
                account_id=alice.account_id,
                started_at=NOW - dt.timedelta(days=40),
                finished_at=NOW - dt.timedelta(days=40),
                outcome="saved_offer",
                offer_kind="discount",
                plan_code="growth",
                country="IT",
                tenure_band="<6m",
            )
        )
    set_sub(db, alice.account_id, pause_cycles=1, paused_until=dt.date(2027, 1, 10))
    start = snapshot(db, alice, flow_id)
    for key in ("off30", "pause2"):
        with pytest.raises(OfferNotAvailable):
            offers.accept(db, users["alice"], flow_id, key, now=NOW)
    assert snapshot(db, alice, flow_id) == start

    # a flow that is over
    cancellation.keep(db, users["alice"], flow_id, now=NOW)
    set_sub(db, alice.account_id, pause_cycles=None, paused_until=None)
    with pytest.raises(FlowClosed):
        offers.accept(db, users["alice"], flow_id, "starter", now=NOW)
    assert offers.accepted(db, users["alice"], flow_id) is None


def test_a_custom_plan_request_is_recorded_on_its_own_offer_and_names_its_kind(db, shop):
    _, users = shop
    flow_id = flow_to_offers(db, users["bob"], "not_using")
    cancellation.open_configurator(db, users["bob"], flow_id, now=NOW)
    custom_plan.request_plan(db, users["bob"], flow_id, PlanConfig(), now=NOW)
    with db.transaction() as s:
        by_kind = {
            r.kind: r
            for r in s.scalars(select(RetentionOffer).where(RetentionOffer.flow_id == flow_id))
        }
        assert len(by_kind) == 2
        assert by_kind["custom_plan"].requested_at is not None
        assert by_kind["custom_plan"].opened_at is not None
        assert by_kind["pause"].opened_at is None and by_kind["pause"].requested_at is None
        flow = s.get(CancellationFlow, flow_id)
        assert (flow.outcome, flow.offer_kind, flow.offer) == (
            "saved_offer",
            "custom_plan",
            "requested",
        )


# --- the account overview --------------------------------------------------------------------


def overview(db, user):
    return accounts.overview(db, user)


def test_the_overview_shows_the_offers_the_subscription_carries(db, shop):
    alice, users = shop
    plain = overview(db, users["alice"])
    assert (plain.pause_starts_on, plain.paused_until, plain.discount_percent) == (None, None, None)
    assert (plain.next_plan_code, plain.next_invoice_cents) == (None, 24900)

    flow_id = flow_to_offers(db, users["alice"], "too_expensive")
    offers.accept(db, users["alice"], flow_id, "pause2", now=NOW)
    pending = overview(db, users["alice"])
    assert (pending.pause_starts_on, pending.paused_until, pending.pause_cycles) == (
        PERIOD_END,
        dt.date(2027, 2, 10),
        2,
    )
    assert pending.next_renewal == dt.date(2027, 2, 10)  # no invoice before the pause ends
    assert pending.next_invoice_cents == 24900
    data = pending.as_json()
    assert (data["pause_starts_on"], data["paused_until"]) == ("2026-12-10", "2027-02-10")

    # the lifecycle has started the pause: read-only, no invoice while paused
    set_sub(
        db,
        alice.account_id,
        status="paused",
        current_period_start=PERIOD_END,
        current_period_end=dt.date(2027, 2, 10),
    )
    paused = overview(db, users["alice"])
    assert (paused.status, paused.pause_starts_on, paused.paused_until) == (
        "paused",
        PERIOD_END,
        dt.date(2027, 2, 10),
    )
    assert paused.next_invoice_cents is None

    set_sub(
        db,
        alice.account_id,
        status="active",
        current_period_start=dt.date(2026, 11, 10),
        current_period_end=PERIOD_END,
        pause_cycles=None,
        paused_until=None,
        discount_percent=30,
        discount_cycles_left=2,
        next_plan_code="starter",
    )
    both = overview(db, users["alice"])
    assert (both.discount_percent, both.discount_cycles_left) == (30, 2)
    assert (both.next_plan_code, both.next_plan_name) == ("starter", "Starter")
    assert both.next_invoice_cents == 6860  # Starter's $98, 30% off
    assert both.as_json()["next_invoice_cents"] == 6860


# --- ending a pause early --------------------------------------------------------------------


def test_resume_now_drops_a_pause_still_to_come(db, shop):
    alice, users = shop
    flow_id = flow_to_offers(db, users["alice"], "not_using")
    offers.accept(db, users["alice"], flow_id, "pause2", now=NOW)
    bills = invoices(db, alice.account_id)
    offers.resume_now(db, users["alice"], now=NOW + dt.timedelta(days=1))
    state = sub_state(db, alice.account_id)
    assert (state["status"], state["pause_cycles"], state["paused_until"]) == ("active", None, None)
    assert state["current_period_end"] == PERIOD_END  # renews as before
    assert invoices(db, alice.account_id) == bills
    assert audit_actions(db, alice.account_id)[-1][0] == "subscription_unpaused"
    offers.resume_now(db, users["alice"], now=NOW + dt.timedelta(days=1))  # again: nothing
    assert len(audit_actions(db, alice.account_id)) == 2


def paused_after_a_pause(db, alice, users, **values) -> str:
    """Alice took the two-cycle pause, and the lifecycle has started it (`values`: more of
    the subscription's columns). Returns the flow that took it."""
    flow_id = flow_to_offers(db, users["alice"], "not_using")
    offers.accept(db, users["alice"], flow_id, "pause2", now=NOW)
    set_sub(
        db,
        alice.account_id,
        status="paused",
        current_period_start=PERIOD_END,
        current_period_end=dt.date(2027, 2, 10),
        **values,
    )
    return flow_id


def test_resume_now_ends_a_running_pause_with_a_new_cycle_and_its_invoice(db, shop):
    alice, users = shop
    flow_id = paused_after_a_pause(db, alice, users, discount_percent=50, discount_cycles_left=1)
    today = dt.datetime(2027, 1, 5, 9, 0, tzinfo=dt.UTC)
    offers.resume_now(db, users["alice"], now=today)
    state = sub_state(db, alice.account_id)
    assert (state["status"], state["paused_until"], state["pause_cycles"]) == ("active", None, None)
    assert (state["current_period_start"], state["current_period_end"]) == (
        dt.date(2027, 1, 5),
        dt.date(2027, 2, 5),
    )
    assert invoices(db, alice.account_id)[-1] == (
        f"INV-20270105-{alice.account_id:06d}",
        dt.date(2027, 1, 5),
        dt.date(2027, 2, 5),
        12450,  # the discount's last invoice
    )
    assert (state["discount_percent"], state["discount_cycles_left"]) == (None, None)
    assert flow_row(db, flow_id).paid_cycles_after == 1
    assert overview(db, users["alice"]).next_invoice_cents == 24900


# --- cancelling with a pause -----------------------------------------------------------------


def test_a_cancellation_while_a_pause_is_pending_drops_the_pause(db, shop):
    alice, users = shop
    first = flow_to_offers(db, users["alice"], "not_using")
    offers.accept(db, users["alice"], first, "pause2", now=NOW)
    flow_id = flow_to_offers(db, users["alice"], "other", now=NOW + dt.timedelta(hours=1))
    cancellation.go_on(db, users["alice"], flow_id, now=NOW + dt.timedelta(hours=1))
    done = cancellation.confirm(
        db, users["alice"], flow_id, ALL_CONSENTS, now=NOW + dt.timedelta(hours=1)
    )
    assert done.dates.effective_on == PERIOD_END
    state = sub_state(db, alice.account_id)
    assert (state["status"], state["pause_cycles"], state["paused_until"]) == (
        "cancellation_scheduled",
        None,
        None,
    )
    ending = overview(db, users["alice"])
    assert (ending.pause_starts_on, ending.paused_until, ending.next_invoice_cents) == (
        None,
        None,
        None,
    )


def test_a_paused_subscription_can_be_cancelled_and_ends_when_the_pause_would(db, shop):
    alice, users = shop
    paused_after_a_pause(db, alice, users)
    later = dt.datetime(2026, 12, 20, 9, 0, tzinfo=dt.UTC)
    flow_id = flow_to_offers(db, users["alice"], "too_expensive", now=later)
    assert "pause" not in [r[0] for r in rows(db, flow_id)]
    assert "custom_plan" not in [r[0] for r in rows(db, flow_id)]
    cancellation.go_on(db, users["alice"], flow_id, now=later)
    done = cancellation.confirm(db, users["alice"], flow_id, ALL_CONSENTS, now=later)
    assert done.dates.effective_on == dt.date(2027, 2, 10)
    assert sub_state(db, alice.account_id)["status"] == "cancellation_scheduled"


def test_a_cancellation_made_during_a_pause_and_taken_back_leaves_the_pause_running(db, shop):
    """Resuming the cancellation (or support undoing it) goes back to the pause, not to a free
    active account: the pause ends on its day, and then the lifecycle bills again."""
    from core.jobs import lifecycle
    from core.retention import way_back

    alice, users = shop
    first = flow_to_offers(db, users["alice"], "not_using")
    offers.accept(db, users["alice"], first, "pause2", now=NOW)
    lifecycle.run(db, PERIOD_END, now=dt.datetime.combine(PERIOD_END, dt.time(6), dt.UTC))
    assert sub_state(db, alice.account_id)["status"] == "paused"
    later = dt.datetime(2026, 12, 20, 9, 0, tzinfo=dt.UTC)
    flow_id = flow_to_offers(db, users["alice"], "too_expensive", now=later)
    cancellation.go_on(db, users["alice"], flow_id, now=later)
    cancellation.confirm(db, users["alice"], flow_id, ALL_CONSENTS, now=later)
    assert sub_state(db, alice.account_id)["status"] == "cancellation_scheduled"

    back = way_back.resume(db, users["alice"], now=later + dt.timedelta(days=1))
    assert back.changed and back.renews_on == dt.date(2027, 2, 10)
    state = sub_state(db, alice.account_id)
    assert (state["status"], state["paused_until"]) == ("paused", dt.date(2027, 2, 10))
    assert not way_back.resume(db, users["alice"], now=later + dt.timedelta(days=2)).changed
    before = invoices(db, alice.account_id)
    resume_day = dt.datetime(2027, 2, 10, 6, 0, tzinfo=dt.UTC)
    lifecycle.run(db, resume_day.date(), now=resume_day)
    assert sub_state(db, alice.account_id)["status"] == "active"
    new = [i[1:3] for i in invoices(db, alice.account_id) if i not in before]
    assert new == [(dt.date(2027, 2, 10), dt.date(2027, 3, 10))]  # billed again from its day


def test_terms_are_pure_and_match_the_stored_ones():
    offer = Offer("p", "pause", cycles=3)
    terms = offers.terms_for(
        offer,
        period_end=dt.date(2026, 1, 31),
        billing_interval="year",
        price_cents=249000,
        currency="USD",
    )
    assert (terms.starts_on, terms.resumes_on) == (dt.date(2026, 1, 31), dt.date(2029, 1, 31))
    assert offers.OfferTerms.from_json(terms.as_json()) == terms
    down = offers.terms_for(
        Offer("d", "downgrade", plan_code="starter"),
        period_end=dt.date(2026, 1, 31),
        billing_interval="year",
        price_cents=249000,
        currency="USD",
    )
    assert (down.plan_name, down.new_price_cents) == ("Starter", 98000)
    assert dataclasses.replace(down, plan_name="x") != down


def test_the_command_line_shows_the_pause_and_its_resume_date(sqlite_db):
    db = sqlite_db
    _, users = factories.shop(db, now=NOW, start=START)
    publish(db)
    flow_id = flow_to_offers(db, users["alice"], "not_using")
    offers.accept(db, users["alice"], flow_id, "pause2", now=NOW)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PORTAL_")}
    url = db.engine.url.render_as_string(hide_password=False)
    shown = subprocess.run(
        [
            *(sys.executable, "-m", "core", "--database-url", url),
            *("account", "show", "--email", "alice@example.com", "--json"),
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert shown.returncode == 0, shown.stderr
    data = json.loads(shown.stdout)
    assert (data["status"], data["pause_starts_on"], data["paused_until"]) == (
        "active",
        "2026-12-10",
        "2027-02-10",
    )
    assert (data["pause_cycles"], data["next_invoice_cents"], data["next_renewal"]) == (
        2,
        24900,
        "2027-02-10",
    )
    for name in ("discount_percent", "discount_cycles_left", "next_plan_code", "next_plan_name"):
        assert data[name] is None


def test_no_custom_plan_request_while_paused(db, shop):
    alice, users = shop
    set_sub(
        db,
        alice.account_id,
        status="paused",
        current_period_start=PERIOD_END,
        current_period_end=dt.date(2027, 2, 10),
        paused_until=dt.date(2027, 2, 10),
    )
    with pytest.raises(InvalidInput) as refused:
        custom_plan.ask_for_plan(db, users["alice"], PlanConfig(), now=NOW)
    assert refused.value.key == "offers.error.paused"
    assert refused.value.params == {"date": dt.date(2027, 2, 10)}
    assert custom_plan.open_plan_request(db, users["alice"]) is None


def test_during_an_experiment_each_flow_records_its_variant_and_sees_its_version(db):
    _, users = factories.shop(db, now=NOW, start=START, with_bob=True)
    boss = users["boss"]
    earlier = NOW - dt.timedelta(days=2)
    playbook.save_draft(db, boss, PLAYBOOK, now=earlier)
    playbook.publish(db, boss, 1, now=earlier)
    pauses = Playbook(offers=PLAYBOOK.offers[:1], rules=(Rule(ANY, ("pause2",)),))
    playbook.save_draft(db, boss, pauses, now=earlier)
    playbook.publish(db, boss, 2, now=earlier)
    split = (experiments.Variant("A", 1, 50), experiments.Variant("B", 2, 50))
    made = experiments.create(db, boss, "pause or custom", split, now=earlier)
    experiments.start(db, boss, made.id, now=earlier)

    for who in ("alice", "bob"):
        flow_id = flow_to_offers(db, users[who], "not_using")
        variant = variant_for(made.id, users[who].account_id, [("A", 50), ("B", 50)])
        flow = flow_row(db, flow_id)
        assert (flow.variant, flow.playbook_version) == (variant, 1 if variant == "A" else 2)
        wanted = ["pause2", "custom"] if variant == "A" else ["pause2"]
        assert [r[1] for r in rows(db, flow_id)] == wanted
        assert [o.key for o in offers.shown(db, users[who], flow_id, now=NOW)] == wanted
