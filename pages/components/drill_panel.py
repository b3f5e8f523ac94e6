""" "Flows behind this figure" (admins): the filtered flows narrowed by an outcome, a reason, a
plan and a tenure band, newest first, a page at a time, with their full dates and whole
comments. What narrows them is chosen with four selectors (usable from the keyboard) or by
clicking a bar or a heat-map cell of the charts above (which sets the selectors)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import streamlit as st

from core.identity import auth
from core.insights import analytics
from core.insights.analytics import Filters
from core.platform.errors import PortalError
from core.platform.i18n import fmt_date, fmt_datetime, fmt_money, fmt_number
from core.rules.vocabulary import OUTCOME_COMPLETED, OUTCOMES
from pages.components import plots
from pages.components.text import md
from pages.shell.choices import kept
from pages.shell.context import PageContext

SELECTORS = ("drill_outcome", "drill_reason", "drill_plan", "drill_tenure")
PAGE = "drill_page"
SEEN = "drill_seen"  # the chart selections already applied, by chart


def drill_from_points(
    points: Sequence[Mapping[str, Any]],
    *,
    reasons: Mapping[str, str],
    rows: Mapping[str, str] | None = None,
    row_field: str = "plan",
    completed: bool = False,
) -> dict[str, str | None] | None:
    """The selectors' values a clicked heat-map cell or bar names: `reasons` and `rows` map the
    chart's labels (in the admin's language) back to codes; the bars of revenue lost by reason
    (`completed`) are completed cancellations. None when nothing known was clicked."""
    if not points:
        return None
    point = points[0]
    chosen: dict[str, str | None]
    if rows is not None:  # a heat map: plans or bands across, reasons down
        reason, row = reasons.get(str(point.get("y"))), rows.get(str(point.get("x")))
        if reason is None or row is None:
            return None
        chosen = {"drill_outcome": None, "drill_reason": reason, "drill_plan": None}
        chosen["drill_tenure"] = None
        chosen[f"drill_{row_field}"] = row
        return chosen
    reason = reasons.get(str(point.get("y")))  # horizontal bars: the reason on the y axis
    if reason is None:
        return None
    outcome = OUTCOME_COMPLETED if completed else None
    return {
        "drill_outcome": outcome,
        "drill_reason": reason,
        "drill_plan": None,
        "drill_tenure": None,
    }


def apply_selection(chart: str, event: Any, chosen: dict[str, str | None] | None) -> None:
    """A new click on a chart sets the selectors (before they are drawn, lower on the page);
    the same selection on later runs leaves what the admin chose since alone."""
    seen = st.session_state.setdefault(SEEN, {})
    points = list(event.selection.points) if event is not None else []
    signature = repr(points)
    if seen.get(chart) == signature:
        return
    seen[chart] = signature
    if chosen is None:
        return
    for key in SELECTORS:
        if key in chosen:
            st.session_state[key] = chosen[key]
    st.session_state[PAGE] = 0


def reason_codes(ctx: PageContext) -> dict[str, str]:
    """Each reason's name in the admin's language -> its code (no reason: NO_REASON)."""
    codes = {plots.reason_name(ctx, r): r for r in analytics.REASONS}
    codes[plots.reason_name(ctx, None)] = analytics.NO_REASON
    return codes


def selectors(ctx: PageContext, plan_names: Mapping[str, str]):
    """The four selectors (any: none chosen) and the Drill they make."""
    anything = ctx.t("churn_page.drill.any")
    s1, s2 = st.columns(2)
    s3, s4 = st.columns(2)
    outcome = s1.selectbox(
        ctx.t("insights.col.outcome"),
        [None, *OUTCOMES],
        format_func=lambda o: anything if o is None else ctx.t(f"insights.outcome.{o}"),
        key=kept("drill_outcome"),
    )
    reason = s2.selectbox(
        ctx.t("insights.col.reason"),
        [None, *analytics.REASONS, analytics.NO_REASON],
        format_func=lambda r: anything if r is None else plots.reason_name(ctx, r or None),
        key=kept("drill_reason"),
    )
    plan = s3.selectbox(
        ctx.t("insights.col.plan"),
        [None, *plan_names],
        format_func=lambda p: anything if p is None else plan_names.get(p, p),
        key=kept("drill_plan"),
    )
    tenure = s4.selectbox(
        ctx.t("insights.col.tenure"),
        [None, *analytics.TENURE_BANDS],
        format_func=lambda b: anything if b is None else plots.tenure_name(ctx, b),
        key=kept("drill_tenure"),
    )
    return analytics.Drill(
        outcomes=(outcome,) if outcome else (), reason=reason, plan=plan, tenure=tenure
    )


def flow_row(ctx: PageContext, row, plan_names: Mapping[str, str]) -> None:
    """One flow: its company, then every fact in full (dates with their time), then the whole
    comment as typed."""
    dash = "–"
    facts = [
        plan_names.get(row.plan_code, row.plan_code),
        plots.country_name(ctx, row.country),
        plots.tenure_name(ctx, row.tenure_band),
        plots.reason_name(ctx, row.reason),
        ctx.t(f"insights.outcome.{row.outcome}"),
        ctx.t(
            "churn_page.drill.started",
            when=fmt_datetime(row.started_at, ctx.lang, "medium") + " (UTC)",
        ),
        ctx.t(
            "churn_page.drill.finished",
            when=fmt_datetime(row.finished_at, ctx.lang, "medium") + " (UTC)"
            if row.finished_at
            else dash,
        ),
    ]
    if row.effective_on:
        facts.append(
            ctx.t("churn_page.drill.effective", day=fmt_date(row.effective_on, ctx.lang, "medium"))
        )
    facts.append(
        ctx.t(
            "churn_page.drill.monthly",
            amount=fmt_money(row.monthly_revenue_cents, "USD", ctx.lang),
        )
    )
    with st.container(border=True):
        st.markdown(f"**{md(row.company) if row.company else ctx.t('churn_page.drill.purged')}**")
        st.caption(" · ".join(md(f) for f in facts if f))
        if row.comment:
            st.text(row.comment)  # as typed: no Markdown, whole, wrapped


def pager(ctx: PageContext, page: int, pages: int) -> None:
    """Previous / Next, with "Page x of y" between them."""
    left, middle, right = st.columns([1, 2, 1], vertical_alignment="center")
    if left.button(
        ctx.t("churn_page.drill.previous"),
        key="drill_previous",
        icon=":material/chevron_left:",
        disabled=page <= 0,
    ):
        st.session_state[PAGE] = page - 1
        st.rerun()
    middle.markdown(
        ctx.t(
            "churn_page.drill.page_of",
            page=fmt_number(page + 1, ctx.lang),
            pages=fmt_number(pages, ctx.lang),
        )
    )
    if right.button(
        ctx.t("churn_page.drill.next"),
        key="drill_next",
        icon=":material/chevron_right:",
        disabled=page >= pages - 1,
    ):
        st.session_state[PAGE] = page + 1
        st.rerun()


def drill_panel(ctx: PageContext, filters: Filters, plan_names: Mapping[str, str]) -> None:
    """The panel, under the charts whose bars and cells feed it."""
    auth.require_admin(ctx.user)
    st.subheader(ctx.t("churn_page.drill.title"))
    st.caption(ctx.t("churn_page.drill.help"))
    drill = selectors(ctx, plan_names)
    if st.session_state.get("drill_last") != drill:  # another figure: back to its first page
        st.session_state["drill_last"] = drill
        st.session_state[PAGE] = 0
    page = max(0, int(st.session_state.get(PAGE, 0)))
    size = st.session_state.get("drill_page_size", analytics.DRILL_PAGE)  # tests set a smaller one
    try:
        found = analytics.flows_behind(ctx.db, ctx.user, filters, drill, page=page, page_size=size)
    except PortalError as exc:
        st.error(ctx.t(exc.key, **exc.params), icon=":material/error:")
        return
    if page >= found.pages:  # fewer flows since (a filter changed): the last page there is
        st.session_state[PAGE] = page = found.pages - 1
        found = analytics.flows_behind(ctx.db, ctx.user, filters, drill, page=page, page_size=size)
    st.caption(ctx.t("churn_page.drill.count", n=fmt_number(found.total, ctx.lang)))
    if not found.rows:
        st.info(ctx.t("insights.empty"), icon=":material/filter_alt_off:")
        return
    for row in found.rows:
        flow_row(ctx, row, plan_names)
    if found.pages > 1:
        pager(ctx, found.page, found.pages)
