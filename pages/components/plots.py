"""Plotly figures for the churn insights, labelled in the admin's language, and the small
"Download CSV" button under each chart. The numbers come from `core.insights.analytics`;
here they are only named, coloured and laid out."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import plotly.graph_objects as go
import streamlit as st
from babel import Locale
from babel.dates import format_date
from babel.numbers import format_currency

from core.insights import analytics
from core.insights.analytics import GroupCounts, Insights, PriceBucket, Trend
from core.platform.i18n import fmt_date, fmt_number, fmt_percent, locale_of
from pages.components.text import md
from pages.shell.context import PageContext

REASON_COLOURS = {
    "too_expensive": "#5B3DF5",
    "missing_features": "#F59E0B",
    "not_using": "#10B981",
    "switching_tool": "#EF4444",
    "one_campaign": "#0EA5E9",
    "technical_issues": "#EC4899",
    "other": "#64748B",
    None: "#CBD5E1",  # no reason given (survey skipped)
}
COMPLETED_COLOUR = "#EF4444"
SAVED_COLOUR = "#10B981"
PRIMARY = "#5B3DF5"
SEPARATORS = {"en": ".,", "it": ",."}  # decimal, thousands: as Babel writes them
# No toolbar: on a phone it covers the bars, and every chart's numbers are in a table under it
# ("Show as table") and in its CSV. Scrolling the page must not zoom the chart.
CONFIG = {"displayModeBar": False, "displaylogo": False, "scrollZoom": False, "responsive": True}


# --- labels ----------------------------------------------------------------------------------


def reason_name(ctx: PageContext, reason: str | None) -> str:
    return ctx.t(f"reason.{reason}") if reason else ctx.t("insights.no_reason")


def tenure_name(ctx: PageContext, band: str) -> str:
    key = analytics.TENURE_KEYS.get(band)
    return ctx.t(key) if key else band


def country_name(ctx: PageContext, code: str) -> str:
    return analytics.country_name(code, ctx.lang)


def dollars(ctx: PageContext, cents: int) -> str:
    """Whole dollars in the locale's currency pattern: "$125" / "125 USD"."""
    pattern = Locale.parse(locale_of(ctx.lang)).currency_formats["standard"].pattern
    return format_currency(
        Decimal(cents) / 100,
        "USD",
        format=pattern.replace(".00", ""),
        currency_digits=False,
        locale=locale_of(ctx.lang),
    )


