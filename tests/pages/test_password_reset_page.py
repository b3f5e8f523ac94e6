"""The sign-in page's "Forgot your password?" and the reset link's "Choose a new password",
under AppTest on a real SQLite file, in both languages."""

from __future__ import annotations

import json
import os
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select
from streamlit.testing.v1 import AppTest

from core.identity import auth, resets
from core.identity.passwords import MIN_NEW_PASSWORD
from core.platform import i18n
from core.platform.db import open_database
from core.platform.outbox_tables import OutboxDelivery, OutboxEvent
from core.rules.vocabulary import EVENT_PASSWORD_RESET
from tests.support import factories
from tests.support.env import ROOT
from tests.support.pages import assert_no_raw_keys, visible_text

NEW = "a brand new passphrase"


def _db():
    return open_database(os.environ["PORTAL_DATABASE_URL"])


def token_sent_to(email: str) -> str | None:
    with _db().transaction() as s:
        data = s.scalar(
            select(OutboxEvent.data)
            .join(OutboxDelivery, OutboxDelivery.event_id == OutboxEvent.id)
            .where(OutboxEvent.type == EVENT_PASSWORD_RESET, OutboxDelivery.recipient == email)
            .order_by(OutboxEvent.created_at.desc())
        )
    if data is None:
        return None
    return parse_qs(urlsplit(json.loads(data)["reset_url"]).query)["reset"][0]


def fresh(lang: str, reset: str | None = None, session_id: int | None = None) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.session_state["lang"] = lang
    if session_id is not None:
        at.session_state["session_id"] = session_id
    if reset is not None:
        at.query_params["reset"] = reset
    at.run()
    assert not at.exception, at.exception
    return at


def button(at: AppTest, key: str, lang: str):
    label = i18n.t(key, lang)
    return next(b for b in at.button if b.label == label)


def ask_for_link(at: AppTest, email: str, lang: str) -> AppTest:
    button(at, "resets.forgot", lang).click().run()
    assert at.title[0].value == i18n.t("resets.forgot_title", lang)
    at.text_input[0].set_value(email)
    button(at, "resets.send", lang).click().run()
    assert not at.exception, at.exception
    return at


@pytest.mark.parametrize("lang", ["en", "it"])
def test_any_address_gets_the_same_answer_and_a_known_one_gets_a_link(site, lang):
    answers = []
    for email in ("alice@example.com", "nobody@example.com"):
        at = ask_for_link(fresh(lang), email, lang)
        answers.append([s.value for s in at.success])
        assert not at.error
        assert_no_raw_keys(at)
    assert answers[0] == answers[1] == [i18n.t("resets.sent", lang, minutes=30)]
    assert token_sent_to("alice@example.com") and token_sent_to("nobody@example.com") is None
    if lang == "en":
        assert answers[0] == [
            "If an account uses this address, we have sent a link to it. "
            "It is valid for 30 minutes."
        ]
    # "Back to sign in" shows the sign-in form again
    button(at, "resets.back", lang).click().run()
    assert at.title[0].value == i18n.t("signin.title", lang)


def test_in_demo_mode_the_page_says_where_the_email_is_shown(site, monkeypatch):
    monkeypatch.setenv("PORTAL_DEMO_MODE", "1")
    at = fresh("it")
    button(at, "resets.forgot", "it").click().run()
    assert i18n.t("resets.demo_note", "it") in [i.value for i in at.info]
    assert "In uscita" in i18n.t("resets.demo_note", "it")


def test_a_bad_address_is_explained(site):
    at = ask_for_link(fresh("it"), "non è un indirizzo", "it")
    assert [e.value for e in at.error] == [i18n.t("signin.error.email_format", "it")]
    assert not at.success


