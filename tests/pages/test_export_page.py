"""The Export data page under AppTest, in English and Italian: what each file holds before the
download, the download buttons, the report and the archive with their progress, the dates
until which exports stay available, and what an ended account is told."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import update
from streamlit.testing.v1 import AppTest

from core import demo, exports
from core.platform import i18n
from core.platform.i18n import fmt_number
from core.platform.models import Influencer, Subscription
from core.rules.vocabulary import STATUS_ENDED, STATUS_SCHEDULED
from tests.support.env import ROOT
from tests.support.pages import (
    EXPORT_PAGE,
    NOW,
    assert_no_raw_keys,
    downloads,
    open_export,
    open_page,
    visible_text,
)


@pytest.mark.parametrize("lang", ["en", "it"])
def test_the_page_says_what_each_file_holds_before_the_download(demo_shop, lang):
    at = open_export(lang)
    actor = exports.actor_for_email(demo_shop, demo.DEMO_CUSTOMER_EMAIL)
    opts = exports.export_options(demo_shop, actor)
    text = visible_text(at)
    assert at.title[0].value == i18n.t("export.title", lang)
    dates = {"ends": opts.ends_on, "last_day": opts.available_until}
    assert i18n.t("export.available_active", lang, **dates) in text
    assert i18n.t("export.intro", lang) in text
    searches = exports.plan_export(demo_shop, actor, exports.ExportRequest("search-results", "csv"))
    influencers = exports.plan_export(demo_shop, actor, exports.ExportRequest("influencers", "csv"))
    assert searches.rows == opts.search_results > 0 and influencers.rows == 160
    expected = (
        i18n.t(
            "export.search.contains",
            lang,
            rows=fmt_number(searches.rows, lang),
            searches=fmt_number(len(opts.searches), lang),
            columns=fmt_number(13, lang),
        ),
        i18n.t("export.influencers.contains", lang, rows="160", columns="13"),
        i18n.t("export.file_name", lang, name=searches.file_name),
        i18n.t("export.file_name", lang, name=influencers.file_name),
    )
    for line in expected:
        assert line in text, line
    assert downloads(at) == {
        "dl_search_results": i18n.t("export.download.search", lang),
        "dl_influencers": i18n.t("export.download.influencers", lang),
        "export_invoice_download": i18n.t("invoice.download", lang),
    }
    assert_no_raw_keys(at)


@pytest.mark.parametrize("lang", ["en", "it"])
def test_report_and_archive_are_prepared_then_downloaded(demo_shop, lang):
    at = open_export(lang)
    at.button(key="prepare_report").click().run()
    assert not at.exception, at.exception
    success = [s.value for s in at.success]
    assert any(
        s.startswith(i18n.t("export.report.ready", lang, pages="X", time="Y")[:12]) for s in success
    )
    assert downloads(at)["dl_report"] == i18n.t("export.download.report", lang)
    assert i18n.t("export.report.preview", lang) in [e.label for e in at.expander]
    at.button(key="prepare_archive").click().run()
    assert not at.exception, at.exception
    assert downloads(at)["dl_archive"] == i18n.t("export.download.archive", lang)
    assert len(at.success) == 2
    assert_no_raw_keys(at)
    # a new language needs a new report: the old one is not offered in the wrong language
    other = "it" if lang == "en" else "en"
    at.segmented_control(key="lang_choice").set_value(other).run()
    assert at.title[0].value == i18n.t("export.title", other)
    assert "dl_report" not in downloads(at) and "dl_archive" not in downloads(at)


def test_choices_change_what_the_file_holds(demo_shop):
    at = open_export("en")
    actor = exports.actor_for_email(demo_shop, demo.DEMO_CUSTOMER_EMAIL)
    opts = exports.export_options(demo_shop, actor)
    first = opts.searches[0]
    at.multiselect(key="export_searches").set_value([first.id]).run()
    rows = fmt_number(first.results, "en")
    assert i18n.t("export.search.contains", "en", rows=rows, searches="1", columns="13") in (
        visible_text(at)
    )
    at.multiselect(key="export_searches").set_value([]).run()
    assert i18n.t("export.search.choose", "en") in [w.value for w in at.warning]
    assert "dl_search_results" not in downloads(at)
    at.multiselect(key="export_columns").set_value(["name", "followers"]).run()
    at.radio(key="export_scope").set_value("lists-campaigns").run()
    listed = fmt_number(opts.influencers_listed, "en")
    assert i18n.t("export.influencers.contains", "en", rows=listed, columns="2") in (
        visible_text(at)
    )


def test_excel_is_not_offered_for_values_longer_than_a_cell(demo_shop):
    with demo_shop.transaction() as s:
        s.execute(update(Influencer).where(Influencer.id == 1).values(notes="n" * 40_000))
    at = open_export("it")
    at.radio(key="export_influencer_format").set_value("xlsx").run()
    assert i18n.t("export.error.xlsx_cell", "it") in [w.value for w in at.warning]
    assert "dl_influencers" not in downloads(at)
    at.radio(key="export_influencer_format").set_value("json").run()
    assert "dl_influencers" in downloads(at)


def test_an_account_with_no_data_still_has_its_report(demo_shop):
    at = open_export("en", "empty@example.com")
    assert i18n.t("export.search.none", "en") in [i.value for i in at.info]
    assert "dl_influencers" in downloads(at)
    at.button(key="prepare_report").click().run()
    assert "dl_report" in downloads(at)


@pytest.mark.parametrize("lang", ["en", "it"])
def test_a_scheduled_cancellation_says_until_when(demo_shop, lang):
    with demo_shop.transaction() as s:
        s.execute(
            update(Subscription).where(Subscription.account_id == 1).values(status=STATUS_SCHEDULED)
        )
    at = open_export(lang)
    opts = exports.export_options(
        demo_shop, exports.actor_for_email(demo_shop, demo.DEMO_CUSTOMER_EMAIL)
    )
    dates = {"ends": opts.ends_on, "last_day": opts.available_until}
    assert [w.value for w in at.warning] == [i18n.t("export.available_scheduled", lang, **dates)]
    assert "dl_influencers" in downloads(at)


@pytest.mark.parametrize("lang", ["en", "it"])
def test_an_ended_account_after_its_export_window_is_told_and_offered_nothing(demo_shop, lang):
    from core.identity import auth

    ended = NOW.date() - dt.timedelta(days=31)  # the 30-day window closed yesterday
    with demo_shop.transaction() as s:
        s.execute(
            update(Subscription)
            .where(Subscription.account_id == 1)
            .values(status=STATUS_ENDED, ended_on=ended)
        )
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90)
    at.session_state["lang"] = lang
    at.session_state["session_id"] = auth.sign_in(
        demo_shop, demo.DEMO_CUSTOMER_EMAIL, demo.DEMO_CUSTOMER_PASSWORD
    ).user.session_id
    at.run()
    assert not at.exception
    # the ended page says when the export window closed
    last_day = ended + dt.timedelta(days=29)
    assert i18n.t("ended.export_closed", lang, last_day=last_day) in visible_text(at)
    # the router no longer offers Export data: its address shows the ended page again
    open_page(at, EXPORT_PAGE).run()
    assert not at.exception
    assert at.title[0].value == i18n.t("ended.title", lang)
    assert i18n.t("ended.export_closed", lang, last_day=last_day) in visible_text(at)
    assert not downloads(at)
    assert not [b for b in at.button if b.key in ("prepare_report", "prepare_archive")]
