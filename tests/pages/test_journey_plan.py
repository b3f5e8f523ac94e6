"""The custom plan, one path: the configurator prices exactly what it shows, refuses what the
plan cannot hold before anything is sent, starts from the customer's usage, and records what
the customer saw; one open request per account, with its number, from the cancellation flow
or from the overview."""

from __future__ import annotations

import json
import threading

import pytest
from sqlalchemy import func, select

from core import support_desk
from core.customers import customer_desk
from core.platform import i18n
from core.platform.errors import InvalidInput
from core.platform.models import RetentionOffer, SupportRequest, User
from core.retention import cancellation, custom_plan
from core.rules import pricing
from core.rules.pricing import PlanConfig
from tests.support import factories
from tests.support.env import NOW
from tests.support.pages import assert_no_raw_keys, open_app, open_page, visible_text


@pytest.fixture
def shop(db):
    return factories.shop(db, now=NOW)


def add_user(db, account_id, email):
    with db.transaction() as s:
        s.add(
            User(
                account_id=account_id,
                email=email,
                full_name="Second",
                password_hash="x",
                role="customer",
                created_at=NOW,
            )
        )


def requests(db):
    with db.transaction() as s:
        return s.scalars(select(SupportRequest).order_by(SupportRequest.id)).all()


def test_the_price_is_the_base_plus_whole_steps_and_impossible_sizes_are_refused():
    assert pricing.price_custom_plan(PlanConfig()) == 9800
    assert pricing.price_custom_plan(PlanConfig(searches=150)) == 9800 + 600
    assert pricing.price_custom_plan(PlanConfig(seats=3)) == 9800 + 2 * 1500
    for bad in (PlanConfig(seats=0), PlanConfig(searches=99999), PlanConfig(campaigns=-1)):
        with pytest.raises(InvalidInput):
            custom_plan.validate_plan(bad)
    problems = pricing.plan_problems(PlanConfig(searches=99999, seats=1), seats_in_use=2)
    assert [(p.name, p.least, p.most) for p in problems] == [
        ("searches", 0, 5000),
        ("seats", 2, 25),
    ]


def test_the_configurator_starts_from_the_usage(db, shop):
    alice, users = shop
    add_user(db, alice.account_id, "second@example.com")
    start = custom_plan.plan_start(db, users["alice"])
    assert start.seats_in_use == 2
    assert start.config.seats == 2  # not 1 for a customer using 2 seats
    assert start.config.searches == 100 and start.config.campaigns == 2


def test_fewer_seats_than_users_are_refused_and_nothing_is_sent(db, shop):
    alice, users = shop
    add_user(db, alice.account_id, "second@example.com")
    with pytest.raises(InvalidInput) as err:
        custom_plan.ask_for_plan(db, users["alice"], PlanConfig(seats=1), now=NOW)
    assert err.value.params == {"least": 2, "most": 25}
    assert requests(db) == []


def test_from_the_overview_one_open_request_with_its_number(db, shop):
    _alice, users = shop
    config = PlanConfig(searches=300, unlocks=100, seats=2, campaigns=3)
    made = custom_plan.ask_for_plan(db, users["alice"], config, now=NOW)
    assert not made.existing and made.config == config
    assert made.monthly_price_cents == pricing.price_custom_plan(config)
    again = custom_plan.ask_for_plan(db, users["alice"], PlanConfig(seats=5), now=NOW)
    assert again.existing and again.number == made.number and again.config == config
    [row] = requests(db)
    assert (row.id, row.kind, row.flow_id) == (made.number, "custom_plan", None)
    assert json.loads(row.message) == {
        "searches": 300,
        "unlocks": 100,
        "seats": 2,
        "campaigns": 3,
        "monthly_price_cents": made.monthly_price_cents,
    }
    # support sees the configuration and the price, not a blank "requested in the flow" row
    [listed] = support_desk.requests(db, users["boss"], "custom_plan")
    assert listed.monthly_price_cents == made.monthly_price_cents
    assert listed.configuration["seats"] == 2
    # once handled, a new request may be made
    support_desk.mark_handled(db, users["boss"], made.number, now=NOW)
    assert not custom_plan.ask_for_plan(db, users["alice"], PlanConfig(), now=NOW).existing


