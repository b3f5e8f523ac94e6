"""The Churn insights' filters in the browser's address, and the "Share" area.

The filters are read from the URL's query parameters (`analytics.filters_from_query`) when the
address names other filters than the page last wrote there (a shared link opened, the first
run of a visit), and written back whenever they change: the address in the browser is always
the link to this view. What a link names that cannot be used is said once, in the admin's
language, and the defaults are shown instead."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

import streamlit as st

from core.identity import auth
from core.insights import analytics, url_filters
from core.insights.analytics import Filters
from pages.shell.context import PageContext

WRITTEN = "insights_url_written"  # the query parameters the page last wrote
REPORT = "insights_churn_report"  # (filters, language, day, the PDF) last made
PROBLEMS = "insights_url_problems"  # (filters read, problem keys) of the last link read
WIDGETS = {  # the filter bar's widgets (pages/insights.py) by query parameter
    "plan": "insights_plans",
    "country": "insights_countries",
    "tenure": "insights_tenures",
}


def _in_url() -> dict[str, list[str]]:
    """The filters' query parameters in the address, every value of each."""
    params = st.query_params
    return {name: params.get_all(name) for name in url_filters.PARAMS if name in params}


def read_url(ctx: PageContext, options: analytics.FilterOptions, today: dt.date) -> None:
    """Before the filter bar: a link's filters become the widgets' values."""
    given = _in_url()
    written = st.session_state.get(WRITTEN)
    if written is not None and given == {k: [v] for k, v in written.items()}:
        return  # the page's own writing
    found = analytics.filters_from_query(given, options, today)
    if found.filters is None:
        return
    f = found.filters
    st.session_state["insights_dates"] = (f.start, f.end)
    st.session_state["insights_plans"] = list(f.plans)
    st.session_state["insights_countries"] = list(f.countries)
    st.session_state["insights_tenures"] = list(f.tenures)
    st.session_state[PROBLEMS] = (f, found.problems) if found.problems else None


def write_url(filters: Filters) -> None:
    """After the filter bar: the address names the filters shown (and nothing it did not)."""
    query = analytics.query_of(filters)
    current = {k: v[-1] for k, v in _in_url().items()}
    if current != query:
        for name in url_filters.PARAMS:
            if name in query:
                st.query_params[name] = query[name]
            elif name in st.query_params:
                del st.query_params[name]
    st.session_state[WRITTEN] = query


def url_problems(ctx: PageContext, filters: Filters) -> None:
    """What the link named that could not be used: one warning, while its filters are shown."""
    read = st.session_state.get(PROBLEMS)
    if not read:
        return
    shown, problems = read
    if shown != filters:  # the admin has chosen other filters since
        st.session_state[PROBLEMS] = None
        return
    st.warning(
        "\n".join([ctx.t("insights.url.ignored"), *(f"- {ctx.t(key)}" for key in problems)]),
        icon=":material/link_off:",
    )


def share_link(ctx: PageContext, filters: Filters) -> str:
    """The address of this view: the insights page with the filters in its query."""
    query = urlencode(analytics.query_of(filters), safe=",")
    return f"{ctx.settings.public_url}/insights" + (f"?{query}" if query else "")


def share_area(ctx: PageContext, filters: Filters, today: dt.date) -> None:
    """The link to this view (copyable) and the Churn report of it as a PDF."""
    auth.require_admin(ctx.user)
    with st.expander(
        ctx.t("churn_page.share.title"), icon=":material/share:", key="insights_share"
    ):
        st.caption(ctx.t("churn_page.share.link_help"))
        st.code(share_link(ctx, filters), language=None, wrap_lines=True)
        # Made when asked for and kept in the session (bytes, not a deferred download: Streamlit
        # deletes a deferred file before a busy server's browser fetches it; see
        # tests/pages/test_download_buttons.py)
        wanted = (filters, ctx.lang, today)
        made = st.session_state.get(REPORT)
        if (made is None or made[0] != wanted) and st.button(
            ctx.t("churn_page.share.prepare"),
            icon=":material/picture_as_pdf:",
            key="churn_report_prepare",
        ):
            with st.spinner(ctx.t("churn_page.share.preparing")):
                pdf = analytics.churn_report_pdf(ctx.db, ctx.user, filters, ctx.lang, today=today)
            made = st.session_state[REPORT] = (wanted, pdf)
        if made is not None and made[0] == wanted:
            st.download_button(
                ctx.t("churn_page.share.report"),
                data=made[1],
                file_name=analytics.churn_report_file_name(filters, ctx.lang),
                mime="application/pdf",
                icon=":material/download:",
                key="churn_report_pdf",
                on_click="ignore",
                type="primary",
            )
        st.caption(ctx.t("churn_page.share.report_help"))
