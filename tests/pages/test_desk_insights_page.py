"""Churn insights as a product manager reads them: every chart (and the subscriptions by status)
follows every filter, countries are listed by their name in the admin's language, the tenure
filter says what it is, every chart has its numbers in a table on the page and no toolbar over
its bars, no English "Select all" on an Italian screen, and comments are shown whole."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import update

from core.insights import analytics
from core.platform import i18n
from core.platform.models import SurveyAnswer
from tests.support.pages import ALICE_DAY, SECTIONS, TODAY, metrics, open_as


def everything(at) -> dict[str, object]:
    """What each chart shows, by its title, read from the table under it ("Show as table"), or
    None when it says that nothing matches; and the subscriptions by status (cards)."""
    shown: dict[str, object] = {}
    empty = i18n.t("insights.empty", "en")
    for section in SECTIONS:
        at.segmented_control(key="insights_section").set_value(section).run()
        assert not at.exception, at.exception
        assert len(at.table) == len(at.get("plotly_chart"))  # a table for every chart
        title = None

        def walk(node) -> None:
            nonlocal title
            kind = getattr(node, "type", None)
            if kind == "subheader":
                title = node.value
            elif kind == "table" and title in CHARTS:
                shown[title] = node.value.to_json()
            elif getattr(node, "value", None) == empty and title in CHARTS:
                shown[title] = None
            for child in getattr(node, "children", {}).values():
                walk(child)

        walk(at.main)
    assert set(shown) == set(CHARTS), set(CHARTS) - set(shown)
    cards = {k: v for k, v in metrics(at).items() if k in STATUS_LABELS}
    shown["subscriptions"] = json.dumps(cards, sort_keys=True)
    return shown


CHARTS = {
    i18n.t(f"insights.chart.{name}", "en")
    for name in ("reasons", "satisfaction", "trend", "funnel", "offers", "prices", "by_plan",
                 "by_tenure")
}  # fmt: skip
STATUS_LABELS = {i18n.t(f"status_name.{s}", "en") for s in ("active", "cancellation_scheduled",
                                                              "ended", "purged")}  # fmt: skip


FILTERS = {
    # filter: (alice only, everyone but alice)
    "insights_plans": (["growth"], ["starter"]),
    "insights_countries": (["AT"], ["AR", "AU"]),
    "insights_tenures": (["6-12m"], ["<6m", "1-2y"]),
    "insights_dates": ((ALICE_DAY, ALICE_DAY), (TODAY - dt.timedelta(days=1), TODAY)),
}


@pytest.mark.parametrize("key", FILTERS)
def test_every_chart_follows_every_filter(spread, key):
    at = open_as("boss", "en")
    if key != "insights_dates":  # the default range starts on the first day on record
        at.date_input(key="insights_dates").set_value((ALICE_DAY, TODAY)).run()
    everyone = everything(at)
    assert all(v is not None for v in everyone.values()), everyone
    changed: set[str] = set()
    for value in FILTERS[key]:
        widget = at.date_input(key=key) if key == "insights_dates" else at.multiselect(key=key)
        widget.set_value(value).run()
        assert not at.exception, at.exception
        shown = everything(at)
        changed |= {name for name in shown if shown[name] != everyone[name]}
        # and the cards agree with the filter: alice alone started one, the others two
        started = metrics(at)[i18n.t("insights.fig.started", "en")]
        assert started == ("1" if value == FILTERS[key][0] else "2"), (key, value)
    assert changed == set(everyone), sorted(set(everyone) - changed)


def test_subscriptions_by_status_follow_the_filters(spread):
    db, _made = spread
    boss = _boss(db)
    everyone = analytics.subscriptions_by_status(db, boss, analytics.Filters())
    assert everyone == {
        "active": 2, "paused": 0, "cancellation_scheduled": 1, "ended": 1, "purged": 0,
    }  # fmt: skip
    growth = analytics.Filters(plans=("growth",))
    assert analytics.subscriptions_by_status(db, boss, growth) == {
        "active": 0, "paused": 0, "cancellation_scheduled": 1, "ended": 1, "purged": 0,
    }  # fmt: skip
    austria = analytics.Filters(countries=("AT",))
    assert analytics.subscriptions_by_status(db, boss, austria)["active"] == 0
    veterans = analytics.Filters(tenures=("1-2y",))
    assert analytics.subscriptions_by_status(db, boss, veterans) == {
        "active": 1, "paused": 0, "cancellation_scheduled": 0, "ended": 0, "purged": 0,
    }  # fmt: skip
    # carol's ended five days ago: not among the subscriptions that ran in the last two days
    recent = analytics.Filters(start=TODAY - dt.timedelta(days=2), end=TODAY)
    assert analytics.subscriptions_by_status(db, boss, recent)["ended"] == 0
    # nothing had started two months ago
    old = TODAY - dt.timedelta(days=60)
    assert (
        sum(analytics.subscriptions_by_status(db, boss, analytics.Filters(old, old)).values()) == 0
    )


def _boss(db):
    from core.identity import auth
    from tests.support import factories

    return auth.sign_in(db, "boss@example.com", factories.PASSWORD).user


@pytest.mark.parametrize(
    ("lang", "codes", "expected"),
    [
        ("en", ["AT", "AU", "AR"], ["AR", "AU", "AT"]),  # Argentina, Australia, Austria
        ("it", ["AT", "AU", "AR"], ["AR", "AU", "AT"]),
        # Germany/Germania, Spain/Spagna, Switzerland/Svizzera, United Arab Emirates/Emirati...
        ("en", ["DE", "ES", "CH", "AE", "IS"], ["DE", "IS", "ES", "CH", "AE"]),
        ("it", ["DE", "ES", "CH", "AE", "IS"], ["AE", "DE", "IS", "ES", "CH"]),
        # accents and case do not push a name to the end: Côte d'Ivoire among the C's
        ("en", ["HR", "CI", "CO", "ZA"], ["CO", "CI", "HR", "ZA"]),
        ("en", ["AX", "AU", "BE"], ["AX", "AU", "BE"]),  # Åland Islands, Australia, Belgium
    ],
)
def test_countries_are_sorted_by_their_name_in_the_language(lang, codes, expected):
    assert analytics.sort_countries(codes, lang) == expected


@pytest.mark.parametrize("lang", ["en", "it"])
def test_the_filters_read_well_and_have_no_english_select_all(spread, lang):
    at = open_as("boss", lang)
    countries = at.multiselect(key="insights_countries")
    names = [analytics.country_name(c, lang) for c in ("AR", "AU", "AT")]
    assert list(countries.options) == names  # by name, not by ISO code
    tenure = at.multiselect(key="insights_tenures")
    assert tenure.label == i18n.t("insights.filter.tenures", lang)
    assert tenure.label == {"en": "Time as a customer", "it": "Da quanto tempo è cliente"}[lang]
    assert tenure.help == i18n.t("desk.filter.tenures_help", lang)
    for widget in at.multiselect:
        assert widget.proto.select_all == 0, widget.label  # no "Select all" in English
    assert at.tabs.len == 0  # a control that wraps on a phone instead of a tab bar
    assert at.segmented_control(key="insights_section").proto.wrap


def test_every_chart_has_its_numbers_in_a_table_and_no_toolbar(spread):
    at = open_as("boss", "it")
    for section in SECTIONS:
        at.segmented_control(key="insights_section").set_value(section).run()
        charts = at.get("plotly_chart")
        expanders = [e for e in at.expander if e.label == i18n.t("desk.chart.table", "it")]
        assert charts and len(expanders) == len(charts), section
        for chart in charts:
            config = json.loads(chart.proto.config)
            assert config["displayModeBar"] is False
    at.segmented_control(key="insights_section").set_value("funnel").run()
    [table] = [t.value for t in at.table]
    assert next(iter(table.iloc[:, 0])) == i18n.t("insights.stage.started", "it")
    assert next(iter(table.iloc[:, 1])) == "3"
    assert next(iter(table.iloc[:, 2])) == i18n.fmt_percent(1.0, "it")


def test_a_long_comment_is_shown_whole_with_its_full_date(spread):
    db, _made = spread
    long = "Inizio. " + "Il prezzo pesa sul budget del nostro piccolo team; " * 12 + "Fine."
    with db.transaction() as s:
        s.execute(
            update(SurveyAnswer)
            .where(SurveyAnswer.comment == "Troppo caro per il nostro team")
            .values(comment=long)
        )
    at = open_as("boss", "it")
    at.segmented_control(key="insights_section").set_value("comments").run()
    assert long in [t.value for t in at.text]  # every word, not cut by a table's cell
    with db.transaction() as s:
        answered = s.scalar(
            SurveyAnswer.__table__.select()
            .with_only_columns(SurveyAnswer.answered_at)
            .where(SurveyAnswer.comment == long)
        )
    full = i18n.fmt_datetime(answered, "it", "medium")  # date and time, seconds included
    assert any(full.replace(",", "\\,").replace(":", "\\:") in c.value for c in at.caption)


def test_more_comments_are_shown_on_request(spread):
    at = open_as("boss", "en")
    at.session_state["insights_comments_shown"] = 1  # a page of one, so two comments overflow
    at.segmented_control(key="insights_section").set_value("comments").run()
    assert len(at.text) == 1
    more = at.button(key="insights_comments_more")
    assert more.label == i18n.t("desk.comments.more", "en", n="1")
    more.click().run()
    assert "Troppo caro per il nostro team" in [t.value for t in at.text]
    assert len([t for t in at.text if "TikTok" in t.value]) == 1
    assert not [b for b in at.button if b.key == "insights_comments_more"]
