"""Resume my subscription: the customer's own way back from a scheduled cancellation, on the
overview and on the cancellation page. One core call (`way_back.resume`); its answer is
shown after a rerun, on whichever page the customer is then on."""

from __future__ import annotations

import streamlit as st

from core.platform.errors import PortalError
from core.retention import way_back
from core.retention.records import Dates
from pages.shell.context import PageContext

ANSWER = "resumed"


def resume_offer(ctx: PageContext, dates: Dates, key: str) -> None:
    """Until when it can be resumed, what happens then, and the button (its click is handled
    by `handle_click` at the top of the page)."""
    st.markdown(ctx.t("journey.resume.help", until=dates.resume_until, renews=dates.effective_on))
    st.button(ctx.t("journey.resume.button"), type="primary", icon=":material/undo:", key=key)


def handle_click(ctx: PageContext, key: str) -> None:
    """Call first thing on the page: the click counts even when the page no longer shows the
    button (another tab resumed first), so the second click is answered, never lost."""
    if not st.session_state.get(key):
        return
    try:
        done = way_back.resume(ctx.db, ctx.user)
    except PortalError as exc:
        st.error(ctx.t(exc.key, **exc.params), icon=":material/error:")
    else:
        st.session_state[ANSWER] = done
        st.rerun()


def show_answer(ctx: PageContext) -> bool:
    """After a resume: it is active again, or it already was (a second click or tab).
    Returns whether there was an answer to show."""
    done = st.session_state.pop(ANSWER, None)
    if done is None:
        return False
    key = "journey.resume.done" if done.changed else "journey.resume.already"
    st.success(ctx.t(key, date=done.renews_on), icon=":material/check_circle:")
    if done.requests_closed:
        st.info(ctx.t("journey.resume.closed"), icon=":material/mark_email_read:")
    return True
