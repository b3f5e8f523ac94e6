"""The Churn insights' sections on the base and the money: "Churn rate" (customer and MRR churn
against the base, per plan and country, a monthly trend with the previous period beside it),
"Revenue at risk" (scheduled cancellations not yet effective, the days they take effect, the
accounts, each with a link to the support desk) and "Cross-tabs" (reason by plan and by tenure
band as heat maps, revenue lost by reason), whose bars and cells open the flows behind them.
The numbers come from `core.insights.analytics`, through the caches below."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

import pandas as pd
import streamlit as st

from core.identity import auth
from core.insights import analytics, frames
from core.insights.analytics import Filters
from core.platform import clock
from core.platform.i18n import fmt_date, fmt_number
from pages.components import churn_plots, drill_panel, plots
from pages.components.churn_cards import (
    card,
    count_change,
    money_card,
    money_change,
    rate,
    rate_change,
)
from pages.components.text import md
from pages.shell.context import PageContext

# --- the numbers, cached as the page's other figures are ----------------------------------------


def churn_data(ctx: PageContext, filters: Filters | None, today: dt.date):
    """The churn rates of these filters (None: none), from the cache below, which admins alone
    share: the previous period's come from the same cache."""
    auth.require_admin(ctx.user)
    if filters is None:
        return None
    return _churn(ctx.db, ctx.user, str(ctx.db.engine.url), filters, today)


@st.cache_data(ttl=60, show_spinner=False, max_entries=100)
def _churn(_db, _actor, database: str, filters: Filters, today: dt.date):
    return analytics.churn_rates(_db, _actor, filters, today=today)


def risk_data(ctx: PageContext, filters: Filters, today: dt.date):
    auth.require_admin(ctx.user)
    return _risk(ctx.db, ctx.user, str(ctx.db.engine.url), filters, today)


@st.cache_data(ttl=60, show_spinner=False, max_entries=100)
def _risk(_db, _actor, database: str, filters: Filters, today: dt.date):
    return analytics.revenue_at_risk(_db, _actor, filters, today=today)


def tabs_data(ctx: PageContext, filters: Filters):
    auth.require_admin(ctx.user)
    return _tabs(ctx.db, ctx.user, str(ctx.db.engine.url), filters)


@st.cache_data(ttl=60, show_spinner=False, max_entries=100)
def _tabs(_db, _actor, database: str, filters: Filters):
    return analytics.crosstabs(_db, _actor, filters)


# --- tables ------------------------------------------------------------------------------------


def table_with_csv(ctx: PageContext, key: str, frame: pd.DataFrame, stem: str, shares=()) -> None:
    """A table of figures (no chart), and its CSV file."""
    if frame.empty:
        st.info(ctx.t("insights.empty"), icon=":material/filter_alt_off:")
        return
    plots.shown_table(ctx, frame, shares)
    plots.csv_download(ctx, key, frame, stem)


# --- churn rate ----------------------------------------------------------------------------------


def churn_cards(ctx: PageContext, now, before) -> None:
    """Customer and MRR churn rates, what churned and the base, each against the period
    before (`before`: its Churn, or None)."""
    cards = st.container(horizontal=True, gap="small")
    # (figure, how it is shown, its change, whether fewer is better)
    shown = (
        ("customer_rate", rate, rate_change, True),
        ("mrr_rate", rate, rate_change, True),
        ("churned", lambda c, n: fmt_number(n, c.lang), count_change, True),
        ("base", lambda c, n: fmt_number(n, c.lang), count_change, False),
    )
    for name, show, change, fewer in shown:
        value, earlier = getattr(now, name), before and getattr(before, name)
        card(
            cards,
            ctx.t(f"churn_page.fig.{name}"),
            show(ctx, value),
            ctx.t(f"churn_page.fig_help.{name}"),
            change(ctx, value, earlier, fewer=fewer),
        )
    money_card(
        cards,
        ctx,
        ctx.t("churn_page.fig.churned_mrr"),
        ctx.t("churn_page.fig_help.churned_mrr"),
        now.churned_mrr_cents,
        money_change(ctx, now.churned_mrr_cents, before and before.churned_mrr_cents, fewer=True),
    )


