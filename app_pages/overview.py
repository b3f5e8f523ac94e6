import streamlit as st

from app_pages.widgets.session import context
from app_pages.widgets.text import md
from core import accounts, support
from core.errors import PortalError
from core.i18n import fmt_date, fmt_money, fmt_number
from core.models import STATUS_ACTIVE, STATUS_ENDED, STATUS_SCHEDULED

ctx = context()
lang = ctx.lang
ov = accounts.overview(ctx.db, ctx.user, settings=ctx.settings)


def d(value, style="long"):
    return fmt_date(value, lang, style)


st.title(md(ov.company))
st.caption(ctx.t("overview.subtitle"))

if ov.status == STATUS_ACTIVE:
    st.success(ctx.t("status.active", date=ov.period_end), icon=":material/check_circle:")
elif ov.status == STATUS_SCHEDULED:
    st.warning(
        ctx.t("status.scheduled", date=ov.period_end, deleted=ov.data_deleted_on),
        icon=":material/event_busy:",
    )
elif ov.status == STATUS_ENDED:
    st.error(
        ctx.t("status.ended", date=ov.period_end, deleted=ov.data_deleted_on),
        icon=":material/block:",
    )

interval = ctx.t(f"interval.{ov.billing_interval}")
c1, c2, c3, c4 = st.columns(4)
c1.metric(ctx.t("overview.plan"), md(ov.plan_name), border=True)
c2.metric(
    ctx.t("overview.price"),
    fmt_money(ov.price_cents, ov.currency, lang),
    delta=ctx.t("overview.per_interval", interval=interval),
    delta_color="off",
    delta_arrow="off",
    border=True,
)
c3.metric(
    ctx.t("overview.cycle"),
    d(ov.period_end, "medium"),
    delta=ctx.t(
        "overview.cycle_range", start=d(ov.period_start, "medium"), end=d(ov.period_end, "medium")
    ),
    delta_color="off",
    delta_arrow="off",
    border=True,
)
c4.metric(
    ctx.t("overview.renewal"),
    d(ov.next_renewal, "medium") if ov.next_renewal else ctx.t("overview.no_renewal"),
    border=True,
)

st.subheader(ctx.t("overview.usage"))
cols = st.columns(len(ov.usage))
for col, item in zip(cols, ov.usage, strict=True):
    with col:
        st.progress(
            item.ratio,
            text=ctx.t(
                "usage.line",
                what=ctx.t(f"usage.{item.key}"),
                used=fmt_number(item.used, lang),
                limit=fmt_number(item.limit, lang),
            ),
        )

st.subheader(ctx.t("overview.invoices"))
if ov.invoices:
    st.dataframe(
        {
            ctx.t("invoice.number"): [i.number for i in ov.invoices],
            ctx.t("invoice.date"): [d(i.issued_on) for i in ov.invoices],
            ctx.t("invoice.period"): [
                ctx.t("overview.cycle_range", start=d(i.period_start), end=d(i.period_end))
                for i in ov.invoices
            ],
            ctx.t("invoice.amount"): [
                fmt_money(i.amount_cents, i.currency, lang) for i in ov.invoices
            ],
            ctx.t("invoice.status"): [ctx.t(f"invoice.status.{i.status}") for i in ov.invoices],
        },
        hide_index=True,
        height=min(400, 38 + 35 * len(ov.invoices)),
    )
else:
    st.info(ctx.t("overview.no_invoices"))

st.divider()
st.header(ctx.t("billing.title"), anchor="products-and-billing")
with st.container(border=True):
    st.markdown(
        ctx.t(
            "billing.plan_line",
            plan=md(ov.plan_name),
            price=fmt_money(ov.price_cents, ov.currency, lang),
            interval=interval,
        )
    )
    st.caption(ctx.t("billing.interval_help", interval=interval))

with st.container(border=True):
    st.markdown(f"**{ctx.t('offer.title')}**")
    st.markdown(ctx.t("offer.body", price=fmt_money(ov.custom_plan_from_cents, "USD", lang)))
    with (
        st.popover(ctx.t("offer.button"), icon=":material/tune:"),
        st.form("custom_plan", border=False),
    ):
        note = st.text_area(
            ctx.t("offer.note"), max_chars=support.MAX_MESSAGE, placeholder=ctx.t("offer.hint")
        )
        if st.form_submit_button(ctx.t("offer.send"), type="primary"):
            try:
                support.request_custom_plan(ctx.db, ctx.user, note)
            except PortalError as exc:
                st.error(ctx.t(exc.key, **exc.params))
            else:
                st.success(ctx.t("offer.sent"))

with st.container(border=True):
    st.markdown(f"**{ctx.t('billing.cancel_title')}**")
    if ov.status == STATUS_ACTIVE:
        st.caption(ctx.t("billing.cancel_help", date=ov.period_end))
    st.page_link("app_pages/cancel.py", label=ctx.t("nav.cancel"), icon=":material/cancel:")
