"""Support desk (admins): scheduled cancellations, requests, the reactivation window, the
audit log, and what went out (e-mails, webhook calls, endpoints: pages/components/outgoing.py)."""

import datetime as dt

import pandas as pd
import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from core import support_desk
from core.jobs import lifecycle, pauses
from core.outbox import outgoing
from core.platform import clock
from core.platform.errors import PortalError
from core.platform.i18n import fmt_money, fmt_number
from core.rules.vocabulary import DELIVERY_FAILED, STATUS_SCHEDULED
from core.support_desk import AuditQuery, Request
from pages.components.confirm import FLASH, act, confirm_button, pending_keys, show_flash
from pages.components.desk_words import counted, when
from pages.components.outgoing import outgoing_section
from pages.components.text import md
from pages.shell.choices import kept
from pages.shell.context import PageContext

SECTIONS = ("scheduled", "undo", "custom_plan", "ended", "audit", "outgoing")
ACCOUNT_PARAM = "account"  # /support?account=<id>: that account's scheduled cancellation alone


def account_in_url(ctx: PageContext) -> int | None:
    """The account a link names (`?account=<id>`, from the insights' revenue at risk); a value
    that is no account id is said and ignored."""
    raw = st.query_params.get(ACCOUNT_PARAM)
    if raw is None:
        return None
    if raw.isascii() and raw.isdigit() and 0 < len(raw) <= 12 and int(raw) > 0:
        if st.session_state.get("support_account_opened") != raw:  # a new link: its section
            st.session_state["support_account_opened"] = raw
            st.session_state["support_section"] = "scheduled"
        return int(raw)
    st.warning(ctx.t("churn_page.desk.bad_account"), icon=":material/link_off:")
    return None


def show_all_button(ctx: PageContext) -> None:
    """Back from one account to every scheduled cancellation."""
    if st.button(ctx.t("churn_page.desk.show_all"), key="support_show_all", icon=":material/list:"):
        st.query_params.pop(ACCOUNT_PARAM, None)
        st.session_state.pop("support_account_opened", None)
        st.rerun()


def status_name(ctx: PageContext, status: str | None) -> str:
    """One subscription's state ("Active"; `status_name.*` are the plural card labels)."""
    return ctx.t(f"desk.status.{status}") if status else ""


def configuration(ctx: PageContext, request: Request) -> str:
    if not request.configuration:
        return request.message
    return " · ".join(
        f"{ctx.t(f'offer.unit.{name}')}: {fmt_number(value, ctx.lang)}"
        for name, value in request.configuration.items()
    )


def price(ctx: PageContext, request: Request) -> str:
    if not request.monthly_price_cents:
        return ""
    return ctx.t("offer.per_month", price=fmt_money(request.monthly_price_cents, "USD", ctx.lang))


def table(
    ctx: PageContext, rows: list[dict], key: str, widths: dict[str, str | int] | None = None
) -> None:
    """Rows (a dict each, by column label) as a read-only table; `widths` by column label
    ("small", "medium", "large")."""
    config = {label: st.column_config.Column(width=w) for label, w in (widths or {}).items()}
    frame = pd.DataFrame.from_records(rows)
    st.dataframe(frame, hide_index=True, width="stretch", column_config=config, key=key)


# --- actions, each on the row it acts on ---------------------------------------------------------
#
# Every open request, scheduled cancellation and ended account is a row with its own buttons:
# nothing is picked from a list that starts on some other account. A question stays up (with
# the row's own words) until it is answered, even when the row has left the list meanwhile
# (someone else acted on it): confirming then shows why it is refused.


def undo_button(
    ctx: PageContext, key: str, account_id: int, company: str, effective_on: dt.date
) -> None:
    target = ("undo", account_id, company, effective_on)
    chosen = confirm_button(
        ctx,
        key,
        ctx.t("desk.undo_for", company=md(company)),
        ctx.t("support.confirm_undo", company=md(company), date=effective_on),
        target,
        icon=":material/undo:",
    )
    if chosen is not None:
        run_confirmed(ctx, chosen)


