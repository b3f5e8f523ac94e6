"""Account overview: status, plan and price, the billing cycle, usage, invoices, the custom
plan and, at the bottom of "Products and billing", the way to cancel."""

import pandas as pd
import streamlit as st

from core.customers import accounts, customer_desk
from core.platform.errors import PortalError
from core.platform.i18n import fmt_date, fmt_money, fmt_number, fmt_percent, plural
from core.retention import custom_plan, offers, records
from core.rules.vocabulary import STATUS_ACTIVE, STATUS_ENDED, STATUS_PAUSED, STATUS_SCHEDULED
from pages.components import invoice_links
from pages.components.configurator import plan_configurator, pop_answer, show_request
from pages.components.confirm import confirm_button
from pages.components.offers import OFFER_DONE
from pages.components.resume import handle_click, resume_offer, show_answer
from pages.components.text import md
from pages.shell.context import PageContext


def d(ctx: PageContext, value, style="long"):
    return fmt_date(value, ctx.lang, style)


def interval_name(ctx: PageContext, ov: accounts.AccountOverview) -> str:
    return ctx.t(f"interval.{ov.billing_interval}")


def status(ctx: PageContext, ov: accounts.AccountOverview) -> None:
    """Where the subscription stands; when a cancellation is scheduled, the way back beside it."""
    if ov.status == STATUS_ACTIVE and ov.pause_starts_on is not None:  # said by offer_lines
        return
    if ov.status == STATUS_ACTIVE:
        st.success(ctx.t("status.active", date=ov.period_end), icon=":material/check_circle:")
    elif ov.status == STATUS_SCHEDULED:
        st.warning(
            ctx.t("status.scheduled", date=ov.period_end, deleted=ov.data_deleted_on),
            icon=":material/event_busy:",
        )
        with st.container(border=True, key="ov_resume_box"):  # the way back, next to the status
            st.markdown(f"**{ctx.t('journey.resume.title')}**")
            resume_offer(ctx, records.dates_for(ov.period_end, ctx.settings), "ov_resume")
    elif ov.status == STATUS_PAUSED:
        st.info(ctx.t("status.paused", date=ov.paused_until), icon=":material/pause_circle:")
        st.caption(ctx.t("retention_offer.paused.read_only"))
        resume_now(ctx, ov)
    elif ov.status == STATUS_ENDED:
        st.error(
            ctx.t("status.ended", date=ov.period_end, deleted=ov.data_deleted_on),
            icon=":material/block:",
        )


RESUMED = "ov_pause_answer"  # session: what "Resume now" / "Cancel the pause" did


def resume_now(ctx: PageContext, ov: accounts.AccountOverview) -> None:
    """ "Resume now" (paused) or "Cancel the pause" (a pause still to come): one use case,
    asked to confirm first."""
    paused = ov.status == STATUS_PAUSED
    which = "resume" if paused else "cancel_pause"
    target = confirm_button(
        ctx,
        "ov_pause",
        ctx.t(f"retention_offer.{which}.button"),
        ctx.t(f"retention_offer.{which}.prompt", date=ov.period_end),
        (which, ov.account_id),
        icon=":material/play_circle:",
    )
    if target is None:
        return
    try:
        offers.resume_now(ctx.db, ctx.user)
    except PortalError as exc:
        st.error(ctx.t(exc.key, **exc.params), icon=":material/error:")
    else:
        st.session_state[RESUMED] = which
        st.rerun()


