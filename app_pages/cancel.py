import streamlit as st

from app_pages.widgets.data_summary import show_counts
from app_pages.widgets.session import context
from core import accounts
from core.i18n import fmt_date

ctx = context()
ov = accounts.overview(ctx.db, ctx.user, settings=ctx.settings)
deletion = ov.data_deleted_on or accounts.deletion_date_if_cancelled(ov, ctx.settings)


def d(value):
    return fmt_date(value, ctx.lang)


st.title(ctx.t("cancel.title"))
st.markdown(ctx.t("cancel.no_lock_in"))
with st.container(border=True):
    st.markdown(f"**{ctx.t('cancel.what_happens')}**")
    st.markdown(
        ctx.t("cancel.timeline", end=d(ov.period_end), deleted=d(deletion), reactivate=d(deletion))
    )
st.markdown(f"**{ctx.t('cancel.will_delete')}**")
show_counts(ctx, accounts.data_counts(ctx.db, ctx.user))
st.page_link("app_pages/export.py", label=ctx.t("cancel.save_first"), icon=":material/download:")
st.info(ctx.t("cancel.coming"), icon=":material/support_agent:")