def churn_section(
    ctx: PageContext, filters: Filters, today: dt.date, plan_names: Mapping[str, str]
) -> None:
    data = churn_data(ctx, filters, today)
    before = churn_data(ctx, filters.previous(), today)
    st.subheader(ctx.t("churn_page.churn.title"))
    st.caption(ctx.t("churn_page.churn.help"))
    churn_cards(ctx, data.overall, before.overall if before else None)

    head, pick = st.columns([3, 2], vertical_alignment="bottom")
    head.subheader(ctx.t("churn_page.churn.trend"))
    overlay = pick.toggle(
        ctx.t("churn_page.churn.overlay"),
        key="churn_overlay",
        disabled=before is None,
        help=None if before else ctx.t("churn_page.no_previous"),
    )
    plots.show(
        ctx,
        "churn_trend",
        churn_plots.churn_trend(ctx, data.trend, before.trend if overlay and before else None)
        if data.trend
        else None,
        "churn-rate-by-month",
        shares=churn_plots.rate_columns(ctx)
        + tuple(ctx.t("churn_page.col.previous", name=n) for n in churn_plots.rate_columns(ctx)),
    )
    left, right = st.columns(2)
    with left:
        st.subheader(ctx.t("churn_page.churn.by_plan"))
        rows = [(plan_names.get(code, code), ch) for code, ch in data.by_plan]
        frame = churn_plots.churn_frame(ctx, ctx.t("insights.col.plan"), rows)
        table_with_csv(ctx, "churn_by_plan", frame, "churn-by-plan", churn_plots.rate_columns(ctx))
    with right:
        st.subheader(ctx.t("churn_page.churn.by_country"))
        rows = [(plots.country_name(ctx, code), ch) for code, ch in data.by_country]
        frame = churn_plots.churn_frame(ctx, ctx.t("insights.col.country"), rows)
        table_with_csv(
            ctx, "churn_by_country", frame, "churn-by-country", churn_plots.rate_columns(ctx)
        )


# --- revenue at risk -----------------------------------------------------------------------------


def support_link(account_id: int) -> str:
    """The support desk opened on this account (relative: the portal's own address)."""
    return f"support?account={account_id}"


def at_risk_section(
    ctx: PageContext, filters: Filters, today: dt.date, plan_names: Mapping[str, str]
) -> None:
    risk = risk_data(ctx, filters, today)
    c = "churn_page.risk"
    st.subheader(ctx.t(f"{c}.title"))
    st.caption(ctx.t(f"{c}.help", today=risk.today))
    cards = st.container(horizontal=True, gap="small")
    card(
        cards,
        ctx.t("churn_page.fig.at_risk"),
        fmt_number(risk.count, ctx.lang),
        ctx.t("churn_page.fig_help.at_risk"),
    )
    money_card(
        cards,
        ctx,
        ctx.t("churn_page.fig.at_risk_mrr"),
        ctx.t("churn_page.fig_help.at_risk_mrr"),
        risk.monthly_cents,
    )
    st.subheader(ctx.t(f"{c}.timeline"))
    plots.show(
        ctx,
        "at_risk_timeline",
        churn_plots.at_risk_timeline(ctx, risk) if risk.by_day else None,
        "revenue-at-risk-by-day",
    )
    st.subheader(ctx.t(f"{c}.accounts"))
    if not risk.accounts:
        st.info(ctx.t("insights.empty"), icon=":material/filter_alt_off:")
        return
    if len(risk.accounts) < risk.count:
        st.caption(
            ctx.t(
                f"{c}.first",
                shown=fmt_number(len(risk.accounts), ctx.lang),
                total=fmt_number(risk.count, ctx.lang),
            )
        )
    col = "churn_page.col"
    table = pd.DataFrame(
        [
            {
                # the company is the link: on a phone a last column would be off the screen
                md(
                    ctx.t(f"{col}.company_link")
                ): f"[{md(a.company)}]({support_link(a.account_id)})",
                md(ctx.t("insights.col.plan")): md(plan_names.get(a.plan_code, a.plan_code)),
                md(ctx.t("insights.col.country")): md(plots.country_name(ctx, a.country)),
                md(ctx.t(f"{col}.monthly")): md(plots.dollars(ctx, a.monthly_cents)),
                md(ctx.t(f"{col}.effective_on")): md(fmt_date(a.effective_on, ctx.lang, "medium")),
            }
            for a in risk.accounts
        ]
    )
    st.table(table, hide_index=True)
    plain = pd.DataFrame(
        [
            [a.account_id, a.company, a.plan_code, a.country, a.monthly_cents / 100, a.effective_on]
            for a in risk.accounts
        ],
        columns=[
            ctx.t("churn_page.col.account"),
            ctx.t("support.col.company"),
            ctx.t("insights.col.plan"),
            ctx.t("insights.col.country"),
            ctx.t("churn_page.col.monthly_usd"),
            ctx.t(f"{col}.effective_on"),
        ],
    )
    st.download_button(
        ctx.t("insights.download_csv"),
        data=frames.csv_bytes(plain),
        file_name=f"revenue-at-risk-accounts-{clock.today().isoformat()}.csv",
        mime="text/csv",
        icon=":material/download:",
        key="csv_at_risk_accounts",
        type="tertiary",
        on_click="ignore",
    )


