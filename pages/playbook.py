"""Retention playbook (admins): the versions of the playbook (which offers a leaving customer is
made, by reason and segment), a draft's editor and its publication, a preview of step 2 exactly
as a chosen kind of customer would see it in either language, and the experiments that compare
published versions side by side."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from core.platform import clock
from core.platform.errors import PortalError
from core.platform.i18n import fmt_datetime, fmt_money, t
from core.retention import custom_plan, experiments, preview
from core.retention import playbook as playbooks
from core.rules import offers as rules
from core.rules.pricing import PLANS
from core.rules.vocabulary import NO_REASON, REASONS, TENURE_BANDS
from pages.components.confirm import show_flash
from pages.components.experiments_panel import experiments_section
from pages.components.offers import custom_plan_copy, decide_buttons, decide_text, offer_cards
from pages.components.playbook_editor import GOTO, done, edit_section
from pages.components.playbook_labels import (
    DRAFT,
    PUBLISHED,
    countries,
    country_label,
    plan_label,
    reason_label,
    show_error,
    status_label,
    tenure_label,
)
from pages.components.text import md
from pages.shell.choices import kept
from pages.shell.context import PageContext

SECTIONS = ("versions", "edit", "preview", "experiments")
EDITING = "pb_editing"  # session: the version number open in the editor
LANGUAGE_NAMES = {"en": "English", "it": "Italiano"}  # each in its own language, as the sidebar
DEFAULT = 0  # "the default playbook" in the version pickers (no version is numbered 0)


def when(ctx: PageContext, value) -> str:
    return fmt_datetime(value, ctx.lang, "short") if value is not None else "—"


def version_name(ctx: PageContext, number: int) -> str:
    if number == DEFAULT:
        return ctx.t("playbook_page.default")
    return ctx.t("playbook_page.version", n=number)


def section_picker(ctx: PageContext) -> str:
    goto = st.session_state.pop(GOTO, None)
    if goto in SECTIONS:  # before the control exists on this run
        st.session_state["pb_section"] = goto
    return st.segmented_control(
        ctx.t("playbook_page.section"),
        SECTIONS,
        default=None if "pb_section" in st.session_state else "versions",
        required=True,
        format_func=lambda s: ctx.t(f"playbook_page.section.{s}"),
        key=kept("pb_section"),
        wrap=True,
        width="stretch",
    )


def versions_section(ctx: PageContext, versions: list[playbooks.VersionInfo]) -> None:
    live = next((v for v in versions if v.status == PUBLISHED), None)
    if live is None:
        st.info(ctx.t("playbook_page.no_live"), icon=":material/info:")
    else:
        st.success(ctx.t("playbook_page.live", n=live.number), icon=":material/campaign:")
    running = next((e for e in experiments.experiments(ctx.db, ctx.user) if e.running), None)
    if running is not None:
        st.info(
            ctx.t("experiments_page.running_note", name=md(running.name)),
            icon=":material/science:",
        )
    if versions:
        st.dataframe(
            pd.DataFrame(
                {
                    ctx.t("playbook_page.col.version"): [v.number for v in versions],
                    ctx.t("playbook_page.col.status"): [
                        status_label(ctx, v.status) for v in versions
                    ],
                    ctx.t("playbook_page.col.author"): [v.author or "—" for v in versions],
                    ctx.t("playbook_page.col.created"): [when(ctx, v.created_at) for v in versions],
                    ctx.t("playbook_page.col.published"): [
                        when(ctx, v.published_at) for v in versions
                    ],
                    ctx.t("playbook_page.col.note"): [v.note for v in versions],
                }
            ),
            hide_index=True,
            key="pb_versions_table",
        )
    drafts = [v for v in versions if v.status == DRAFT]
    for draft in drafts[:1]:  # the newest draft, one click away
        if st.button(
            ctx.t("playbook_page.edit_draft", n=draft.number),
            type="primary",
            icon=":material/edit:",
            key="pb_edit_draft",
        ):
            open_in_editor(draft.number)
    with st.container(border=True, key="pb_new_draft"):
        bases = [v.number for v in versions] or [DEFAULT]
        base = st.selectbox(
            ctx.t("playbook_page.new_from_pick"),
            bases,
            format_func=lambda n: version_name(ctx, n),
            key=kept("pb_new_base"),
        )
        if st.button(
            ctx.t("playbook_page.new_from_default")
            if base == DEFAULT
            else ctx.t("playbook_page.new_from", n=base),
            icon=":material/content_copy:",
            key="pb_new_draft_button",
        ):
            new_draft(ctx, versions, base)


def open_in_editor(number: int) -> None:
    st.session_state[EDITING] = number
    st.session_state[GOTO] = "edit"
    st.rerun()


def new_draft(ctx: PageContext, versions: list[playbooks.VersionInfo], base: int) -> None:
    source = next((v.playbook for v in versions if v.number == base), rules.DEFAULT_PLAYBOOK)
    try:
        made = playbooks.save_draft(
            ctx.db,
            ctx.user,
            source,
            note=ctx.t("playbook_page.from_default_note")
            if base == DEFAULT
            else ctx.t("playbook_page.from_note", n=base),
        )
    except PortalError as exc:
        show_error(ctx, exc)
        return
    st.session_state[EDITING] = made.number
    done(ctx, ctx.t("playbook_page.draft_made", n=made.number), goto="edit")


def editor(ctx: PageContext, versions: list[playbooks.VersionInfo]) -> None:
    if not versions:
        st.info(ctx.t("playbook_page.nothing_to_edit"), icon=":material/info:")
        return
    numbers = [v.number for v in versions]
    wanted = st.session_state.get(EDITING)
    if wanted not in numbers:
        wanted = next((v.number for v in versions if v.status == DRAFT), numbers[0])
    number = st.selectbox(
        ctx.t("playbook_page.pick_version"),
        numbers,
        index=numbers.index(wanted),
        format_func=lambda n: ctx.t(
            "playbook_page.version_status",
            n=n,
            status=status_label(ctx, next(v.status for v in versions if v.number == n)),
        ),
        key=kept(f"pb_pick_{wanted}"),
    )
    st.session_state[EDITING] = number
    edit_section(ctx, next(v for v in versions if v.number == number))


def preview_section(ctx: PageContext, versions: list[playbooks.VersionInfo]) -> None:
    """Step 2 as the chosen customer would see it: the same component as the cancel page."""
    st.caption(ctx.t("playbook_page.preview_help"))
    numbers = [v.number for v in versions] or [DEFAULT]
    c1, c2, c3 = st.columns(3)
    number = c1.selectbox(
        ctx.t("playbook_page.preview.version"),
        numbers,
        index=numbers.index(st.session_state.get(EDITING, numbers[0]))
        if st.session_state.get(EDITING) in numbers
        else 0,
        format_func=lambda n: version_name(ctx, n),
        key=kept("pv_version"),
    )
    reason = c2.selectbox(
        ctx.t("playbook_page.preview.reason"),
        [*REASONS, NO_REASON],
        format_func=lambda r: reason_label(ctx, r),
        key=kept("pv_reason"),
    )
    plan = c3.selectbox(
        ctx.t("playbook_page.preview.plan"),
        [p.code for p in PLANS],
        index=1,
        format_func=plan_label,
        key=kept("pv_plan"),
    )
    c1, c2, c3 = st.columns(3)
    band = c1.selectbox(
        ctx.t("playbook_page.preview.tenure"),
        TENURE_BANDS,
        format_func=lambda b: tenure_label(ctx, b),
        key=kept("pv_tenure"),
    )
    codes = countries(ctx)
    country = c2.selectbox(
        ctx.t("playbook_page.preview.country"),
        codes,
        index=codes.index("IT") if "IT" in codes else 0,
        format_func=lambda c: country_label(ctx, c),
        key=kept("pv_country"),
    )
    lang = c3.segmented_control(
        ctx.t("playbook_page.preview.lang"),
        ("en", "it"),
        default=ctx.lang,
        required=True,
        format_func=LANGUAGE_NAMES.__getitem__,
        key=kept("pv_lang"),
    )
    chosen = next((v.playbook for v in versions if v.number == number), rules.DEFAULT_PLAYBOOK)
    today = clock.today()
    shown = preview.preview(
        chosen, reason=reason, plan_code=plan, tenure_band=band, country=country, today=today
    )
    with st.container(border=True, key="pv_step"):
        st.subheader(t("decide.title", lang))
        st.markdown(decide_text(preview.cycle_end(today), shown, lang))
        decide_buttons(lang, keys=("pv_keep", "pv_continue"), disabled=True)
        offer_cards(
            shown,
            lang,
            key="pv_offer",
            custom_plan=lambda o: preview_custom_plan(o, lang),
            disabled=True,
        )
    if not shown:
        st.caption(ctx.t("playbook_page.preview.no_offer"))


def preview_custom_plan(offer, lang: str) -> None:
    with st.container(border=True, key="pv_custom_plan"):
        custom_plan_copy(offer, lang)
        price = fmt_money(custom_plan.BASE_PRICE_CENTS, "USD", lang)
        st.markdown(t("offer.body", lang, price=price))
        st.toggle(t("offer.configure", lang), key="pv_configure", disabled=True)


def render(ctx: PageContext) -> None:
    st.title(ctx.t("playbook_page.title"))
    st.caption(ctx.t("playbook_page.subtitle"))
    with st.container():  # one slot, message or not: what follows keeps its place
        show_flash()
    versions = playbooks.versions(ctx.db, ctx.user)
    section = section_picker(ctx)
    if section == "versions":
        versions_section(ctx, versions)
    elif section == "edit":
        editor(ctx, versions)
    elif section == "preview":
        preview_section(ctx, versions)
    else:
        experiments_section(ctx, versions)


if __name__ == "__main__":  # run as a script by Streamlit's scan of pages/: go through the router
    from pages.shell.router import run_router

    run_router()
