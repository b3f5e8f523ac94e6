"""The account's PDF report: a cover with the company, plan and date, summary figures, three
charts (followers by platform, engagement distribution, campaign results), the campaigns, the
lists, the top influencers and the saved reports, with page numbers, in the reader's language.

The figures come from `core.documents.report_data` (read in the caller's transaction); this
module draws them (`render`). Who may have the report is checked by its callers, the exports
(`core.exports.services.report_pdf`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from babel.numbers import format_compact_decimal

from core.documents import pdf_charts, pdf_table
from core.documents.pdf import FAMILY, Document, clean, new_document, write_line
from core.documents.report_data import BANDS, TOP_INFLUENCERS, ReportData
from core.platform.i18n import fmt_date, fmt_money, fmt_number, fmt_percent, locale_of, t

CHART_CAMPAIGNS = 8
PLATFORM_NAMES = {
    "instagram": "Instagram",
    "tiktok": "TikTok",
    "youtube": "YouTube",
    "twitch": "Twitch",
    "x": "X",
    "facebook": "Facebook",
}
PRIMARY = (91, 61, 245)
SOFT = (244, 242, 254)


@dataclass(frozen=True)
class RenderedReport:
    content: bytes
    pages: int
    # characters no shipped font has, printed as U+FFFD (core.documents.pdf logs which)
    replaced: int = 0


# --- The document --------------------------------------------------------------------------


def _compact(value: float, lang: str) -> str:
    """1.2M / 1,2 Mln for millions and more; smaller numbers in full, grouped."""
    if abs(value) < 1_000_000:
        return fmt_number(round(value), lang)
    return format_compact_decimal(
        value, format_type="short", locale=locale_of(lang), fraction_digits=1
    )


def _rate(percent: float | None, lang: str) -> str:
    return "–" if percent is None else fmt_percent(percent / 100, lang)


def _band_label(low: float | None, high: float | None, lang: str) -> str:
    if low is None:
        return t("report.band_below", lang, high=fmt_number(high, lang))
    if high is None:
        return t("report.band_above", lang, low=fmt_number(low, lang))
    return t("report.band", lang, low=fmt_number(low, lang), high=fmt_number(high, lang))


def platform_name(code: str) -> str:
    return PLATFORM_NAMES.get(code, code) or "–"


def render(data: ReportData, lang: str) -> RenderedReport:
    """The report as PDF bytes, in `lang`."""
    title = t("report.title", lang)
    pdf = new_document(
        lang,
        title=f"{data.company} - {title}",
        author=t("app.name", lang),
        footer=t(
            "report.footer", lang, company=clean(data.company)[:80], page="{page}", pages="{pages}"
        ),
    )
    pdf.add_page()
    _cover(pdf, data, lang)
    _summary(pdf, data, lang)
    _first_charts(pdf, data, lang)
    pdf.add_page()
    _campaigns(pdf, data, lang)
    _lists(pdf, data, lang)
    _top_influencers(pdf, data, lang)
    _saved_reports(pdf, data, lang)
    content = bytes(pdf.output())
    return RenderedReport(content, pdf.pages_count, pdf.replaced)


def _heading(pdf: Document, text: str) -> None:
    pdf_charts.heading(pdf, text, PRIMARY)


def _cover(pdf: Document, data: ReportData, lang: str) -> None:
    pdf.set_fill_color(*PRIMARY)
    pdf.rect(0, 0, pdf.w, 34, style="F")
    pdf.set_xy(pdf.l_margin, 9)
    write_line(pdf, t("app.name", lang), size=9, color=(230, 226, 255))
    write_line(pdf, t("report.title", lang), size=20, bold=True, color=(255, 255, 255), height=9)
    pdf.set_y(42)
    write_line(pdf, data.company, size=22, bold=True, height=10, color=pdf_charts.INK)
    pdf.ln(2)
    interval = t(f"interval.{data.billing_interval}", lang)
    price = fmt_money(data.price_cents, data.currency, lang)
    for key, params in (
        ("report.plan_line", {"plan": data.plan_name, "price": price, "interval": interval}),
        ("report.status_line", {"status": t(f"report.status.{data.status}", lang)}),
        (
            "report.cycle_line",
            {
                "start": fmt_date(data.period_start, lang),
                "end": fmt_date(data.period_end, lang),
            },
        ),
        ("report.prepared_on", {"date": data.generated_at.date()}),
    ):
        write_line(pdf, t(key, lang, **params), size=10.5, height=6, color=pdf_charts.MUTED)


def _summary(pdf: Document, data: ReportData, lang: str) -> None:
    _heading(pdf, t("report.summary", lang))
    reach = sum(c.reach for c in data.campaigns)
    boxes = (
        ("data.searches", fmt_number(data.searches, lang)),
        ("report.search_results", fmt_number(data.search_results, lang)),
        ("data.influencers", fmt_number(data.influencers, lang)),
        ("report.total_followers", _compact(data.total_followers, lang)),
        ("report.average_engagement", _rate(data.average_engagement, lang)),
        ("data.lists", fmt_number(len(data.lists), lang)),
        ("data.campaigns", fmt_number(len(data.campaigns), lang)),
        ("report.campaign_reach", _compact(reach, lang)),
    )
    width = (pdf.w - pdf.l_margin - pdf.r_margin - 3 * 4) / 4
    top = pdf.get_y()
    for i, (key, value) in enumerate(boxes):
        x = pdf.l_margin + (i % 4) * (width + 4)
        y = top + (i // 4) * 22
        pdf.set_fill_color(*SOFT)
        pdf.rect(x, y, width, 18, style="F", round_corners=True, corner_radius=2)
        pdf.set_xy(x + 3, y + 2.5)
        pdf.set_font(FAMILY, "B", 14)
        pdf.set_text_color(*PRIMARY)
        pdf.cell(w=width - 6, h=7, text=value)
        pdf.set_xy(x + 3, y + 10)
        pdf.set_font(FAMILY, "", 8)
        pdf.set_text_color(*pdf_charts.MUTED)
        pdf.cell(w=width - 6, h=5, text=t(key, lang))
    pdf.set_text_color(0, 0, 0)
    pdf.set_y(top + 2 * 22)


def _first_charts(pdf: Document, data: ReportData, lang: str) -> None:
    _heading(pdf, t("report.charts", lang))
    no_data = t("report.no_data", lang)
    width = (pdf.w - pdf.l_margin - pdf.r_margin - 8) / 2
    top = pdf.get_y()
    pdf_charts.horizontal_bars(
        pdf,
        pdf.l_margin,
        top,
        width,
        72,
        t("report.chart_platforms", lang),
        [
            pdf_charts.Bar(platform_name(p.platform), p.followers, _compact(p.followers, lang))
            for p in data.platforms[:8]
        ],
        empty_text=no_data,
    )
    pdf_charts.columns(
        pdf,
        pdf.l_margin + width + 8,
        top,
        width,
        72,
        t("report.chart_engagement", lang),
        [
            pdf_charts.Bar(_band_label(low, high, lang), n, fmt_number(n, lang))
            for (low, high), n in zip(BANDS, data.engagement_bands, strict=True)
        ],
        empty_text=no_data,
        color=pdf_charts.PALETTE[2],
    )
    pdf.set_y(top + 76)
    write_line(
        pdf,
        t("report.chart_note", lang, influencers=fmt_number(data.influencers, lang)),
        size=8,
        color=pdf_charts.MUTED,
    )


def _none(pdf: Document, text: str) -> None:
    write_line(pdf, text, size=9, color=pdf_charts.MUTED)


def _campaigns(pdf: Document, data: ReportData, lang: str) -> None:
    _heading(pdf, t("report.campaigns", lang))
    if not data.campaigns:
        _none(pdf, t("report.no_campaigns", lang))
        return
    shown = sorted(data.campaigns, key=lambda c: c.reach, reverse=True)[:CHART_CAMPAIGNS]
    shown.sort(key=lambda c: (c.start_date, c.name))
    series = (t("report.reach", lang), t("report.engagements", lang))
    height = 18 + len(shown) * (4.2 * len(series) + 3)
    if pdf.will_page_break(height):
        pdf.add_page()
    top = pdf.get_y()
    pdf_charts.grouped_bars(
        pdf,
        pdf.l_margin,
        top,
        pdf.w - pdf.l_margin - pdf.r_margin,
        height,
        t("report.chart_campaigns", lang),
        [
            (
                c.name,
                (
                    pdf_charts.Bar(series[0], c.reach, _compact(c.reach, lang)),
                    pdf_charts.Bar(series[1], c.engagements, _compact(c.engagements, lang)),
                ),
            )
            for c in shown
        ],
        series,
        empty_text=t("report.no_results_yet", lang),
    )
    pdf.set_y(top + height + 2)
    pdf_table.table(
        pdf,
        [
            t("report.col.campaign", lang),
            t("report.col.status", lang),
            t("report.col.dates", lang),
            t("report.reach", lang),
            t("report.engagements", lang),
            t("report.col.conversions", lang),
            t("report.col.cost", lang),
            t("report.col.budget", lang),
        ],
        [
            (
                c.name,
                t(f"campaign_status.{c.status}", lang)
                if c.status in ("planned", "active", "completed")
                else c.status,
                f"{fmt_date(c.start_date, lang, 'short')} – {fmt_date(c.end_date, lang, 'short')}",
                fmt_number(c.reach, lang),
                fmt_number(c.engagements, lang),
                fmt_number(c.conversions, lang),
                fmt_money(c.cost_cents, c.currency, lang),
                fmt_money(c.budget_cents, c.currency, lang),
            )
            for c in data.campaigns
        ],
        (42, 18, 19, 17, 21.5, 19.5, 21.5, 21.5),
        ("LEFT", "LEFT", "LEFT", *["RIGHT"] * 5),
        replace(pdf_charts.TABLE, font_size=7.5),
    )


def _lists(pdf: Document, data: ReportData, lang: str) -> None:
    _heading(pdf, t("report.lists", lang))
    if not data.lists:
        _none(pdf, t("report.no_lists", lang))
        return
    pdf_table.table(
        pdf,
        [
            t("report.col.list", lang),
            t("report.col.created", lang),
            t("report.col.influencers", lang),
            t("report.total_followers", lang),
            t("report.average_engagement", lang),
        ],
        [
            (
                item.name,
                fmt_date(item.created_at.date(), lang, "medium"),
                fmt_number(item.members, lang),
                fmt_number(item.followers, lang),
                _rate(item.engagement, lang),
            )
            for item in data.lists
        ],
        (60, 25, 20, 25, 25),
        ("LEFT", "LEFT", "RIGHT", "RIGHT", "RIGHT"),
        pdf_charts.TABLE,
    )


def _top_influencers(pdf: Document, data: ReportData, lang: str) -> None:
    _heading(pdf, t("report.top_influencers", lang, count=TOP_INFLUENCERS))
    if not data.top_influencers:
        _none(pdf, t("report.no_influencers", lang))
        return
    pdf_table.table(
        pdf,
        [
            t("report.col.name", lang),
            t("report.col.handle", lang),
            t("report.col.platform", lang),
            t("report.col.country", lang),
            t("report.col.followers", lang),
            t("report.col.engagement", lang),
        ],
        [
            (
                i.name,
                f"@{i.handle}",
                platform_name(i.platform),
                i.country,
                fmt_number(i.followers, lang),
                _rate(i.engagement_rate, lang),
            )
            for i in data.top_influencers
        ],
        (48, 40, 22, 14, 24, 22),
        ("LEFT", "LEFT", "LEFT", "LEFT", "RIGHT", "RIGHT"),
        pdf_charts.TABLE,
    )


def _saved_reports(pdf: Document, data: ReportData, lang: str) -> None:
    _heading(pdf, t("report.saved_reports", lang))
    if not data.reports:
        _none(pdf, t("report.no_reports", lang))
        return
    pdf_table.table(
        pdf,
        [t("report.col.title", lang), t("report.col.kind", lang), t("report.col.created", lang)],
        [
            (
                r.title,
                t(f"report_kind.{r.kind}", lang)
                if r.kind in ("campaign", "audience", "competitor")
                else r.kind,
                fmt_date(r.created_at.date(), lang, "medium"),
            )
            for r in data.reports
        ],
        (110, 30, 30),
        ("LEFT", "LEFT", "LEFT"),
        pdf_charts.TABLE,
    )
