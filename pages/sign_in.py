"""Sign in: e-mail and password; in demo mode, the demo sign-ins."""

import streamlit as st

from core import demo
from core.identity import auth
from core.platform.errors import PortalError
from pages.shell.context import PageContext


def sign_in_form(ctx: PageContext) -> None:
    st.title(ctx.t("signin.title"))
    st.caption(ctx.t("signin.subtitle"))
    with st.form("sign_in", border=True):
        email = st.text_input(ctx.t("signin.email"), max_chars=254, autocomplete="email")
        password = st.text_input(
            ctx.t("signin.password"), type="password", autocomplete="current-password"
        )
        submitted = st.form_submit_button(ctx.t("signin.submit"), type="primary")
    if submitted:
        try:
            signed = auth.sign_in(ctx.db, email, password, settings=ctx.settings)
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


def render(ctx: PageContext) -> None:
    left, _ = st.columns([3, 2])
    with left:
        sign_in_form(ctx)
        if ctx.settings.demo_mode:
            demo_sign_ins(ctx)


if __name__ == "__main__":  # run as a script by Streamlit's scan of pages/: go through the router
    from pages.shell.router import run_router

    run_router()