def price_range(ctx: PageContext, bucket: PriceBucket) -> str:
    """ "$98–124" / "98–124 USD": whole dollars, the currency once."""
    low = fmt_number(bucket.low_cents // 100, ctx.lang)
    if bucket.high_cents is None:
        return ctx.t("insights.price_over", low=low)
    return ctx.t(
        "insights.price_range", low=low, high=fmt_number(bucket.high_cents // 100 - 1, ctx.lang)
    )


def period_name(ctx: PageContext, day: dt.date, granularity: str) -> str:
    if granularity == "month":
        return format_date(day, "LLL yyyy", locale=locale_of(ctx.lang))
    return ctx.t("insights.week_of", day=format_date(day, "d MMM yy", locale=locale_of(ctx.lang)))


# --- figures ---------------------------------------------------------------------------------


def _layout(ctx: PageContext, fig: go.Figure, *, height: int = 380, **extra: Any) -> go.Figure:
    fig.update_layout(
        separators=SEPARATORS.get(ctx.lang, ".,"),
        height=height,
        margin={"l": 8, "r": 8, "t": 16, "b": 8},
        # above the plot: below it, long or slanted axis labels would run into it
        legend={
            "orientation": "h",
            "yanchor": "bottom",
            "y": 1.02,
            "x": 0,
            "title": None,
            "traceorder": "normal",
        },
        hoverlabel={"namelength": -1},
        **extra,
    )
    return fig


def reasons_share(ctx: PageContext, data: Insights) -> go.Figure:
    total = sum(n for _r, n in data.reasons) or 1
    ordered = list(reversed(data.reasons))  # largest on top
    fig = go.Figure(
        go.Bar(
            orientation="h",
            y=[reason_name(ctx, r) for r, _n in ordered],
            x=[n for _r, n in ordered],
            marker_color=[REASON_COLOURS.get(r, PRIMARY) for r, _n in ordered],
            text=[
                f"{fmt_number(n, ctx.lang)} · {fmt_percent(n / total, ctx.lang)}"
                for _r, n in ordered
            ],
            textposition="auto",
            hovertemplate="%{y}: %{x}<extra></extra>",
        )
    )
    fig.update_xaxes(title=ctx.t("insights.axis.answers"))
    fig.update_yaxes(automargin=True)
    return _layout(ctx, fig, height=max(260, 48 * len(ordered) + 80), showlegend=False)


def reasons_share_csv(ctx: PageContext, data: Insights) -> tuple[list[str], list[list[Any]]]:
    total = sum(n for _r, n in data.reasons)
    header = [
        ctx.t("insights.col.reason"),
        ctx.t("insights.col.answers"),
        ctx.t("insights.col.share"),
    ]
    return header, [[reason_name(ctx, r), n, round(n / total, 4)] for r, n in data.reasons]


def _trend_table(trend: Trend) -> tuple[list[str], dict[tuple[dt.date, str], int]]:
    present = {p.reason for p in trend.points}
    reasons = [r for r in analytics.REASONS if r in present]
    counts = {(p.bucket, p.reason): p.count for p in trend.points}
    return reasons, counts


def reasons_trend(ctx: PageContext, trend: Trend) -> go.Figure:
    reasons, counts = _trend_table(trend)
    labels = [period_name(ctx, b, trend.granularity) for b in trend.buckets]
    fig = go.Figure(
        [
            go.Bar(
                name=reason_name(ctx, r),
                x=labels,
                y=[counts.get((b, r), 0) for b in trend.buckets],
                marker_color=REASON_COLOURS.get(r, PRIMARY),
                hovertemplate="%{x}<br>%{fullData.name}: %{y}<extra></extra>",
            )
            for r in reasons
        ]
    )
    fig.update_xaxes(
        type="category", title=None, tickangle=-45 if trend.granularity == "week" else 0
    )
    fig.update_yaxes(title=ctx.t("insights.axis.answers"), rangemode="tozero")
    return _layout(ctx, fig, height=440, barmode="stack")


def reasons_trend_csv(ctx: PageContext, trend: Trend) -> tuple[list[str], list[list[Any]]]:
    reasons, counts = _trend_table(trend)
    header = [ctx.t("insights.col.period_start")] + [reason_name(ctx, r) for r in reasons]
    rows = [[b, *(counts.get((b, r), 0) for r in reasons)] for b in trend.buckets]
    return header, rows


def _stage_names(ctx: PageContext) -> dict[str, str]:
    return {stage: ctx.t(f"insights.stage.{stage}") for stage, _steps in analytics.FUNNEL}


def funnel(ctx: PageContext, data: Insights) -> go.Figure:
    names = _stage_names(ctx)
    fig = go.Figure(
        go.Funnel(
            y=[names[s] for s, _n in data.funnel],
            x=[n for _s, n in data.funnel],
            textinfo="value+percent initial",
            marker={"color": PRIMARY},
            connector={"fillcolor": "#EDEAFB"},
            hovertemplate="%{y}: %{x}<extra></extra>",
        )
    )
    fig.update_yaxes(automargin=True)
    return _layout(ctx, fig, height=360, showlegend=False)


def funnel_csv(ctx: PageContext, data: Insights) -> tuple[list[str], list[list[Any]]]:
    names = _stage_names(ctx)
    first = data.funnel[0][1] if data.funnel else 0
    header = [
        ctx.t("insights.col.stage"),
        ctx.t("insights.col.flows"),
        ctx.t("insights.col.share_of_started"),
    ]
    return header, [[names[s], n, round(n / first, 4) if first else ""] for s, n in data.funnel]


def satisfaction(ctx: PageContext, data: Insights) -> go.Figure:
    fig = go.Figure(
        go.Bar(
            x=[ctx.t("insights.stars", n=score) for score, _n in data.satisfaction],
            y=[n for _s, n in data.satisfaction],
            marker_color=["#EF4444", "#F97316", "#F59E0B", "#84CC16", "#10B981"],
            text=[fmt_number(n, ctx.lang) for _s, n in data.satisfaction],
            textposition="auto",
            hovertemplate="%{x}: %{y}<extra></extra>",
        )
    )
    fig.update_xaxes(type="category", title=ctx.t("insights.axis.satisfaction"))
    fig.update_yaxes(title=ctx.t("insights.axis.answers"), rangemode="tozero")
    return _layout(ctx, fig, height=340, showlegend=False)


def satisfaction_csv(ctx: PageContext, data: Insights) -> tuple[list[str], list[list[Any]]]:
    header = [ctx.t("insights.col.satisfaction"), ctx.t("insights.col.answers")]
    return header, [[score, n] for score, n in data.satisfaction]


def _offer_rows(ctx: PageContext, data: Insights) -> list[tuple[str, int]]:
    o = data.offers
    return [
        (ctx.t("insights.offer.shown"), o.shown),
        (ctx.t("insights.offer.opened"), o.opened),
        (ctx.t("insights.offer.requested"), o.requested),
    ]


def offers(ctx: PageContext, data: Insights) -> go.Figure:
    rows = _offer_rows(ctx, data)
    fig = go.Figure(
        go.Funnel(
            y=[name for name, _n in rows],
            x=[n for _name, n in rows],
            textinfo="value+percent initial",
            marker={"color": ["#5B3DF5", "#8B5CF6", "#10B981"]},
            connector={"fillcolor": "#EDEAFB"},
            hovertemplate="%{y}: %{x}<extra></extra>",
        )
    )
    fig.update_yaxes(automargin=True)
    return _layout(ctx, fig, height=280, showlegend=False)


def offers_csv(ctx: PageContext, data: Insights) -> tuple[list[str], list[list[Any]]]:
    header = [ctx.t("insights.col.stage"), ctx.t("insights.col.flows")]
    return header, [[name, n] for name, n in _offer_rows(ctx, data)]


def _price_table(
    prices: Sequence[PriceBucket],
) -> tuple[list[PriceBucket], list[str | None], dict[tuple[int, str | None], int]]:
    """Every bucket from $98 to the highest requested (empty ones too), the reasons present."""
    if not prices:
        return [], [], {}
    top = max(p.low_cents for p in prices)
    buckets = [PriceBucket(analytics.PRICE_FROM_CENTS, analytics.PRICE_FIRST_EDGE_CENTS, None, 0)]
    low = analytics.PRICE_FIRST_EDGE_CENTS
    while low <= top:
        high = None if low >= analytics.PRICE_TOP_CENTS else low + analytics.PRICE_STEP_CENTS
        buckets.append(PriceBucket(low, high, None, 0))
        low += analytics.PRICE_STEP_CENTS
        if high is None:
            break
    present = {p.reason for p in prices}
    reasons: list[str | None] = [r for r in analytics.REASONS if r in present]
    if None in present:
        reasons.append(None)
    counts = {(p.low_cents, p.reason): p.count for p in prices}
    return buckets, reasons, counts


def prices(ctx: PageContext, data: Insights) -> go.Figure:
    buckets, reasons, counts = _price_table(data.prices)
    labels = [price_range(ctx, b) for b in buckets]
    fig = go.Figure(
        [
            go.Bar(
                name=reason_name(ctx, r),
                x=labels,
                y=[counts.get((b.low_cents, r), 0) for b in buckets],
                marker_color=REASON_COLOURS.get(r, PRIMARY),
                hovertemplate="%{x}<br>%{fullData.name}: %{y}<extra></extra>",
            )
            for r in reasons
        ]
    )
    fig.update_xaxes(type="category", title=ctx.t("insights.axis.price"))
    fig.update_yaxes(title=ctx.t("insights.axis.requests"), rangemode="tozero", dtick=1)
    return _layout(ctx, fig, height=400, barmode="stack")


def prices_csv(ctx: PageContext, data: Insights) -> tuple[list[str], list[list[Any]]]:
    buckets, reasons, counts = _price_table(data.prices)
    header = [
        ctx.t("insights.col.price_range"),
        ctx.t("insights.col.from_usd"),
        ctx.t("insights.col.below_usd"),
        *(reason_name(ctx, r) for r in reasons),
    ]
    rows = [
        [
            price_range(ctx, b),
            b.low_cents / 100,
            "" if b.high_cents is None else b.high_cents / 100,
            *(counts.get((b.low_cents, r), 0) for r in reasons),
        ]
        for b in buckets
    ]
    return header, rows


def groups(ctx: PageContext, rows: Sequence[GroupCounts], names: Sequence[str]) -> go.Figure:
    fig = go.Figure(
        [
            go.Bar(
                name=ctx.t("insights.series.completed"),
                x=list(names),
                y=[g.completed for g in rows],
                marker_color=COMPLETED_COLOUR,
                hovertemplate="%{x}<br>%{fullData.name}: %{y}<extra></extra>",
            ),
            go.Bar(
                name=ctx.t("insights.series.saved"),
                x=list(names),
                y=[g.saved for g in rows],
                marker_color=SAVED_COLOUR,
                hovertemplate="%{x}<br>%{fullData.name}: %{y}<extra></extra>",
            ),
        ]
    )
    fig.update_xaxes(type="category", title=None)
    fig.update_yaxes(title=ctx.t("insights.axis.flows"), rangemode="tozero")
    return _layout(ctx, fig, height=340, barmode="group")


def groups_csv(
    ctx: PageContext, first: str, rows: Sequence[GroupCounts], names: Sequence[str]
) -> tuple[list[str], list[list[Any]]]:
    header = [first, ctx.t("insights.series.completed"), ctx.t("insights.series.saved")]
    return header, [[n, g.completed, g.saved] for g, n in zip(rows, names, strict=True)]


# --- showing ---------------------------------------------------------------------------------


def show(
    ctx: PageContext,
    key: str,
    figure: go.Figure | None,
    table: tuple[list[str], list[list[Any]]],
    file_stem: str,
) -> None:
    """The chart (or a note that nothing matches) and a small button with its data as CSV."""
    header, rows = table
    if figure is None or not rows:
        st.info(ctx.t("insights.empty"), icon=":material/filter_alt_off:")
        return
    st.plotly_chart(figure, key=f"chart_{key}", config=CONFIG, width="stretch")
    with st.expander(ctx.t("desk.chart.table"), icon=":material/table_rows:"):
        shown_table(ctx, header, rows)
    st.download_button(
        ctx.t("insights.download_csv"),
        data=analytics.csv_bytes(header, rows),
        file_name=f"{file_stem}-{dt.datetime.now(dt.UTC):%Y-%m-%d}.csv",
        mime="text/csv",
        icon=":material/download:",
        key=f"csv_{key}",
        type="tertiary",
        on_click="ignore",
    )


def _shown(ctx: PageContext, header: str, value: Any) -> str:
    """A cell of a chart's table as people read it: numbers and dates in the locale, shares
    as percentages; text escaped (a table's cells are Markdown)."""
    if value is None or value == "":
        return ""
    if isinstance(value, float) and header in _share_headers(ctx):
        return fmt_percent(value, ctx.lang)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return fmt_number(value, ctx.lang)
    if isinstance(value, dt.date):
        return fmt_date(value, ctx.lang, "medium")
    return md(str(value))


def _share_headers(ctx: PageContext) -> set[str]:
    return {ctx.t("insights.col.share"), ctx.t("insights.col.share_of_started")}


def shown_table(ctx: PageContext, header: list[str], rows: list[list[Any]]) -> None:
    """The chart's numbers as a real table (a text alternative a screen reader can walk)."""
    st.table(
        [{md(h): _shown(ctx, h, v) for h, v in zip(header, row, strict=True)} for row in rows],
        hide_index=True,
    )