def reactivate_button(
    ctx: PageContext, key: str, account_id: int, company: str, until: dt.date
) -> None:
    today = clock.today()
    target = ("reactivate", account_id, company, until)
    chosen = confirm_button(
        ctx,
        key,
        ctx.t("desk.reactivate_for", company=md(company)),
        ctx.t("support.confirm_reactivate", company=md(company), until=until, today=today),
        target,
        icon=":material/restart_alt:",
    )
    if chosen is not None:
        run_confirmed(ctx, chosen)


def handle_button(ctx: PageContext, key: str, request: Request) -> None:
    target = ("handle", request.id, request.company, request.created_at)
    chosen = confirm_button(
        ctx,
        key,
        ctx.t("desk.handle_for", number=request.id),
        ctx.t(
            "support.confirm_handled",
            number=request.id,
            company=md(request.company),
            date=request.created_at.date(),
        ),
        target,
        icon=":material/task_alt:",
    )
    if chosen is not None:
        run_confirmed(ctx, chosen)


def run_confirmed(ctx: PageContext, target: tuple) -> None:
    what, ident, company, _date = target
    if what == "undo":
        act(
            ctx,
            lambda: support_desk.undo(ctx.db, ctx.user, ident),
            ctx.t("support.done_undo", company=md(company)),
        )
    elif what == "reactivate":
        act(
            ctx,
            lambda: support_desk.reactivate(ctx.db, ctx.user, ident, settings=ctx.settings),
            ctx.t("support.done_reactivate", company=md(company)),
        )
    elif what == "handle":
        act(
            ctx,
            lambda: support_desk.mark_handled(ctx.db, ctx.user, ident),
            ctx.t("support.done_handled", number=ident),
        )


def leftover_questions(ctx: PageContext, pattern: str, shown: set[str]) -> None:
    """Questions asked on rows (keys matching `pattern`) that are no longer listed: still
    answerable, and refused with the reason."""
    for key in pending_keys(pattern):
        if key not in shown:
            chosen = confirm_button(ctx, key, "", "", None)
            if chosen is not None:
                run_confirmed(ctx, chosen)


def row(ctx: PageContext, title: str, details: str, text: str = "") -> DeltaGenerator:
    """A bordered row: who it is about, the facts, the customer's words; returns the column
    for its buttons."""
    box = st.container(border=True)
    main, side = box.columns([3, 2], vertical_alignment="center")
    main.markdown(f"**{title}**")
    main.caption(details)
    if text:
        main.text(text)  # as typed: no Markdown, wrapped
    return side


def request_rows(ctx: PageContext, rows: list[Request], key: str) -> None:
    """The open requests of one kind, oldest first, each with its actions."""
    shown: set[str] = set()
    open_rows = [r for r in rows if r.status == support_desk.OPEN]
    if not open_rows:
        st.info(ctx.t("support.none_open"), icon=":material/inbox:")
    for r in open_rows:
        facts = [
            md(r.email),
            ctx.t("desk.received", when=r.created_at),
            ctx.t("desk.subscription_is", status=status_name(ctx, r.subscription_status)),
        ]
        if r.kind == "custom_plan":
            facts.append(md(price(ctx, r)))
        side = row(
            ctx,
            ctx.t("desk.request_title", number=r.id, company=md(r.company)),
            " · ".join(f for f in facts if f),
            configuration(ctx, r) if r.kind == "custom_plan" else r.message,
        )
        with side:
            if r.kind == "undo_cancellation" and r.subscription_status == STATUS_SCHEDULED:
                shown.add(f"{key}_undo_{r.id}")
                undo_button(ctx, f"{key}_undo_{r.id}", r.account_id, r.company, r.period_end)
            if r.kind == "reactivation" and r.reactivate_until:
                shown.add(f"{key}_revive_{r.id}")
                reactivate_button(
                    ctx, f"{key}_revive_{r.id}", r.account_id, r.company, r.reactivate_until
                )
            shown.add(f"{key}_handle_{r.id}")
            handle_button(ctx, f"{key}_handle_{r.id}", r)
    leftover_questions(ctx, rf"{key}_(undo|revive|handle)_\d+", shown)


