"""The support desk's "Outgoing" section (admins): the e-mails and webhook calls the outbox
made, counted by status, filtered, a page at a time; the e-mail of a row as the customer reads
it; "Send again" for a failed one (asked first, audited by `core`); then the webhook endpoints
(pages/components/webhook_endpoints.py).

Every figure and row comes from `core.outbox.outgoing`; this module only lays them out.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from core.outbox import outgoing
from core.outbox.outgoing import OutgoingRow
from core.platform.errors import PortalError
from core.platform.i18n import fmt_number
from core.rules.vocabulary import (
    CHANNEL_EMAIL,
    CHANNEL_WEBHOOK,
    DELIVERY_FAILED,
    DELIVERY_KEPT,
    DELIVERY_STATUSES,
)
from pages.components import webhook_endpoints
from pages.components.confirm import act, confirm_button, pending_keys
from pages.components.desk_words import counted, when
from pages.components.text import md
from pages.components.webhook_endpoints import type_name
from pages.shell.choices import kept
from pages.shell.context import PageContext

PAGE_SIZE = 25
PAGE = "outgoing_page"  # session state: (status, channel, offset)


def recipient(ctx: PageContext, row: OutgoingRow) -> str:
    """The address or URL; an erased account's address was blanked once its e-mail went."""
    return row.recipient or ctx.t("outgoing.detail.erased")


def can_send_again(ctx: PageContext, row: OutgoingRow) -> bool:
    """What `core` accepts: a failed row, or a kept e-mail once a mail server is set."""
    return row.status == DELIVERY_FAILED or (
        row.status == DELIVERY_KEPT and bool(ctx.settings.smtp_url)
    )


# --- the header: what this tab is, the counts ------------------------------------------------


def kept_note(ctx: PageContext) -> None:
    if ctx.settings.smtp_url:
        return
    key = "outgoing.kept_demo" if ctx.settings.demo_mode else "outgoing.kept_no_smtp"
    st.info(ctx.t(key), icon=":material/mark_email_read:")


def status_cards(ctx: PageContext, counts: dict[str, int]) -> None:
    # a grid (portal.css): four in a row on a desktop, two per row on a phone
    with st.container(key="outgoing_counts"):
        for status in DELIVERY_STATUSES:
            st.metric(
                ctx.t(f"outgoing.statuses.{status}"),
                fmt_number(counts.get(status, 0), ctx.lang),
                border=True,
            )
    failed = counts.get(DELIVERY_FAILED, 0)
    if failed:
        st.error(counted(ctx, "outgoing.failed", failed), icon=":material/error:")


def filters(ctx: PageContext) -> tuple[str | None, str | None]:
    c1, c2 = st.columns(2)
    status = c1.selectbox(
        ctx.t("outgoing.filter.status"),
        [None, *DELIVERY_STATUSES],
        format_func=lambda s: (
            ctx.t("outgoing.filter.all_statuses") if s is None else ctx.t(f"outgoing.status.{s}")
        ),
        key=kept("outgoing_status"),
    )
    channel = c2.selectbox(
        ctx.t("outgoing.filter.channel"),
        [None, CHANNEL_EMAIL, CHANNEL_WEBHOOK],
        format_func=lambda c: (
            ctx.t("outgoing.filter.all_channels") if c is None else ctx.t(f"outgoing.channel.{c}")
        ),
        key=kept("outgoing_channel"),
    )
    return status, channel


# --- the table, a page at a time ---------------------------------------------------------------


def offset_for(status: str | None, channel: str | None) -> int:
    """The page shown: back to the first one whenever the filters change."""
    kept = st.session_state.get(PAGE)
    if kept and kept[:2] == (status, channel):
        return kept[2]
    st.session_state[PAGE] = (status, channel, 0)
    return 0


def move(status: str | None, channel: str | None, offset: int) -> None:
    st.session_state[PAGE] = (status, channel, max(0, offset))


