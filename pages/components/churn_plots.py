"""The charts and tables of the Churn insights' newer sections (churn rates, revenue at risk,
cross-tabs), drawn as pages/components/plots.py draws the others: each chart's numbers one
small DataFrame, its columns named in the admin's language, from which the Plotly figure, the
table under "Show as table" and the CSV file are made. The numbers come from
`core.insights.analytics`; here they are only named, coloured and laid out."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
import plotly.graph_objects as go
from babel.dates import format_date

from core.insights.analytics import Churn, CrossTab, ReasonLoss, RevenueAtRisk
from core.platform.i18n import fmt_number, fmt_percent, locale_of
from pages.components import plots
from pages.components.plots import Chart
from pages.shell.context import PageContext

CUSTOMER_COLOUR = "#5B3DF5"
MRR_COLOUR = "#F59E0B"
HEAT_SCALE = [[0.0, "#F4F2FE"], [1.0, "#3B1FD1"]]  # no answers: the page's field colour


def month_name(ctx: PageContext, churn: Churn) -> str:
    return format_date(churn.start, "LLL yyyy", locale=locale_of(ctx.lang))


def rate_columns(ctx: PageContext) -> tuple[str, str]:
    """The names of the rate columns (ratios: shown as percentages, kept as ratios in CSV)."""
    return ctx.t("churn_page.col.customer_rate"), ctx.t("churn_page.col.mrr_rate")


def _ratio(value: float | None) -> float | None:
    return None if value is None else round(value, 6)


def churn_frame(ctx: PageContext, first: str, rows: Sequence[tuple[str, Churn]]) -> pd.DataFrame:
    """One row per group (plan, country, month): its base, what churned, and both rates."""
    c = "churn_page.col"
    customer, mrr = rate_columns(ctx)
    return pd.DataFrame(
        [
            [
                name,
                ch.base,
                ch.churned,
                _ratio(ch.customer_rate),
                round(ch.base_mrr_cents / 100),  # whole dollars, as on the cards
                round(ch.churned_mrr_cents / 100),
                _ratio(ch.mrr_rate),
            ]
            for name, ch in rows
        ],
        columns=[
            first,
            ctx.t(f"{c}.base"),
            ctx.t(f"{c}.churned"),
            customer,
            ctx.t(f"{c}.base_mrr"),
            ctx.t(f"{c}.churned_mrr"),
            mrr,
        ],
    )


def churn_trend(
    ctx: PageContext, trend: Sequence[Churn], before: Sequence[Churn] | None = None
) -> Chart:
    """The customer and MRR churn rates of each month of the range; with `before`, the
    previous period's months beside them (its first month with this period's first, ...)."""
    frame = churn_frame(
        ctx, ctx.t("churn_page.col.month"), [(month_name(ctx, m), m) for m in trend]
    )
    customer, mrr = rate_columns(ctx)
    labels = frame.iloc[:, 0].tolist()
    traces = [
        go.Scatter(
            name=name,
            x=labels,
            y=frame[name].tolist(),
            mode="lines+markers",
            line={"color": colour, "width": 3},
            hovertemplate="%{x}<br>%{fullData.name}: %{y:.1%}<extra></extra>",
        )
        for name, colour in ((customer, CUSTOMER_COLOUR), (mrr, MRR_COLOUR))
    ]
    if before is not None:
        earlier = [m for m in before][: len(trend)]
        months = [month_name(ctx, m) for m in earlier] + [""] * (len(trend) - len(earlier))
        frame[ctx.t("churn_page.col.previous_month")] = months
        for name, colour, values in (
            (customer, CUSTOMER_COLOUR, [m.customer_rate for m in earlier]),
            (mrr, MRR_COLOUR, [m.mrr_rate for m in earlier]),
        ):
            values = [_ratio(v) for v in values] + [None] * (len(trend) - len(earlier))
            column = ctx.t("churn_page.col.previous", name=name)
            frame[column] = values
            traces.append(
                go.Scatter(
                    name=column,
                    x=labels,
                    y=values,
                    customdata=months,
                    mode="lines+markers",
                    line={"color": colour, "width": 2, "dash": "dot"},
                    marker={"symbol": "circle-open"},
                    hovertemplate="%{customdata}<br>%{fullData.name}: %{y:.1%}<extra></extra>",
                )
            )
    fig = go.Figure(traces)
    fig.update_xaxes(type="category", title=None)
    fig.update_yaxes(title=ctx.t("churn_page.axis.rate"), rangemode="tozero", tickformat=".1%")
    return Chart(frame, plots._layout(ctx, fig, height=360))


def at_risk_timeline(ctx: PageContext, risk: RevenueAtRisk) -> Chart:
    """The scheduled cancellations by the day they take effect: how many, and their monthly
    revenue."""
    c = "churn_page.col"
    frame = pd.DataFrame(
        [[day, n, cents / 100] for day, n, cents in risk.by_day],
        columns=[
            ctx.t(f"{c}.effective_on"),
            ctx.t(f"{c}.subscriptions"),
            ctx.t(f"{c}.monthly_usd"),
        ],
    )
    money = [plots.dollars(ctx, cents) for _d, _n, cents in risk.by_day]
    # dots on a line of days (a bar a day is a hairline over months)
    fig = go.Figure(
        go.Scatter(
            x=frame.iloc[:, 0].tolist(),
            y=frame.iloc[:, 1].tolist(),
            customdata=money,
            mode="markers",
            marker={"color": plots.COMPLETED_COLOUR, "size": 12, "line": {"width": 0}},
            hovertemplate="%{x|%d %b %Y}: %{y} · %{customdata}<extra></extra>",
        )
    )
    fig.update_xaxes(type="date", title=ctx.t("churn_page.axis.effective_on"))
    top = max((n for _d, n, _c in risk.by_day), default=1)
    fig.update_yaxes(title=ctx.t("churn_page.axis.subscriptions"), range=[0, top + 0.5], dtick=1)
    return Chart(frame, plots._layout(ctx, fig, height=260, showlegend=False))


def crosstab_frame(
    ctx: PageContext, tab: CrossTab, first: str, names: Sequence[str]
) -> pd.DataFrame:
    """A row per (group, reason): the answers naming it and their share of the group's."""
    rows = []
    for i, name in enumerate(names):
        for j, reason in enumerate(tab.columns):
            share = tab.share(i, j)
            rows.append(
                [
                    name,
                    plots.reason_name(ctx, reason),
                    tab.counts[i][j],
                    None if share is None else round(share, 4),
                ]
            )
    return pd.DataFrame(
        rows,
        columns=[
            first,
            ctx.t("insights.col.reason"),
            ctx.t("insights.col.answers"),
            ctx.t("churn_page.col.row_share"),
        ],
    )


