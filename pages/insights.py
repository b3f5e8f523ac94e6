"""Churn insights (admins): why customers leave, who was saved, at what price they would stay."""

import datetime as dt

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from core import exports
from core.identity import auth
from core.insights import analytics
from core.insights.analytics import Filters, Insights
from core.platform import clock
from core.platform.errors import PortalError
from core.platform.i18n import fmt_datetime, fmt_money_short, fmt_number, fmt_percent
from pages.components import plots, retention_figures
from pages.components.text import md
from pages.shell.context import PageContext

SECTIONS = ("reasons", "funnel", "custom_plan", "offers", "segments", "comments")
CARD_WIDTH = 165  # px: two cards a row at 390 px, four on a desktop
CARD_GAP = 16  # px
COMMENTS_PAGE = 25  # comments shown at first, and added by "Show more"


def insights_data(ctx: PageContext, filters: Filters, granularity: str) -> Insights:
    """The figures for these filters, from the cache below, which admins alone share."""
    auth.require_admin(ctx.user)
    return load(ctx.db, ctx.user, str(ctx.db.engine.url), filters, granularity)


@st.cache_data(ttl=60, show_spinner=False, max_entries=100)
def load(_db, _actor, database: str, filters: Filters, granularity: str) -> Insights:
    """The same for every admin: keyed by the database and the filters, kept a minute."""
    return analytics.insights(_db, _actor, filters, granularity)


def fail(ctx: PageContext, exc: PortalError) -> None:
    st.error(ctx.t(exc.key, **exc.params), icon=":material/error:")


def card(
    ctx: PageContext,
    box: DeltaGenerator,
    label: str,
    value: str,
    help_text: str | None = None,
    *,
    width: int = CARD_WIDTH,
) -> None:
    """A figure in a bordered card of a fixed width, so that cards sit side by side and wrap
    (two a row on a phone); its label wraps too (a metric's own label is cut with an ellipsis
    at that width), the metric carries it for assistive technology."""
    with box.container(border=True, width=width, gap="small"):
        st.markdown(md(label), help=help_text)
        st.metric(label, value, label_visibility="collapsed")


def metric(ctx: PageContext, box: DeltaGenerator, key: str, value: str) -> None:
    card(ctx, box, ctx.t(f"insights.fig.{key}"), value, ctx.t(f"insights.fig_help.{key}"))


def money_metric(ctx: PageContext, box: DeltaGenerator, key: str, cents: int) -> None:
    """An amount; a million or more is shown short (it would not fit the card), the full
    amount under the definition in the card's help."""
    full = plots.dollars(ctx, cents)
    short = fmt_money_short(cents, "USD", ctx.lang)
    help_text = ctx.t(f"insights.fig_help.{key}")
    card(
        ctx,
        box,
        ctx.t(f"insights.fig.{key}"),
        short or full,
        f"{help_text}\n\n{full}" if short else help_text,
        width=2 * CARD_WIDTH + CARD_GAP,  # an amount needs the room of two cards
    )


def rate(ctx: PageContext, value: float | None) -> str:
    return "–" if value is None else fmt_percent(value, ctx.lang)


def filter_bar(
    ctx: PageContext,
    options: analytics.FilterOptions,
    plan_names: dict[str, str],
    today: dt.date,
) -> Filters:
    """The dates, plans, countries and tenures picked; an empty choice means all."""
    f1, f2 = st.columns(2)
    f3, f4 = st.columns(2)
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
        key="insights_plans",
    )
    countries = f3.multiselect(
        ctx.t("insights.filter.countries"),
        analytics.sort_countries(options.countries, ctx.lang),  # by name, in this language
        format_func=lambda c: plots.country_name(ctx, c),
        placeholder=ctx.t("insights.filter.all"),
        select_all=False,
        key="insights_countries",
    )
    tenures = f4.multiselect(
        ctx.t("insights.filter.tenures"),
        list(options.tenures),
        format_func=lambda b: plots.tenure_name(ctx, b),
        placeholder=ctx.t("insights.filter.all"),
        help=ctx.t("desk.filter.tenures_help"),
        select_all=False,
        key="insights_tenures",
    )
    return Filters.chosen(picked, plans, countries, tenures)


def figure_cards(ctx: PageContext, fig: analytics.Figures) -> None:
    # cards side by side that wrap: two a row on a phone, not eight stacked before the charts
    cards = st.container(horizontal=True, gap="small")
    metric(ctx, cards, "started", fmt_number(fig.started, ctx.lang))
    metric(ctx, cards, "completed", fmt_number(fig.completed, ctx.lang))
    metric(ctx, cards, "saved", fmt_number(fig.saved, ctx.lang))
    metric(ctx, cards, "save_rate", rate(ctx, fig.save_rate))
    metric(ctx, cards, "response_rate", rate(ctx, fig.response_rate))
    metric(ctx, cards, "undone", fmt_number(fig.undone, ctx.lang))
    # whole dollars on the cards (cents in the CSV of the answers' flows)
    money_metric(ctx, cards, "revenue_lost", fig.revenue_lost_cents)
    money_metric(ctx, cards, "revenue_saved", fig.revenue_saved_cents)