def offer_lines(ctx: PageContext, ov: accounts.AccountOverview) -> None:
    """What an accepted offer still changes: a pause to come, a discount, a plan change; and
    the answer to "Resume now" / "Cancel the pause"."""
    answer = st.session_state.pop(RESUMED, None)
    if answer is not None:
        st.success(
            ctx.t(f"retention_offer.{answer}.done", date=ov.period_end),
            icon=":material/check_circle:",
        )
    if ov.status == STATUS_ACTIVE and ov.pause_starts_on is not None:
        st.info(
            ctx.t(
                "retention_offer.pause_pending",
                start=ov.pause_starts_on,
                resume=ov.paused_until,
            ),
            icon=":material/pause_circle:",
        )
        resume_now(ctx, ov)
    if ov.discount_percent and ov.discount_cycles_left:
        line = plural(
            "retention_offer.discount_line",
            ov.discount_cycles_left,
            ctx.lang,
            percent=fmt_percent(ov.discount_percent / 100, ctx.lang),
        )
        if ov.next_invoice_cents is not None:
            line += " " + ctx.t(
                "retention_offer.next_invoice",
                date=ov.period_end,
                amount=fmt_money(ov.next_invoice_cents, ov.currency, ctx.lang),
            )
        st.info(line, icon=":material/sell:")
    if ov.next_plan_code:
        st.info(
            ctx.t(
                "retention_offer.downgrade_line",
                plan=md(ov.next_plan_name or ov.next_plan_code),
                date=ov.period_end,
            ),
            icon=":material/south:",
        )


def latest_notice(ctx: PageContext, ov: accounts.AccountOverview, answered: bool) -> None:
    """Support undid the cancellation or reactivated (or the customer resumed)."""
    notice = None
    if ov.status == STATUS_ACTIVE and not answered:  # (just resumed: said once, above)
        notice = customer_desk.latest_notice(ctx.db, ctx.user)
    if notice is not None:
        st.info(
            ctx.t(f"journey.notice.{notice.action}", date=notice.at.date(), renews=ov.period_end),
            icon=":material/support_agent:",
        )


def plan_metrics(ctx: PageContext, ov: accounts.AccountOverview) -> None:
    c1, c2, c3, c4 = st.columns(4)
    c1.metric(ctx.t("overview.plan"), md(ov.plan_name), border=True)
    c2.metric(
        ctx.t("overview.price"),
        fmt_money(ov.price_cents, ov.currency, ctx.lang),
        delta=ctx.t("overview.per_interval", interval=interval_name(ctx, ov)),
        delta_color="off",
        delta_arrow="off",
        border=True,
    )
    c3.metric(
        ctx.t("overview.cycle"),
        d(ctx, ov.period_end, "medium"),
        delta=ctx.t(
            "overview.cycle_range",
            start=d(ctx, ov.period_start, "medium"),
            end=d(ctx, ov.period_end, "medium"),
        ),
        delta_color="off",
        delta_arrow="off",
        border=True,
    )
    c4.metric(
        ctx.t("overview.renewal"),
        d(ctx, ov.next_renewal, "medium") if ov.next_renewal else ctx.t("overview.no_renewal"),
        border=True,
    )


def usage(ctx: PageContext, ov: accounts.AccountOverview) -> None:
    st.subheader(ctx.t("overview.usage"))
    cols = st.columns(len(ov.usage))
    for col, item in zip(cols, ov.usage, strict=True):
        with col:
            st.progress(
                item.ratio,
                text=ctx.t(
                    "usage.line",
                    what=ctx.t(f"usage.{item.key}"),
                    used=fmt_number(item.used, ctx.lang),
                    limit=fmt_number(item.limit, ctx.lang),
                ),
            )


def invoices(ctx: PageContext, ov: accounts.AccountOverview) -> None:
    st.subheader(ctx.t("overview.invoices"))
    if not ov.invoices:
        st.info(ctx.t("overview.no_invoices"))
        return
    table = pd.DataFrame(
        {
            ctx.t("invoice.number"): [i.number for i in ov.invoices],
            ctx.t("invoice.date"): [d(ctx, i.issued_on) for i in ov.invoices],
            ctx.t("invoice.period"): [
                ctx.t(
                    "overview.cycle_range", start=d(ctx, i.period_start), end=d(ctx, i.period_end)
                )
                for i in ov.invoices
            ],
            ctx.t("invoice.amount"): [
                fmt_money(i.amount_cents, i.currency, ctx.lang) for i in ov.invoices
            ],
            ctx.t("invoice.status"): [ctx.t(f"invoice.status.{i.status}") for i in ov.invoices],
        }
    )
    st.dataframe(
        table,
        hide_index=True,
        height=min(400, 38 + 35 * len(ov.invoices)),
    )
    invoice_links.invoice_download(ctx, ov.invoices, "overview_invoice")  # each one as a PDF


