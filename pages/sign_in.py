"""Sign in: e-mail and password; in demo mode, the demo sign-ins. "Forgot your password?"
asks for a reset link by e-mail; the link (?reset=<token>) opens "Choose a new password"."""

import streamlit as st

from core import demo
from core.identity import auth, passwords, resets
from core.platform.errors import PortalError
from pages.shell.context import PageContext

VIEW = "signin_view"  # session state: "forgot" shows the request for a reset link
NOTICE = "signin_password_changed"  # session state: say so once, on the sign-in form


def sign_in_form(ctx: PageContext) -> None:
    st.title(ctx.t("signin.title"))
    st.caption(ctx.t("signin.subtitle"))
    if st.session_state.pop(NOTICE, False):  # just changed with a reset link
        st.success(ctx.t("resets.done"), icon=":material/check_circle:")
    with st.form("sign_in", border=True):
        email = st.text_input(ctx.t("signin.email"), max_chars=254, autocomplete="email")
        password = st.text_input(
            ctx.t("signin.password"), type="password", autocomplete="current-password"
        )
        submitted = st.form_submit_button(ctx.t("signin.submit"), type="primary")
    if submitted:
        try:
            signed = auth.sign_in(ctx.db, email, password, settings=ctx.settings, language=ctx.lang)
        except PortalError as exc:
            st.error(ctx.t(exc.key, **exc.params), icon=":material/error:")
        else:
            st.session_state["session_id"] = signed.user.session_id
            st.session_state["handoff_code"] = signed.code
            st.rerun()


def demo_sign_ins(ctx: PageContext) -> None:
    """The demo's sign-ins as plain text to copy (st.code has a copy button), never links: in a
    table Streamlit turned the addresses into mailto links that opened a mail program."""
    with st.container(border=True):
        st.markdown(f"**{ctx.t('signin.demo_title')}**")
        st.caption(ctx.t("signin.demo_help"))
        logins = (
            ("role.customer", demo.DEMO_CUSTOMER_EMAIL, demo.DEMO_CUSTOMER_PASSWORD),
            ("role.admin", demo.DEMO_ADMIN_EMAIL, demo.DEMO_ADMIN_PASSWORD),
        )
        for role, address, secret in logins:
            st.markdown(f"**{ctx.t(role)}**")
            email_col, password_col = st.columns(2)  # side by side; stacked on a phone
            with email_col:
                st.caption(ctx.t("signin.email"))
                st.code(address, language=None)
            with password_col:
                st.caption(ctx.t("signin.password"))
                st.code(secret, language=None)
        st.caption(ctx.t("signin.demo_copy"))


def _show(view: str | None) -> None:
    st.session_state[VIEW] = view


def forgot_form(ctx: PageContext) -> None:
    """Ask for a reset link: always the same answer, whether or not the address has an
    account."""
    st.title(ctx.t("resets.forgot_title"))
    st.caption(ctx.t("resets.forgot_help"))
    with st.form("forgot_password", border=True):
        email = st.text_input(ctx.t("signin.email"), max_chars=254, autocomplete="email")
        submitted = st.form_submit_button(ctx.t("resets.send"), type="primary")
    if submitted:
        try:
            resets.request_reset(ctx.db, email, lang=ctx.lang, settings=ctx.settings)
        except PortalError as exc:
            st.error(ctx.t(exc.key, **exc.params), icon=":material/error:")
        else:
            st.success(ctx.t("resets.sent", minutes=resets.RESET_MINUTES), icon=":material/mail:")
    if ctx.settings.demo_mode:
        st.info(ctx.t("resets.demo_note"), icon=":material/info:")
    st.button(ctx.t("resets.back"), on_click=_show, args=(None,), icon=":material/arrow_back:")


def _done() -> None:
    st.query_params.pop("reset", None)
    st.session_state[NOTICE] = True
    st.session_state[VIEW] = None


def _ask_again() -> None:
    st.query_params.pop("reset", None)
    st.session_state[VIEW] = "forgot"


def choose_password_form(ctx: PageContext) -> None:
    """The link's form: the new password twice; or, for a link that cannot be used any more,
    why, and a way to ask for a new one."""
    st.title(ctx.t("resets.choose_title"))
    if not resets.reset_valid(ctx.db, ctx.reset_token):
        st.error(ctx.t(resets.EXPIRED), icon=":material/error:")
        st.button(ctx.t("resets.ask_again"), on_click=_ask_again, type="primary")
        return
    st.caption(ctx.t("resets.choose_help", min=passwords.MIN_NEW_PASSWORD))
    with st.form("choose_password", border=True):
        new = st.text_input(
            ctx.t("resets.new_password"), type="password", autocomplete="new-password"
        )
        again = st.text_input(
            ctx.t("resets.repeat_password"), type="password", autocomplete="new-password"
        )
        submitted = st.form_submit_button(ctx.t("resets.submit"), type="primary")
    if submitted:
        try:
            resets.reset_password(ctx.db, ctx.reset_token, new, repeat=again)
        except PortalError as exc:
            st.error(ctx.t(exc.key, **exc.params), icon=":material/error:")
        else:
            _done()
            st.rerun()


def render(ctx: PageContext) -> None:
    left, _ = st.columns([3, 2])
    with left:
        if ctx.reset_token:
            choose_password_form(ctx)
            return
        if st.session_state.get(VIEW) == "forgot":
            forgot_form(ctx)
            return
        sign_in_form(ctx)
        st.button(ctx.t("resets.forgot"), on_click=_show, args=("forgot",), type="tertiary")
        if ctx.settings.demo_mode:
            demo_sign_ins(ctx)


if __name__ == "__main__":  # run as a script by Streamlit's scan of pages/: go through the router
    from pages.shell.router import run_router

    run_router()