def section_picker(ctx: PageContext) -> str:
    # A control that wraps onto a second line on a phone, instead of tabs that run off the screen
    return st.segmented_control(
        ctx.t("desk.section"),
        SECTIONS,
        default="reasons",
        required=True,
        format_func=lambda s: ctx.t(f"desk.insights.section.{s}"),
        key="insights_section",
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
        key="insights_granularity",
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


def comment_list(ctx: PageContext, rows, plan_names: dict[str, str]) -> None:
    """The comments as a list: the whole text, wrapped, under its full date and facts (a
    table's cells cut both). The newest first, a page at a time."""
    limit = st.session_state.get("insights_comments_shown", COMMENTS_PAGE)
    for c in rows[:limit]:
        facts = [
            fmt_datetime(c.answered_at, ctx.lang, "medium") + " (UTC)",
            plots.reason_name(ctx, c.reason),
            ctx.t("insights.stars", n=c.satisfaction) if c.satisfaction else "",
            plan_names.get(c.plan_code, c.plan_code),
            plots.country_name(ctx, c.country),
            ctx.t(f"insights.outcome.{c.outcome}"),
        ]
        with st.container(border=True):
            st.caption(" · ".join(md(f) for f in facts if f))
            if c.comment:
                st.text(c.comment)  # as typed: no Markdown, wrapped
            if c.follow_up:
                st.text(f"{ctx.t('insights.col.follow_up')}: {c.follow_up}")
    if len(rows) > limit and st.button(
        ctx.t("desk.comments.more", n=fmt_number(min(COMMENTS_PAGE, len(rows) - limit), ctx.lang)),
        key="insights_comments_more",
        icon=":material/expand_more:",
    ):
        st.session_state["insights_comments_shown"] = limit + COMMENTS_PAGE
        st.rerun()


def comments_section(
    ctx: PageContext, data: Insights, filters: Filters, plan_names: dict[str, str]
) -> None:
    st.subheader(ctx.t("insights.comments.title"))
    s1, s2 = st.columns([2, 1])
    search = s1.text_input(
        ctx.t("insights.comments.search"),
        max_chars=analytics.MAX_SEARCH,
        placeholder=ctx.t("insights.comments.search_hint"),
        key="insights_search",
    )
    reasons = s2.multiselect(
        ctx.t("insights.comments.reasons"),
        list(analytics.REASONS),
        format_func=lambda r: plots.reason_name(ctx, r),
        placeholder=ctx.t("insights.filter.all"),
        select_all=False,
        key="insights_comment_reasons",
    )
    try:
        found = analytics.comments(ctx.db, ctx.user, filters, search, reasons)
    except PortalError as exc:
        fail(ctx, exc)
    else:
        st.caption(
            ctx.t(
                "insights.comments.count",
                shown=fmt_number(len(found.rows), ctx.lang),
                total=fmt_number(found.total, ctx.lang),
            )
        )
        if found.rows:
            comment_list(ctx, found.rows, plan_names)
        else:
            st.info(ctx.t("insights.comments.none"), icon=":material/search_off:")
    # A signed link that streams the file while it is written (core/web/http.py), not a download
    # button: a million answers are 170 MB that Streamlit would hold for every session.
    token = analytics.answers_download_token(ctx.db, ctx.user, filters, ctx.lang)
    st.link_button(
        ctx.t("insights.download_answers"),
        f"/download/{token}",
        icon=":material/download:",
        key="csv_answers",
    )
    fig = data.figures
    st.caption(
        ctx.t("insights.download_answers_help")
        + " "
        + ctx.t(
            "insights.download_answers_note",
            rows=fmt_number(fig.answered + fig.skipped, ctx.lang),
            minutes=fmt_number(exports.DOWNLOAD_LINK_MINUTES, ctx.lang),
        )
    )


def subscriptions_now(ctx: PageContext, filters: Filters, today: dt.date) -> None:
    st.subheader(ctx.t("insights.subscriptions"))
    st.caption(ctx.t("desk.subscriptions_help"))
    counts = analytics.subscriptions_by_status(ctx.db, ctx.user, filters, today=today)
    status_cards = st.container(horizontal=True, gap="small")
    for status, n in counts.items():
        card(ctx, status_cards, ctx.t(f"status_name.{status}"), fmt_number(n, ctx.lang))


def render(ctx: PageContext) -> None:
    auth.require_admin(ctx.user)
    st.title(ctx.t("insights.title"))
    st.caption(ctx.t("insights.subtitle"))

    options = analytics.filter_options(ctx.db, ctx.user)
    plan_names = dict(options.plans)
    today = clock.today()
    filters = filter_bar(ctx, options, plan_names, today)
    granularity = st.session_state.get("insights_granularity") or "month"
    try:
        data = insights_data(ctx, filters, granularity)
    except PortalError as exc:
        fail(ctx, exc)
        st.stop()

    figure_cards(ctx, data.figures)
    section = section_picker(ctx)
    if section == "reasons":
        reasons_section(ctx, data)
    elif section == "funnel":
        funnel_section(ctx, data)
    elif section == "custom_plan":
        custom_plan_section(ctx, data)
    elif section == "offers":
        retention_figures.offers_section(ctx, filters, today)
    elif section == "segments":
        segments_section(ctx, data)
    else:
        comments_section(ctx, data, filters, plan_names)

    st.divider()
    subscriptions_now(ctx, filters, today)


if __name__ == "__main__":  # run as a script by Streamlit's scan of pages/: go through the router
    from pages.shell.router import run_router

    run_router()
