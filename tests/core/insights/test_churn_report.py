"""The Churn report PDF, opened with pypdf (no LibreOffice, no browser): the figures it prints
are the page's (the core use cases' for the same filters, formatted for the admin's language),
worked out by hand for a small shop, in English and Italian; company names and comments in
Cyrillic and Japanese come out as text; an empty database gives a valid PDF that says so; the
drawing alone, from data built by hand; admins only (see also test_authorization_matrix)."""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest
from pypdf import PdfReader
from sqlalchemy import update

from core.identity import auth
from core.insights import analytics
from core.insights.analytics import Filters
from core.insights.churn_report_pages import render
from core.insights.churn_report_words import FIGURE_CARDS, change, points_change, shown
from core.platform.errors import InvalidInput, NotAuthorized
from core.platform.i18n import fmt_money, fmt_number, fmt_percent, t
from core.platform.models import Account
from core.retention import cancellation
from core.retention.cancellation import ALL_CONSENTS, Survey
from tests.support import factories
from tests.support.churn_report_sample import CJK, CYRILLIC, sample
from tests.support.env import NOW

NOVEMBER = Filters(start=dt.date(2026, 11, 1), end=dt.date(2026, 11, 26))  # NOW is the 26th
TODAY = NOW.date()
RU_COMMENT = "Слишком дорого для нас"
JA_COMMENT = "機能が足りない"


def at(day: str, time: str = "10:00") -> dt.datetime:
    return dt.datetime.fromisoformat(f"{day}T{time}:00+00:00")


def pdf_text(content: bytes) -> str:
    """The text of every page on one line, as a reader reads it: a label wrapped onto two
    lines is one phrase, no-break spaces are spaces."""
    reader = PdfReader(io.BytesIO(content))
    text = "\n".join(page.extract_text() for page in reader.pages)
    return re.sub(r"[\s\xa0\u202f]+", " ", text)


def plain(text: str) -> str:
    return re.sub(r"[\xa0\u202f]", " ", text)


def cancel(db, user, day: dt.datetime, survey: Survey | None) -> str:
    flow = cancellation.start(db, user, now=day).flow_id
    cancellation.answer_survey(db, user, flow, survey, now=day)
    return flow


@pytest.fixture
def churn_shop(db):
    """Four customers on since June 2026 (three on growth at $249, one on pro at $499):
    Ромашка ООО (RU) and 株式会社さくら (JP) schedule their cancellation in November with a
    comment, Bob is saved ("keep"), Acme's subscription ended on 5 November."""
    growth = factories.plan(db, "growth", 24900)
    pro = factories.plan(db, "pro", 49900)
    made = {}
    for who, plan_id, company, country in (
        ("ivan", growth, CYRILLIC, "RU"),
        ("sakura", pro, CJK, "JP"),
        ("acme", growth, "Acme Srl", "IT"),
        ("bob", growth, "Bob Ltd", "IT"),
    ):
        made[who] = factories.customer(
            db, f"{who}@example.com", plan_id, now=NOW, start=dt.date(2026, 6, 1), company=company
        )
        with db.transaction() as s:
            s.execute(
                update(Account).where(Account.id == made[who].account_id).values(country=country)
            )
    factories.admin(db, "boss@example.com", now=NOW)
    factories.end_subscription(db, made["acme"].account_id, dt.date(2026, 11, 5))
    users = {
        who: auth.sign_in(db, f"{who}@example.com", factories.PASSWORD, now=NOW).user
        for who in ("ivan", "sakura", "bob", "boss")
    }
    for who, day, survey in (
        ("ivan", at("2026-11-10"), Survey("too_expensive", comment=RU_COMMENT, satisfaction=2)),
        ("sakura", at("2026-11-12"), Survey("missing_features", follow_up=JA_COMMENT)),
    ):
        flow = cancel(db, users[who], day, survey)
        cancellation.go_on(db, users[who], flow, now=day)
        cancellation.confirm(db, users[who], flow, ALL_CONSENTS, now=day)
    flow = cancel(db, users["bob"], at("2026-11-15"), None)  # the survey skipped
    cancellation.keep(db, users["bob"], flow, now=at("2026-11-15"))
    return users


