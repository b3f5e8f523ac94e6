"""The router and the pages under Streamlit's AppTest, signed out, as a customer and as an admin,
in English and in Italian, on a real SQLite file."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from core.customers import accounts
from core.platform import i18n
from core.platform.i18n import fmt_date
from tests.support import factories
from tests.support.pages import assert_no_raw_keys, open_app, open_page, visible_text


def sign_in(at: AppTest, email: str, password: str = factories.PASSWORD) -> AppTest:
    """Fill in the form; after a success the browser would fetch its cookie and come back."""
    at.text_input[0].input(email)
    at.text_input[1].input(password)
    at.button[0].click().run()
    if "session_id" in at.session_state:
        assert [i.value for i in at.info] == [
            i18n.t("signin.redirecting", at.session_state["ctx"].lang)
        ]
        at.run()
    return at


@pytest.mark.parametrize("lang", ["en", "it"])
def test_signed_out_visitors_see_only_the_sign_in_page(site, lang):
    at = open_app(lang)
    assert not at.exception
    assert at.title[0].value == i18n.t("signin.title", lang)
    assert [w.label for w in at.text_input] == [
        i18n.t("signin.email", lang),
        i18n.t("signin.password", lang),
    ]
    assert i18n.t("overview.invoices", lang) not in visible_text(at)
    assert_no_raw_keys(at)


def test_demo_mode_lists_the_demo_sign_ins(site, monkeypatch):
    monkeypatch.setenv("PORTAL_DEMO_MODE", "1")
    at = open_app("en")
    shown = [c.value for c in at.code]  # plain text to copy, not mailto links
    assert "customer@demo.test" in shown
    assert "demo-admin" in shown


@pytest.mark.parametrize(
    ("email", "password", "key"),
    [
        ("alice@example.com", "wrong", "signin.error.invalid"),
        ("nobody@example.com", "wrong", "signin.error.invalid"),
        ("", "", "signin.error.empty"),
        ("x" * 250, "pw", "signin.error.email_format"),  # the field stops at 254
    ],
)
@pytest.mark.parametrize("lang", ["en", "it"])
def test_bad_sign_ins_get_a_clear_message_in_the_users_language(site, lang, email, password, key):
    at = sign_in(open_app(lang), email, password)
    assert not at.exception
    assert [e.value for e in at.error] == [i18n.t(key, lang)]
    assert at.title[0].value == i18n.t("signin.title", lang)


@pytest.mark.parametrize("lang", ["en", "it"])
def test_a_customer_reads_their_account(site, lang):
    db, _made = site
    at = sign_in(open_app(lang), "alice@example.com")
    assert not at.exception, at.exception
    assert at.title[0].value == "Lumière Srl"
    text = visible_text(at)
    ov = accounts.overview_by_email(db, "alice@example.com")
    assert "Growth" in [m.value for m in at.metric]
    assert fmt_date(ov.period_end, lang) in text
    assert i18n.fmt_money(24900, "USD", lang) in text
    assert i18n.t("billing.title", lang) in text
    assert i18n.t("nav.cancel", lang) in [p.label for p in at.page_link]
    assert i18n.t("offer.title", lang) in text
    assert i18n.t("status.active", lang, date=ov.period_end) in text
    assert i18n.t("usage.line", lang, what=i18n.t("usage.seats", lang), used="1", limit="3") in text
    assert i18n.t("nav.insights", lang) not in text
    assert_no_raw_keys(at)


def test_the_language_switch_changes_the_page_and_sticks_for_the_user(site):
    at = open_app(as_user="alice@example.com")
    assert at.subheader[0].value == i18n.t("overview.usage", "en")
    at.segmented_control[0].set_value("it").run()
    assert at.subheader[0].value == i18n.t("overview.usage", "it")
    assert at.segmented_control[0].value == "it"
    assert_no_raw_keys(at)
    # a new visit, signed in again, opens in Italian without choosing
    again = open_app(as_user="alice@example.com")
    assert again.subheader[0].value == i18n.t("overview.usage", "it")


@pytest.mark.parametrize("lang", ["en", "it"])
def test_an_admin_sees_the_admin_pages_and_no_customer_pages(site, lang):
    at = sign_in(open_app(lang), "boss@example.com")
    assert not at.exception, at.exception
    assert at.title[0].value == i18n.t("insights.title", lang)
    active = [m for m in at.metric if m.label == i18n.t("status_name.active", lang)]
    assert active and active[0].value == "2"
    assert i18n.t("billing.title", lang) not in visible_text(at)
    assert_no_raw_keys(at)


def test_a_customer_cannot_open_admin_pages_by_url(site):
    at = open_app("en", as_user="alice@example.com")
    assert at.title[0].value == "Lumière Srl"
    # the page is not registered for this user at all: its URL lands on the customer's own
    for screen in ("insights", "support"):
        open_page(at, screen).run()
        assert at.title[0].value == "Lumière Srl", screen
        text = visible_text(at)
        assert i18n.t("nav.insights", "en") not in text
        assert i18n.t("insights.title", "en") not in text


def test_sign_out_returns_to_the_sign_in_page(site):
    at = open_app("en", as_user="alice@example.com")
    at.button(key="sign_out").click().run()
    assert at.title[0].value == i18n.t("signin.title", "en")


def test_a_database_that_does_not_work_gets_a_clear_message(tmp_path, monkeypatch):
    monkeypatch.setenv("PORTAL_DATABASE_URL", "postgresql://nobody@127.0.0.1:1/none")
    at = open_app("it")
    assert not at.exception
    assert [e.value for e in at.error] == [i18n.t("error.database", "it")]