def plan_line(ctx: PageContext, ov: accounts.AccountOverview) -> None:
    interval = interval_name(ctx, ov)
    st.markdown(
        ctx.t(
            "billing.plan_line",
            plan=md(ov.plan_name),
            price=fmt_money(ov.price_cents, ov.currency, ctx.lang),
            interval=interval,
        )
    )
    st.caption(ctx.t("billing.interval_help", interval=interval))


def custom_plan_offer(ctx: PageContext, ov: accounts.AccountOverview) -> None:
    st.markdown(f"**{ctx.t('offer.title')}**")
    pop_answer(ctx, "ov_plan")
    if ov.status == STATUS_PAUSED:  # read-only while paused: no new request
        st.caption(ctx.t("retention_offer.paused.no_plan"))
        return
    plan_request = custom_plan.open_plan_request(ctx.db, ctx.user)
    if plan_request is not None:  # one open request per account: show it, ask for no other
        show_request(ctx, plan_request, "ov_plan")
        return
    st.markdown(ctx.t("offer.body", price=fmt_money(ov.custom_plan_from_cents, "USD", ctx.lang)))
    if st.toggle(ctx.t("offer.button"), key="ov_configure"):
        plan_configurator(ctx, "ov_plan")


def cancel_link(ctx: PageContext, ov: accounts.AccountOverview) -> None:
    st.markdown(f"**{ctx.t('billing.cancel_title')}**")
    if ov.status == STATUS_SCHEDULED:  # no second "Cancel subscription" (Resume is at the top)
        st.markdown(ctx.t("cancel.already_scheduled", date=ov.period_end))
        st.page_link(
            ctx.pages["cancel"],
            label=ctx.t("journey.scheduled.details"),
            icon=":material/event_busy:",
        )
    else:
        st.caption(ctx.t("billing.cancel_help", date=ov.period_end))
        st.page_link(ctx.pages["cancel"], label=ctx.t("nav.cancel"), icon=":material/cancel:")


def my_requests(ctx: PageContext) -> None:
    requests = customer_desk.my_requests(ctx.db, ctx.user)
    if not requests:
        return
    st.subheader(ctx.t("journey.requests.title"))
    st.markdown(
        "\n".join(
            "- "
            + ctx.t(
                "journey.requests.line",
                number=r.number,
                kind=ctx.t(f"journey.requests.kind.{r.kind}"),
                date=r.created_at.date(),
                status=ctx.t(
                    f"journey.requests.status.{r.status}",
                    date=(r.handled_at or r.created_at).date(),
                ),
            )
            for r in requests
        )
    )


def render(ctx: PageContext) -> None:
    handle_click(ctx, "ov_resume")  # before reading the account: a resume changes it
    st.session_state.pop(OFFER_DONE, None)  # back from an accepted offer's done screen
    ov = accounts.overview(ctx.db, ctx.user, settings=ctx.settings)

    st.title(md(ov.company))
    st.caption(ctx.t("overview.subtitle"))
    answered = show_answer(ctx)  # after "Resume my subscription"
    status(ctx, ov)
    offer_lines(ctx, ov)
    latest_notice(ctx, ov, answered)
    plan_metrics(ctx, ov)
    usage(ctx, ov)
    invoices(ctx, ov)

    st.divider()
    st.header(ctx.t("billing.title"), anchor="products-and-billing")
    with st.container(border=True):
        plan_line(ctx, ov)
    with st.container(border=True):
        custom_plan_offer(ctx, ov)
    with st.container(border=True):
        cancel_link(ctx, ov)
    my_requests(ctx)


if __name__ == "__main__":  # run as a script by Streamlit's scan of pages/: go through the router
    from pages.shell.router import run_router

    run_router()
