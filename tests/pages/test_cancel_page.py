"""The cancellation page under AppTest, step by step (the survey pop-up itself is driven in
Chromium: AppTest cannot click inside a dialog), in English and Italian."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from core.customers import accounts
from core.platform import i18n
from core.platform.i18n import fmt_date
from core.platform.models import FlowStep, Subscription
from core.retention import cancellation, custom_plan, records
from tests.support.pages import assert_no_raw_keys, open_app, open_page, visible_text

CANCEL = "cancel"


def on_cancel_page(lang: str, email: str = "alice@example.com"):

    at = open_app(lang, as_user=email)
    open_page(at, CANCEL).run()
    assert not at.exception, at.exception
    return at


def button(at, key):
    return at.button(key=key)


def period_end(db) -> dt.date:
    return accounts.overview_by_email(db, "alice@example.com").period_end


@pytest.mark.parametrize("lang", ["en", "it"])
def test_before_step_one_the_page_says_what_happens_and_when(site, lang):
    db, _ = site
    at = on_cancel_page(lang)
    end = period_end(db)
    dates = records.dates_for(end)
    text = visible_text(at)
    assert at.title[0].value == i18n.t("cancel.title", lang)
    for day in (dates.effective_on, dates.data_deleted_on, dates.reactivate_until):
        assert fmt_date(day, lang) in text
    assert i18n.t("cancel.save_first", lang) in [p.label for p in at.page_link]
    assert i18n.fmt_money(9800, "USD", lang) in text
    assert button(at, "start").label == i18n.t("cancel.start", lang)
    assert_no_raw_keys(at)


@pytest.mark.parametrize("lang", ["en", "it"])
def test_the_steps_to_a_scheduled_cancellation(site, lang):
    db, made = site
    at = on_cancel_page(lang)
    button(at, "start").click().run()
    # step 1: the survey, with skip always there
    assert at.subheader[0].value == i18n.t("survey.title", lang)
    button(at, "survey_skip_inline").click().run()
    # step 2: keep on the left, continue and cancel on the right
    labels = [b.label for b in at.button]
    assert labels.index(i18n.t("decide.keep", lang)) < labels.index(i18n.t("decide.continue", lang))
    assert i18n.t("offer.title", lang) in visible_text(at)
    button(at, "continue").click().run()
    # step 3: four boxes; the button stays disabled until all four are ticked
    assert at.subheader[0].value == i18n.t("consent.title", lang)
    end = period_end(db)
    dates = records.dates_for(end)
    assert i18n.t(
        "consent.when",
        lang,
        end=dates.effective_on,
        deleted=dates.data_deleted_on,
        reactivate=dates.reactivate_until,
    ) in visible_text(at)
    boxes = at.checkbox
    assert len(boxes) == 4
    for box in boxes[:3]:
        box.check()
    at.run()
    assert button(at, "confirm").disabled
    at.checkbox[3].check().run()
    assert not button(at, "confirm").disabled
    button(at, "confirm").click().run()
    # step 4: done: scheduled for the date (the same words as later), with the dates, the
    # receipt, the resume button and the contact form
    assert not at.exception, at.exception
    assert "complet" not in visible_text(at).lower()  # scheduled for a date, not "complete"
    scheduled = i18n.t("cancel.already_scheduled", lang, date=end)
    assert [s.value for s in at.success] == [f"{i18n.t('cancel.done_title', lang)} {scheduled}"]
    assert button(at, "resume").label == i18n.t("journey.resume.button", lang)
    number = next(m.value for m in at.metric if m.label == i18n.t("cancel.confirmation", lang))
    assert number.startswith("CX-")
    assert fmt_date(end, lang) in [m.value for m in at.metric]
    assert i18n.t("cancel.contact_send", lang) in [b.label for b in at.button]
    assert_no_raw_keys(at)
    with db.transaction() as s:
        status = s.scalar(
            select(Subscription.status).where(Subscription.account_id == made.account_id)
        )
    assert status == "cancellation_scheduled"
    # coming back later shows the scheduled cancellation instead of a new flow
    again = on_cancel_page(lang)
    assert i18n.t("cancel.already_scheduled", lang, date=end) in visible_text(again)
    assert "start" not in [b.key for b in again.button]


def test_keep_my_subscription_ends_the_flow_saved(site):
    db, _ = site
    at = on_cancel_page("en")
    button(at, "start").click().run()
    button(at, "survey_skip_inline").click().run()
    button(at, "keep").click().run()
    assert i18n.t("cancel.kept", "en") in visible_text(at)
    with db.transaction() as s:
        assert list(s.scalars(select(FlowStep.step).order_by(FlowStep.id)))[-1] == "kept"


def test_the_configurator_prices_and_requests_a_custom_plan(site):
    db, _ = site
    at = on_cancel_page("it")
    button(at, "start").click().run()
    button(at, "survey_skip_inline").click().run()
    at.toggle(key="configure").set_value(True).run()
    price = next(m for m in at.metric if m.label == i18n.t("offer.price", "it"))
    assert price.value == i18n.t("offer.per_month", "it", price=i18n.fmt_money(9800, "USD", "it"))
    at.number_input(key="plan_seats").set_value(3)
    button(at, "plan_update").click().run()
    price = next(m for m in at.metric if m.label == i18n.t("offer.price", "it"))
    assert price.value == i18n.t("offer.per_month", "it", price=i18n.fmt_money(12800, "USD", "it"))
    button(at, "plan_request").click().run()
    assert not at.exception, at.exception
    number = custom_plan.open_plan_request(db, at.session_state["ctx"].user).number
    assert i18n.t("journey.plan.sent", "it", number=number) in visible_text(at)
    with db.transaction() as s:
        steps = list(s.scalars(select(FlowStep.step).order_by(FlowStep.id)))
    assert steps[-2:] == ["configurator_opened", "plan_requested"]


def test_an_ended_customer_sees_only_the_ended_page(site):
    db, _ = site
    from core.jobs import lifecycle

    user = open_app("en", as_user="alice@example.com").session_state["ctx"].user
    flow = cancellation.start(db, user)
    cancellation.go_on(db, user, flow.flow_id)
    cancellation.confirm(db, user, flow.flow_id, cancellation.ALL_CONSENTS)
    lifecycle.run(db, period_end(db))
    at = open_app("en", as_user="alice@example.com")
    assert at.title[0].value == i18n.t("ended.title", "en")
    text = visible_text(at)
    assert i18n.t("overview.invoices", "en") not in text  # no overview, no resume, no cancel
    assert i18n.t("journey.resume.button", "en") not in text
    for page in ("cancel", "overview"):  # (Export data stays open for its read-only window)
        open_page(at, page).run()  # the URL of a screen this account may no longer open
        assert at.title[0].value == i18n.t("ended.title", "en"), page
        assert i18n.t("journey.resume.button", "en") not in visible_text(at)


@pytest.mark.parametrize("lang", ["en", "it"])
def test_the_overview_shows_a_scheduled_cancellation_with_its_dates(site, lang):
    db, _ = site
    user = open_app(lang, as_user="alice@example.com").session_state["ctx"].user
    flow = cancellation.start(db, user)
    cancellation.go_on(db, user, flow.flow_id)
    cancellation.confirm(db, user, flow.flow_id, cancellation.ALL_CONSENTS)
    dates = records.dates_for(period_end(db))
    at = open_app(lang, as_user="alice@example.com")
    expected = i18n.t(
        "status.scheduled",
        lang,
        date=dates.effective_on,
        deleted=dates.data_deleted_on,
    )
    assert [w.value for w in at.warning] == [expected]
    assert i18n.t("overview.no_renewal", lang) in [m.value for m in at.metric]
