"""The playbook page's experiments: create one (two to four variants, each a published version
and a share of the accounts; `core` refuses a split that does not add up to 100), start and stop
it (after a confirmation), and read its results per variant: flows, saves by kind, save rate
with its 95% interval, revenue saved and whether the difference from the first variant is
significant, or plainly that there is not enough data yet."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from core.platform.errors import PortalError
from core.platform.i18n import fmt_datetime, fmt_money, fmt_number, fmt_percent
from core.retention import experiments
from core.retention import playbook as playbooks
from core.rules import offers as rules
from core.rules.pricing import CURRENCY
from core.rules.vocabulary import OFFER_KINDS
from pages.components.confirm import FLASH, confirm_button
from pages.components.playbook_labels import PUBLISHED, kind_label, show_error
from pages.components.text import md
from pages.shell.choices import kept
from pages.shell.context import PageContext


def when(ctx: PageContext, value) -> str:
    return fmt_datetime(value, ctx.lang, "short") if value is not None else "—"


def state(ctx: PageContext, e: experiments.ExperimentInfo) -> str:
    if e.running:
        return ctx.t("experiments_page.state.running")
    if e.stopped_at is not None:
        return ctx.t("experiments_page.state.stopped")
    return ctx.t("experiments_page.state.ready")


def split_text(ctx: PageContext, e: experiments.ExperimentInfo) -> str:
    return ", ".join(
        ctx.t(
            "experiments_page.variant_line",
            name=md(v.name),
            version=ctx.t("playbook_page.version", n=v.version),
            share=fmt_percent(v.share / 100, ctx.lang),
        )
        for v in e.variants
    )


def create_form(ctx: PageContext, published: list[int]) -> None:
    if not published:
        st.info(ctx.t("experiments_page.need_published"), icon=":material/info:")
        return
    count = st.segmented_control(
        ctx.t("experiments_page.variant_count"),
        [2, 3, 4],
        default=2,
        required=True,
        key=kept("exp_count"),
    )
    with st.form("exp_create", enter_to_submit=False):
        name = st.text_input(ctx.t("experiments_page.name"), max_chars=80, key="exp_name")
        variants = []
        even = 100 // count
        for i in range(count):
            c1, c2, c3 = st.columns(3)
            label = chr(ord("A") + i)
            vname = c1.text_input(
                ctx.t("experiments_page.variant_name"),
                value=label,
                max_chars=40,
                key=f"exp_v{i}_name",
            )
            version = c2.selectbox(
                ctx.t("experiments_page.variant_version"),
                published,
                index=min(i, len(published) - 1),
                format_func=lambda n: ctx.t("playbook_page.version", n=n),
                key=kept(f"exp_v{i}_version"),
            )
            share = c3.number_input(
                ctx.t("experiments_page.variant_share"),
                value=even + (100 - even * count if i == 0 else 0),
                step=1,
                format="%d",
                key=f"exp_v{i}_share",
            )
            variants.append((vname, version, share))
        submit = st.form_submit_button(
            ctx.t("experiments_page.create"),
            type="primary",
            icon=":material/science:",
            key="exp_save",
        )
    if not submit:
        return
    try:
        experiments.create(
            ctx.db,
            ctx.user,
            name.strip(),
            tuple(
                experiments.Variant(name=n.strip(), version=int(v), share=int(s or 0))
                for n, v, s in variants
            ),
        )
    except PortalError as exc:
        show_error(ctx, exc)
    else:
        st.session_state[FLASH] = (
            "success",
            ctx.t("experiments_page.created", name=md(name.strip())),
        )
        st.rerun()


def start_stop(ctx: PageContext, e: experiments.ExperimentInfo) -> None:
    if e.stopped_at is not None:
        return
    which = "stop" if e.running else "start"
    target = confirm_button(
        ctx,
        f"exp_{which}_{e.id}",
        ctx.t(f"experiments_page.{which}"),
        ctx.t(f"experiments_page.{which}_prompt", name=md(e.name)),
        e.id,
        icon=":material/stop_circle:" if e.running else ":material/play_circle:",
    )
    if target is None:
        return
    action = experiments.stop if e.running else experiments.start
    try:
        action(ctx.db, ctx.user, target)
    except PortalError as exc:
        show_error(ctx, exc)
    else:
        st.session_state[FLASH] = (
            "success",
            ctx.t(f"experiments_page.{which}_done", name=md(e.name)),
        )
        st.rerun()


def p_value(ctx: PageContext, v: experiments.VariantResult) -> str:
    if v.p_value is None:
        return "—"
    return fmt_number(round(v.p_value, 3), ctx.lang)


def significance(ctx: PageContext, v: experiments.VariantResult) -> str:
    if v.significant is None:
        return ctx.t("experiments_page.baseline")
    return ctx.t(
        "experiments_page.significant" if v.significant else "experiments_page.not_significant"
    )


def results_table(ctx: PageContext, e: experiments.ExperimentInfo) -> None:
    res = experiments.results(ctx.db, ctx.user, e.id)
    if not res.enough:
        st.info(
            ctx.t("experiments_page.not_enough", n=rules.MIN_FLOWS), icon=":material/hourglass_top:"
        )
    kinds = ["kept", *OFFER_KINDS]
    rows = []
    for v in res.variants:
        row = {
            ctx.t("experiments_page.col.variant"): v.name,
            ctx.t("experiments_page.col.version"): ctx.t("playbook_page.version", n=v.version),
            ctx.t("experiments_page.col.share"): fmt_percent(v.share / 100, ctx.lang),
            ctx.t("experiments_page.col.flows"): fmt_number(v.flows, ctx.lang),
            ctx.t("experiments_page.col.saves"): fmt_number(v.saves, ctx.lang),
        }
        for kind in kinds:
            label = ctx.t("experiments_page.col.kept") if kind == "kept" else kind_label(ctx, kind)
            row[label] = fmt_number(v.saves_by_kind.get(kind, 0), ctx.lang)
        row |= {
            ctx.t("experiments_page.col.rate"): fmt_percent(v.save_rate, ctx.lang),
            ctx.t("experiments_page.col.interval"): ctx.t(
                "experiments_page.interval",
                low=fmt_percent(v.low, ctx.lang),
                high=fmt_percent(v.high, ctx.lang),
            ),
            ctx.t("experiments_page.col.revenue"): fmt_money(
                v.revenue_saved_cents, CURRENCY, ctx.lang
            ),
            ctx.t("experiments_page.col.p_value"): p_value(ctx, v),
            ctx.t("experiments_page.col.significant"): significance(ctx, v)
            if v.enough
            else ctx.t("experiments_page.too_few"),
        }
        rows.append(row)
    st.dataframe(pd.DataFrame(rows), hide_index=True, key=f"exp_results_{e.id}")
    st.caption(ctx.t("experiments_page.help"))


def experiments_section(ctx: PageContext, versions: list[playbooks.VersionInfo]) -> None:
    published = [v.number for v in versions if v.status == PUBLISHED]
    with st.expander(ctx.t("experiments_page.new"), icon=":material/add:", key="exp_new_open"):
        create_form(ctx, published)
    items = experiments.experiments(ctx.db, ctx.user)
    if not items:
        st.info(ctx.t("experiments_page.none"), icon=":material/science:")
    for e in items:
        with st.container(border=True, key=f"exp_{e.id}"):
            st.markdown(
                f"**{ctx.t('experiments_page.title', name=md(e.name), state=state(ctx, e))}**"
            )
            st.caption(
                ctx.t(
                    "experiments_page.dates",
                    created=when(ctx, e.created_at),
                    started=when(ctx, e.started_at),
                    stopped=when(ctx, e.stopped_at),
                )
            )
            st.markdown(split_text(ctx, e))
            start_stop(ctx, e)
            if e.started_at is not None:
                results_table(ctx, e)
