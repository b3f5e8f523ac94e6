"""Churn insights v2 as a product manager uses it: a shared link opens the page with its filters
(and says what it could not use), the address follows the filters, every card shows its change
against the previous period, the churn rate, revenue at risk and cross-tab sections in both
languages, the flows behind a figure, and the support desk opened on one account.

The shop (tests/pages/conftest.py, spread in test_desk_insights_page.py): four monthly
subscriptions started forty days ago, growth $249 (alice AT, carol AT) and starter $99 (bob AR,
dave AU); carol's ended five days ago; alice's cancellation is scheduled (too expensive), bob
kept his plan (missing features), dave asked for a custom plan (survey skipped)."""

from __future__ import annotations

import datetime as dt
import io
import os

import pytest
from pypdf import PdfReader
from streamlit.proto.Metric_pb2 import Metric as MetricProto
from streamlit.testing.v1 import AppTest

from core.identity import auth
from core.insights import analytics
from core.platform import i18n
from core.platform.db import open_database
from pages.components import drill_panel
from pages.components.text import md
from tests.support import factories
from tests.support.env import ROOT
from tests.support.pages import ALICE_DAY, SUPPORT, TODAY, metrics, open_as, open_page, visible_text

DAYS = {"from": ALICE_DAY.isoformat(), "to": TODAY.isoformat()}  # alice ten days ago, then today


def open_link(query: dict[str, str], lang: str = "en", who: str = "boss") -> AppTest:
    """The insights (an admin's home page) opened from a link with this query string."""
    return open_as(who, lang, query=query)


def section(at: AppTest, name: str) -> AppTest:
    at.segmented_control(key="insights_section").set_value(name).run()
    assert not at.exception, at.exception
    return at


def card(at: AppTest, key: str, lang: str = "en") -> MetricProto:
    [found] = [m.proto for m in at.metric if m.label == i18n.t(key, lang)]
    return found


def colour(metric: MetricProto) -> str:
    return MetricProto.MetricColor.Name(metric.color)


def tables(at: AppTest) -> list[list[list[str]]]:
    return [t.value.values.tolist() for t in at.table]


# --- the link -------------------------------------------------------------------------------


def test_a_link_opens_the_page_with_its_filters(spread):
    at = open_link({**DAYS, "plan": "growth"})
    assert at.multiselect(key="insights_plans").value == ["growth"]
    assert at.date_input(key="insights_dates").value == (ALICE_DAY, TODAY)
    assert metrics(at)[i18n.t("insights.fig.started", "en")] == "1"  # alice's alone
    assert not at.warning
    # the link shared is the page's own address, with the filters
    [code] = at.code
    assert code.value.endswith(f"/insights?from={DAYS['from']}&to={DAYS['to']}&plan=growth")
    # the Churn report of this view: prepared when asked for (not on every run), then downloaded
    assert not reports(at)
    at.button(key="churn_report_prepare").click().run()
    [pdf] = reports(at)
    assert pdf.proto.label == i18n.t("churn_page.share.report", "en")
    _view, made = at.session_state["insights_churn_report"]
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(made)).pages)
    assert "Cancellations started" in text and "Growth" in text and "Starter" not in text
    at.run()  # the download's click reruns the page: the same file, no new button to press
    assert [b.proto.label for b in reports(at)] == [pdf.proto.label]
    assert not [b for b in at.button if b.key == "churn_report_prepare"]
    at.multiselect(key="insights_plans").set_value([]).run()  # other filters: prepared anew
    assert not reports(at)


def reports(at: AppTest) -> list:
    return [b for b in at.get("download_button") if b.key == "churn_report_pdf"]


def test_the_address_follows_the_filters(spread):
    at = open_link(DAYS)
    assert at.query_params == DAYS
    at.multiselect(key="insights_countries").set_value(["AR", "AU"]).run()
    assert at.query_params == {**DAYS, "country": "AR,AU"}
    assert metrics(at)[i18n.t("insights.fig.started", "en")] == "2"
    at.multiselect(key="insights_countries").set_value([]).run()
    assert at.query_params == DAYS  # an empty choice leaves the address


@pytest.mark.parametrize("lang", ["en", "it"])
def test_a_link_with_bad_values_says_so_and_shows_the_defaults(spread, lang):
    at = open_link({"from": "2026-13-01", "to": "2025-01-01", "country": "AT,XX", "x": "1"}, lang)
    [warning] = at.warning
    for key in (
        "insights.url.ignored",
        "insights.url.dates_unreadable",
        "insights.url.unknown_country",
    ):
        assert i18n.t(key, lang) in warning.value
    assert i18n.t("insights.url.dates_reversed", lang) not in warning.value  # one date problem
    first = TODAY - dt.timedelta(days=10)  # the first flow on record: alice's
    assert at.date_input(key="insights_dates").value == (first, TODAY)
    assert at.multiselect(key="insights_countries").value == ["AT"]  # what was right is kept
    assert metrics(at)[i18n.t("insights.fig.started", lang)] == "1"
    at.multiselect(key="insights_countries").set_value([]).run()
    assert not at.warning  # said once, while its filters are shown