def test_from_the_flow_a_second_click_returns_the_same_request(db, shop):
    _alice, users = shop
    flow = cancellation.start(db, users["alice"], now=NOW)
    cancellation.answer_survey(db, users["alice"], flow.flow_id, None, now=NOW)
    first = custom_plan.ask_for_plan(
        db, users["alice"], PlanConfig(seats=3), flow_id=flow.flow_id, now=NOW
    )
    second = custom_plan.ask_for_plan(
        db, users["alice"], PlanConfig(seats=3), flow_id=flow.flow_id, now=NOW
    )
    assert second.existing and second.number == first.number
    assert len(requests(db)) == 1
    with db.transaction() as s:
        offer = s.scalar(select(RetentionOffer).where(RetentionOffer.flow_id == flow.flow_id))
        assert offer.monthly_price_cents == 12800
        assert json.loads(offer.configuration)["seats"] == 3


# --- the pages ---------------------------------------------------------------------------------


def to_step_two(lang: str):
    at = open_app(lang, as_user="alice@example.com")
    open_page(at, "cancel").run()
    at.button(key="start").click().run()
    at.button(key="survey_skip_inline").click().run()
    at.toggle(key="configure").set_value(True).run()
    assert not at.exception, at.exception
    return at


def shown_price(at, lang):
    return next(m.value for m in at.metric if m.label == i18n.t("offer.price", lang))


@pytest.mark.parametrize("lang", ["en", "it"])
def test_out_of_range_is_refused_in_the_users_language_and_nothing_is_sent(site, lang):
    db, _made = site
    at = to_step_two(lang)
    at.number_input(key="plan_searches").set_value(99999)
    at.button(key="plan_update").click().run()
    assert at.number_input(key="plan_searches").value == 99999  # what was typed stays
    message = i18n.t(
        "journey.plan.out_of_range",
        lang,
        what=i18n.t("offer.unit.searches", lang),
        least=i18n.fmt_number(0, lang),
        most=i18n.fmt_number(5000, lang),
    )
    assert message in [e.value for e in at.error]
    assert i18n.t("offer.price", lang) not in [m.label for m in at.metric]  # no stale price
    at.button(key="plan_request").click().run()
    assert requests(db) == []
    assert_no_raw_keys(at)


@pytest.mark.parametrize("lang", ["en", "it"])
def test_the_request_records_exactly_what_was_shown(site, lang):
    db, _made = site
    at = to_step_two(lang)
    start_values = {u.name: at.number_input(key=f"plan_{u.name}").value for u in pricing.UNITS}
    assert start_values == {"searches": 100, "unlocks": 50, "seats": 1, "campaigns": 2}
    unit_text = i18n.t(
        "journey.plan.unit.searches",
        lang,
        included=i18n.fmt_number(100, lang),
        step=i18n.fmt_number(100, lang),
        price=i18n.fmt_money(600, "USD", lang),
    )
    assert unit_text in visible_text(at)  # unit prices are on the screen
    typed = {"searches": 450, "unlocks": 120, "seats": 4, "campaigns": 7}
    for name, value in typed.items():
        at.number_input(key=f"plan_{name}").set_value(value)
    # typed and "Request" pressed at once: the price of the new values is shown, nothing sent
    at.button(key="plan_request").click().run()
    assert requests(db) == []
    assert i18n.t("journey.plan.changed", lang, button=i18n.t("offer.request", lang)) in [
        i.value for i in at.info
    ]
    price = pricing.price_custom_plan(PlanConfig(**typed))
    assert price == 9800 + 4 * 600 + 2 * 900 + 3 * 1500 + 5 * 1000
    assert shown_price(at, lang) == i18n.t(
        "offer.per_month", lang, price=i18n.fmt_money(price, "USD", lang)
    )
    at.button(key="plan_request").click().run()
    assert not at.exception, at.exception
    [row] = requests(db)
    assert json.loads(row.message) == {**typed, "monthly_price_cents": price}
    with db.transaction() as s:
        offer = s.scalar(select(RetentionOffer).where(RetentionOffer.flow_id == row.flow_id))
        assert json.loads(offer.configuration) == typed
        assert offer.monthly_price_cents == price
    # the page says what happened and what comes next, with the number, the plan and its price
    text = visible_text(at)
    assert i18n.t("journey.plan.sent", lang, number=row.id) in text
    assert i18n.t("journey.plan.open_title", lang, number=row.id) in text
    assert i18n.fmt_money(price, "USD", lang) in text
    assert i18n.t("journey.plan.still_cancel", lang) in text
    assert_no_raw_keys(at)