def test_the_shop_worked_out_by_hand(db, churn_shop):
    """What the report should print, from the core use cases, checked by hand first."""
    boss = churn_shop["boss"]
    fig = analytics.figures(db, boss, NOVEMBER)
    assert (fig.started, fig.completed, fig.saved, fig.undone) == (3, 2, 1, 0)
    assert fig.save_rate == pytest.approx(1 / 3) and fig.response_rate == pytest.approx(2 / 3)
    assert (fig.revenue_lost_cents, fig.revenue_saved_cents) == (24900 + 49900, 24900)
    assert NOVEMBER.previous() == Filters(start=dt.date(2026, 10, 6), end=dt.date(2026, 10, 31))
    assert analytics.figures(db, boss, NOVEMBER.previous()).started == 0
    overall = analytics.churn_rates(db, boss, NOVEMBER, today=TODAY).overall
    assert (overall.base, overall.base_mrr_cents) == (4, 3 * 24900 + 49900)
    assert (overall.churned, overall.churned_mrr_cents) == (1, 24900)  # Acme, 5 November
    before = analytics.churn_rates(db, boss, NOVEMBER.previous(), today=TODAY).overall
    assert (before.base, before.churned) == (4, 0)
    risk = analytics.revenue_at_risk(db, boss, NOVEMBER, today=TODAY)
    assert (risk.count, risk.monthly_cents) == (2, 24900 + 49900)
    assert {a.company for a in risk.accounts} == {CYRILLIC, CJK}


@pytest.mark.parametrize("lang", ["en", "it"])
def test_the_report_prints_the_pages_figures(db, churn_shop, lang):
    boss = churn_shop["boss"]
    content = analytics.churn_report_pdf(db, boss, NOVEMBER, lang, today=TODAY)
    assert content.startswith(b"%PDF-")
    text = pdf_text(content)
    assert t("churn_report.title", lang) in text
    # the cards: each value and its change against the period before (nothing then)
    fig = analytics.figures(db, boss, NOVEMBER)
    was = analytics.figures(db, boss, NOVEMBER.previous())
    for key, attr, kind in FIGURE_CARDS:
        value, before = getattr(fig, attr), getattr(was, attr)
        assert t(f"insights.fig.{key}", lang) in text
        assert plain(shown(value, kind, lang)) in text, key
        expected = plain(t("churn_report.change", lang, change=change(value, before, kind, lang)))
        assert expected in text, (key, expected)
    # by hand: 3 started (+3), revenue lost $748.00 (+$748.00), save rate 1 in 3, no rate before
    assert plain(t("churn_report.change", lang, change="+3")) in text
    assert plain("+" + fmt_money(74800, "USD", lang)) in text
    assert fmt_percent(1 / 3, lang) in text  # 33.3% / 33,3%
    assert plain(t("churn_report.change", lang, change="–")) in text
    # churn rates: a base of 4 subscriptions ($1,246.00), 1 churned ($249.00): 25%, MRR 20%
    overall = analytics.churn_rates(db, boss, NOVEMBER, today=TODAY).overall
    assert fmt_percent(overall.customer_rate, lang) == fmt_percent(0.25, lang) in text
    assert fmt_percent(overall.mrr_rate, lang) == fmt_percent(0.2, lang) in text
    assert plain(fmt_money(124600, "USD", lang)) in text
    assert plain(points_change(0.25, 0.0, lang)) in text  # +25 pp / +25 p.p.
    assert plain(points_change(24900 / 124600, 0.0, lang)) in text  # +20 pp
    # revenue at risk: the two scheduled cancellations, their companies in Cyrillic and Japanese
    risk = analytics.revenue_at_risk(db, boss, NOVEMBER, today=TODAY)
    assert plain(fmt_money(risk.monthly_cents, "USD", lang)) in text
    assert CYRILLIC in text and CJK in text
    # the reasons, by plan (one answer each: 100% of its plan's row) and lost by reason
    for reason in ("too_expensive", "missing_features"):
        assert t(f"reason.{reason}", lang) in text
    tabs = analytics.crosstabs(db, boss, NOVEMBER)
    assert tabs.reason_by_plan.rows == ("growth", "pro")
    assert tabs.reason_by_plan.counts == ((1, 0), (0, 1))
    assert tabs.reason_by_tenure.counts == ((1, 1),)  # both accounts under six months old

    def cell(share: float) -> str:
        return plain(t("churn_report.cell", lang, count="1", share=fmt_percent(share, lang)))

    assert text.count(cell(1)) == 2  # by plan: each answer is all of its plan's
    assert text.count(cell(0.5)) == 2 + 2  # the reasons' bars, and by tenure
    for loss in tabs.lost_by_reason:  # too expensive $249.00 (1), missing features $499.00 (1)
        money = fmt_money(loss.revenue_lost_cents, "USD", lang)
        assert plain(t("churn_report.lost_cell", lang, money=money, count="1")) in text
    assert {(r.reason, r.revenue_lost_cents) for r in tabs.lost_by_reason} == {
        ("too_expensive", 24900),
        ("missing_features", 49900),
    }
    # the comments, whole, with their flow's outcome
    assert RU_COMMENT in text and JA_COMMENT in text
    assert t("insights.outcome.completed", lang) in text


def test_the_report_of_an_empty_database_says_there_is_nothing(db):
    factories.admin(db, "boss@example.com", now=NOW)
    boss = auth.sign_in(db, "boss@example.com", factories.PASSWORD, now=NOW).user
    for lang in ("en", "it"):
        content = analytics.churn_report_pdf(db, boss, NOVEMBER, lang, today=TODAY)
        reader = PdfReader(io.BytesIO(content))
        assert len(reader.pages) == 1
        assert plain(t("churn_report.nothing", lang))[:40] in pdf_text(content)


