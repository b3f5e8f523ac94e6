"""The churn insights' charts. Each chart's numbers become one small pandas DataFrame, its
columns named in the admin's language; from that frame the Plotly figure is drawn, the table
under "Show as table" is written and the "Download CSV" file (formula-safe:
`core.insights.frames.csv_bytes`). The numbers come from `core.insights.analytics`; here they
are only named, coloured and laid out."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pandas as pd
import plotly.graph_objects as go
import streamlit as st
from babel import Locale
from babel.dates import format_date
from babel.numbers import format_currency

from core.insights import analytics, frames
from core.insights.analytics import GroupCounts, Insights, PriceBucket, Trend
from core.platform import clock
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


@dataclass(frozen=True)
class Chart:
    """One chart: its numbers as a DataFrame (columns named in the admin's language, as in its
    table and its CSV) and the figure drawn from that frame."""

    frame: pd.DataFrame
    figure: go.Figure


def _values(frame: pd.DataFrame, column: int) -> list[Any]:
    """A column of a chart's frame, by position (names are translations), as plain Python."""
    return frame.iloc[:, column].tolist()


def _reason_colours(ctx: PageContext) -> dict[str, str]:
    """Each reason's colour by its name in the admin's language (the names a frame holds)."""
    return {reason_name(ctx, r): colour for r, colour in REASON_COLOURS.items()}


def _stacked(ctx: PageContext, frame: pd.DataFrame, labels: list[str], first: int) -> go.Figure:
    """One bar a reason, stacked: the frame's columns from `first` on, one per reason."""
    colours = _reason_colours(ctx)
    return go.Figure(
        [
            go.Bar(
                name=name,
                x=labels,
                y=_values(frame, first + i),
                marker_color=colours.get(name, PRIMARY),
                hovertemplate="%{x}<br>%{fullData.name}: %{y}<extra></extra>",
            )
            for i, name in enumerate(frame.columns[first:])
        ]
    )


def reasons_share(ctx: PageContext, data: Insights) -> Chart:
    total = sum(n for _r, n in data.reasons)
    frame = pd.DataFrame(
        [[reason_name(ctx, r), n, round(n / total, 4)] for r, n in data.reasons],
        columns=[
            ctx.t("insights.col.reason"),
            ctx.t("insights.col.answers"),
            ctx.t("insights.col.share"),
        ],
    )
    names, counts = _values(frame, 0)[::-1], _values(frame, 1)[::-1]  # largest on top
    colours = _reason_colours(ctx)
    fig = go.Figure(
        go.Bar(
            orientation="h",
            y=names,
            x=counts,
            marker_color=[colours.get(name, PRIMARY) for name in names],
            text=[
                f"{fmt_number(n, ctx.lang)} · {fmt_percent(n / (total or 1), ctx.lang)}"
                for n in counts
            ],
            textposition="auto",
            hovertemplate="%{y}: %{x}<extra></extra>",
        )
    )
    fig.update_xaxes(title=ctx.t("insights.axis.answers"))
    fig.update_yaxes(automargin=True)
    return Chart(frame, _layout(ctx, fig, height=max(260, 48 * len(names) + 80), showlegend=False))


def reasons_trend(ctx: PageContext, trend: Trend) -> Chart:
    """The answers of each period (every week or month of the range, empty ones too), a
    column a reason present."""
    present = {p.reason for p in trend.points}
    reasons = [r for r in analytics.REASONS if r in present]
    counts = {(p.bucket, p.reason): p.count for p in trend.points}
    frame = pd.DataFrame(
        [[b, *(counts.get((b, r), 0) for r in reasons)] for b in trend.buckets],
        columns=[ctx.t("insights.col.period_start"), *(reason_name(ctx, r) for r in reasons)],
    )
    labels = [period_name(ctx, b, trend.granularity) for b in _values(frame, 0)]
    fig = _stacked(ctx, frame, labels, 1)
    fig.update_xaxes(
        type="category", title=None, tickangle=-45 if trend.granularity == "week" else 0
    )
    fig.update_yaxes(title=ctx.t("insights.axis.answers"), rangemode="tozero")
    return Chart(frame, _layout(ctx, fig, height=440, barmode="stack"))