def rows_table(ctx: PageContext, rows: tuple[OutgoingRow, ...]) -> None:
    frame = pd.DataFrame.from_records(
        [
            {
                ctx.t("outgoing.col.number"): r.delivery_id,
                ctx.t("outgoing.col.created"): when(ctx, r.created_at),
                ctx.t("outgoing.col.type"): type_name(ctx, r.event_type),
                ctx.t("outgoing.col.channel"): ctx.t(f"outgoing.channel.{r.channel}"),
                ctx.t("outgoing.col.recipient"): recipient(ctx, r),
                ctx.t("outgoing.col.account"): r.company,
                ctx.t("outgoing.col.status"): ctx.t(f"outgoing.status.{r.status}"),
                ctx.t("outgoing.col.attempts"): r.attempts,
                ctx.t("outgoing.col.last_error"): r.last_error,
                ctx.t("outgoing.col.sent"): when(ctx, r.sent_at),
            }
            for r in rows
        ]
    )
    config = {
        ctx.t("outgoing.col.number"): st.column_config.NumberColumn(width="small", format="%d"),
        ctx.t("outgoing.col.attempts"): st.column_config.NumberColumn(width="small"),
        ctx.t("outgoing.col.last_error"): st.column_config.TextColumn(width="medium"),
    }
    st.dataframe(
        frame, hide_index=True, width="stretch", column_config=config, key="outgoing_table"
    )


def paged_rows(ctx: PageContext, status: str | None, channel: str | None) -> tuple:
    offset = offset_for(status, channel)
    page = outgoing.deliveries(
        ctx.db, ctx.user, status=status, channel=channel, limit=PAGE_SIZE, offset=offset
    )
    if not page.rows and offset:  # the last page emptied meanwhile: show the first
        move(status, channel, 0)
        offset = 0
        page = outgoing.deliveries(
            ctx.db, ctx.user, status=status, channel=channel, limit=PAGE_SIZE, offset=0
        )
    if not page.rows:
        none = "outgoing.none" if status is None and channel is None else "outgoing.none_filtered"
        st.info(ctx.t(none), icon=":material/inbox:")
        return ()
    rows_table(ctx, page.rows)
    with st.container(horizontal=True, vertical_alignment="center", gap="small"):
        st.caption(
            ctx.t(
                "outgoing.count",
                first=fmt_number(offset + 1, ctx.lang),
                last=fmt_number(offset + len(page.rows), ctx.lang),
                total=fmt_number(page.total, ctx.lang),
            ),
            width="stretch",
        )
        st.button(
            ctx.t("outgoing.newer"),
            icon=":material/chevron_left:",
            disabled=offset == 0,
            on_click=move,
            args=(status, channel, offset - PAGE_SIZE),
            key="outgoing_newer",
        )
        st.button(
            ctx.t("outgoing.older"),
            icon=":material/chevron_right:",
            disabled=offset + len(page.rows) >= page.total,
            on_click=move,
            args=(status, channel, offset + PAGE_SIZE),
            key="outgoing_older",
        )
    return page.rows


# --- one row: its e-mail or its call, and "Send again" -------------------------------------------


def picked(ctx: PageContext, rows: tuple[OutgoingRow, ...]) -> OutgoingRow | None:
    by_id = {r.delivery_id: r for r in rows}
    chosen = st.selectbox(
        ctx.t("outgoing.pick"),
        list(by_id),
        index=None,
        placeholder=ctx.t("outgoing.pick_placeholder"),
        format_func=lambda i: ctx.t(
            "outgoing.row",
            number=i,
            type=type_name(ctx, by_id[i].event_type),
            recipient=recipient(ctx, by_id[i]),
        ),
        key=kept("outgoing_pick"),
    )
    return by_id.get(chosen)


def facts(ctx: PageContext, row: OutgoingRow) -> str:
    parts = [
        ctx.t("outgoing.detail.to", recipient=md(recipient(ctx, row))),
        md(row.company),
        ctx.t(f"outgoing.status.{row.status}"),
        ctx.t("outgoing.detail.attempts", n=fmt_number(row.attempts, ctx.lang)),
        ctx.t("outgoing.detail.sent", when=when(ctx, row.sent_at)) if row.sent_at else "",
        ctx.t("outgoing.detail.next", when=when(ctx, row.next_attempt_at))
        if row.status == "pending" and row.next_attempt_at
        else "",
        ctx.t("outgoing.detail.event", event_id=md(row.event_id)),
    ]
    return " · ".join(p for p in parts if p)


