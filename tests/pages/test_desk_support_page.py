"""The support desk under Streamlit's AppTest, as an agent uses it: each request, scheduled
cancellation and ended account is a row with its own action (nothing is picked from a list that
starts on another account), the question names the company and the date, the audit log is
searched by company, e-mail, action and dates and reads as words, a purge shows in it, and the
demo clock says what it is and refreshes the lists after a run."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import select

from core import support_desk
from core.identity import auth
from core.jobs import lifecycle
from core.platform import i18n
from core.platform.models import Subscription, SupportRequest
from core.retention import cancellation, records, way_back
from core.retention.cancellation import ALL_CONSENTS
from pages.components.text import md
from tests.support import factories
from tests.support.pages import SUPPORT, TODAY, assert_no_raw_keys, open_as, visible_text


def status(db, account_id: int) -> str:
    with db.transaction() as s:
        return s.scalar(select(Subscription.status).where(Subscription.account_id == account_id))


def show(at, section: str):
    at.segmented_control(key="support_section").set_value(section).run()
    assert not at.exception, at.exception
    return at


def audit_table(at):
    show(at, "audit")
    return next(d.value for d in at.dataframe if "What" in d.value.columns)


def texts(at) -> str:
    return visible_text(at) + "\n" + "\n".join(str(t.value) for t in at.text)


def cancel(db, email: str) -> None:
    user = auth.sign_in(db, email, factories.PASSWORD).user
    flow = cancellation.start(db, user)
    cancellation.go_on(db, user, flow.flow_id)
    cancellation.confirm(db, user, flow.flow_id, ALL_CONSENTS)


def period_end(db, account_id: int) -> dt.date:
    with db.transaction() as s:
        return s.scalar(
            select(Subscription.current_period_end).where(Subscription.account_id == account_id)
        )


@pytest.mark.parametrize("lang", ["en", "it"])
def test_every_list_shows_its_rows_with_the_action_beside_them(shop_site, lang):
    db, made = shop_site
    at = open_as("boss", lang, SUPPORT)
    assert at.title[0].value == i18n.t("support.title", lang)
    # no list to pick an account from, that would start on the first one
    assert at.selectbox.len == 0
    text = texts(at)
    assert "Lumière Srl" in text
    alice = made["alice"].account_id
    end = period_end(db, alice)
    assert at.button(key=f"undo_{alice}_ask").label == i18n.t(
        "desk.undo_for", lang, company="Lumière Srl"
    )
    assert i18n.t("desk.effective", lang, date=end) in text

    show(at, "custom_plan")
    assert "Dave SpA" in texts(at)
    price = i18n.t("offer.per_month", lang, price=i18n.fmt_money(12800, "USD", lang))
    assert md(price) in texts(at)  # a caption: Markdown, escaped

    show(at, "ended")
    carol = made["carol"].account_id
    until = records.dates_for(TODAY - dt.timedelta(days=5)).reactivate_until
    text = texts(at)
    assert i18n.t("desk.until", lang, date=until) in text
    assert "Please bring us back" in text  # the customer's request, in its own row
    request_id = reactivation_request(db, carol)
    # the request's row has the reactivation next to it
    assert at.button(key=f"reactivation_requests_revive_{request_id}_ask").label == i18n.t(
        "desk.reactivate_for", lang, company="Carol Srl"
    )
    assert_no_raw_keys(at)
    if lang == "it":
        assert "su misura" not in text.lower()


def reactivation_request(db, account_id: int) -> int:
    with db.transaction() as s:
        return s.scalar(
            select(SupportRequest.id).where(
                SupportRequest.account_id == account_id, SupportRequest.kind == "reactivation"
            )
        )


def test_each_scheduled_row_undoes_its_own_account_and_names_it(shop_site):
    db, made = shop_site
    erin = factories.customer(
        db, "erin@example.com", 1, now=dt.datetime.now(dt.UTC), company="Erin GmbH"
    )
    cancel(db, "erin@example.com")
    alice = made["alice"].account_id
    at = open_as("boss", "en", SUPPORT)
    # the second row acts on the second account, whatever the order of the list
    at.button(key=f"undo_{erin.account_id}_ask").click().run()
    [prompt] = at.warning
    end = period_end(db, erin.account_id)
    assert prompt.value == i18n.t("support.confirm_undo", "en", company="Erin GmbH", date=end)
    assert status(db, erin.account_id) == "cancellation_scheduled"  # asked only
    at.button(key=f"undo_{erin.account_id}_no").click().run()
    assert not at.warning and status(db, erin.account_id) == "cancellation_scheduled"

    at.button(key=f"undo_{erin.account_id}_ask").click().run()
    at.button(key=f"undo_{erin.account_id}_yes").click().run()
    assert [s.value for s in at.success] == [i18n.t("support.done_undo", "en", company="Erin GmbH")]
    assert status(db, erin.account_id) == "active"
    assert status(db, alice) == "cancellation_scheduled"  # the first row was not touched
    assert not [b for b in at.button if b.key == f"undo_{erin.account_id}_ask"]  # list fresh

    first = audit_table(at).iloc[0]
    assert (first["Who"], first["What"]) == ("boss@example.com", "Cancellation undone")
    assert first["What changed"] == "Status: Cancellation scheduled → Active"
    assert first["Account"] == f"#{erin.account_id} · Erin GmbH"


def test_an_undo_request_is_answered_from_its_row(shop_site):
    db, made = shop_site
    alice = made["alice"].account_id
    user = auth.sign_in(db, "alice@example.com", factories.PASSWORD).user
    request_id = way_back.contact_support(db, user, "Please undo it, we stay")
    at = show(open_as("boss", "it", SUPPORT), "undo")
    assert "Please undo it, we stay" in texts(at)
    key = f"undo_requests_undo_{request_id}"
    at.button(key=f"{key}_ask").click().run()
    end = period_end(db, alice)
    assert at.warning[0].value == i18n.t(
        "support.confirm_undo", "it", company="Lumière Srl", date=end
    )
    assert "l'" in at.warning[0].value or "il " in at.warning[0].value  # the date in a sentence
    at.button(key=f"{key}_yes").click().run()
    assert status(db, alice) == "active"
    with db.transaction() as s:
        assert s.get(SupportRequest, request_id).status == "handled"
    assert i18n.t("support.none_open", "it") in [i.value for i in at.info]


def test_an_action_is_refused_when_the_state_changed_meanwhile(shop_site):
    db, made = shop_site
    alice = made["alice"].account_id
    at = open_as("boss", "it", SUPPORT)
    at.button(key=f"undo_{alice}_ask").click().run()
    boss = auth.sign_in(db, "boss@example.com", factories.PASSWORD).user
    support_desk.undo(db, boss, alice)  # another agent was quicker
    at.button(key=f"undo_{alice}_yes").click().run()
    assert [e.value for e in at.error] == [i18n.t("support.error.not_scheduled", "it")]
    assert not at.success


def test_reactivate_from_the_request_and_mark_handled(shop_site):
    db, made = shop_site
    carol = made["carol"].account_id
    request_id = reactivation_request(db, carol)
    at = show(open_as("boss", "en", SUPPORT), "ended")
    key = f"reactivation_requests_revive_{request_id}"
    at.button(key=f"{key}_ask").click().run()
    until = records.dates_for(TODAY - dt.timedelta(days=5)).reactivate_until
    assert at.warning[0].value == i18n.t(
        "support.confirm_reactivate", "en", company="Carol Srl", until=until, today=TODAY
    )
    at.button(key=f"{key}_yes").click().run()
    assert [s.value for s in at.success] == [
        i18n.t("support.done_reactivate", "en", company="Carol Srl")
    ]
    assert status(db, carol) == "active"
    assert "reactivation: 0" in texts(at)  # the request was answered by the reactivation

    show(at, "custom_plan")
    [button] = [b for b in at.button if b.key and b.key.startswith("plan_requests_handle_")]
    button.click().run()
    at.button(key=button.key.replace("_ask", "_yes")).click().run()
    assert "custom plan: 0" in texts(at)
    at.toggle(key="plan_requests_all").set_value(True).run()
    plan = next(d.value for d in at.dataframe if "Handled by" in d.value.columns)
    assert list(plan["Status"]) == ["Handled"]
    assert next(iter(plan["Handled by"])).startswith("boss@example.com")


def test_the_audit_log_is_found_by_company_email_action_and_dates(shop_site):
    _db, made = shop_site
    alice = made["alice"].account_id
    at = open_as("boss", "en", SUPPORT)
    show(at, "audit")
    at.selectbox(key="audit_action").set_value("custom_plan_requested").run()
    audit = audit_table(at)
    assert list(audit["What"]) == ["Custom plan requested"]
    assert list(audit["Who"]) == ["dave@example.com"]
    [changed] = list(audit["What changed"])
    assert "Seats: 3" in changed and "Monthly price: $128.00 / month" in changed
    assert not re.search(r"(^|; )(seats|price|from|request):", changed)  # words, not codes
    at.selectbox(key="audit_action").set_value(None).run()
    for text in ("lumière", "ALICE@example", f"#{alice}", str(alice)):
        at.text_input(key="audit_account").input(text).run()
        audit = audit_table(at)
        assert list(audit["What"]) == ["Cancellation scheduled"], text
        assert list(audit["Account"]) == [f"#{alice} · Lumière Srl"]
        changed = audit["What changed"].iloc[0]
        assert changed.startswith("Status: Active → Cancellation scheduled; Access ends: ")
        assert "cancellation_scheduled" not in changed  # words, not codes
    at.text_input(key="audit_account").input("").run()
    # full date and time in UTC, seconds included
    audit = audit_table(at)
    assert all(len(w) >= len("Nov 1, 2026, 1:00:00 AM") for w in audit["When (UTC)"])
    past = (TODAY - dt.timedelta(days=400), TODAY - dt.timedelta(days=300))
    at.date_input(key="audit_dates").set_value(past).run()
    assert not [d for d in at.dataframe if "What" in d.value.columns]
    assert i18n.t("support.audit.count", "en", shown="0", total="0") in texts(at)


def test_a_purge_shows_in_the_audit_log_without_personal_data(shop_site):
    db, made = shop_site
    carol = made["carol"].account_id
    report = lifecycle.run(db, TODAY + dt.timedelta(days=70))
    assert carol in report.purged
    for lang, words in (("en", f"Data erased for account #{carol}"),
                        ("it", f"Dati eliminati per l'account n. {carol}")):  # fmt: skip
        at = open_as("boss", lang, SUPPORT)
        show(at, "audit")
        at.text_input(key="audit_account").input(str(carol)).run()
        audit = next(d.value for d in at.dataframe if d.value.shape[1] == 5)
        assert words in list(audit.iloc[:, 4])
        row = audit[audit.iloc[:, 4] == words].iloc[0]
        assert "carol" not in " ".join(str(v) for v in row).lower()
        assert row.iloc[1] == i18n.t("desk.actor.lifecycle", lang)
        assert "Carol Srl" not in " ".join(str(v) for v in row)


@pytest.mark.parametrize("lang", ["en", "it"])
def test_the_demo_clock_says_what_it_is_and_refreshes_the_lists(shop_site, monkeypatch, lang):
    db, made = shop_site
    monkeypatch.setenv("PORTAL_DEMO_MODE", "1")
    at = open_as("boss", lang, SUPPORT)
    today = dt.datetime.now(dt.UTC).date()
    picker = at.date_input(key="demo_as_of")
    assert picker.label == i18n.t("desk.clock.as_of", lang)
    assert picker.value == today + dt.timedelta(days=31)
    assert i18n.t("desk.clock.today", lang, today=today, days=31) in texts(at)
    assert "Lumière Srl" in texts(at)  # scheduled
    [run] = [b for b in at.button if b.label == i18n.t("demo.run", lang)]
    run.click().run()
    assert not at.exception, at.exception
    [done] = [s.value for s in at.success]
    ended = {"en": "1 subscription ended", "it": "1 abbonamento terminato"}[lang]
    assert ended in done and "(s)" not in done
    assert status(db, made["alice"].account_id) == "ended"
    # the list is fresh after the run, without a reload
    assert "Lumière Srl" not in texts(at)
    assert i18n.t("support.none_scheduled", lang) in [i.value for i in at.info]
