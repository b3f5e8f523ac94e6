"""The ended account: what is kept until when, the read-only export window, a request to
reactivate."""

import streamlit as st

from core.customers import accounts
from core.identity import auth
from core.platform.errors import PortalError
from core.retention import records, way_back
from pages.components.text import md
from pages.shell.context import PageContext


def what_is_kept(ctx: PageContext, dates: records.Dates) -> None:
    with st.container(border=True):
        st.markdown(ctx.t("ended.body", date=dates.effective_on))
        st.markdown(ctx.t("ended.kept", deleted=dates.data_deleted_on))
        st.markdown(ctx.t("ended.reactivate", until=dates.reactivate_until))


def export_window(ctx: PageContext) -> None:
    """The read-only export window after the end: its last day is computed once, in core."""
    last_day = ctx.user.export_until if ctx.user else None
    if last_day is None:
        return
    with st.container(border=True):
        if auth.export_window_open(ctx.user):
            st.markdown(ctx.t("ended.export_until", last_day=last_day))
            st.page_link(ctx.pages["export"], label=ctx.t("nav.export"), icon=":material/download:")
        else:
            st.markdown(ctx.t("ended.export_closed", last_day=last_day))


def reactivation_form(ctx: PageContext) -> None:
    with st.form("reactivate", clear_on_submit=True):
        st.markdown(f"**{ctx.t('ended.request')}**")
        message = st.text_area(ctx.t("cancel.contact_message"), max_chars=2000)
        if st.form_submit_button(ctx.t("cancel.contact_send"), icon=":material/send:"):
            try:
                number = way_back.contact_support(ctx.db, ctx.user, message, kind="reactivation")
            except PortalError as exc:
                st.error(ctx.t(exc.key, **exc.params))
            else:
                st.success(ctx.t("cancel.contact_sent", number=number))


def render(ctx: PageContext) -> None:
    ov = accounts.overview(ctx.db, ctx.user, settings=ctx.settings)
    dates = records.dates_for(ov.period_end, ctx.settings)
    st.title(ctx.t("ended.title"))
    st.caption(md(ov.company))
    what_is_kept(ctx, dates)
    export_window(ctx)
    reactivation_form(ctx)


if __name__ == "__main__":  # run as a script by Streamlit's scan of pages/: go through the router
    from pages.shell.router import run_router

    run_router()