def handled_table(ctx: PageContext, rows: list[Request], key: str) -> None:
    done = [r for r in rows if r.status != support_desk.OPEN]
    if not done:
        return
    st.caption(ctx.t("desk.handled_title"))
    table(
        ctx,
        [
            {
                ctx.t("support.col.request"): r.id,
                ctx.t("support.col.received"): when(ctx, r.created_at),
                ctx.t("support.col.company"): r.company,
                ctx.t("support.col.message"): configuration(ctx, r),
                ctx.t("support.col.price"): price(ctx, r),
                ctx.t("support.col.status"): ctx.t(f"support.request_status.{r.status}"),
                ctx.t("support.col.handled"): f"{r.handled_by} · {when(ctx, r.handled_at)}",
            }
            for r in done
        ],
        f"{key}_table",
        {
            ctx.t("support.col.request"): "small",
            ctx.t("support.col.received"): "medium",
            ctx.t("support.col.message"): "large",
        },
    )


def requests_section(ctx: PageContext, kind: str, key: str) -> None:
    show_all = st.toggle(ctx.t("support.show_handled"), key=f"{key}_all")
    rows = support_desk.requests(
        ctx.db, ctx.user, kind, include_handled=show_all, settings=ctx.settings
    )
    request_rows(ctx, rows, key)
    if show_all:
        handled_table(ctx, rows, key)


# --- the sections --------------------------------------------------------------------------------


def open_requests_line(ctx: PageContext) -> None:
    requests = support_desk.open_request_counts(ctx.db, ctx.user)
    counts = " · ".join(
        f"{ctx.t(f'desk.open.{kind}')}: {fmt_number(requests.get(kind, 0), ctx.lang)}"
        for kind in ("undo_cancellation", "custom_plan", "reactivation", "other")
    )
    st.markdown(f"**{ctx.t('desk.open_requests')}** {counts}")
    # what the outbox could not deliver in a day, whichever section is open
    failed = outgoing.status_counts(ctx.db, ctx.user).get(DELIVERY_FAILED, 0)
    if failed and st.session_state.get("support_section") != "outgoing":
        st.error(counted(ctx, "desk.failed_deliveries", failed), icon=":material/error:")


def section_picker(ctx: PageContext) -> str:
    # A control that wraps onto a second line on a phone, instead of tabs that run off the screen
    return st.segmented_control(
        ctx.t("desk.section"),
        SECTIONS,
        default="scheduled",
        required=True,
        format_func=lambda s: ctx.t(f"desk.section.{s}"),
        key=kept("support_section"),
        wrap=True,
        width="stretch",
    )


def scheduled_section(ctx: PageContext, account: int | None = None) -> None:
    st.caption(ctx.t("support.scheduled_help"))
    scheduled = support_desk.scheduled_cancellations(ctx.db, ctx.user, settings=ctx.settings)
    if account is not None:  # a link to one account: its cancellation alone, and the way back
        scheduled = [c for c in scheduled if c.account_id == account]
        if scheduled:
            st.info(
                ctx.t("churn_page.desk.one_account", company=md(scheduled[0].company)),
                icon=":material/filter_alt:",
            )
        else:
            st.info(ctx.t("churn_page.desk.none_for_account"), icon=":material/inbox:")
        show_all_button(ctx)
    elif not scheduled:
        st.info(ctx.t("support.none_scheduled"), icon=":material/inbox:")
    shown: set[str] = set()
    for c in scheduled:
        facts = [
            md(c.email),
            md(c.plan_name),
            ctx.t("desk.requested_on", when=c.requested_at) if c.requested_at else "",
            ctx.t("desk.effective", date=c.effective_on),
            ctx.t("desk.deleted", date=c.data_deleted_on),
            ctx.t("desk.confirmation", number=md(c.confirmation_number))
            if c.confirmation_number
            else "",
            counted(ctx, "desk.undo_requests", c.open_undo_requests)
            if c.open_undo_requests
            else "",
        ]
        with row(ctx, md(c.company), " · ".join(f for f in facts if f)):
            shown.add(f"undo_{c.account_id}")
            undo_button(ctx, f"undo_{c.account_id}", c.account_id, c.company, c.effective_on)
    leftover_questions(ctx, r"undo_\d+", shown)


