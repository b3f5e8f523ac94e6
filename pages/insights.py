"""Churn insights (admins): why customers leave, who was saved, at what price they would stay,
what share of the base churned against the period before, the revenue at risk, the cross-tabs
and the flows behind them; the filters live in the page's address (the link to share)."""

import datetime as dt

import streamlit as st

from core.identity import auth
from core.insights import analytics
from core.insights.analytics import Filters, Insights
from core.platform import clock
from core.platform.errors import PortalError
from core.platform.i18n import fmt_number
from pages.components import (
    churn_cards,
    churn_sections,
    comments_panel,
    plots,
    retention_figures,
    share_bar,
)
from pages.shell.choices import kept
from pages.shell.context import PageContext

SECTIONS = (
    "reasons",
    "churn",
    "at_risk",
    "funnel",
    "custom_plan",
    "offers",
    "segments",
    "crosstabs",
    "comments",
)


def insights_data(ctx: PageContext, filters: Filters | None, granularity: str) -> Insights | None:
    """The figures for these filters (None: none), from the cache below, which admins alone
    share: the previous period's come from it too."""
    auth.require_admin(ctx.user)
    if filters is None:
        return None
    return load(ctx.db, ctx.user, str(ctx.db.engine.url), filters, granularity)


@st.cache_data(ttl=60, show_spinner=False, max_entries=100)
def load(_db, _actor, database: str, filters: Filters, granularity: str) -> Insights:
    """The same for every admin: keyed by the database and the filters, kept a minute."""
    return analytics.insights(_db, _actor, filters, granularity)


def fail(ctx: PageContext, exc: PortalError) -> None:
    st.error(ctx.t(exc.key, **exc.params), icon=":material/error:")


def filter_bar(
    ctx: PageContext,
    options: analytics.FilterOptions,
    plan_names: dict[str, str],
    today: dt.date,
) -> Filters:
    """The dates, plans, countries and tenures picked; an empty choice means all."""
    f1, f2 = st.columns(2)
    f3, f4 = st.columns(2)
    # a link's dates (pages/components/share_bar.py) are the widget's state already, which
    # wins over this default (a range: the widget picks two days)
    picked = f1.date_input(
        ctx.t("insights.filter.dates"),
        value=analytics.default_range(options.first_day, today),
        min_value=analytics.FIRST_DAY,
        max_value=today,
        format="DD/MM/YYYY" if ctx.lang == "it" else "MM/DD/YYYY",
        key="insights_dates",
    )
    # no "Select all" (Streamlit writes it in English whatever the language): an empty choice
    # already means all, and says so in the placeholder
    plans = f2.multiselect(
        ctx.t("insights.filter.plans"),
        list(plan_names),
        format_func=plan_names.__getitem__,
        placeholder=ctx.t("insights.filter.all"),
        select_all=False,
        key=kept("insights_plans"),
    )
    countries = f3.multiselect(
        ctx.t("insights.filter.countries"),
        analytics.sort_countries(options.countries, ctx.lang),  # by name, in this language
        format_func=lambda c: plots.country_name(ctx, c),
        placeholder=ctx.t("insights.filter.all"),
        select_all=False,
        key=kept("insights_countries"),
    )
    tenures = f4.multiselect(
        ctx.t("insights.filter.tenures"),
        list(options.tenures),
        format_func=lambda b: plots.tenure_name(ctx, b),
        placeholder=ctx.t("insights.filter.all"),
        help=ctx.t("desk.filter.tenures_help"),
        select_all=False,
        key=kept("insights_tenures"),
    )
    return Filters.chosen(picked, plans, countries, tenures)


def section_picker(ctx: PageContext) -> str:
    # A control that wraps onto a second line on a phone, instead of tabs that run off the screen
    return st.segmented_control(
        ctx.t("desk.section"),
        SECTIONS,
        default="reasons",
        required=True,
        format_func=lambda s: ctx.t(f"desk.insights.section.{s}"),
        key=kept("insights_section"),
        wrap=True,
        width="stretch",
    )


def reasons_section(ctx: PageContext, data: Insights) -> None:
    left, right = st.columns(2)
    with left:
        st.subheader(ctx.t("insights.chart.reasons"))
        st.caption(ctx.t("insights.chart.reasons_help"))
        plots.show(
            ctx,
            "reasons",
            plots.reasons_share(ctx, data) if data.reasons else None,
            "churn-reasons",
        )
    with right:
        st.subheader(ctx.t("insights.chart.satisfaction"))
        st.caption(ctx.t("insights.chart.satisfaction_help"))
        rated = sum(n for _s, n in data.satisfaction)
        plots.show(
            ctx,
            "satisfaction",
            plots.satisfaction(ctx, data) if rated else None,
            "satisfaction",
        )
    head, pick = st.columns([3, 1])
    head.subheader(ctx.t("insights.chart.trend"))
    pick.segmented_control(
        ctx.t("insights.granularity"),
        ["week", "month"],
        default="month",
        format_func=lambda g: ctx.t(f"insights.granularity.{g}"),
        key=kept("insights_granularity"),
        required=True,
    )
    plots.show(
        ctx,
        "trend",
        plots.reasons_trend(ctx, data.trend) if data.trend.points else None,
        f"churn-reasons-by-{data.trend.granularity}",
    )


