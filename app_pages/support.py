import datetime as dt

import streamlit as st

from app_pages.widgets.confirm import act, confirm_button, show_flash
from app_pages.widgets.session import context
from app_pages.widgets.text import md
from core import i18n, lifecycle, support_desk
from core.errors import PortalError
from core.i18n import fmt_date, fmt_datetime, fmt_money, fmt_number
from core.models import STATUS_SCHEDULED
from core.support_desk import AuditQuery, Request

ctx = context()


def d(value: dt.date | None) -> str:
    return fmt_date(value, ctx.lang, "medium") if value else ""


def when(value: dt.datetime | None) -> str:
    return fmt_datetime(value, ctx.lang, "short") if value else ""


def status_name(status: str | None) -> str:
    return ctx.t(f"status_name.{status}") if status else ""


def action_name(action: str) -> str:
    key = f"support.audit.action.{action}"
    return ctx.t(key) if i18n.has_key(key) else action


def changes(values: dict) -> str:
    return ", ".join(f"{k}: {v}" for k, v in values.items())


def configuration(request: Request) -> str:
    if not request.configuration:
        return request.message
    return " · ".join(
        f"{ctx.t(f'offer.unit.{name}')}: {fmt_number(value, ctx.lang)}"
        for name, value in request.configuration.items()
        if name in ("searches", "unlocks", "seats", "campaigns")
    )


def table(rows: list[dict], key: str, widths: dict[str, str | int] | None = None) -> None:
    """Rows as a read-only table; `widths` by column label ("small", "medium", "large")."""
    config = {label: st.column_config.Column(width=w) for label, w in (widths or {}).items()}
    st.dataframe(rows, hide_index=True, width="stretch", column_config=config, key=key)


def request_table(rows: list[Request], key: str, *, custom_plan: bool = False) -> None:
    out = []
    for r in rows:
        row = {
            ctx.t("support.col.request"): r.id,
            ctx.t("support.col.received"): when(r.created_at),
            ctx.t("support.col.company"): r.company,
        }
        if custom_plan:
            row[ctx.t("support.col.price")] = (
                ctx.t("offer.per_month", price=fmt_money(r.monthly_price_cents, "USD", ctx.lang))
                if r.monthly_price_cents
                else ""
            )
            row[ctx.t("support.col.configuration")] = configuration(r)
        else:
            row[ctx.t("support.col.message")] = r.message
        row[ctx.t("support.col.email")] = r.email
        row[ctx.t("support.col.subscription")] = status_name(r.subscription_status)
        row[ctx.t("support.col.status")] = ctx.t(f"support.request_status.{r.status}")
        row[ctx.t("support.col.handled")] = (
            f"{r.handled_by} · {when(r.handled_at)}" if r.handled_at else ""
        )
        out.append(row)
    text = "support.col.configuration" if custom_plan else "support.col.message"
    table(
        out,
        f"{key}_table",
        {
            ctx.t("support.col.request"): "small",
            ctx.t(text): "large",
            ctx.t("support.col.subscription"): "small",
            ctx.t("support.col.status"): "small",
        },
    )


def undo_control(key: str, target: tuple[int, str, dt.date] | None) -> None:
    """Undo the cancellation of `target` (account id, company, effective date), once asked."""
    account = confirm_button(
        ctx,
        key,
        ctx.t("support.undo"),
        ctx.t("support.confirm_undo", company=md(target[1]), date=target[2]) if target else "",
        target,
        icon=":material/undo:",
    )
    if account is not None:
        account_id, company, _date = account
        act(
            ctx,
            lambda: support_desk.undo(ctx.db, ctx.user, account_id),
            ctx.t("support.done_undo", company=md(company)),
        )


def request_controls(rows: list[Request], key: str, *, undo: bool = False) -> None:
    """Pick an open request; undo the account's cancellation (undo requests) or close it."""
    open_rows = {r.id: r for r in rows if r.status == support_desk.OPEN}
    chosen = None
    if open_rows:
        chosen = st.selectbox(
            ctx.t("support.choose_request"),
            list(open_rows),
            format_func=lambda i: ctx.t(
                "support.request_option", number=i, company=open_rows[i].company
            ),
            key=f"{key}_request",
        )
    request = open_rows.get(chosen) if chosen is not None else None
    left, right = st.columns(2)
    if undo:
        with right:
            scheduled = request and request.subscription_status == STATUS_SCHEDULED
            undo_control(
                f"{key}_undo",
                (request.account_id, request.company, d(request.period_end)) if scheduled else None,
            )
    with left:
        handle = confirm_button(
            ctx,
            f"{key}_handle",
            ctx.t("support.mark_handled"),
            ctx.t("support.confirm_handled", number=chosen, company=md(request.company))
            if request
            else "",
            (request.id, request.company) if request else None,
            icon=":material/task_alt:",
        )
    if handle is not None:
        request_id, _company = handle
        act(
            ctx,
            lambda: support_desk.mark_handled(ctx.db, ctx.user, request_id),
            ctx.t("support.done_handled", number=request_id),
        )