@pytest.mark.parametrize(
    "query",
    [
        {"from": "2000-01-01", "to": "2100-12-31"},  # after today
        {"from": "1999-12-31"},
        {"tenure": "<6m," * 5000},
        {"plan": ["growth", "pro"], "from": ["2026-01-01", "2026-02-01"]},
        {"from": "\x00", "to": "２０２６-０１-０１"},
    ],
)
def test_no_link_breaks_the_page(spread, query):
    at = open_link(query)
    assert at.warning, query
    assert metrics(at)[i18n.t("insights.fig.started", "en")] in {"1", "3"}


# --- the previous period ----------------------------------------------------------------------


def test_every_card_shows_its_change_against_the_previous_period(spread):
    at = open_link(DAYS)  # eleven days; the eleven before had no flow
    started, completed = card(at, "insights.fig.started"), card(at, "insights.fig.completed")
    assert (started.body, started.delta, colour(started)) == ("3", "+3", "RED")  # fewer is better
    assert (completed.delta, colour(completed)) == ("+1", "RED")
    saved = card(at, "insights.fig.saved")
    assert (saved.delta, colour(saved)) == ("+2", "GREEN")
    lost = card(at, "insights.fig.revenue_lost")
    assert (lost.delta, colour(lost)) == ("+$249", "RED")
    undone = card(at, "insights.fig.undone")
    assert (undone.delta, colour(undone)) == ("0", "GRAY")
    save_rate = card(at, "insights.fig.save_rate")
    assert save_rate.delta == ""  # no rate before: nothing to compare with
    before = analytics.Filters(ALICE_DAY, TODAY).previous()
    note = i18n.t(
        "churn_page.compared_with",
        "en",
        start=i18n.fmt_date(before.start, "en", "medium"),
        end=i18n.fmt_date(before.end, "en", "medium"),
    )
    assert note in [c.value for c in at.caption]


def test_no_change_is_shown_without_a_previous_period(spread):
    at = open_link({"from": "2000-01-01", "to": TODAY.isoformat()})
    assert all(m.proto.delta == "" for m in at.metric)
    assert i18n.t("churn_page.no_previous", "en") in [c.value for c in at.caption]


# --- the new sections -------------------------------------------------------------------------


@pytest.mark.parametrize("lang", ["en", "it"])
def test_churn_rate_against_the_base(spread, lang):
    at = section(open_link(DAYS, lang), "churn")
    # base: the four subscriptions; carol's ended five days ago: 1 of 4, $249 of $696
    rate = card(at, "churn_page.fig.customer_rate", lang)
    assert (rate.body, colour(rate)) == (i18n.fmt_percent(0.25, lang), "RED")
    assert rate.delta == "+" + i18n.t("churn_page.points", lang, value="25")
    assert card(at, "churn_page.fig.mrr_rate", lang).body == i18n.fmt_percent(249 / 696, lang)
    assert card(at, "churn_page.fig.base", lang).body == "4"
    assert card(at, "churn_page.fig.churned", lang).body == "1"
    by_plan, by_country = tables(at)[-2:]
    pct = lambda r: i18n.fmt_percent(r, lang)  # noqa: E731
    assert [row[:4] for row in by_plan] == [
        ["Starter", "2", "0", pct(0)],
        ["Growth", "2", "1", pct(0.5)],
    ]
    austria = analytics.country_name("AT", lang)
    assert [austria, "2", "1", pct(0.5)] in [row[:4] for row in by_country]
    assert len(at.get("plotly_chart")) == 1  # the monthly trend, its table under it
    at.toggle(key="churn_overlay").set_value(True).run()
    assert not at.exception
    columns = at.table[0].value.columns.tolist()  # the trend's, under "Show as table"
    assert md(i18n.t("churn_page.col.previous_month", lang)) in columns


@pytest.mark.parametrize("lang", ["en", "it"])
def test_revenue_at_risk_with_a_link_to_the_support_desk(spread, lang):
    _db, made = spread
    at = section(open_link(DAYS, lang), "at_risk")
    assert card(at, "churn_page.fig.at_risk", lang).body == "1"  # alice's
    assert "249" in card(at, "churn_page.fig.at_risk_mrr", lang).body
    accounts = tables(at)[-1]
    [row] = accounts
    assert "Lumi" in row[0]
    assert row[0].endswith(f"](support?account={made['alice'].account_id})")  # a link
    assert len(at.get("plotly_chart")) == 1  # the days they take effect


