"""The custom-plan configurator, the one way to ask for a custom plan: step 2 of the cancellation
and the account overview both use it.

The values are in a form (no "Press Enter to apply": a typed value is applied when a button is
pressed) and take any whole number, so what the field shows is what is priced; a value out of
range is refused with a message in the user's language before anything is sent. A request is
sent only for the values whose price was on the screen: if the values changed with the click,
the new price is shown and nothing is sent.
"""

from __future__ import annotations

import streamlit as st

from core.customers.customer_desk import PlanRequest
from core.platform.errors import PortalError
from core.platform.i18n import fmt_money, fmt_number
from core.retention import custom_plan
from core.rules import pricing
from core.rules.pricing import UNITS, PlanConfig
from pages.shell.context import PageContext


def describe(ctx: PageContext, config: PlanConfig) -> str:
    """The configuration as the customer saw it: each field's label and value."""
    return " · ".join(
        f"{ctx.t(f'offer.unit.{u.name}')}: {fmt_number(getattr(config, u.name), ctx.lang)}"
        for u in UNITS
    )


def money(ctx: PageContext, cents: int) -> str:
    return fmt_money(cents, "USD", ctx.lang)


def show_request(ctx: PageContext, made: PlanRequest, key: str) -> None:
    """An open custom-plan request: its number, date, configuration, price, what comes next.

    `key` is the configurator's: if its "Request this plan" was pressed in a tab that still
    showed it, while another tab sent a request first, that click is answered here (the form
    is no longer drawn, so its own code never sees the click): nothing new was sent."""
    if st.session_state.get(f"{key}_request"):
        st.info(ctx.t("journey.plan.existing", number=made.number), icon=":material/info:")
    with st.container(border=True, key="plan_request_card"):
        st.markdown(f"**{ctx.t('journey.plan.open_title', number=made.number)}**")
        lines = [ctx.t("journey.plan.open_sent", date=made.created_at.date())]
        if made.config is not None and made.monthly_price_cents is not None:
            lines.append(describe(ctx, made.config))
            lines.append(
                ctx.t("journey.plan.open_price", price=money(ctx, made.monthly_price_cents))
            )
        lines.append(ctx.t("journey.plan.open_next"))
        st.markdown("  \n".join(lines))


def plan_configurator(ctx: PageContext, key: str, *, flow_id: str | None = None) -> None:
    """The configurator; a request's answer is left in `st.session_state[key + "_made"]`
    and the page rerun, so the caller shows it (see `pop_answer`)."""
    start = custom_plan.plan_start(ctx.db, ctx.user)
    shown_key = f"{key}_shown"
    st.caption(ctx.t("journey.plan.base", price=money(ctx, custom_plan.BASE_PRICE_CENTS)))
    with st.form(f"{key}_form", enter_to_submit=False, border=False):
        values = {}
        cols = st.columns(2)
        for i, unit in enumerate(UNITS):
            with cols[i % 2]:
                values[unit.name] = st.number_input(
                    ctx.t(f"offer.unit.{unit.name}"),
                    value=getattr(start.config, unit.name),
                    step=unit.step,
                    format="%d",
                    key=f"{key}_{unit.name}",
                )
                st.caption(
                    ctx.t(
                        f"journey.plan.unit.{unit.name}",
                        included=fmt_number(unit.included, ctx.lang),
                        step=fmt_number(unit.step, ctx.lang),
                        price=money(ctx, unit.step_cents),
                    )
                )
                if unit.name == pricing.SEATS and start.seats_in_use > unit.least:
                    st.caption(ctx.t("journey.plan.seats_in_use", n=start.seats_in_use))
        config = PlanConfig(**{name: int(value) for name, value in values.items()})
        problems = pricing.plan_problems(config, start.seats_in_use)
        for problem in problems:
            st.error(
                ctx.t(
                    "journey.plan.out_of_range",
                    what=ctx.t(f"offer.unit.{problem.name}"),
                    least=fmt_number(problem.least, ctx.lang),
                    most=fmt_number(problem.most, ctx.lang),
                ),
                icon=":material/error:",
            )
        if problems:
            st.warning(ctx.t("journey.plan.fix_first"), icon=":material/edit:")
        else:
            price = pricing.price_custom_plan(config)
            st.metric(
                ctx.t("offer.price"), ctx.t("offer.per_month", price=money(ctx, price)), border=True
            )
        update_col, request_col = st.columns(2)
        update_col.form_submit_button(
            ctx.t("journey.plan.update"), key=f"{key}_update", width="stretch"
        )
        request = request_col.form_submit_button(
            ctx.t("offer.request"),
            type="primary",
            icon=":material/handshake:",
            key=f"{key}_request",
            width="stretch",
        )
    shown = st.session_state.get(shown_key)
    st.session_state[shown_key] = None if problems else config
    if not request or problems:
        return
    if shown != config:  # the click also changed the values: show their price first
        st.info(
            ctx.t("journey.plan.changed", button=ctx.t("offer.request")), icon=":material/info:"
        )
        return
    try:
        made = custom_plan.ask_for_plan(ctx.db, ctx.user, config, flow_id=flow_id)
    except PortalError as exc:
        st.error(ctx.t(exc.key, **exc.params), icon=":material/error:")
        return
    st.session_state[f"{key}_made"] = made
    st.session_state.pop(shown_key, None)
    st.rerun()


def pop_answer(ctx: PageContext, key: str) -> PlanRequest | None:
    """After a request: say what happened (sent, or already there) and return the request."""
    made = st.session_state.pop(f"{key}_made", None)
    if made is None:
        return None
    if made.existing:
        st.info(ctx.t("journey.plan.existing", number=made.number), icon=":material/info:")
    else:
        st.success(ctx.t("journey.plan.sent", number=made.number), icon=":material/handshake:")
    return made