def funnel(ctx: PageContext, data: Insights) -> Chart:
    first = data.funnel[0][1] if data.funnel else 0
    frame = pd.DataFrame(
        [
            [ctx.t(f"insights.stage.{s}"), n, round(n / first, 4) if first else None]
            for s, n in data.funnel
        ],
        columns=[
            ctx.t("insights.col.stage"),
            ctx.t("insights.col.flows"),
            ctx.t("insights.col.share_of_started"),
        ],
    )
    fig = go.Figure(
        go.Funnel(
            y=_values(frame, 0),
            x=_values(frame, 1),
            textinfo="value+percent initial",
            marker={"color": PRIMARY},
            connector={"fillcolor": "#EDEAFB"},
            hovertemplate="%{y}: %{x}<extra></extra>",
        )
    )
    fig.update_yaxes(automargin=True)
    return Chart(frame, _layout(ctx, fig, height=360, showlegend=False))


def satisfaction(ctx: PageContext, data: Insights) -> Chart:
    frame = pd.DataFrame(
        [[score, n] for score, n in data.satisfaction],
        columns=[ctx.t("insights.col.satisfaction"), ctx.t("insights.col.answers")],
    )
    counts = _values(frame, 1)
    fig = go.Figure(
        go.Bar(
            x=[ctx.t("insights.stars", n=score) for score in _values(frame, 0)],
            y=counts,
            marker_color=["#EF4444", "#F97316", "#F59E0B", "#84CC16", "#10B981"],
            text=[fmt_number(n, ctx.lang) for n in counts],
            textposition="auto",
            hovertemplate="%{x}: %{y}<extra></extra>",
        )
    )
    fig.update_xaxes(type="category", title=ctx.t("insights.axis.satisfaction"))
    fig.update_yaxes(title=ctx.t("insights.axis.answers"), rangemode="tozero")
    return Chart(frame, _layout(ctx, fig, height=340, showlegend=False))


def offers(ctx: PageContext, data: Insights) -> Chart:
    o = data.offers
    frame = pd.DataFrame(
        [
            [ctx.t("insights.offer.shown"), o.shown],
            [ctx.t("insights.offer.opened"), o.opened],
            [ctx.t("insights.offer.requested"), o.requested],
        ],
        columns=[ctx.t("insights.col.stage"), ctx.t("insights.col.flows")],
    )
    fig = go.Figure(
        go.Funnel(
            y=_values(frame, 0),
            x=_values(frame, 1),
            textinfo="value+percent initial",
            marker={"color": ["#5B3DF5", "#8B5CF6", "#10B981"]},
            connector={"fillcolor": "#EDEAFB"},
            hovertemplate="%{y}: %{x}<extra></extra>",
        )
    )
    fig.update_yaxes(automargin=True)
    return Chart(frame, _layout(ctx, fig, height=280, showlegend=False))


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


def prices(ctx: PageContext, data: Insights) -> Chart:
    """The requested custom plans by monthly price (a bucket a row: its name, from and below
    in dollars) and reason (a column each)."""
    buckets, reasons, counts = _price_table(data.prices)
    frame = pd.DataFrame(
        [
            [
                price_range(ctx, b),
                b.low_cents / 100,
                None if b.high_cents is None else b.high_cents / 100,
                *(counts.get((b.low_cents, r), 0) for r in reasons),
            ]
            for b in buckets
        ],
        columns=[
            ctx.t("insights.col.price_range"),
            ctx.t("insights.col.from_usd"),
            ctx.t("insights.col.below_usd"),
            *(reason_name(ctx, r) for r in reasons),
        ],
    )
    fig = _stacked(ctx, frame, _values(frame, 0), 3)
    fig.update_xaxes(type="category", title=ctx.t("insights.axis.price"))
    fig.update_yaxes(title=ctx.t("insights.axis.requests"), rangemode="tozero", dtick=1)
    return Chart(frame, _layout(ctx, fig, height=400, barmode="stack"))


