"""The PDF report, opened with a PDF reader: pages, page numbers, the company and influencer
names in many scripts (as text, set in real fonts), charts, both languages, an empty account;
and the shared `core.documents.pdf` helper other PDFs (the cancellation receipt) are built with."""

from __future__ import annotations

import datetime as dt
import io
import re
import unicodedata

import pytest
from pypdf import PdfReader
from sqlalchemy import update

from core.demo import busy
from core.documents import pdf, report, report_data
from core.exports import access, services
from core.exports.request import ExportRequest, ExportUnavailable
from core.platform import i18n
from core.platform.db import Database
from core.platform.errors import NotAuthorized
from core.platform.models import Influencer, Subscription
from core.rules.vocabulary import STATUS_ENDED
from tests.support import factories
from tests.support.env import NOW

NAMES = {  # script: a name as customers store it
    "latin": "Zoë Núñez-Groß",
    "emoji": "Nour ✨🌸 👩‍👩‍👧",
    "cyrillic": "Анна Иванова",
    "greek": "Ελένη Παπαδάκη",
    "han": "王芳",
    "japanese": "佐藤 さくら",
    "hangul": "김민지",
    "arabic": "ليلى حسن",
    "hebrew": "נועה כהן",
    "devanagari": "प्रिया शर्मा",
}
COMPANY = "Lumière & Thảo Co. — 株式会社 ✨"


def pdf_text(content: bytes) -> tuple[PdfReader, list[str]]:
    reader = PdfReader(io.BytesIO(content))
    return reader, [page.extract_text() for page in reader.pages]


def fonts_used(reader: PdfReader) -> set[str]:
    names = set()
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            names.add(str(font.get_object()["/BaseFont"]).split("+", 1)[-1])
    return names


def account_with_names(db: Database) -> factories.Made:
    plan_id = factories.plan(db)
    made = factories.customer(db, "alice@example.com", plan_id, now=NOW, company=COMPANY)
    with db.transaction() as s:
        for i, name in enumerate(NAMES.values()):
            s.add(
                Influencer(
                    account_id=made.account_id,
                    handle=f"creator{i}",
                    name=name,
                    platform=("instagram", "tiktok", "youtube")[i % 3],
                    followers=1_000_000 - i * 1000,
                    engagement_rate=0.5 + i,
                    country="IT",
                    unlocked_at=NOW,
                )
            )
    return made


def build(db: Database, email: str, lang: str) -> bytes:
    actor = access.actor_for_email(db, email)
    content, result = services.export_bytes(
        db, actor, ExportRequest("report", "pdf"), lang=lang, now=NOW
    )
    assert result.mime == "application/pdf" and result.pages >= 2
    return content


@pytest.mark.parametrize("lang", ["en", "it"])
def test_the_report_prints_names_in_every_script(db, lang):
    made = account_with_names(db)
    reader, pages = pdf_text(build(db, made.email, lang))
    text = "\n".join(pages)
    assert len(reader.pages) >= 2
    assert "Lumière & Thảo Co." in text and "株式会社" in text
    for script in ("latin", "cyrillic", "greek", "han", "japanese", "hangul"):
        assert NAMES[script] in text, script
    # right-to-left names come out in visual order: each word is there
    for script in ("arabic", "hebrew"):
        assert all(word in text for word in NAMES[script].split()), script
    assert "Nour ✨🌸" in text
    # every script was set in a font that has it (no empty boxes)
    assert {
        "NotoSans",
        "NotoSansBold",
        "NotoSansArabic",
        "NotoSansHebrew",
        "NotoSansDevanagari",
        "NotoEmoji",
        "DroidSansFallback",
        "NanumGothic",
    } <= fonts_used(reader)
    # a cover in the reader's language, summary figures, three charts, page numbers
    assert i18n.t("report.title", lang) in pages[0]
    assert i18n.fmt_date(NOW.date(), lang) in pages[0]
    for key in ("report.chart_platforms", "report.chart_engagement", "report.summary"):
        assert i18n.t(key, lang) in pages[0], key
    assert i18n.t("report.top_influencers", lang, count=10) in text
    for n, page in enumerate(pages, start=1):
        footer = i18n.t("report.footer", lang, company=COMPANY, page=n, pages=len(pages))
        assert " ".join(footer.split()) in " ".join(page.split()), (n, page[-200:])


