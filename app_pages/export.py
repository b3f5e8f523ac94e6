import streamlit as st

from app_pages.widgets.data_summary import show_counts
from app_pages.widgets.session import context
from core import accounts
from core.i18n import fmt_date

ctx = context()
ov = accounts.overview(ctx.db, ctx.user, settings=ctx.settings)

st.title(ctx.t("export.title"))
st.markdown(ctx.t("export.intro", date=fmt_date(ov.period_end, ctx.lang)))
show_counts(ctx, accounts.data_counts(ctx.db, ctx.user))
st.info(ctx.t("export.coming"), icon=":material/schedule:")
