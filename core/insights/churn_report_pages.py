"""The Churn report's pages, drawn with fpdf2 (`core.documents.pdf`: fonts for every script,
`core.documents.pdf_charts`: charts without a browser) from `ChurnReportData`, in one language:
the filters, the headline figures with their change against the period before, the churn rates
(overall, per plan, per country, by month beside the period before), revenue at risk with the
accounts behind it, the reasons (share, by plan and by tenure band, revenue lost) and the
newest comments, whole."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from core.documents import pdf_charts, pdf_table
from core.documents.pdf import FAMILY, Document, clean, new_document, write_line
from core.documents.pdf_charts import Bar, Cell, Series
from core.insights.at_risk import RevenueAtRisk
from core.insights.churn import Churn, ChurnRates
from core.insights.churn_report_words import (
    CURRENCY,
    DASH,
    FIGURE_CARDS,
    change,
    date_range,
    day_text,
    month_name,
    rate_text,
    reason_name,
    shown,
    tenure_name,
    tx,
)
from core.insights.comments import Comments
from core.insights.crosstabs import CrossTab, CrossTabs
from core.insights.figures import Figures
from core.insights.filters import Filters, country_name
from core.platform.i18n import fmt_date, fmt_money, fmt_number, fmt_percent, has_key, t

# the Churn report's tables: the reports' look, a little tighter than the account report's
TABLE = replace(pdf_charts.TABLE, line_height=4.4, padding=(1.1, 1.5))

PRIMARY = (91, 61, 245)
SOFT = (244, 242, 254)
PREVIOUS = (150, 150, 165)  # the period before, dashed
PIECE = 300  # characters of a comment written at a time (see _long_text)
TIMELINE_DAYS = 16  # the timeline shows days up to this many, then months


@dataclass(frozen=True)
class ChurnReportData:
    """Everything the report prints, read with the admin's rights."""

    filters: Filters
    previous: Filters | None  # the period before (None: open dates, or before 2000)
    today: dt.date  # the day it was made (UTC); revenue at risk is as of today
    plan_names: dict[str, str]  # plan code -> name (plans table)
    figures: Figures
    previous_figures: Figures | None
    reasons: tuple[tuple[str, int], ...]  # (reason, answers), most frequent first
    rates: ChurnRates
    previous_rates: ChurnRates | None
    at_risk: RevenueAtRisk
    crosstabs: CrossTabs
    comments: Comments

    @property
    def empty(self) -> bool:
        """Nothing at all to report: no flow, no subscription in the base, nothing at risk."""
        return (
            self.figures.started == 0
            and self.rates.overall.base == 0
            and self.rates.overall.churned == 0
            and self.at_risk.count == 0
        )


# --- building blocks -------------------------------------------------------------------------


def _bars(
    pdf: Document,
    title: str,
    bars: Sequence[Bar],
    lang: str,
    *,
    color: tuple[int, int, int] = pdf_charts.PALETTE[0],
    new_page: bool = True,
) -> None:
    """Horizontal bars across the page, as tall as they need (on a new page when they would
    not fit, unless `new_page` is False)."""
    height = 12 + 9 * max(1, len(bars))
    if new_page and pdf.will_page_break(height):
        pdf.add_page()
    top = pdf.get_y()
    pdf_charts.horizontal_bars(
        pdf,
        pdf.l_margin,
        top,
        _width(pdf),
        height,
        title,
        bars,
        empty_text=t("report.no_data", lang),
        color=color,
    )
    pdf.set_y(top + height + 3)


def _heading(pdf: Document, text: str, room: float = 40) -> None:
    pdf_charts.heading(pdf, text, PRIMARY, room=room)


def _note(pdf: Document, text: str) -> None:
    write_line(pdf, text, size=8.5, color=pdf_charts.MUTED)


def _width(pdf: Document) -> float:
    return pdf.w - pdf.l_margin - pdf.r_margin


