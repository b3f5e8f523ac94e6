"""A button that asks before it acts, without a dialog (so AppTest can drive it too), and the
one-line result of the action, kept across the rerun that refreshes the page."""

from __future__ import annotations

import re
from collections.abc import Callable, Hashable
from typing import Any

import streamlit as st

from core.platform.errors import PortalError
from pages.shell.context import PageContext

FLASH = "support_flash"


def confirm_button(
    ctx: PageContext,
    key: str,
    label: str,
    prompt: str,
    target: Hashable | None,
    *,
    icon: str | None = None,
) -> Any | None:
    """`label` asks to confirm `prompt` for `target`; returns the target on the run where the
    user confirmed, else None.

    The question stays up, with its own text, until it is answered, even if the row it is
    about has left the list meanwhile (someone else acted on it): confirming then gets the
    refusal and its reason from `core`. Picking another row drops the question, so a
    confirmation never acts on something other than what its prompt named.
    """
    slot = f"pending_{key}"
    pending = st.session_state.get(slot)
    if pending is not None and target is not None and pending["target"] != target:
        st.session_state.pop(slot)
        pending = None
    if pending is None:
        if target is not None and st.button(label, key=f"{key}_ask", icon=icon):
            st.session_state[slot] = {"target": target, "prompt": prompt}
            st.rerun()
        return None
    with st.container(border=True):
        st.warning(pending["prompt"], icon=":material/help:")
        yes_col, no_col = st.columns(2)
        yes = yes_col.button(
            ctx.t("support.confirm"), type="primary", key=f"{key}_yes", width="stretch"
        )
        no = no_col.button(ctx.t("support.back"), key=f"{key}_no", width="stretch")
    if yes or no:
        st.session_state.pop(slot, None)
    if no:
        st.rerun()
    return pending["target"] if yes else None


def pending_keys(pattern: str) -> list[str]:
    """The keys (matching the regular expression `pattern` whole) of the questions still
    waiting for an answer, oldest first."""
    return [
        name.removeprefix("pending_")
        for name in list(st.session_state)
        if isinstance(name, str)
        and name.startswith("pending_")
        and st.session_state[name] is not None
        and re.fullmatch(pattern, name.removeprefix("pending_"))
    ]


def act(ctx: PageContext, action: Callable[[], Any], success: str) -> None:
    """Run a confirmed action; remember its result (or the reason it was refused), rerun."""
    try:
        action()
    except PortalError as exc:
        st.session_state[FLASH] = ("error", ctx.t(exc.key, **exc.params))
    else:
        st.session_state[FLASH] = ("success", success)
    st.rerun()


def show_flash() -> None:
    kind, text = st.session_state.pop(FLASH, (None, None))
    if kind == "success":
        st.success(text, icon=":material/check_circle:")
    elif kind == "error":
        st.error(text, icon=":material/error:")