@pytest.mark.parametrize("lang", ["en", "it"])
def test_cross_tabs_and_the_flows_behind_a_cell(spread, lang):
    at = section(open_link(DAYS, lang), "crosstabs")
    assert len(at.get("plotly_chart")) == 3  # two heat maps, revenue lost by reason
    assert i18n.t("churn_page.drill.count", lang, n="3") in [c.value for c in at.caption]
    at.selectbox(key="drill_reason").set_value("too_expensive").run()
    assert i18n.t("churn_page.drill.count", lang, n="1") in [c.value for c in at.caption]
    assert "Lumière Srl" in visible_text(at)
    assert "Troppo caro per il nostro team" in [t.value for t in at.text]  # the comment, whole
    at.selectbox(key="drill_reason").set_value(None)
    at.selectbox(key="drill_outcome").set_value("saved_kept").run()
    assert i18n.t("churn_page.drill.count", lang, n="1") in [c.value for c in at.caption]
    assert "Bob Ltd" in visible_text(at)


def test_the_flows_behind_a_figure_come_a_page_at_a_time(spread):
    at = open_link(DAYS)
    at.session_state["drill_page_size"] = 2
    section(at, "crosstabs")
    assert i18n.t("churn_page.drill.page_of", "en", page="1", pages="2") in visible_text(at)
    assert at.button(key="drill_previous").disabled
    at.button(key="drill_next").click().run()
    assert i18n.t("churn_page.drill.page_of", "en", page="2", pages="2") in visible_text(at)
    assert at.button(key="drill_next").disabled
    newest_first = [m.value for m in at.main.markdown if m.value.startswith("**")]
    assert newest_first == ["**Lumière Srl**"]  # alice's started ten days ago: the oldest


def test_a_cell_or_bar_clicked_narrows_the_flows():
    reasons = {"Too expensive": "too_expensive", "No reason given": analytics.NO_REASON}
    rows = {"Growth": "growth"}
    cell = [{"x": "Growth", "y": "Too expensive", "z": 0.5}]
    assert drill_panel.drill_from_points(cell, reasons=reasons, rows=rows) == {
        "drill_outcome": None,
        "drill_reason": "too_expensive",
        "drill_plan": "growth",
        "drill_tenure": None,
    }
    bar = [{"x": 249.0, "y": "No reason given"}]
    assert drill_panel.drill_from_points(bar, reasons=reasons, completed=True) == {
        "drill_outcome": "completed",
        "drill_reason": analytics.NO_REASON,
        "drill_plan": None,
        "drill_tenure": None,
    }
    assert drill_panel.drill_from_points([], reasons=reasons) is None
    assert (
        drill_panel.drill_from_points([{"x": "Growth", "y": "?"}], reasons=reasons, rows=rows)
        is None
    )


def test_comments_by_outcome(spread):
    at = section(open_link(DAYS), "comments")
    assert len(at.text) == 2  # alice's and bob's
    at.multiselect(key="insights_comment_outcomes").set_value(["saved_kept"]).run()
    assert [t.value for t in at.text] == ["Details: TikTok"]  # bob's follow-up alone


@pytest.mark.parametrize(
    ("lang", "said"),
    [
        ("en", "Answers with a comment: showing 1 of more than 0."),
        ("it", "Risposte con un commento: 1 su oltre 0."),
    ],
)
def test_comments_by_outcome_past_the_count_cap_say_more_than(spread, monkeypatch, lang, said):
    from core.insights import comments as module

    monkeypatch.setattr(module, "COUNT_CAP", 0)  # a million answers' worth, on a small shop
    at = section(open_link(DAYS, lang), "comments")
    at.multiselect(key="insights_comment_outcomes").set_value(["saved_kept"]).run()
    assert said in [c.value for c in at.caption]


# --- the support desk on one account ------------------------------------------------------------


def open_desk(account: str, lang: str = "en") -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.session_state["lang"] = lang
    db = open_database(os.environ["PORTAL_DATABASE_URL"])
    at.session_state["session_id"] = auth.sign_in(
        db, "boss@example.com", factories.PASSWORD
    ).user.session_id
    at.query_params["account"] = account
    open_page(at, SUPPORT).run()
    assert not at.exception, at.exception
    return at


def undo_buttons(at: AppTest) -> list[str]:
    """The accounts whose scheduled cancellation is listed (each with its Undo button)."""
    return [int(b.key.split("_")[1]) for b in at.button if (b.key or "").startswith("undo_")]


def test_the_support_desk_opens_on_one_account(spread):
    _db, made = spread
    alice, bob = made["alice"].account_id, made["bob"].account_id
    at = open_desk(str(alice))
    assert at.segmented_control(key="support_section").value == "scheduled"
    assert undo_buttons(at) == [alice]
    assert i18n.t("churn_page.desk.one_account", "en", company="Lumière Srl") in [
        i.value for i in at.info
    ]
    # bob has no scheduled cancellation: said, and nothing else listed
    at = open_desk(str(bob))
    assert undo_buttons(at) == []
    assert i18n.t("churn_page.desk.none_for_account", "en") in [i.value for i in at.info]
    at.button(key="support_show_all").click().run()
    assert "account" not in at.query_params
    assert undo_buttons(at) == [alice]  # every one, which is alice's alone here


def test_the_support_desk_ignores_a_bad_account(spread):
    at = open_desk("12; drop table")
    assert i18n.t("churn_page.desk.bad_account", "en") in [w.value for w in at.warning]
    assert undo_buttons(at)  # all of them
