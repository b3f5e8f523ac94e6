"""Churn insights and the support desk under Streamlit's AppTest, in English and Italian, on a
real SQLite file: the charts are there and in the admin's language, the filters change the
figures, the actions ask first and refuse states that no longer allow them."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import select
from streamlit.testing.v1 import AppTest

from core.platform import i18n
from core.platform.i18n import fmt_percent
from core.platform.models import Subscription
from pages.components.text import md
from tests.support.pages import (
    INSIGHTS,
    SECTIONS,
    SUPPORT,
    TODAY,
    assert_no_raw_keys,
    metrics,
    open_as,
    open_page,
    visible_text,
)


def charts(at: AppTest) -> list[dict]:
    """The charts of every section, in order (the page shows one section at a time)."""
    out = []
    for section in SECTIONS:
        at.segmented_control(key="insights_section").set_value(section).run()
        assert not at.exception, at.exception
        out += [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
    at.segmented_control(key="insights_section").set_value("reasons").run()
    return out


def downloads(at: AppTest) -> list[str]:
    out = []
    for section in SECTIONS:
        at.segmented_control(key="insights_section").set_value(section).run()
        out += [b.label for b in at.get("download_button")]
    return out


def status(db, account_id: int) -> str:
    with db.transaction() as s:
        return s.scalar(select(Subscription.status).where(Subscription.account_id == account_id))


# --- churn insights --------------------------------------------------------------------------


@pytest.mark.parametrize("lang", ["en", "it"])
def test_the_admin_sees_the_figures_and_every_chart_in_their_language(shop_site, lang):
    at = open_as("boss", lang)
    assert at.title[0].value == i18n.t("insights.title", lang)
    shown = metrics(at)

    def fig(key: str) -> str:
        return shown[i18n.t(f"insights.fig.{key}", lang)]

    assert fig("started") == "3"  # alice, bob, dave
    assert fig("completed") == "1"  # alice
    assert fig("saved") == "2"  # bob kept, dave asked for a custom plan
    assert fig("save_rate") == fmt_percent(2 / 3, lang)
    assert fig("response_rate") == fmt_percent(2 / 3, lang)  # dave skipped
    # whole dollars on the cards, in the locale's currency format
    dollars = {"en": ("$249", "$198"), "it": ("249 USD", "198 USD")}[lang]
    assert fig("revenue_lost").replace("\xa0", " ") == dollars[0]
    assert fig("revenue_saved").replace("\xa0", " ") == dollars[1]
    assert fig("undone") == "0"
    assert shown[i18n.t("status_name.active", lang)] == "2"  # bob, dave

    specs = charts(at)
    assert len(specs) == 8  # reasons, satisfaction, trend, funnel, offer, prices, plan, tenure
    text = json.dumps(specs, ensure_ascii=False)
    for key in ("reason.too_expensive", "reason.missing_features", "insights.stage.consents",
                "insights.offer.requested", "insights.series.saved", "insights.axis.answers",
                "insights.no_reason"):  # fmt: skip
        assert json.dumps(i18n.t(key, lang), ensure_ascii=False)[1:-1] in text, key
    legend = {t["name"] for s in specs for t in s["data"] if t.get("name")}
    assert i18n.t("insights.series.completed", lang) in legend
    assert i18n.t("reason.too_expensive", lang) in legend
    assert downloads(at).count(i18n.t("insights.download_csv", lang)) == 8
    at.segmented_control(key="insights_section").set_value("comments").run()
    links = {b.key: b.proto for b in at.link_button}  # the answers: a streamed link
    assert links["csv_answers"].label == i18n.t("insights.download_answers", lang)
    assert links["csv_answers"].url.startswith("/download/")
    assert_no_raw_keys(at)


def test_the_filters_change_the_figures_and_the_charts(shop_site):
    at = open_as("boss")
    at.multiselect(key="insights_plans").set_value(["starter"]).run()
    shown = metrics(at)
    assert shown["Cancellations started"] == "2"  # bob and dave
    assert shown["Cancellations completed"] == "0"
    assert shown["Save rate"] == fmt_percent(1.0, "en")
    funnel = next(s for s in charts(at) if s["data"][0]["type"] == "funnel")
    assert funnel["data"][0]["x"][0] == 2

    at.multiselect(key="insights_plans").set_value([]).run()
    at.multiselect(key="insights_tenures").set_value(["2y+"]).run()
    assert metrics(at)["Cancellations started"] == "0"
    assert metrics(at)["Save rate"] == "–"
    assert charts(at) == []
    assert i18n.t("insights.empty", "en") in [i.value for i in at.info]

    at.multiselect(key="insights_tenures").set_value([]).run()
    past = (TODAY - dt.timedelta(days=400), TODAY - dt.timedelta(days=300))
    at.date_input(key="insights_dates").set_value(past).run()
    assert metrics(at)["Cancellations started"] == "0"
    at.date_input(key="insights_dates").set_value((TODAY, TODAY)).run()
    assert metrics(at)["Cancellations started"] == "3"
    assert not at.exception


def test_the_trend_groups_by_week_or_month(shop_site):
    at = open_as("boss", "it")
    trend = json.loads(at.get("plotly_chart")[2].proto.spec)
    assert trend["layout"]["barmode"] == "stack"
    assert trend["data"][0]["x"] == [i18n.fmt_date(TODAY, "it", "LLL yyyy")]
    at.segmented_control(key="insights_granularity").set_value("week").run()
    trend = json.loads(at.get("plotly_chart")[2].proto.spec)
    monday = TODAY - dt.timedelta(days=TODAY.weekday())
    assert trend["data"][0]["x"][0].startswith(i18n.t("insights.week_of", "it", day="")[:5])
    assert str(monday.day) in trend["data"][0]["x"][0]


def test_the_comments_are_searched_and_shown_whole(shop_site):
    at = open_as("boss")
    at.segmented_control(key="insights_section").set_value("comments").run()
    shown = [t.value for t in at.text]
    assert "Troppo caro per il nostro team" in shown
    assert f"{i18n.t('insights.col.follow_up', 'en')}: TikTok" in shown
    at.text_input(key="insights_search").input("CARO").run()
    assert [t.value for t in at.text] == ["Troppo caro per il nostro team"]
    [facts] = [c.value for c in at.caption if "UTC" in c.value]
    assert md(i18n.t("insights.outcome.completed", "en")) in facts
    assert md(i18n.t("reason.too_expensive", "en")) in facts
    assert i18n.t("insights.comments.count", "en", shown="1", total="1") in visible_text(at)
    at.text_input(key="insights_search").input("nothing like this").run()
    assert at.text.len == 0
    assert i18n.t("insights.comments.none", "en") in [i.value for i in at.info]


# --- support desk: tests/pages/test_desk_support_page.py ------------------------------------------


@pytest.mark.parametrize("page", [INSIGHTS, SUPPORT])
def test_a_customer_gets_nothing_from_the_admin_pages(shop_site, page):
    at = open_as("alice")
    assert at.title[0].value == "Lumière Srl"
    open_page(at, page).run()  # not offered to a customer: the address shows their overview
    assert at.title[0].value == "Lumière Srl"
    text = visible_text(at)
    assert i18n.t("nav.insights", "en") not in text and i18n.t("nav.support", "en") not in text
