import streamlit as st

from app_pages.widgets.session import context
from core import admin
from core.i18n import fmt_number

ctx = context()
st.title(ctx.t("support.title"))
st.caption(ctx.t("support.subtitle"))
requests = admin.open_support_requests(ctx.db, ctx.user)
keys = ("undo_cancellation", "custom_plan", "other")
for col, key in zip(st.columns(len(keys)), keys, strict=True):
    col.metric(ctx.t(f"request.{key}"), fmt_number(requests.get(key, 0), ctx.lang), border=True)
st.info(ctx.t("support.coming"), icon=":material/schedule:")