def ended_section(ctx: PageContext) -> None:
    st.caption(ctx.t("support.ended_help"))
    ended = support_desk.reactivation_window(ctx.db, ctx.user, settings=ctx.settings)
    if not ended:
        st.info(ctx.t("support.none_ended"), icon=":material/inbox:")
    shown: set[str] = set()
    for e in ended:
        facts = [
            md(e.email),
            md(e.plan_name),
            ctx.t("desk.ended_on", date=e.ended_on),
            ctx.t("desk.until", date=e.reactivate_until),
            counted(ctx, "desk.days_left", e.days_left),
            counted(ctx, "desk.reactivation_requests", e.open_reactivation_requests)
            if e.open_reactivation_requests
            else "",
        ]
        with row(ctx, md(e.company), " · ".join(f for f in facts if f)):
            shown.add(f"reactivate_{e.account_id}")
            reactivate_button(
                ctx, f"reactivate_{e.account_id}", e.account_id, e.company, e.reactivate_until
            )
    leftover_questions(ctx, r"reactivate_\d+", shown)
    st.subheader(ctx.t("support.reactivation_requests"))
    requests_section(ctx, "reactivation", "reactivation_requests")


def audit_query(ctx: PageContext) -> AuditQuery:
    """The audit log's filters: dates, one action or all, the account, who acted."""
    a1, a2 = st.columns(2)
    picked = a1.date_input(
        ctx.t("support.audit.dates"),
        value=(),
        min_value=dt.date(2000, 1, 1),
        max_value=dt.date(2100, 1, 1),
        format="DD/MM/YYYY" if ctx.lang == "it" else "MM/DD/YYYY",
        key="audit_dates",
    )
    action = a2.selectbox(  # one action or all: no English "Select all" of a multiselect
        ctx.t("support.audit.actions"),
        [None, *support_desk.audit_actions(ctx.db, ctx.user)],
        format_func=lambda a: (
            ctx.t("desk.audit.all_actions") if a is None else support_desk.action_name(a, ctx.lang)
        ),
        key=kept("audit_action"),
    )
    a3, a4 = st.columns(2)
    account_text = a3.text_input(
        ctx.t("desk.audit.account"),
        max_chars=support_desk.MAX_ACTOR_SEARCH,
        help=ctx.t("desk.audit.account_help"),
        key="audit_account",
    )
    who = a4.text_input(ctx.t("support.audit.actor"), max_chars=254, key="audit_actor")
    return AuditQuery.chosen(picked, action, who, account_text)


def audit_section(ctx: PageContext) -> None:
    query = audit_query(ctx)
    try:
        page = support_desk.audit_log(ctx.db, ctx.user, query)
    except PortalError as exc:
        st.error(ctx.t(exc.key, **exc.params), icon=":material/error:")
        return
    st.caption(
        ctx.t(
            "support.audit.count",
            shown=fmt_number(len(page.rows), ctx.lang),
            total=fmt_number(page.total, ctx.lang),
        )
    )
    if page.rows:
        table(
            ctx,
            [
                {
                    ctx.t("support.col.when"): when(ctx, e.at),
                    ctx.t("support.col.actor"): support_desk.actor_label(e, ctx.lang),
                    ctx.t("support.col.action"): support_desk.action_name(e.action, ctx.lang),
                    ctx.t("support.col.account"): support_desk.account_label(e, ctx.lang),
                    ctx.t("desk.audit.details"): support_desk.describe(e, ctx.lang),
                }
                for e in page.rows
            ],
            "audit_table",
            {
                ctx.t("support.col.when"): "medium",
                ctx.t("desk.audit.details"): "large",
            },
        )