def test_only_admins_get_the_report(db, churn_shop):
    for who in ("ivan", None):
        actor = churn_shop[who] if who else None
        with pytest.raises(NotAuthorized):
            analytics.churn_report_pdf(db, actor, NOVEMBER, "en", today=TODAY)


def test_the_file_name_says_the_dates():
    assert analytics.churn_report_file_name(NOVEMBER, "en") == (
        "churn-report_2026-11-01_2026-11-26.pdf"
    )
    assert analytics.churn_report_file_name(Filters(), "it") == "report-annullamenti_all_all.pdf"


# --- the drawing alone, from data built by hand ----------------------------------------------


@pytest.mark.parametrize("lang", ["en", "it"])
def test_the_drawing_prints_every_section(lang):
    data = sample()
    text = pdf_text(render(data, lang))
    assert fmt_number(1234, lang) in text  # cards: started, +234 against 1,000
    assert plain(t("churn_report.change", lang, change="+" + fmt_number(234, lang))) in text
    assert plain(t("churn_report.change", lang, change="-2")) in text  # undone 3 against 5
    assert plain(fmt_money(7993212, "USD", lang)) in text
    assert plain(points_change(47 / 368, 40 / 340, lang)) in text  # the save rate's change
    assert fmt_percent(64 / 800, lang) in text  # customer churn rate 8%
    assert fmt_percent(14 / 300, lang) in text  # Germany: 14 of 300, 4.7%
    assert CYRILLIC in text and CJK in text  # at-risk accounts (and a comment)
    assert "слишком дорого" in text and "高すぎる" in text
    assert "FINE DEL COMMENTO" in text  # a long comment is printed whole, not cut
    assert plain(fmt_money(3013212, "USD", lang)) in text  # lost with no reason given
    assert t("insights.no_reason", lang) in text
    assert t("churn_report.period_before", lang) in text  # the trend's overlay
    assert fmt_percent(30 / 40, lang) in text  # Growth: 30 of its 40 answers too expensive


def test_the_drawing_without_a_period_before_shows_dashes():
    from dataclasses import replace

    data = replace(sample(), previous=None, previous_figures=None, previous_rates=None)
    text = pdf_text(render(data, "en"))
    assert t("churn_report.no_previous", "en")[:30] in text
    assert text.count(t("churn_report.change", "en", change="–")) == 10  # 8 cards, 2 rates
    assert t("churn_report.period_before", "en") not in text


def test_bad_filters_get_a_clear_message_and_no_report(db, churn_shop):
    reversed_dates = Filters(start=dt.date(2026, 11, 26), end=dt.date(2026, 11, 1))
    with pytest.raises(InvalidInput) as caught:
        analytics.churn_report_pdf(db, churn_shop["boss"], reversed_dates, "it", today=TODAY)
    assert caught.value.key == "insights.error.dates"
    assert t(caught.value.key, "it")  # a message in the admin's language


def test_the_drawing_says_which_sections_are_empty():
    from dataclasses import replace

    from core.insights.at_risk import RevenueAtRisk
    from core.insights.comments import Comments
    from core.insights.crosstabs import CrossTab, CrossTabs

    data = sample()
    nothing = CrossTab((), (), (), ())
    data = replace(
        data,
        reasons=(),
        rates=replace(data.rates, by_plan=(), by_country=(), trend=()),
        at_risk=RevenueAtRisk(data.today, 0, 0, (), ()),
        crosstabs=CrossTabs(data.filters, nothing, nothing, ()),
        comments=Comments((), 0),
    )
    text = pdf_text(render(data, "it"))
    assert fmt_number(1234, "it") in text  # the cards are there
    assert text.count(t("report.no_data", "it")) == 2 + 2 + 2  # trends, reasons, cross-tabs
    assert text.count(t("insights.empty", "it")) == 2  # rates by plan, by country
    assert t("churn_report.at_risk_none", "it") in text
    assert t("churn_report.no_comments", "it") in text


def test_a_comment_as_long_as_allowed_of_punctuation_or_spaces_is_printed():
    """fpdf2's bidi algorithm recursed once per character of such a run (RecursionError)."""
    from dataclasses import replace

    from core.insights.comments import Comments
    from core.retention.cancellation import MAX_COMMENT

    data = sample()
    first = data.comments.rows[0]
    rows = (
        replace(first, comment="!" * MAX_COMMENT),
        replace(first, comment=" " * MAX_COMMENT + "END", follow_up="?" * 200),
    )
    text = pdf_text(render(replace(data, comments=Comments(rows, 2)), "en"))
    assert text.count("!") == MAX_COMMENT and text.count("?") == 200 and "END" in text