# --- cross-tabs ----------------------------------------------------------------------------------


# per cross-tab: (its key and heading, the column of its rows' names, its CSV file's name)
TABS = {
    "plan": ("reason_by_plan", "churn_page.tabs.by_plan", "insights.col.plan", "reasons-by-plan"),
    "tenure": (
        "reason_by_tenure",
        "churn_page.tabs.by_tenure",
        "insights.col.tenure",
        "reasons-by-tenure",
    ),
}


def reason_tab(
    ctx: PageContext,
    tab: analytics.CrossTab,
    names: list[str],
    reasons: Mapping[str, str],
    row_field: str,
) -> None:
    """One cross-tab as a heat map (its table and CSV under it); a click on a cell narrows
    the flows behind it (`drill_panel`) to that reason and plan or band."""
    key, heading, column, file_name = TABS[row_field]
    st.subheader(ctx.t(heading))
    event = plots.show(
        ctx,
        key,
        churn_plots.heat_map(ctx, tab, ctx.t(column), names) if tab.rows and tab.columns else None,
        file_name,
        shares=(ctx.t("churn_page.col.row_share"),),
        select=True,
    )
    drill_panel.apply_selection(
        key,
        event,
        drill_panel.drill_from_points(
            list(event.selection.points) if event else [],
            reasons=reasons,
            rows=dict(zip(names, tab.rows, strict=True)),
            row_field=row_field,
        ),
    )


def crosstabs_section(ctx: PageContext, filters: Filters, plan_names: Mapping[str, str]) -> None:
    tabs = tabs_data(ctx, filters)
    reasons = drill_panel.reason_codes(ctx)
    st.caption(ctx.t("churn_page.tabs.help"))
    left, right = st.columns(2)
    with left:
        tab = tabs.reason_by_plan
        names = [
            plan_names.get(code, label) for code, label in zip(tab.rows, tab.labels, strict=True)
        ]
        reason_tab(ctx, tab, names, reasons, "plan")
    with right:
        tab = tabs.reason_by_tenure
        reason_tab(ctx, tab, [plots.tenure_name(ctx, b) for b in tab.rows], reasons, "tenure")
    st.subheader(ctx.t("churn_page.tabs.lost"))
    st.caption(ctx.t("churn_page.tabs.lost_help"))
    event = plots.show(
        ctx,
        "lost_by_reason",
        churn_plots.lost_by_reason(ctx, tabs.lost_by_reason) if tabs.lost_by_reason else None,
        "revenue-lost-by-reason",
        select=True,
    )
    drill_panel.apply_selection(
        "lost_by_reason",
        event,
        drill_panel.drill_from_points(
            list(event.selection.points) if event else [], reasons=reasons, completed=True
        ),
    )
    st.divider()
    drill_panel.drill_panel(ctx, filters, plan_names)