def requests_tab(kind: str, key: str, *, custom_plan: bool = False) -> list[Request]:
    show_all = st.toggle(ctx.t("support.show_handled"), key=f"{key}_all")
    rows = support_desk.requests(ctx.db, ctx.user, kind, include_handled=show_all)
    if rows:
        request_table(rows, key, custom_plan=custom_plan)
    else:
        st.info(ctx.t("support.none_open"), icon=":material/inbox:")
    return rows


st.title(ctx.t("support.title"))
st.caption(ctx.t("support.subtitle"))
show_flash()
requests = support_desk.open_request_counts(ctx.db, ctx.user)
keys = ("undo_cancellation", "custom_plan", "reactivation", "other")
for col, key in zip(st.columns(len(keys)), keys, strict=True):
    col.metric(ctx.t(f"request.{key}"), fmt_number(requests.get(key, 0), ctx.lang), border=True)

tabs = st.tabs(
    [
        ctx.t("support.tab.scheduled"),
        ctx.t("support.tab.undo"),
        ctx.t("support.tab.custom_plan"),
        ctx.t("support.tab.ended"),
        ctx.t("support.tab.audit"),
    ],
    key="support_tabs",
)

# --- scheduled cancellations -----------------------------------------------------------------
with tabs[0]:
    st.caption(ctx.t("support.scheduled_help"))
    scheduled = support_desk.scheduled_cancellations(ctx.db, ctx.user, settings=ctx.settings)
    if not scheduled:
        st.info(ctx.t("support.none_scheduled"), icon=":material/inbox:")
    else:
        table(
            [
                {
                    ctx.t("support.col.company"): c.company,
                    ctx.t("support.col.email"): c.email,
                    ctx.t("support.col.plan"): c.plan_name,
                    ctx.t("support.col.requested"): when(c.requested_at),
                    ctx.t("support.col.effective"): d(c.effective_on),
                    ctx.t("support.col.deleted"): d(c.data_deleted_on),
                    ctx.t("support.col.confirmation"): c.confirmation_number,
                    ctx.t("support.col.undo_requests"): c.open_undo_requests,
                }
                for c in scheduled
            ],
            "scheduled_table",
            {
                ctx.t("support.col.plan"): "small",
                ctx.t("support.col.undo_requests"): "small",
            },
        )
    target = None
    if scheduled:
        scheduled_by_id = {c.account_id: c for c in scheduled}
        account = st.selectbox(
            ctx.t("support.choose_account"),
            list(scheduled_by_id),
            format_func=lambda a: ctx.t(
                "support.scheduled_option",
                company=scheduled_by_id[a].company,
                date=scheduled_by_id[a].effective_on,
            ),
            key="scheduled_account",
        )
        if account is not None:
            chosen = scheduled_by_id[account]
            target = (account, chosen.company, chosen.effective_on)
    undo_control("undo", target)

# --- undo requests ---------------------------------------------------------------------------
with tabs[1]:
    st.caption(ctx.t("support.undo_help"))
    rows = requests_tab("undo_cancellation", "undo_requests")
    request_controls(rows, "undo_requests", undo=True)

# --- custom-plan requests --------------------------------------------------------------------
with tabs[2]:
    st.caption(ctx.t("support.custom_plan_help"))
    rows = requests_tab("custom_plan", "plan_requests", custom_plan=True)
    request_controls(rows, "plan_requests")