def demo_clock(ctx: PageContext) -> None:
    """Demo mode: run the lifecycle job as of a later day."""
    st.subheader(ctx.t("demo.clock"))
    st.caption(ctx.t("demo.clock_help"))
    today = clock.today()  # the lifecycle's clock: UTC, not the server's
    with st.form("demo_clock"):
        as_of = st.date_input(
            ctx.t("desk.clock.as_of"),
            value=lifecycle.demo_clock_preset(today),
            min_value=dt.date(2000, 1, 1),
            max_value=dt.date(2100, 1, 1),
            format="DD/MM/YYYY" if ctx.lang == "it" else "MM/DD/YYYY",
            key="demo_as_of",
        )
        st.caption(ctx.t("desk.clock.today", today=today, days=lifecycle.DEMO_CLOCK_DAYS))
        if st.form_submit_button(ctx.t("demo.run"), icon=":material/fast_forward:"):
            try:
                report = lifecycle.run_demo_clock(ctx.db, ctx.user, as_of, settings=ctx.settings)
            except PortalError as exc:
                st.error(ctx.t(exc.key, **exc.params))
            else:
                st.session_state[FLASH] = (
                    "success",
                    ctx.t(
                        "desk.clock.done",
                        date=report.as_of,
                        ended=counted(ctx, "desk.clock.ended", len(report.ended)),
                        renewed=counted(ctx, "desk.clock.renewed", len(report.renewed)),
                        purged=counted(ctx, "desk.clock.purged", len(report.purged)),
                        abandoned=counted(ctx, "desk.clock.abandoned", report.abandoned_flows),
                    )
                    + " "
                    + ctx.t(
                        "desk.clock.offers",
                        paused=counted(ctx, "desk.clock.paused", len(report.paused)),
                        unpaused=counted(ctx, "desk.clock.unpaused", len(report.unpaused)),
                        discounts=counted(
                            ctx, "desk.clock.discounts_ended", len(report.discounts_ended)
                        ),
                        downgraded=counted(ctx, "desk.clock.downgraded", len(report.downgraded)),
                    ),
                )
                # every list above, and the insights' minute-long cache, as of now
                st.cache_data.clear()
                st.rerun()
    pauses_calendar(ctx)


def pauses_calendar(ctx: PageContext) -> None:
    """The pauses taken and not over yet: the days to run the clock to, to show one start or
    resume."""
    taken = pauses.upcoming(ctx.db, ctx.user, settings=ctx.settings)
    if not taken:
        return
    st.markdown(f"**{ctx.t('desk.clock.pauses')}**")
    st.markdown(
        "\n".join(
            "- "
            + ctx.t(
                "desk.clock.pause_running" if p.running else "desk.clock.pause_taken",
                company=md(p.company),
                start=p.starts_on,
                resume=p.resumes_on,
            )
            for p in taken
        )
    )


def render(ctx: PageContext) -> None:
    st.title(ctx.t("support.title"))
    st.caption(ctx.t("support.subtitle"))
    show_flash()
    open_requests_line(ctx)

    account = account_in_url(ctx)
    section = section_picker(ctx)
    if section == "scheduled":
        scheduled_section(ctx, account)
    elif section == "undo":
        st.caption(ctx.t("support.undo_help"))
        requests_section(ctx, "undo_cancellation", "undo_requests")
    elif section == "custom_plan":
        st.caption(ctx.t("support.custom_plan_help"))
        requests_section(ctx, "custom_plan", "plan_requests")
    elif section == "ended":
        ended_section(ctx)
    elif section == "outgoing":
        outgoing_section(ctx)
    else:
        audit_section(ctx)

    if ctx.settings.demo_mode:
        with st.container(border=True):
            demo_clock(ctx)


if __name__ == "__main__":  # run as a script by Streamlit's scan of pages/: go through the router
    from pages.shell.router import run_router

    run_router()