def wrapped(label: str, width: int = 18) -> str:
    """A long axis label on two or more lines (Plotly does not wrap them), so that a reason's
    name does not take the chart's width on a phone."""
    lines: list[str] = []
    for word in label.split():
        if lines and len(lines[-1]) + 1 + len(word) <= width:
            lines[-1] += f" {word}"
        else:
            lines.append(word)
    return "<br>".join(lines)


def heat_map(ctx: PageContext, tab: CrossTab, first: str, names: Sequence[str]) -> Chart:
    """Reasons (rows, their long names read across) by plan or tenure band (columns): each
    cell's colour its share of the plan's or band's answers, its text the count and the share.
    A clicked cell's point has the reason as `y` and the plan or band as `x`."""
    frame = crosstab_frame(ctx, tab, first, names)
    reasons = [plots.reason_name(ctx, r) for r in tab.columns]
    groups = range(len(names))
    shares = [[tab.share(i, j) or 0.0 for i in groups] for j in range(len(tab.columns))]
    text = [
        [
            f"{fmt_number(tab.counts[i][j], ctx.lang)}<br>{fmt_percent(shares[j][i], ctx.lang)}"
            for i in groups
        ]
        for j in range(len(tab.columns))
    ]
    fig = go.Figure(
        go.Heatmap(
            z=shares,
            x=list(names),
            y=reasons,
            text=text,
            texttemplate="%{text}",
            colorscale=HEAT_SCALE,
            zmin=0,
            zmax=1,
            xgap=2,
            ygap=2,
            showscale=False,
            hovertemplate="%{x} · %{y}<br>%{text}<extra></extra>",
        )
    )
    fig.update_xaxes(
        type="category",
        title=None,
        side="top",
        tickangle=0,
        automargin=True,
        tickvals=list(names),
        ticktext=[wrapped(n, 12) for n in names],
    )
    fig.update_yaxes(
        type="category",
        title=None,
        autorange="reversed",
        automargin=True,
        tickvals=reasons,
        ticktext=[wrapped(r) for r in reasons],
    )
    height = max(260, 56 * len(reasons) + 90)
    return Chart(frame, plots._layout(ctx, fig, height=height, showlegend=False))


def lost_by_reason(ctx: PageContext, losses: Sequence[ReasonLoss]) -> Chart:
    """Completed cancellations' monthly revenue by the reason their survey named."""
    frame = pd.DataFrame(
        [
            [plots.reason_name(ctx, r.reason), r.completed, r.revenue_lost_cents / 100]
            for r in losses
        ],
        columns=[
            ctx.t("insights.col.reason"),
            ctx.t("churn_page.col.completed"),
            ctx.t("churn_page.col.lost_usd"),
        ],
    )
    colours = plots._reason_colours(ctx)
    names = frame.iloc[:, 0].tolist()[::-1]  # the most lost on top
    cents = [r.revenue_lost_cents for r in losses][::-1]
    fig = go.Figure(
        go.Bar(
            orientation="h",
            y=names,
            x=frame.iloc[:, 2].tolist()[::-1],
            marker_color=[colours.get(n, plots.PRIMARY) for n in names],
            text=[plots.dollars(ctx, c) for c in cents],
            textposition="auto",
            hovertemplate="%{y}: %{text}<extra></extra>",
        )
    )
    fig.update_xaxes(title=ctx.t("churn_page.col.lost_usd"), rangemode="tozero")
    fig.update_yaxes(automargin=True, tickvals=names, ticktext=[wrapped(n) for n in names])
    return Chart(
        frame, plots._layout(ctx, fig, height=max(240, 44 * len(names) + 80), showlegend=False)
    )
