"""The webhook endpoints, from the admin's side (the end of the support desk's "Outgoing"
section): each endpoint a row with its facts and actions (edit, enable or disable, a new
secret, delete), a form to add one, and a new secret shown once, until the admin says it is
copied. Every change is one `core.outbox.webhooks` call (admins only, audited there)."""

from __future__ import annotations

from typing import Any

import streamlit as st

from core.outbox import webhooks
from core.outbox.webhooks import Endpoint
from core.platform.errors import PortalError
from core.rules.vocabulary import WEBHOOK_EVENTS
from pages.components.confirm import FLASH, act, confirm_button, pending_keys
from pages.components.text import md
from pages.shell.choices import kept
from pages.shell.context import PageContext

SECRET = "webhook_secret_once"  # session state: (url, secret) until the admin has copied it
EDITING = "webhook_editing"  # session state: the id of the endpoint whose form is open


def type_name(ctx: PageContext, event_type: str) -> str:
    return webhooks.event_type_label(event_type, ctx.lang)


def show_secret(ctx: PageContext) -> None:
    """A secret just made: shown once, in a box with a copy button, until dismissed."""
    kept = st.session_state.get(SECRET)
    if not kept:
        return
    url, secret = kept
    with st.container(border=True, key="webhook_secret"):
        st.warning(ctx.t("outgoing.webhooks.secret_once", url=md(url)), icon=":material/key:")
        st.code(secret, language=None, wrap_lines=True)
        if st.button(ctx.t("outgoing.webhooks.secret_done"), key="webhook_secret_done"):
            st.session_state.pop(SECRET, None)
            st.rerun()


FIELDS = ("url", "types", "description", "enabled")


def starting_values(endpoint: Endpoint | None) -> dict[str, Any]:
    """What a form shows when it opens: the endpoint's values, or a new one's."""
    if endpoint is None:
        return {"url": "", "types": list(WEBHOOK_EVENTS), "description": "", "enabled": True}
    return {
        "url": endpoint.url,
        "types": list(endpoint.event_types),
        "description": endpoint.description,
        "enabled": endpoint.enabled,
    }


def save(ctx: PageContext, endpoint: Endpoint | None, k: str) -> None:
    """The form's button (a callback, run before the page): one `core` call. Refused: the
    reason under the form, which keeps what was typed. Saved: the success line, the new
    secret if one was made, and the form closed (an edit) or empty again (a new one)."""
    state = st.session_state
    url = state[f"{k}_url"]
    try:
        made, secret = webhooks.save_endpoint(
            ctx.db,
            ctx.user,
            url=url,
            event_types=list(state[f"{k}_types"] or ()),
            enabled=state[f"{k}_enabled"],
            description=state[f"{k}_description"],
            endpoint_id=endpoint.id if endpoint else None,
            settings=ctx.settings,
        )
    except PortalError as exc:
        state[f"{k}_error"] = ctx.t(exc.key, **exc.params)
        return
    state[FLASH] = ("success", ctx.t("outgoing.webhooks.saved", url=md(made.url)))
    if secret:
        state[SECRET] = (made.url, secret)
    if endpoint is None:
        for field, value in starting_values(None).items():
            state[f"{k}_{field}"] = value
    else:
        close_form(endpoint.id)


def close_form(endpoint_id: int) -> None:
    """An edit form closes; opened again, it starts from the endpoint as stored then."""
    st.session_state.pop(EDITING, None)
    for field in FIELDS:
        st.session_state.pop(f"webhook_form_{endpoint_id}_{field}", None)


def endpoint_form(ctx: PageContext, endpoint: Endpoint | None) -> None:
    """Add an endpoint (None) or edit one."""
    k = f"webhook_form_{endpoint.id if endpoint else 'new'}"
    for field, value in starting_values(endpoint).items():
        st.session_state.setdefault(f"{k}_{field}", value)
    with st.form(k, enter_to_submit=False, border=endpoint is None):
        st.text_input(
            ctx.t("outgoing.webhooks.url"),
            placeholder="https://",
            help=ctx.t("outgoing.webhooks.url_help"),
            key=f"{k}_url",
        )
        st.pills(
            ctx.t("outgoing.webhooks.event_types"),
            list(WEBHOOK_EVENTS),
            selection_mode="multi",
            format_func=lambda e: type_name(ctx, e),
            key=kept(f"{k}_types"),
        )
        st.text_input(ctx.t("outgoing.webhooks.description"), max_chars=200, key=f"{k}_description")
        st.checkbox(ctx.t("outgoing.webhooks.enabled_label"), key=f"{k}_enabled")
        st.form_submit_button(
            ctx.t("outgoing.webhooks.save"),
            type="primary",
            key=f"{k}_save",
            on_click=save,
            args=(ctx, endpoint, k),
        )
    error = st.session_state.pop(f"{k}_error", None)
    if error:
        st.error(error, icon=":material/error:")