# --- reactivation window ---------------------------------------------------------------------
with tabs[3]:
    st.caption(ctx.t("support.ended_help"))
    today = dt.datetime.now(dt.UTC).date()
    ended = support_desk.reactivation_window(ctx.db, ctx.user, settings=ctx.settings)
    if not ended:
        st.info(ctx.t("support.none_ended"), icon=":material/inbox:")
    else:
        table(
            [
                {
                    ctx.t("support.col.company"): e.company,
                    ctx.t("support.col.email"): e.email,
                    ctx.t("support.col.plan"): e.plan_name,
                    ctx.t("support.col.ended"): d(e.ended_on),
                    ctx.t("support.col.deadline"): d(e.reactivate_until),
                    ctx.t("support.col.days_left"): (e.reactivate_until - today).days,
                    ctx.t("support.col.reactivation_requests"): e.open_reactivation_requests,
                }
                for e in ended
            ],
            "ended_table",
            {
                ctx.t("support.col.plan"): "small",
                ctx.t("support.col.days_left"): "small",
                ctx.t("support.col.reactivation_requests"): "small",
            },
        )
    target = None
    if ended:
        ended_by_id = {e.account_id: e for e in ended}
        account = st.selectbox(
            ctx.t("support.choose_account"),
            list(ended_by_id),
            format_func=lambda a: ctx.t(
                "support.ended_option",
                company=ended_by_id[a].company,
                date=ended_by_id[a].reactivate_until,
            ),
            key="ended_account",
        )
        if account is not None:
            target = (account, ended_by_id[account].company)
    revive = confirm_button(
        ctx,
        "reactivate",
        ctx.t("support.reactivate"),
        ctx.t("support.confirm_reactivate", company=md(target[1])) if target else "",
        target,
        icon=":material/restart_alt:",
    )
    if revive is not None:
        account_id, company = revive
        act(
            ctx,
            lambda: support_desk.reactivate(ctx.db, ctx.user, account_id, settings=ctx.settings),
            ctx.t("support.done_reactivate", company=md(company)),
        )
    with st.expander(ctx.t("support.reactivation_requests")):
        rows = requests_tab("reactivation", "reactivation_requests")
        request_controls(rows, "reactivation_requests")

# --- audit log -------------------------------------------------------------------------------
with tabs[4]:
    a1, a2, a3, a4 = st.columns([1.3, 1.2, 1, 0.7])
    picked = a1.date_input(
        ctx.t("support.audit.dates"),
        value=(),
        min_value=dt.date(2000, 1, 1),
        max_value=dt.date(2100, 1, 1),
        format="DD/MM/YYYY" if ctx.lang == "it" else "MM/DD/YYYY",
        key="audit_dates",
    )
    actions = a2.multiselect(
        ctx.t("support.audit.actions"),
        support_desk.audit_actions(ctx.db, ctx.user),
        format_func=action_name,
        placeholder=ctx.t("insights.filter.all"),
        key="audit_actions",
    )
    who = a3.text_input(ctx.t("support.audit.actor"), max_chars=254, key="audit_actor")
    account_text = a4.text_input(ctx.t("support.audit.account"), max_chars=12, key="audit_account")
    dates = tuple(picked) if isinstance(picked, tuple | list) else (picked,)
    account_id = int(account_text) if account_text.strip().isdigit() else None
    if account_text.strip() and account_id is None:
        st.error(ctx.t("support.audit.account_invalid"), icon=":material/error:")
    query = AuditQuery(
        start=dates[0] if dates else None,
        end=dates[-1] if dates else None,
        actions=tuple(actions),
        actor=who,
        account_id=account_id,
    )
    try:
        page = support_desk.audit_log(ctx.db, ctx.user, query)
    except PortalError as exc:
        st.error(ctx.t(exc.key, **exc.params), icon=":material/error:")
    else:
        st.caption(
            ctx.t(
                "support.audit.count",
                shown=fmt_number(len(page.rows), ctx.lang),
                total=fmt_number(page.total, ctx.lang),
            )
        )
        if page.rows:
            table(
                [
                    {
                        ctx.t("support.col.when"): when(e.at),
                        ctx.t("support.col.actor"): e.actor,
                        ctx.t("support.col.action"): action_name(e.action),
                        ctx.t("support.col.account"): (
                            f"{e.account_id} · {e.company}" if e.account_id else ""
                        ),
                        ctx.t("support.col.before"): changes(e.before),
                        ctx.t("support.col.after"): changes(e.after),
                    }
                    for e in page.rows
                ],
                "audit_table",
                {
                    ctx.t("support.col.when"): "small",
                    ctx.t("support.col.before"): "medium",
                    ctx.t("support.col.after"): "large",
                },
            )

if ctx.settings.demo_mode:
    with st.container(border=True):
        st.subheader(ctx.t("demo.clock"))
        st.caption(ctx.t("demo.clock_help"))
        with st.form("demo_clock"):
            as_of = st.date_input(
                ctx.t("demo.as_of"),
                value=dt.date.today() + dt.timedelta(days=31),
                min_value=dt.date(2000, 1, 1),
                max_value=dt.date(2100, 1, 1),
                format="DD/MM/YYYY" if ctx.lang == "it" else "MM/DD/YYYY",
            )
            if st.form_submit_button(ctx.t("demo.run"), icon=":material/fast_forward:"):
                try:
                    report = lifecycle.run_demo_clock(
                        ctx.db, ctx.user, as_of, settings=ctx.settings
                    )
                except PortalError as exc:
                    st.error(ctx.t(exc.key, **exc.params))
                else:
                    st.success(
                        ctx.t(
                            "demo.done",
                            ended=len(report.ended),
                            renewed=len(report.renewed),
                            purged=len(report.purged),
                            abandoned=report.abandoned_flows,
                        )
                    )
