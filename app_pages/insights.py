import streamlit as st

from app_pages.widgets.session import context
from core import admin
from core.i18n import fmt_number

ctx = context()
st.title(ctx.t("insights.title"))
st.caption(ctx.t("insights.subtitle"))

st.subheader(ctx.t("insights.subscriptions"))
counts = admin.subscription_counts(ctx.db, ctx.user)
for col, (status, n) in zip(st.columns(len(counts)), counts.items(), strict=True):
    col.metric(ctx.t(f"status_name.{status}"), fmt_number(n, ctx.lang), border=True)

st.subheader(ctx.t("insights.flows"))
outcomes = admin.flow_outcomes(ctx.db, ctx.user)
keys = ("completed", "saved_kept", "saved_offer", "abandoned")
for col, key in zip(st.columns(len(keys)), keys, strict=True):
    col.metric(ctx.t(f"outcome.{key}"), fmt_number(outcomes.get(key, 0), ctx.lang), border=True)
st.info(ctx.t("insights.coming"), icon=":material/schedule:")