def test_the_report_of_the_demo_account_has_its_campaigns_and_charts(db):
    from core import demo

    demo.seed(db, accounts=0, now=NOW)
    reader, pages = pdf_text(build(db, demo.DEMO_CUSTOMER_EMAIL, "en"))
    text = "\n".join(pages)
    assert "Lumière & Co. Agency" in pages[0]
    assert "Campaign results: reach and engagements" in text
    assert "Growth" in pages[0]
    data = services.report_figures(
        db, access.actor_for_email(db, demo.DEMO_CUSTOMER_EMAIL), now=NOW
    )
    assert len(data.campaigns) == 4 and len(data.lists) == 5
    for campaign in data.campaigns:
        assert campaign.name in text
    for item in data.lists:
        assert item.name in text
    assert sum(data.engagement_bands) == data.influencers == 160
    assert sum(p.influencers for p in data.platforms) == 160
    assert len(reader.pages) >= 3


@pytest.mark.parametrize("lang", ["en", "it"])
def test_an_account_with_no_data_still_gets_a_valid_report(db, lang):
    plan_id = factories.plan(db)
    made = factories.customer(db, "empty@example.com", plan_id, now=NOW, company="Empty Srl")
    reader, pages = pdf_text(build(db, made.email, lang))
    text = "\n".join(pages)
    assert "Empty Srl" in pages[0]
    for key in ("report.no_campaigns", "report.no_lists", "report.no_influencers"):
        assert i18n.t(key, lang) in text, key
    assert i18n.t("report.no_data", lang) in pages[0]
    assert len(reader.pages) == len(pages) >= 2


def test_only_the_owner_gets_the_report_and_not_after_the_end(db):
    plan_id = factories.plan(db)
    alice = factories.customer(db, "alice@example.com", plan_id, now=NOW)
    factories.customer(db, "bob@example.com", plan_id, now=NOW, company="Bob Ltd")
    bob = access.actor_for_email(db, "bob@example.com")
    with pytest.raises(NotAuthorized):
        services.report_pdf(db, bob, alice.account_id)
    with db.transaction() as s:
        s.execute(
            update(Subscription)
            .where(Subscription.account_id == alice.account_id)
            .values(status=STATUS_ENDED, ended_on=dt.date(2026, 1, 1))  # export window over
        )
    with pytest.raises(ExportUnavailable):
        services.report_pdf(db, access.actor_for_email(db, alice.email))


def test_the_shared_pdf_helper_prints_any_text_safely():
    doc = pdf.new_document("it", title="Ricevuta", footer="Pagina {page} di {pages}")
    doc.add_page()
    pdf.write_line(doc, "Ricevuta di annullamento", size=18, bold=True)
    hostile = "=1+1\ttab\r\nnew line\x00\x07 " + "è" * 5000 + " 佐藤 김민지 ليلى 👍🏽 " * 20
    pdf.write_line(doc, hostile)
    pdf.write_line(doc, "riga 1\nriga 2", keep_newlines=True)
    doc.set_font(pdf.FAMILY, "", 10)
    cut = pdf.fit(doc, "Nome molto lungo " * 20, 40)
    assert cut.endswith("…") and doc.get_string_width(cut) <= 40
    assert pdf.fit(doc, "breve", 40) == "breve"
    for run in ("-" * 5000, " " * 3000 + "x", "😀" * 3000):  # fpdf2's bidi recursed per character
        cut = pdf.fit(doc, run, 40)
        assert cut.endswith("…") and doc.get_string_width(cut) <= 40
    assert pdf.clean("a\x00b\nc\td") == "a b c d"
    reader, pages = pdf_text(bytes(doc.output()))
    text = "\n".join(pages)
    assert "Ricevuta di annullamento" in text and "佐藤" in text and "김민지" in text
    assert "riga 1\nriga 2" in text
    assert f"Pagina 1 di {len(pages)}" in text
    assert reader.metadata.title == "Ricevuta"