def toggle(ctx: PageContext, endpoint: Endpoint) -> None:
    done = "outgoing.webhooks.now_disabled" if endpoint.enabled else "outgoing.webhooks.now_enabled"
    act(
        ctx,
        lambda: webhooks.save_endpoint(
            ctx.db,
            ctx.user,
            url=endpoint.url,
            event_types=list(endpoint.event_types),
            enabled=not endpoint.enabled,
            description=endpoint.description,
            endpoint_id=endpoint.id,
            settings=ctx.settings,
        ),
        ctx.t(done, url=md(endpoint.url)),
    )


def confirmed(ctx: PageContext, target: tuple) -> None:
    what, endpoint_id, url = target
    if what == "delete":
        act(
            ctx,
            lambda: webhooks.delete_endpoint(ctx.db, ctx.user, endpoint_id),
            ctx.t("outgoing.webhooks.deleted", url=md(url)),
        )
    elif what == "rotate":
        try:
            secret = webhooks.rotate_secret(ctx.db, ctx.user, endpoint_id)
        except PortalError as exc:
            st.session_state[FLASH] = ("error", ctx.t(exc.key, **exc.params))
        else:
            st.session_state[SECRET] = (url, secret)
        st.rerun()


def endpoint_row(ctx: PageContext, endpoint: Endpoint, shown: set[str]) -> None:
    box = st.container(border=True, key=f"webhook_{endpoint.id}")
    state = "outgoing.webhooks.enabled" if endpoint.enabled else "outgoing.webhooks.disabled"
    box.markdown(f"**{md(endpoint.url)}**")
    facts = [
        md(endpoint.description),
        ctx.t(state),
        ctx.t("outgoing.webhooks.secret_hint", hint=md(endpoint.secret_hint)),
        ctx.t("outgoing.webhooks.added", date=endpoint.created_at.date()),
    ]
    box.caption(" · ".join(f for f in facts if f))
    box.caption(
        ctx.t(
            "outgoing.webhooks.events",
            types=", ".join(type_name(ctx, e) for e in endpoint.event_types),
        )
    )
    k = f"webhook_{endpoint.id}"
    questions = (
        ("rotate", "outgoing.webhooks.rotate", "outgoing.webhooks.confirm_rotate", "key"),
        ("delete", "outgoing.webhooks.delete", "outgoing.webhooks.confirm_delete", "delete"),
    )
    asked = [q for q in questions if st.session_state.get(f"pending_{k}_{q[0]}")]
    with box.container(horizontal=True, gap="small"):  # one row of buttons, wrapping on a phone
        editing = st.session_state.get(EDITING) == endpoint.id
        if st.button(
            ctx.t("outgoing.webhooks.close" if editing else "outgoing.webhooks.edit"),
            icon=":material/edit:",
            key=f"{k}_edit",
        ):
            if editing:
                close_form(endpoint.id)
            else:
                st.session_state[EDITING] = endpoint.id
            st.rerun()
        if st.button(
            ctx.t("outgoing.webhooks.disable" if endpoint.enabled else "outgoing.webhooks.enable"),
            icon=":material/pause_circle:" if endpoint.enabled else ":material/play_circle:",
            key=f"{k}_toggle",
        ):
            toggle(ctx, endpoint)
        for question in questions:
            if question not in asked:
                ask(ctx, k, endpoint, question, shown)
    for question in asked:  # the question under the row of buttons, not squeezed into it
        with box:
            ask(ctx, k, endpoint, question, shown)
    if st.session_state.get(EDITING) == endpoint.id:
        with box:
            endpoint_form(ctx, endpoint)


def ask(ctx: PageContext, k: str, endpoint: Endpoint, question: tuple, shown: set[str]) -> None:
    """A new secret or a deletion: asked first, with the endpoint's URL in the question."""
    what, label, prompt, icon = question
    key = f"{k}_{what}"
    shown.add(key)
    chosen = confirm_button(
        ctx,
        key,
        ctx.t(label),
        ctx.t(prompt, url=md(endpoint.url)),
        (what, endpoint.id, endpoint.url),
        icon=f":material/{icon}:",
    )
    if chosen is not None:
        confirmed(ctx, chosen)


def endpoints_section(ctx: PageContext) -> None:
    st.subheader(ctx.t("outgoing.webhooks.title"))
    st.caption(ctx.t("outgoing.webhooks.help"))
    show_secret(ctx)
    listed = webhooks.endpoints(ctx.db, ctx.user)
    if not listed:
        st.info(ctx.t("outgoing.webhooks.none"), icon=":material/webhook:")
    shown: set[str] = set()
    for endpoint in listed:
        endpoint_row(ctx, endpoint, shown)
    # a question asked on an endpoint another admin deleted meanwhile: answered with the reason
    for key in pending_keys(r"webhook_\d+_(rotate|delete)"):
        if key not in shown:
            chosen = confirm_button(ctx, key, "", "", None)
            if chosen is not None:
                confirmed(ctx, chosen)
    # no length limit here: a pasted address cut short would be saved as another one; core
    # refuses one that is too long, in words
    with st.expander(ctx.t("outgoing.webhooks.add"), icon=":material/add:", key="webhook_add"):
        endpoint_form(ctx, None)
