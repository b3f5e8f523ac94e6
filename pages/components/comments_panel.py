"""The Churn insights' comments: the survey's free text, searched and narrowed by reason and
by the flow's outcome, shown whole under its full date and facts (newest first, a page at a
time); and the signed link to every answer of the filters as a CSV file."""

from __future__ import annotations

import streamlit as st

from core import exports
from core.insights import analytics
from core.insights.analytics import Filters, Insights
from core.platform.errors import PortalError
from core.platform.i18n import fmt_datetime, fmt_number, plural
from core.rules.vocabulary import OUTCOMES
from pages.components import plots
from pages.components.text import md
from pages.shell.choices import kept
from pages.shell.context import PageContext

COMMENTS_PAGE = 25  # comments shown at first, and added by "Show more"


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
    search = st.text_input(
        ctx.t("insights.comments.search"),
        max_chars=analytics.MAX_SEARCH,
        placeholder=ctx.t("insights.comments.search_hint"),
        key="insights_search",
    )
    s3, s4 = st.columns(2)
    reasons = s3.multiselect(
        ctx.t("insights.comments.reasons"),
        list(analytics.REASONS),
        format_func=lambda r: plots.reason_name(ctx, r),
        placeholder=ctx.t("insights.filter.all"),
        select_all=False,
        key=kept("insights_comment_reasons"),
    )
    outcomes = s4.multiselect(
        ctx.t("churn_page.comments.outcomes"),
        list(OUTCOMES),
        format_func=lambda o: ctx.t(f"insights.outcome.{o}"),
        placeholder=ctx.t("insights.filter.all"),
        select_all=False,
        key=kept("insights_comment_outcomes"),
    )
    try:
        found = analytics.comments(ctx.db, ctx.user, filters, search, reasons, outcomes=outcomes)
    except PortalError as exc:
        st.error(ctx.t(exc.key, **exc.params), icon=":material/error:")
    else:
        st.caption(
            ctx.t(
                "churn_page.comments.count_capped" if found.capped else "insights.comments.count",
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
        + plural(
            "insights.download_answers_note",
            fig.answered + fig.skipped,
            ctx.lang,
            minutes=fmt_number(exports.DOWNLOAD_LINK_MINUTES, ctx.lang),
        )
    )