def mail_view(ctx: PageContext, row: OutgoingRow) -> None:
    """The e-mail as rendered for the customer: its subject, its text version as plain text
    (shown exactly, nothing rendered), and its attachments to download.

    Not its HTML version: `st.html` is not iframed (DOMPurify keeps <style>, which would restyle
    the whole desk), and `st.iframe` runs what it is given with the app's origin. The HTML
    version says the same words (core.outbox.mail builds both from one text)."""
    try:
        mail = outgoing.delivery_mail(ctx.db, ctx.user, row.delivery_id, settings=ctx.settings)
    except PortalError as exc:
        st.error(ctx.t(exc.key, **exc.params), icon=":material/error:")
        return
    st.markdown(f"**{ctx.t('outgoing.mail.subject', subject=md(mail.subject))}**")
    st.caption(ctx.t("outgoing.mail.text"))
    with st.container(border=True, key="outgoing_mail_text"):
        st.text(mail.text)  # as written: no Markdown
    for i, (name, mime, content) in enumerate(mail.attachments):
        st.download_button(
            ctx.t("outgoing.mail.download", name=name),
            content,
            file_name=name,
            mime=mime,
            icon=":material/attach_file:",
            key=f"outgoing_attachment_{row.delivery_id}_{i}",
            on_click="ignore",
        )


def send_again_button(ctx: PageContext, row: OutgoingRow) -> None:
    key = f"outgoing_again_{row.delivery_id}"
    target = ("again", row.delivery_id, row.event_type, row.recipient, row.event_id)
    chosen = confirm_button(
        ctx,
        key,
        ctx.t("outgoing.send_again"),
        ctx.t(
            "outgoing.confirm_send_again",
            number=row.delivery_id,
            type=type_name(ctx, row.event_type),
            recipient=md(recipient(ctx, row)),
            event_id=md(row.event_id),
        ),
        target,
        icon=":material/send:",
    )
    if chosen is not None:
        send_again(ctx, chosen)


def send_again(ctx: PageContext, target: tuple) -> None:
    _what, delivery_id, *_ = target
    act(
        ctx,
        lambda: outgoing.send_again(ctx.db, ctx.user, delivery_id, settings=ctx.settings),
        ctx.t("outgoing.done_send_again", number=delivery_id),
    )


def leftover_questions(ctx: PageContext, shown: str | None) -> None:
    """A "Send again?" asked for a row no longer shown (another page, or picked another row):
    still answerable; `core` refuses it with the reason if the row changed meanwhile."""
    for key in pending_keys(r"outgoing_again_\d+"):
        if key != shown:
            chosen = confirm_button(ctx, key, "", "", None)
            if chosen is not None:
                send_again(ctx, chosen)


def detail(ctx: PageContext, row: OutgoingRow) -> str | None:
    """The picked row; returns the key of its "Send again" question, if it has one."""
    with st.container(border=True, key="outgoing_detail"):
        title = ctx.t(
            "outgoing.detail.title", number=row.delivery_id, type=type_name(ctx, row.event_type)
        )
        st.markdown(f"**{title}**")
        st.caption(facts(ctx, row))
        if row.last_error:
            st.warning(
                ctx.t("outgoing.detail.last_error", error=md(row.last_error)),
                icon=":material/warning:",
            )
        if row.status == DELIVERY_KEPT and not ctx.settings.smtp_url:
            st.caption(ctx.t("outgoing.kept_until_smtp"))
        shown = None
        if can_send_again(ctx, row):
            send_again_button(ctx, row)
            shown = f"outgoing_again_{row.delivery_id}"
        if row.channel == CHANNEL_EMAIL:
            mail_view(ctx, row)
        else:
            st.caption(ctx.t("outgoing.webhook.about"))
    return shown


def outgoing_section(ctx: PageContext) -> None:
    st.caption(ctx.t("outgoing.help"))
    kept_note(ctx)
    status_cards(ctx, outgoing.status_counts(ctx.db, ctx.user))
    status, channel = filters(ctx)
    rows = paged_rows(ctx, status, channel)
    shown = None
    if rows:
        row = picked(ctx, rows)
        if row is not None:
            shown = detail(ctx, row)
    leftover_questions(ctx, shown)
    st.divider()
    webhook_endpoints.endpoints_section(ctx)