def _boxes(pdf: Document, boxes: Sequence[tuple[str, str, str]], per_row: int) -> None:
    """Figure cards: (label, value, second line), `per_row` a row; a long label wraps onto
    a second line."""
    gap = 4
    width = (_width(pdf) - gap * (per_row - 1)) / per_row
    height = 23
    rows = -(-len(boxes) // per_row)
    if pdf.will_page_break(rows * (height + gap)):
        pdf.add_page()
    top = pdf.get_y()
    for i, (label, value, second) in enumerate(boxes):
        x = pdf.l_margin + (i % per_row) * (width + gap)
        y = top + (i // per_row) * (height + gap)
        pdf.set_fill_color(*SOFT)
        pdf.rect(x, y, width, height, style="F", round_corners=True, corner_radius=2)
        pdf.set_font(FAMILY, "", 7.5)
        pdf.set_text_color(*pdf_charts.MUTED)
        for k, line in enumerate(pdf_charts.wrapped_lines(pdf, label, width - 6, 2)):
            pdf.set_xy(x + 3, y + 1.5 + k * 3.4)
            pdf.cell(w=width - 6, h=3.4, text=line)
        pdf.set_xy(x + 3, y + 8.5)
        pdf.set_font(FAMILY, "B", 13)
        pdf.set_text_color(*PRIMARY)
        pdf.cell(w=width - 6, h=7, text=pdf_charts.fit(pdf, value, width - 6))
        pdf.set_xy(x + 3, y + 16.5)
        pdf.set_font(FAMILY, "", 7)
        pdf.set_text_color(*pdf_charts.INK)
        pdf.cell(w=width - 6, h=4, text=pdf_charts.fit(pdf, second, width - 6))
    pdf.set_text_color(0, 0, 0)
    pdf.set_y(top + rows * (height + gap))


# --- the document ----------------------------------------------------------------------------


def render(data: ChurnReportData, lang: str) -> bytes:
    """The report as PDF bytes, in `lang`."""
    title = tx("title", lang)
    pdf = new_document(
        lang,
        title=title,
        author=t("app.name", lang),
        footer=tx("footer", lang, page="{page}", pages="{pages}"),
    )
    pdf.add_page()
    _cover(pdf, data, lang)
    if data.empty:
        pdf.ln(4)
        write_line(pdf, tx("nothing", lang), size=11, bold=True, color=pdf_charts.INK)
        return bytes(pdf.output())
    _figures(pdf, data, lang)
    _rates(pdf, data, lang)
    _at_risk(pdf, data, lang)
    _reasons(pdf, data, lang)
    _comments(pdf, data, lang)
    return bytes(pdf.output())


def _cover(pdf: Document, data: ChurnReportData, lang: str) -> None:
    pdf.set_fill_color(*PRIMARY)
    pdf.rect(0, 0, pdf.w, 30, style="F")
    pdf.set_xy(pdf.l_margin, 8)
    write_line(pdf, t("app.name", lang), size=9, color=(230, 226, 255))
    write_line(pdf, tx("title", lang), size=20, bold=True, color=(255, 255, 255), height=9)
    pdf.set_y(36)
    f = data.filters
    plans = [data.plan_names.get(code, code) for code in f.plans]
    lines = [
        tx("period", lang, range=date_range(f.start, f.end, lang)),
        tx("compared", lang, range=date_range(data.previous.start, data.previous.end, lang))
        if data.previous
        else tx("no_previous", lang),
        tx("plans", lang, values=", ".join(plans) or tx("all", lang)),
        tx(
            "countries",
            lang,
            values=", ".join(country_name(c, lang) for c in f.countries) or tx("all", lang),
        ),
        tx(
            "tenures",
            lang,
            values=", ".join(tenure_name(b, lang) for b in f.tenures) or tx("all", lang),
        ),
        tx("generated_on", lang, date=data.today),
    ]
    for line in lines:
        write_line(pdf, line, size=9.5, height=5.2, color=pdf_charts.INK)


# the headline cards, as the page shows them: (catalog key, field of Figures, kind of value)
def _card(
    label: str, now: object, before: object | None, attr: str, kind: str, lang: str
) -> tuple[str, str, str]:
    value = getattr(now, attr)
    was = None if before is None else getattr(before, attr)
    return (
        label,
        shown(value, kind, lang),
        tx("change", lang, change=change(value, was, kind, lang)),
    )


def _figures(pdf: Document, data: ChurnReportData, lang: str) -> None:
    _heading(pdf, tx("figures", lang))
    now, before = data.figures, data.previous_figures
    cards = [
        _card(t(f"insights.fig.{key}", lang), now, before, attr, kind, lang)
        for key, attr, kind in FIGURE_CARDS
    ]
    _boxes(pdf, cards, 4)


def _rates(pdf: Document, data: ChurnReportData, lang: str) -> None:
    _heading(pdf, tx("rates", lang), room=80)
    rates: ChurnRates = data.rates
    overall = rates.overall
    was = data.previous_rates.overall if data.previous_rates else None
    money = lambda cents: fmt_money(cents, CURRENCY, lang)  # noqa: E731
    _boxes(
        pdf,
        [
            _card(tx("customer_rate", lang), overall, was, "customer_rate", "rate", lang),
            _card(tx("mrr_rate", lang), overall, was, "mrr_rate", "rate", lang),
            (tx("base", lang), fmt_number(overall.base, lang), money(overall.base_mrr_cents)),
            (
                tx("churned", lang),
                fmt_number(overall.churned, lang),
                money(overall.churned_mrr_cents),
            ),
        ],
        4,
    )
    _note(pdf, tx("rates_help", lang))
    pdf.ln(1)
    _trend_charts(pdf, data, lang)
    for key, column, groups, name in (
        ("by_plan", "plan", rates.by_plan, lambda code: data.plan_names.get(code, code)),
        ("by_country", "country", rates.by_country, lambda code: country_name(code, lang)),
    ):
        _heading(pdf, tx(key, lang), room=30)
        if not groups:
            _note(pdf, t("insights.empty", lang))
            continue
        rows = [(name(code), churn) for code, churn in groups]
        _rates_table(pdf, t(f"insights.col.{column}", lang), rows, lang)


def _rates_table(pdf: Document, first: str, groups: Sequence[tuple[str, Churn]], lang: str) -> None:
    money = lambda cents: fmt_money(cents, CURRENCY, lang)  # noqa: E731
    pdf_table.table(
        pdf,
        [
            first,
            tx("base", lang),
            tx("churned", lang),
            tx("customer_rate", lang),
            tx("base_mrr", lang),
            tx("churned_mrr", lang),
            tx("mrr_rate", lang),
        ],
        [
            (
                label,
                fmt_number(c.base, lang),
                fmt_number(c.churned, lang),
                rate_text(c.customer_rate, lang),
                money(c.base_mrr_cents),
                money(c.churned_mrr_cents),
                rate_text(c.mrr_rate, lang),
            )
            for label, c in groups
        ],
        (34, 18, 18, 26, 30, 28, 26),
        ("LEFT", *["RIGHT"] * 6),
        TABLE,
    )


def _trend_charts(pdf: Document, data: ChurnReportData, lang: str) -> None:
    trend: Sequence[Churn] = data.rates.trend
    before: Sequence[Churn] = data.previous_rates.trend if data.previous_rates else ()
    labels = [month_name(c.start, lang) for c in trend]
    height = 62
    if pdf.will_page_break(height + 4):
        pdf.add_page()
    top = pdf.get_y()
    width = (_width(pdf) - 8) / 2
    percent = lambda v: fmt_percent(v, lang)  # noqa: E731
    charts: tuple[tuple[str, Callable[[Churn], float | None]], ...] = (
        ("trend_customer", lambda c: c.customer_rate),
        ("trend_mrr", lambda c: c.mrr_rate),
    )
    for i, (key, value) in enumerate(charts):
        series = [Series(tx("this_period", lang), [value(c) for c in trend], PRIMARY)]
        if before:
            series.append(
                Series(tx("period_before", lang), [value(c) for c in before], PREVIOUS, True)
            )
        pdf_charts.lines(
            pdf,
            pdf.l_margin + i * (width + 8),
            top,
            width,
            height,
            tx(key, lang),
            labels,
            series,
            empty_text=t("report.no_data", lang),
            tick_text=percent,
            point_text=percent,
        )
    pdf.set_y(top + height + 3)


def _at_risk(pdf: Document, data: ChurnReportData, lang: str) -> None:
    _heading(pdf, tx("at_risk", lang), room=60)
    risk = data.at_risk
    _note(pdf, tx("at_risk_help", lang, date=risk.today))
    pdf.ln(1)
    _boxes(
        pdf,
        [
            (tx("at_risk_count", lang), fmt_number(risk.count, lang), ""),
            (tx("at_risk_revenue", lang), fmt_money(risk.monthly_cents, CURRENCY, lang), ""),
        ],
        4,
    )
    if not risk.accounts:
        _note(pdf, tx("at_risk_none", lang))
        return
    _timeline(pdf, risk, lang)
    pdf_table.table(
        pdf,
        [
            tx("effective_on", lang),
            tx("company", lang),
            t("insights.col.plan", lang),
            t("insights.col.country", lang),
            tx("monthly_revenue", lang),
        ],
        [
            (
                day_text(a.effective_on, lang),
                a.company or DASH,
                data.plan_names.get(a.plan_code, a.plan_code),
                country_name(a.country, lang) if a.country else DASH,
                fmt_money(a.monthly_cents, CURRENCY, lang),
            )
            for a in risk.accounts
        ],
        (28, 62, 26, 32, 32),
        ("LEFT", "LEFT", "LEFT", "LEFT", "RIGHT"),
        TABLE,
    )
    if risk.count > len(risk.accounts):
        _note(
            pdf,
            tx(
                "at_risk_more",
                lang,
                shown=fmt_number(len(risk.accounts), lang),
                count=fmt_number(risk.count, lang),
            ),
        )


def _timeline(pdf: Document, risk: RevenueAtRisk, lang: str) -> None:
    """Scheduled cancellations by the day they take effect (by month past TIMELINE_DAYS)."""
    by_day = len(risk.by_day) <= TIMELINE_DAYS
    slots: dict[dt.date, int] = {}
    for day, n, _cents in risk.by_day:
        slot = day if by_day else day.replace(day=1)
        slots[slot] = slots.get(slot, 0) + n
    label = (lambda d: fmt_date(d, lang, "d MMM")) if by_day else (lambda d: month_name(d, lang))
    height = 42
    if pdf.will_page_break(height + 3):
        pdf.add_page()
    top = pdf.get_y()
    pdf_charts.columns(
        pdf,
        pdf.l_margin,
        top,
        min(_width(pdf), max(100, 16 * len(slots))),  # no bar wider than a few centimetres
        height,
        tx("timeline", lang),
        [Bar(label(d), n, fmt_number(n, lang)) for d, n in sorted(slots.items())],
        empty_text=t("report.no_data", lang),
        color=pdf_charts.PALETTE[1],
    )
    pdf.set_y(top + height + 3)


def _crosstab(pdf: Document, tab: CrossTab, title: str, rows: Sequence[str], lang: str) -> None:
    height = 14 + 12 + 7 * len(tab.rows)
    if pdf.will_page_break(height):
        pdf.add_page()
    cells = [
        [
            Cell(
                tab.share(i, j) or 0.0,
                tx("cell", lang, count=fmt_number(n, lang), share=rate_text(tab.share(i, j), lang)),
            )
            for j, n in enumerate(counts)
        ]
        for i, counts in enumerate(tab.counts)
    ]
    bottom = pdf_charts.heat_map(
        pdf,
        pdf.l_margin,
        pdf.get_y(),
        _width(pdf),
        title,
        rows,
        [reason_name(r, lang) for r in tab.columns],
        cells,
        empty_text=t("report.no_data", lang),
    )
    pdf.set_y(bottom + 3)


def _reasons(pdf: Document, data: ChurnReportData, lang: str) -> None:
    _heading(pdf, tx("reasons", lang), room=70)
    answered = sum(n for _r, n in data.reasons)
    bars = [
        Bar(
            reason_name(reason, lang),
            n,
            tx("cell", lang, count=fmt_number(n, lang), share=rate_text(n / answered, lang)),
        )
        for reason, n in data.reasons
    ]
    _bars(pdf, tx("reasons_share", lang), bars, lang, new_page=False)
    tabs = data.crosstabs
    _crosstab(
        pdf,
        tabs.reason_by_plan,
        tx("reason_by_plan", lang),
        [data.plan_names.get(code, label) for code, label in
         zip(tabs.reason_by_plan.rows, tabs.reason_by_plan.labels, strict=True)],
        lang,
    )  # fmt: skip
    _crosstab(
        pdf,
        tabs.reason_by_tenure,
        tx("reason_by_tenure", lang),
        [tenure_name(b, lang) for b in tabs.reason_by_tenure.rows],
        lang,
    )
    lost = [
        Bar(
            reason_name(r.reason, lang),
            r.revenue_lost_cents,
            tx(
                "lost_cell",
                lang,
                money=fmt_money(r.revenue_lost_cents, CURRENCY, lang),
                count=fmt_number(r.completed, lang),
            ),
        )
        for r in tabs.lost_by_reason
    ]
    _bars(pdf, tx("lost_by_reason", lang), lost, lang, color=pdf_charts.PALETTE[3])


def _comments(pdf: Document, data: ChurnReportData, lang: str) -> None:
    _heading(pdf, tx("comments", lang), room=40)
    found = data.comments
    if not found.rows:
        _note(pdf, tx("no_comments", lang))
        return
    _note(
        pdf,
        tx(
            "comments_shown",
            lang,
            shown=fmt_number(len(found.rows), lang),
            total=fmt_number(found.total, lang),
        ),
    )
    for c in found.rows:
        if pdf.will_page_break(16):
            pdf.add_page()
        pdf.ln(2)
        outcome_key = f"insights.outcome.{c.outcome}"
        facts = " · ".join(
            (
                day_text(c.answered_at.date(), lang),
                reason_name(c.reason, lang),
                data.plan_names.get(c.plan_code, c.plan_code),
                t(outcome_key, lang) if has_key(outcome_key) else c.outcome,
            )
        )
        write_line(pdf, facts, size=8, bold=True, color=pdf_charts.MUTED)
        if c.comment:
            _long_text(pdf, c.comment)
        if c.follow_up:
            _long_text(pdf, tx("follow_up", lang, text=c.follow_up))


def _long_text(pdf: Document, text: str, *, size: float = 9.5, height: float = 4.8) -> None:
    """Text a customer typed, whole, wrapped, its line breaks kept. Written a piece of at most
    PIECE characters at a time, each going on where the last stopped: fpdf2's bidi algorithm
    recurses once per character of a run of punctuation or spaces, and a comment of a thousand
    "!" (as long as a comment may be) raised RecursionError."""
    pdf.set_font(FAMILY, "", size)
    pdf.set_text_color(0, 0, 0)
    pdf.set_x(pdf.l_margin)
    for paragraph in clean(text, keep_newlines=True).split("\n"):
        rest = paragraph
        while len(rest) > PIECE:
            cut = rest.rfind(" ", PIECE // 2, PIECE) + 1 or PIECE  # after a space if one is near
            pdf.write(height, rest[:cut])
            rest = rest[cut:]
        pdf.write(height, rest)
        pdf.ln(height)
