import streamlit as st

from app_pages.widgets.session import context
from app_pages.widgets.text import md
from core import accounts, cancellation
from core.errors import PortalError

ctx = context()
ov = accounts.overview(ctx.db, ctx.user, settings=ctx.settings)
dates = cancellation.dates_for(ov.period_end, ctx.settings)

st.title(ctx.t("ended.title"))
st.caption(md(ov.company))
with st.container(border=True):
    st.markdown(ctx.t("ended.body", date=dates.effective_on))
    st.markdown(ctx.t("ended.kept", deleted=dates.data_deleted_on))
    st.markdown(ctx.t("ended.reactivate", until=dates.reactivate_until))

with st.form("reactivate", clear_on_submit=True):
    st.markdown(f"**{ctx.t('ended.request')}**")
    message = st.text_area(ctx.t("cancel.contact_message"), max_chars=2000)
    if st.form_submit_button(ctx.t("cancel.contact_send"), icon=":material/send:"):
        try:
            number = cancellation.contact_support(ctx.db, ctx.user, message, kind="reactivation")
        except PortalError as exc:
            st.error(ctx.t(exc.key, **exc.params))
        else:
            st.success(ctx.t("cancel.contact_sent", number=number))