def groups(
    ctx: PageContext, first: str, rows: Sequence[GroupCounts], names: Sequence[str]
) -> Chart:
    """Cancelled and saved side by side for each plan or tenure band: `first` names the
    column of the groups' `names`."""
    frame = pd.DataFrame(
        [[n, g.completed, g.saved] for g, n in zip(rows, names, strict=True)],
        columns=[first, ctx.t("insights.series.completed"), ctx.t("insights.series.saved")],
    )
    labels = _values(frame, 0)
    fig = go.Figure(
        [
            go.Bar(
                name=frame.columns[column],
                x=labels,
                y=_values(frame, column),
                marker_color=colour,
                hovertemplate="%{x}<br>%{fullData.name}: %{y}<extra></extra>",
            )
            for column, colour in ((1, COMPLETED_COLOUR), (2, SAVED_COLOUR))
        ]
    )
    fig.update_xaxes(type="category", title=None)
    fig.update_yaxes(title=ctx.t("insights.axis.flows"), rangemode="tozero")
    return Chart(frame, _layout(ctx, fig, height=340, barmode="group"))


# --- showing ---------------------------------------------------------------------------------


def show(
    ctx: PageContext,
    key: str,
    chart: Chart | None,
    file_stem: str,
    *,
    shares: Sequence[str] = (),
    select: bool = False,
) -> Any:
    """The chart (or a note that nothing matches), its numbers as a table under "Show as table",
    and a small button with its frame as a CSV file. `shares` names more columns of ratios
    (shown as percentages); with `select`, clicking a bar or a cell reruns the page and the
    selection is returned (st.plotly_chart's `on_select`)."""
    if chart is None or chart.frame.empty:
        st.info(ctx.t("insights.empty"), icon=":material/filter_alt_off:")
        return None
    event = st.plotly_chart(
        chart.figure,
        key=f"chart_{key}",
        config=CONFIG,
        width="stretch",
        on_select="rerun" if select else "ignore",
        selection_mode="points",
    )
    with st.expander(ctx.t("desk.chart.table"), icon=":material/table_rows:"):
        shown_table(ctx, chart.frame, shares)
    csv_download(ctx, key, chart.frame, file_stem)
    return event if select else None


def csv_download(ctx: PageContext, key: str, frame: Any, file_stem: str) -> None:
    """A table's numbers as a formula-safe CSV file, named after it and today."""
    st.download_button(
        ctx.t("insights.download_csv"),
        data=frames.csv_bytes(frame),
        file_name=f"{file_stem}-{clock.today().isoformat()}.csv",
        mime="text/csv",
        icon=":material/download:",
        key=f"csv_{key}",
        type="tertiary",
        on_click="ignore",
    )


def _shown(ctx: PageContext, value: Any, *, share: bool) -> str:
    """A cell of a chart's table as people read it: numbers and dates in the locale, shares
    as percentages; text escaped (a table's cells are Markdown)."""
    if value is None or value == "" or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, float) and share:
        return fmt_percent(value, ctx.lang)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return fmt_number(value, ctx.lang)
    if isinstance(value, dt.date):
        return fmt_date(value, ctx.lang, "medium")
    return md(str(value))


def shown_table(ctx: PageContext, frame: pd.DataFrame, more_shares: Sequence[str] = ()) -> None:
    """A chart's frame as a real table (a text alternative a screen reader can walk): each
    cell written for people (`_shown`), the index hidden."""
    shares = {ctx.t("insights.col.share"), ctx.t("insights.col.share_of_started"), *more_shares}
    table = pd.DataFrame(
        {
            md(name): [_shown(ctx, v, share=name in shares) for v in _values(frame, i)]
            for i, name in enumerate(frame.columns)
        }
    )
    st.table(table, hide_index=True)