def test_report_dates_are_the_reference_time():
    data = report_data.ReportData(
        company="X",
        country="IT",
        plan_name="Growth",
        status="active",
        billing_interval="month",
        price_cents=24900,
        currency="USD",
        period_start=dt.date(2026, 11, 8),
        period_end=dt.date(2026, 12, 8),
        generated_at=NOW,
        searches=0,
        search_results=0,
        influencers=0,
        invoices=0,
        total_followers=0,
        average_engagement=None,
        platforms=(),
        engagement_bands=(0,) * len(report_data.BANDS),
        lists=(),
        campaigns=(),
        top_influencers=(),
        reports=(),
    )
    rendered = report.render(data, "it")
    _reader, pages = pdf_text(rendered.content)
    assert "26 novembre 2026" in pages[0] and "8 dicembre 2026" in pages[0]
    assert rendered.pages == len(pages)


def _readable(text: str) -> str:
    """Text as compared with what a reader sees: no spaces, line breaks or control
    characters (a wrapped name comes out of the PDF in lines; poppler and pypdf put a
    control character inside some Devanagari syllables)."""
    return "".join(c for c in text if not c.isspace() and unicodedata.category(c) != "Cc")


def _right_to_left(name: str) -> bool:
    return any(unicodedata.bidirectional(c) in ("R", "AL") for c in name)


@pytest.mark.parametrize("lang", ["en", "it"])
def test_a_report_of_500_lists_and_500_campaigns_shows_every_name_whole(db, lang):
    made = busy.seed_busy(db, now=NOW)
    data = services.report_figures(db, access.actor_for_email(db, made.email), now=NOW)
    assert len(data.lists) == 500 and len(data.campaigns) == 500
    reader, pages = pdf_text(build(db, made.email, lang))
    assert 30 <= len(reader.pages) <= 80
    text = _readable("\n".join(pages))
    names = [c.name for c in data.campaigns] + [item.name for item in data.lists]
    assert any(len(name) > 150 for name in names)  # wrapped over several lines
    assert any("VeryLongUnbroken" in name for name in names)  # broken inside the word
    for name in names:
        if _right_to_left(name):  # set in visual order: each word is there
            words = re.findall(r"\w+", name)
            assert all(_readable(word) in text for word in words), name
        else:  # whole: not cut, not replaced, in its own script
            assert _readable(name) in text, name
    for script in ("美妆达人", "ゲーム実況者", "뷰티 크리에이터", "Блогеры о красоте", "Ελληνικοί"):
        assert any(script in name for name in names)
        assert _readable(script) in text
    # the tables' headings are repeated on each page they run onto
    list_heading = " ".join(i18n.t(f"report.col.{key}", lang) for key in ("list", "created"))
    shown = [i for i, page in enumerate(pages) if list_heading in page]
    assert len(shown) >= 10
    assert shown == list(range(shown[0], shown[-1] + 1))
    assert "\ufffd" not in "".join(pages)


def test_write_line_prints_a_long_run_of_punctuation_whole():
    """fpdf2's bidi algorithm recursed once per character of such a run (RecursionError
    past about 1,000): left-to-right text skips it, other text gets the room it needs."""
    doc = pdf.new_document("en")
    doc.add_page()
    pdf.write_line(doc, "!" * 1000)
    pdf.write_line(doc, "ليلى " + "!" * 1000 + " 佐藤")
    pdf.write_line(doc, " " * 3000 + "x" + "-" * 5000)
    _reader, pages = pdf_text(bytes(doc.output()))
    text = "".join(pages)
    assert text.count("!") == 2000 and text.count("-") == 5000
    assert "佐藤" in text and "x" in text
