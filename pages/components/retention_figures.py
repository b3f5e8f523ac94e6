"""The Churn insights' "Offers" section: the retention playbook's offers by kind (shown, taken,
save rate, revenue kept, prices) and the verified saves (still paying 1, 2, 3 cycles after the
save) by what saved them and by the experiment's variant. The numbers come from
`core.insights.analytics` (`offer_kinds`, `verified_saves`); here they are named and laid out:
each chart's numbers as a table under "Show as table" and a CSV file."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from core.identity import auth
from core.insights import analytics
from core.insights.analytics import Filters, OfferKindFigures, PriceSpread, SaveCounts
from core.platform.i18n import fmt_money, fmt_number, fmt_percent
from pages.components import plots
from pages.components.text import md
from pages.shell.context import PageContext

CYCLE_COLOURS = ("#5B3DF5", "#8B5CF6", "#10B981")  # after 1, 2, 3 cycles


def kind_name(ctx: PageContext, kind: str) -> str:
    return ctx.t(f"retention_insights.kind.{kind}")


def variant_name(ctx: PageContext, variant: str | None) -> str:
    return variant if variant is not None else ctx.t("retention_insights.variant.none")


def _rate(ctx: PageContext, value: float | None) -> str:
    return "–" if value is None else fmt_percent(value, ctx.lang)


def _price(ctx: PageContext, prices: PriceSpread | None) -> str:
    """The average monthly price, to the cent ("–" when there is none)."""
    return "–" if prices is None else fmt_money(prices.average_cents, "USD", ctx.lang)


def figures(ctx: PageContext, filters: Filters, today: dt.date):
    """The offers by kind and the verified saves, from the cache below, which admins alone
    share."""
    auth.require_admin(ctx.user)
    return _load(ctx.db, ctx.user, str(ctx.db.engine.url), filters, today)


@st.cache_data(ttl=60, show_spinner=False, max_entries=100)
def _load(_db, _actor, database: str, filters: Filters, today: dt.date):
    """The same for every admin: keyed by the database, the filters and the day."""
    return (
        analytics.offer_kinds(_db, _actor, filters),
        analytics.verified_saves(_db, _actor, filters, today=today),
    )


# --- offers by kind ----------------------------------------------------------------------------


def offers_frame(ctx: PageContext, rows: tuple[OfferKindFigures, ...]) -> pd.DataFrame:
    """One row per kind, as the admin reads it (its CSV has the same cells)."""
    c = "retention_insights.col"
    data = []
    for r in rows:
        prices = r.requested_prices if r.kind == "custom_plan" else r.accepted_prices
        data.append(
            [
                kind_name(ctx, r.kind),
                fmt_number(r.shown, ctx.lang),
                fmt_number(r.accepted, ctx.lang),
                _rate(ctx, r.save_rate),
                plots.dollars(ctx, r.revenue_kept_cents),
                _price(ctx, prices),
            ]
        )
    columns = ("kind", "shown", "taken", "save_rate", "revenue_kept", "average_price")
    return pd.DataFrame(data, columns=[ctx.t(f"{c}.{name}") for name in columns])


def offers_table(ctx: PageContext, rows: tuple[OfferKindFigures, ...]) -> None:
    st.subheader(ctx.t("retention_insights.offers.title"))
    st.caption(ctx.t("retention_insights.offers.help"))
    if not any(r.shown or r.accepted for r in rows):
        st.info(ctx.t("insights.empty"), icon=":material/filter_alt_off:")
        return
    frame = offers_frame(ctx, rows)
    st.table(frame.rename(columns=md).map(md), hide_index=True)
    plots.csv_download(ctx, "offers_by_kind", frame, "offers-by-kind")


# --- verified saves ----------------------------------------------------------------------------


def verified_frame(ctx: PageContext, first: str, groups: Mapping[str, SaveCounts]) -> pd.DataFrame:
    """One row per group: its name, the saves, and for 1, 2, 3 cycles the share still paying
    (None while none is due), how many are due and how many are still paying."""
    c = "retention_insights.col"
    columns = [first, ctx.t(f"{c}.saves")]
    for k in analytics.CYCLES:
        columns += [ctx.t(f"{c}.after_{k}"), ctx.t(f"{c}.due_{k}"), ctx.t(f"{c}.paying_{k}")]
    data = []
    for name, counts in groups.items():
        row: list[object] = [name, counts.saves]
        for k in analytics.CYCLES:
            row += [counts.share(k), counts.due(k), counts.verified(k)]
        data.append(row)
    return pd.DataFrame(data, columns=columns)


def verified_chart(ctx: PageContext, frame: pd.DataFrame) -> go.Figure:
    """A group of three bars per row: the share still paying after 1, 2 and 3 cycles."""
    names = frame.iloc[:, 0].tolist()
    fig = go.Figure(
        [
            go.Bar(
                name=frame.columns[2 + 3 * i],
                x=names,
                y=[None if pd.isna(v) else v for v in frame.iloc[:, 2 + 3 * i].tolist()],
                marker_color=CYCLE_COLOURS[i],
                hovertemplate="%{x}<br>%{fullData.name}: %{y:.0%}<extra></extra>",
            )
            for i in range(len(analytics.CYCLES))
        ]
    )
    fig.update_xaxes(type="category", title=None)
    fig.update_yaxes(title=ctx.t("retention_insights.axis.share"), range=[0, 1], tickformat=".0%")
    fig.update_layout(
        separators=plots.SEPARATORS.get(ctx.lang, ".,"),
        height=340,
        barmode="group",
        margin={"l": 8, "r": 8, "t": 16, "b": 8},
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.02, "x": 0, "title": None},
    )
    return fig


def _cell(ctx: PageContext, value: object, share: bool) -> str:
    if share:
        return "–" if value is None or pd.isna(value) else fmt_percent(float(value), ctx.lang)
    if isinstance(value, int | float):
        return fmt_number(value, ctx.lang)
    return md(str(value))


def verified_block(
    ctx: PageContext, key: str, title: str, first: str, groups: Mapping[str, SaveCounts]
) -> None:
    st.markdown(f"**{md(title)}**")
    if not any(g.saves for g in groups.values()):
        st.info(ctx.t("insights.empty"), icon=":material/filter_alt_off:")
        return
    frame = verified_frame(ctx, first, groups)
    st.plotly_chart(
        verified_chart(ctx, frame), key=f"chart_{key}", config=plots.CONFIG, width="stretch"
    )
    shares = {2 + 3 * i for i in range(len(analytics.CYCLES))}
    table = pd.DataFrame(
        {
            md(name): [_cell(ctx, v, i in shares) for v in frame.iloc[:, i].tolist()]
            for i, name in enumerate(frame.columns)
        }
    )
    with st.expander(ctx.t("desk.chart.table"), icon=":material/table_rows:"):
        st.table(table, hide_index=True)
    plots.csv_download(ctx, key, frame, f"verified-saves-{key.removeprefix('verified_')}")


def offers_section(ctx: PageContext, filters: Filters, today: dt.date) -> None:
    """The offers by kind, then the verified saves by kind and by variant."""
    kinds, saves = figures(ctx, filters, today)
    offers_table(ctx, kinds)
    st.subheader(ctx.t("retention_insights.verified.title"))
    st.caption(ctx.t("retention_insights.verified.help"))
    by_kind = {kind_name(ctx, k): v for k, v in analytics.by_kind(saves).items()}
    by_variant = {variant_name(ctx, v): c for v, c in analytics.by_variant(saves).items()}
    left, right = st.columns(2)
    with left:
        verified_block(
            ctx,
            "verified_by_kind",
            ctx.t("retention_insights.verified.by_kind"),
            ctx.t("retention_insights.col.saved_by"),
            by_kind,
        )
    with right:
        verified_block(
            ctx,
            "verified_by_variant",
            ctx.t("retention_insights.verified.by_variant"),
            ctx.t("retention_insights.col.variant"),
            by_variant,
        )