def test_the_overview_uses_the_same_configurator_once(site):
    db, made = site
    at = open_app("en", as_user="alice@example.com")
    at.toggle(key="ov_configure").set_value(True).run()
    at.number_input(key="ov_plan_seats").set_value(2)
    at.button(key="ov_plan_update").click().run()
    at.button(key="ov_plan_request").click().run()
    assert not at.exception, at.exception
    [row] = requests(db)
    assert (row.kind, row.flow_id, json.loads(row.message)["seats"]) == ("custom_plan", None, 2)
    text = visible_text(at)
    assert i18n.t("journey.plan.sent", "en", number=row.id) in text
    assert i18n.t("journey.plan.existing", "en", number=row.id) not in text
    assert i18n.t("journey.plan.open_title", "en", number=row.id) in text
    # no second configurator while the request is open; the request is on the list
    assert "ov_configure" not in [t.key for t in at.toggle]
    assert f"**No. {row.id}**" in text
    # the cancellation page shows the open request instead of offering another
    other = to_step_two_without_toggle()
    assert "configure" not in [t.key for t in other.toggle]
    assert i18n.t("journey.plan.open_title", "en", number=row.id) in visible_text(other)
    with db.transaction() as s:
        assert s.scalar(select(func.count()).select_from(SupportRequest)) == 1
    assert made.account_id == row.account_id


def to_step_two_without_toggle():
    at = open_app("en", as_user="alice@example.com")
    open_page(at, "cancel").run()
    at.button(key="start").click().run()
    at.button(key="survey_skip_inline").click().run()
    return at


def test_the_start_values_follow_the_seats_in_use(site):
    db, made = site
    add_user(db, made.account_id, "second@example.com")
    at = open_app("it", as_user="alice@example.com")
    at.toggle(key="ov_configure").set_value(True).run()
    assert at.number_input(key="ov_plan_seats").value == 2
    assert i18n.t("journey.plan.seats_in_use", "it", n=2) in visible_text(at)
    at.number_input(key="ov_plan_seats").set_value(1)
    at.button(key="ov_plan_update").click().run()
    message = i18n.t(
        "journey.plan.out_of_range",
        "it",
        what=i18n.t("offer.unit.seats", "it"),
        least="2",
        most="25",
    )
    assert message in [e.value for e in at.error]


def test_a_second_tab_requesting_is_told_its_request_exists(site):
    db, _made = site
    first = open_app("en", as_user="alice@example.com")
    second = open_app("en", as_user="alice@example.com")
    for at in (first, second):
        at.toggle(key="ov_configure").set_value(True).run()
    first.button(key="ov_plan_request").click().run()
    [row] = requests(db)
    second.button(key="ov_plan_request").click().run()
    assert not second.exception, second.exception
    assert i18n.t("journey.plan.existing", "en", number=row.id) in [i.value for i in second.info]
    assert len(requests(db)) == 1


def test_ten_tabs_asking_at_once_make_one_request(db, shop):
    _alice, users = shop
    results: list[object] = []
    barrier = threading.Barrier(10)

    def click() -> None:
        barrier.wait()
        try:
            results.append(custom_plan.ask_for_plan(db, users["alice"], PlanConfig(seats=2)))
        except Exception as exc:
            results.append(exc)

    threads = [threading.Thread(target=click) for _ in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(isinstance(r, customer_desk.PlanRequest) for r in results), results
    assert len({r.number for r in results}) == 1
    assert sum(not r.existing for r in results) == 1
    assert len(requests(db)) == 1
