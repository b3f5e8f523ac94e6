"""A leaving customer's offers under AppTest, in English and Italian: the playbook's offer for
the reason they gave on step 2 with its computed terms, taking a pause (the done screen with its
dates, confirmation number and receipt), the overview of a pending and of a running pause with
"Resume now", a discount on the overview, and the demo clock's report of a pause."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from core.customers import accounts
from core.jobs import pauses
from core.platform import i18n
from core.platform.i18n import fmt_date, fmt_money
from core.platform.models import CancellationFlow, Invoice, Subscription
from core.rules import billing
from core.rules.offers import Offer, Playbook, Rule, discounted_cents
from core.rules.vocabulary import ANY
from tests.support import factories
from tests.support.pages import NOW, TODAY, open_as, visible_text
from tests.support.retention_pages import TOO_EXPENSIVE, at_step_two, publish

PAUSE_LABEL = {"en": "Pause for 2 months", "it": "Sospendi per 2 mesi"}
DISCOUNT_LABEL = {"en": "Take 30% off", "it": "Ottieni 30% di sconto"}


def period_end(db) -> dt.date:
    return accounts.overview_by_email(db, "alice@example.com").period_end


def subscription(db, account_id: int) -> Subscription:
    with db.transaction() as s:
        return s.scalar(select(Subscription).where(Subscription.account_id == account_id))


def invoices(db, account_id: int) -> int:
    with db.transaction() as s:
        return s.scalar(
            select(func.count()).select_from(Invoice).where(Invoice.account_id == account_id)
        )


def take(at, key: str):
    at.button(key=f"offer_accept_{key}").click().run()
    assert not at.exception, at.exception
    return at


@pytest.mark.parametrize("lang", ["en", "it"])
def test_too_expensive_shows_the_playbooks_offers_with_their_terms(site, lang):
    db, _ = site
    publish(db, TOO_EXPENSIVE)
    at, _ = at_step_two(lang, "too_expensive")
    end = period_end(db)
    text = visible_text(at)
    assert at.subheader[0].value == i18n.t("decide.title", lang)
    assert ("Prenditi una pausa" if lang == "it" else "Take a break") in text
    # the pause: from the end of this cycle, two monthly cycles
    resume = billing.add_months(end, 2)
    assert i18n.t("retention_offer.terms.pause", lang, start=end, resume=resume) in text
    assert fmt_date(resume, lang) in text
    # the discount: 30% off the next three invoices, with both amounts
    assert fmt_money(discounted_cents(24900, 30), "USD", lang) in text
    assert fmt_money(24900, "USD", lang) in text
    labels = [b.label for b in at.button]
    keep, go = i18n.t("decide.keep", lang), i18n.t("decide.continue", lang)
    # keep on the left, continue on the right, the offers below them, in the playbook's order
    assert labels.index(keep) < labels.index(go) < labels.index(PAUSE_LABEL[lang])
    assert labels.index(PAUSE_LABEL[lang]) < labels.index(DISCOUNT_LABEL[lang])
    if lang == "en":
        assert (
            f"Your subscription pauses on {fmt_date(end, 'en')}, when this billing cycle ends, "
            f"and resumes by itself on {fmt_date(resume, 'en')}."
        ) in text


def test_another_reason_gets_the_rule_for_everyone(site):
    db, _ = site
    publish(db, TOO_EXPENSIVE)
    at, _ = at_step_two("en", "missing_features")
    labels = [b.label for b in at.button]
    assert PAUSE_LABEL["en"] not in labels
    assert "Customise your plan" in visible_text(at)
    assert at.toggle(key="configure").label == i18n.t("offer.configure", "en")


@pytest.mark.parametrize("lang", ["en", "it"])
def test_taking_a_pause_ends_the_flow_with_its_dates_and_a_receipt(site, lang):
    db, made = site
    publish(db, TOO_EXPENSIVE)
    end = period_end(db)
    at, flow_id = at_step_two(lang, "too_expensive")
    take(at, "pause2")
    text = visible_text(at)
    resume = billing.add_months(end, 2)
    assert i18n.t("retention_offer.done.title", lang) in text
    assert i18n.t("retention_offer.terms.pause", lang, start=end, resume=resume) in text
    with db.transaction() as s:
        flow = s.get(CancellationFlow, flow_id)
        number, outcome, kind = flow.confirmation_number, flow.outcome, flow.offer_kind
    assert (outcome, kind) == ("saved_offer", "pause")
    shown = {m.label: m.value for m in at.metric}
    assert shown[i18n.t("cancel.confirmation", lang)] == number
    assert shown[i18n.t("retention_offer.done.from", lang)] == fmt_date(end, lang)
    [receipt] = at.get("download_button")
    assert receipt.proto.label == i18n.t("retention_offer.done.receipt", lang)
    assert at.session_state["offer_receipt_pdf"][1].startswith(b"%PDF")
    assert i18n.t("retention_offer.done.back", lang) in [p.label for p in at.page_link]
    sub = subscription(db, made.account_id)
    assert (sub.status, sub.pause_cycles) == ("active", 2)
    # a rerun (the download's click) keeps the done screen
    at.run()
    assert i18n.t("retention_offer.done.title", lang) in visible_text(at)


def test_the_overview_shows_a_pending_pause_and_cancel_the_pause_drops_it(site):
    db, made = site
    publish(db, TOO_EXPENSIVE)
    end = period_end(db)
    at, _ = at_step_two("en", "too_expensive")
    take(at, "pause2")
    at = open_as("alice", "en")
    resume = billing.add_months(end, 2)
    text = visible_text(at)
    assert i18n.t("retention_offer.pause_pending", "en", start=end, resume=resume) in text
    at.button(key="ov_pause_ask").click().run()
    assert i18n.t("retention_offer.cancel_pause.prompt", "en", date=end) in visible_text(at)
    at.button(key="ov_pause_yes").click().run()
    assert not at.exception, at.exception
    assert i18n.t("retention_offer.cancel_pause.done", "en", date=end) in visible_text(at)
    sub = subscription(db, made.account_id)
    assert (sub.pause_cycles, sub.paused_until) == (None, None)
    assert i18n.t("retention_offer.pause_pending", "en", start=end, resume=resume) not in (
        visible_text(at)
    )


@pytest.mark.parametrize("lang", ["en", "it"])
def test_a_paused_account_shows_its_resume_date_and_resume_now_works(site, lang):
    db, made = site
    publish(db, TOO_EXPENSIVE)
    end = period_end(db)
    at, _ = at_step_two(lang, "too_expensive")
    take(at, "pause2")
    sub_id = subscription(db, made.account_id).id
    assert pauses.start(db, sub_id, end, NOW) == made.account_id  # the lifecycle, at the cycle end
    resume = billing.add_months(end, 2)
    before = invoices(db, made.account_id)

    at = open_as("alice", lang)
    text = visible_text(at)
    assert i18n.t("status.paused", lang, date=resume) in text
    assert fmt_date(resume, lang) in text
    assert i18n.t("retention_offer.paused.read_only", lang) in text
    assert i18n.t("retention_offer.paused.no_plan", lang) in text  # no configurator while paused
    assert at.button(key="ov_pause_ask").label == i18n.t("retention_offer.resume.button", lang)
    at.button(key="ov_pause_ask").click().run()
    assert i18n.t("retention_offer.resume.prompt", lang) in visible_text(at)
    at.button(key="ov_pause_yes").click().run()
    assert not at.exception, at.exception
    sub = subscription(db, made.account_id)
    assert sub.status == "active" and sub.paused_until is None
    assert sub.current_period_start == TODAY
    assert invoices(db, made.account_id) == before + 1  # a new cycle starts today, its invoice
    text = visible_text(at)
    new_end = billing.add_months(TODAY, 1)
    assert i18n.t("retention_offer.resume.done", lang, date=new_end) in text
    assert i18n.t("status.active", lang, date=new_end) in text


def test_a_discount_shows_on_the_overview_with_the_next_invoice(site):
    db, _ = site
    publish(db, TOO_EXPENSIVE)
    end = period_end(db)
    at, _ = at_step_two("en", "too_expensive")
    take(at, "thirty")
    assert "30% off your next 3 invoices" in visible_text(at)
    at = open_as("alice", "en")
    text = visible_text(at)
    assert "30% off your next 3 invoices." in text
    amount = fmt_money(discounted_cents(24900, 30), "USD", "en")
    assert i18n.t("retention_offer.next_invoice", "en", date=end, amount=amount) in text


@pytest.mark.parametrize("lang", ["en", "it"])
def test_the_demo_clock_reports_the_pause_it_starts(site, monkeypatch, lang):
    db, _ = site
    publish(db, TOO_EXPENSIVE)
    end = period_end(db)
    at, _ = at_step_two("en", "too_expensive")
    take(at, "pause2")
    monkeypatch.setenv("PORTAL_DEMO_MODE", "1")
    desk = open_as("boss", lang, "support")
    resume = billing.add_months(end, 2)
    assert i18n.t(
        "desk.clock.pause_taken", lang, company="Lumière Srl", start=end, resume=resume
    ) in visible_text(desk)
    desk.date_input(key="demo_as_of").set_value(end)
    [run] = [b for b in desk.button if b.label == i18n.t("demo.run", lang)]
    run.click().run()
    assert not desk.exception, desk.exception
    [done] = [s.value for s in desk.success]
    paused = {"en": "1 subscription paused", "it": "1 abbonamento sospeso"}[lang]
    assert paused in done


@pytest.mark.parametrize("lang", ["en", "it"])
def test_a_cheaper_plan_taken_shows_its_plan_and_date(site, lang):
    db, _ = site
    factories.plan(db, "starter", 9800)
    cheaper = Offer(
        key="cheaper",
        kind="downgrade",
        plan_code="starter",
        title={"en": "Pay less", "it": "Paga meno"},
        body={"en": "", "it": ""},
    )
    publish(db, Playbook(offers=(cheaper,), rules=(Rule(ANY, ("cheaper",)),)))
    end = period_end(db)
    at, _ = at_step_two(lang, None)  # no reason given: the rule for any reason
    label = {"en": "Switch to Starter", "it": "Passa a Starter"}[lang]
    assert label in [b.label for b in at.button]
    sentence = {
        "en": f"Starter from {fmt_date(end, 'en')} at $98.00 a month instead of $249.00.",
        "it": f"Starter dal {fmt_date(end, 'it')} a 98,00\xa0USD al mese invece di 249,00\xa0USD.",
    }[lang]
    assert sentence in visible_text(at)
    take(at, "cheaper")
    assert sentence in visible_text(at)
    at = open_as("alice", lang)
    assert i18n.t("retention_offer.downgrade_line", lang, plan="Starter", date=end) in (
        visible_text(at)
    )