@pytest.mark.parametrize("lang", ["en", "it"])
def test_the_link_opens_the_form_and_the_new_password_signs_in(site, lang):
    resets.request_reset(_db(), "alice@example.com")
    token = token_sent_to("alice@example.com")
    at = fresh(lang, reset=token)
    assert at.title[0].value == i18n.t("resets.choose_title", lang)
    assert i18n.t("resets.choose_help", lang, min=MIN_NEW_PASSWORD) in [c.value for c in at.caption]
    labels = [w.label for w in at.text_input]
    assert labels == [i18n.t("resets.new_password", lang), i18n.t("resets.repeat_password", lang)]

    # typed differently: explained, nothing changed
    at.text_input[0].set_value(NEW)
    at.text_input[1].set_value(NEW + "!")
    button(at, "resets.submit", lang).click().run()
    assert [e.value for e in at.error] == [i18n.t("resets.error.mismatch", lang)]
    # too short
    at.text_input[0].set_value("short")
    at.text_input[1].set_value("short")
    button(at, "resets.submit", lang).click().run()
    assert [e.value for e in at.error] == [
        i18n.t("resets.error.too_short", lang, min=MIN_NEW_PASSWORD)
    ]

    at.text_input[0].set_value(NEW)
    at.text_input[1].set_value(NEW)
    button(at, "resets.submit", lang).click().run()
    assert not at.exception, at.exception
    assert [s.value for s in at.success] == [i18n.t("resets.done", lang)]
    assert at.title[0].value == i18n.t("signin.title", lang)
    assert "reset" not in at.query_params  # the spent link left the address bar
    assert_no_raw_keys(at)

    # sign in with it on the same page
    at.text_input[0].set_value("alice@example.com")
    at.text_input[1].set_value(NEW)
    at.button[0].click().run()
    assert not at.error
    assert at.session_state["session_id"]


@pytest.mark.parametrize("lang", ["en", "it"])
def test_a_used_or_made_up_link_says_so_and_offers_a_new_one(site, lang):
    resets.request_reset(_db(), "alice@example.com")
    token = token_sent_to("alice@example.com")
    resets.reset_password(_db(), token, NEW)
    for link in (token, "made-up"):
        at = fresh(lang, reset=link)
        assert at.title[0].value == i18n.t("resets.choose_title", lang)
        assert [e.value for e in at.error] == [i18n.t("resets.error.expired", lang)]
        assert not at.text_input  # no form to fill in
    button(at, "resets.ask_again", lang).click().run()
    assert at.title[0].value == i18n.t("resets.forgot_title", lang)
    assert "reset" not in at.query_params


def test_a_signed_in_customer_who_opens_the_link_is_signed_out_by_using_it(site):
    signed = auth.sign_in(_db(), "alice@example.com", factories.PASSWORD)
    at = fresh("en", session_id=signed.user.session_id)
    assert at.title[0].value != i18n.t("signin.title", "en")  # her account, signed in
    resets.request_reset(_db(), "alice@example.com")
    at = fresh("en", reset=token_sent_to("alice@example.com"), session_id=signed.user.session_id)
    assert at.title[0].value == i18n.t("resets.choose_title", "en")
    at.text_input[0].set_value(NEW)
    at.text_input[1].set_value(NEW)
    button(at, "resets.submit", "en").click().run()
    assert not at.exception, at.exception
    assert at.title[0].value == i18n.t("signin.title", "en")
    assert i18n.t("resets.done", "en") in visible_text(at)
    assert "session_id" not in at.session_state


def test_hostile_text_in_both_forms_is_answered_clearly(site):
    """A sample of the hostile corpus (every family) in the address and the new password:
    the page answers with its own words, never a traceback or a raw key."""
    from tests.support.hostile import sample

    resets.request_reset(_db(), "alice@example.com")
    token = token_sent_to("alice@example.com")
    words = {i18n.t("resets.sent", "en", minutes=30)} | {
        i18n.t(key, "en", min=MIN_NEW_PASSWORD, max=1024, minutes=15)
        for key in i18n.catalog("en")
        if key.startswith(("resets.error.", "signin.error."))
        and "{date" not in i18n.catalog("en")[key]
        and "{tries" not in i18n.catalog("en")[key]
    }
    forgot = fresh("en")
    button(forgot, "resets.forgot", "en").click().run()
    choose = fresh("en", reset=token)
    for entry in sample(1):
        if entry.has_surrogate:  # a browser cannot send one (the core test has them)
            continue
        text = entry.text[:5000]
        forgot.text_input[0].set_value(text)
        button(forgot, "resets.send", "en").click().run()
        choose.text_input[0].set_value(text)
        choose.text_input[1].set_value(text + "?")
        button(choose, "resets.submit", "en").click().run()
        for at in (forgot, choose):
            assert not at.exception, (entry.name, at.exception)
            said = [e.value for e in at.error] + [s.value for s in at.success]
            assert said and set(said) <= words, (entry.name, said)
    assert resets.reset_valid(_db(), token)  # never typed the same twice: still unused