def funnel_section(ctx: PageContext, data: Insights) -> None:
    st.subheader(ctx.t("insights.chart.funnel"))
    st.caption(ctx.t("insights.chart.funnel_help"))
    plots.show(
        ctx,
        "funnel",
        None if data.figures.started == 0 else plots.funnel(ctx, data),
        "cancellation-funnel",
    )


def custom_plan_section(ctx: PageContext, data: Insights) -> None:
    left, right = st.columns([2, 3])
    with left:
        st.subheader(ctx.t("insights.chart.offers"))
        st.caption(ctx.t("insights.chart.offers_help"))
        plots.show(
            ctx,
            "offers",
            plots.offers(ctx, data) if data.offers.shown else None,
            "custom-plan-interest",
        )
    with right:
        st.subheader(ctx.t("insights.chart.prices"))
        st.caption(ctx.t("insights.chart.prices_help"))
        plots.show(
            ctx,
            "prices",
            plots.prices(ctx, data) if data.prices else None,
            "custom-plan-prices",
        )


def segments_section(ctx: PageContext, data: Insights) -> None:
    empty = data.figures.started == 0
    left, right = st.columns(2)
    with left:
        st.subheader(ctx.t("insights.chart.by_plan"))
        names = [g.label for g in data.by_plan]
        plots.show(
            ctx,
            "by_plan",
            None if empty else plots.groups(ctx, ctx.t("insights.col.plan"), data.by_plan, names),
            "cancellations-by-plan",
        )
    with right:
        st.subheader(ctx.t("insights.chart.by_tenure"))
        names = [plots.tenure_name(ctx, g.key) for g in data.by_tenure]
        plots.show(
            ctx,
            "by_tenure",
            None
            if empty
            else plots.groups(ctx, ctx.t("insights.col.tenure"), data.by_tenure, names),
            "cancellations-by-tenure",
        )


def subscriptions_now(ctx: PageContext, filters: Filters, today: dt.date) -> None:
    st.subheader(ctx.t("insights.subscriptions"))
    st.caption(ctx.t("desk.subscriptions_help"))
    counts = analytics.subscriptions_by_status(ctx.db, ctx.user, filters, today=today)
    status_cards = st.container(horizontal=True, gap="small")
    for status, n in counts.items():
        churn_cards.card(status_cards, ctx.t(f"status_name.{status}"), fmt_number(n, ctx.lang))


def render(ctx: PageContext) -> None:
    auth.require_admin(ctx.user)
    st.title(ctx.t("insights.title"))
    st.caption(ctx.t("insights.subtitle"))

    options = analytics.filter_options(ctx.db, ctx.user)
    plan_names = dict(options.plans)
    today = clock.today()
    share_bar.read_url(ctx, options, today)  # a shared link's filters, before the widgets
    filters = filter_bar(ctx, options, plan_names, today)
    share_bar.write_url(filters)  # the browser's address: the link to this view
    share_bar.url_problems(ctx, filters)
    granularity = st.session_state.get("insights_granularity") or "month"
    try:
        data = insights_data(ctx, filters, granularity)
        previous = filters.previous()
        before = insights_data(ctx, previous, granularity)
    except PortalError as exc:
        fail(ctx, exc)
        st.stop()
    share_bar.share_area(ctx, filters, today)

    churn_cards.period_note(ctx, previous)
    churn_cards.figure_cards(ctx, data.figures, before.figures if before else None)
    section = section_picker(ctx)
    if section == "reasons":
        reasons_section(ctx, data)
    elif section == "churn":
        churn_sections.churn_section(ctx, filters, today, plan_names)
    elif section == "at_risk":
        churn_sections.at_risk_section(ctx, filters, today, plan_names)
    elif section == "funnel":
        funnel_section(ctx, data)
    elif section == "custom_plan":
        custom_plan_section(ctx, data)
    elif section == "offers":
        retention_figures.offers_section(ctx, filters, today)
    elif section == "segments":
        segments_section(ctx, data)
    elif section == "crosstabs":
        churn_sections.crosstabs_section(ctx, filters, plan_names)
    else:
        comments_panel.comments_section(ctx, data, filters, plan_names)

    st.divider()
    subscriptions_now(ctx, filters, today)


if __name__ == "__main__":  # run as a script by Streamlit's scan of pages/: go through the router
    from pages.shell.router import run_router

    run_router()
