"""The router: page config, the sign-in gate, the language, the sidebar and the navigation over
the screens this user may open (each screen a `render(ctx)` function of a module in pages/)."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import streamlit as st

from core import demo
from core.identity import auth
from core.identity.auth import CurrentUser
from core.platform.config import LANGUAGE_COOKIE, Settings, load_settings
from core.platform.db import Database, open_database
from core.platform.errors import DatabaseUnavailable, PortalError
from core.platform.i18n import LANGUAGES, normalise_language, t
from pages import cancel, ended, export, insights, overview, playbook, sign_in, support
from pages.shell.choices import carry_choices
from pages.shell.context import PageContext


@dataclass(frozen=True)
class Screen:
    render: Callable[[PageContext], None]
    title: str  # catalog key
    icon: str
    url_path: str


# Every screen, by the key `core.identity.auth.pages_for` gives; the first one a user may open
# is their home page (served at /).
SCREENS = {
    "sign_in": Screen(sign_in.render, "nav.sign_in", ":material/login:", "sign-in"),
    "overview": Screen(overview.render, "nav.overview", ":material/dashboard:", "overview"),
    "export": Screen(export.render, "nav.export", ":material/download:", "export"),
    "cancel": Screen(cancel.render, "nav.cancel", ":material/cancel:", "cancel-subscription"),
    "ended": Screen(ended.render, "nav.ended", ":material/event_busy:", "account"),
    "insights": Screen(insights.render, "nav.insights", ":material/insights:", "insights"),
    "support": Screen(support.render, "nav.support", ":material/support_agent:", "support"),
    "playbook": Screen(playbook.render, "nav.playbook", ":material/redeem:", "retention-playbook"),
}


def _runner(render: Callable[[PageContext], None], ctx: PageContext) -> Callable[[], None]:
    def run() -> None:
        render(ctx)

    run.__name__ = render.__module__.rsplit(".", 1)[-1]
    return run


RESET_PARAM = "reset"  # /?reset=<token>: the link of a password reset e-mail
HOME_URL = "home"  # the home screen's url_path: Streamlit serves the first page at / instead


def _navigation_pages(ctx: PageContext, keys: tuple[str, ...] | list[str]) -> list[Any]:
    """The screens this user may open, in the menu, the first one (the home screen) at /; then,
    hidden from the menu, every other screen's address: the home screen's own (/overview) opens
    it, and the address of a screen this user may not open (/export before signing in,
    /insights for a customer) shows the home screen, instead of Streamlit's "Page not found"."""
    if not keys:
        return []
    for i, key in enumerate(keys):
        screen = SCREENS[key]
        ctx.pages[key] = st.Page(
            _runner(screen.render, ctx),
            title=ctx.t(screen.title),
            icon=screen.icon,
            url_path=HOME_URL if i == 0 else screen.url_path,
        )
    home = SCREENS[keys[0]]
    aliases = [
        st.Page(
            _runner(home.render, ctx),
            title=ctx.t(home.title),
            icon=home.icon,
            url_path=screen.url_path,
            visibility="hidden",
        )
        for key, screen in SCREENS.items()
        if key not in keys[1:]
    ]
    return [*ctx.pages.values(), *aliases]


@st.cache_resource(show_spinner=False)
def _database(url: str, demo_mode: bool) -> Database:
    db = open_database(url)
    if demo_mode:
        demo.seed_if_empty(db)
    return db


def _browser_language() -> str:
    try:
        return normalise_language(st.context.locale)
    except Exception:  # no browser (AppTest): fall back to English
        return normalise_language(None)


def _current_user(db: Database, settings: Settings) -> CurrentUser | None:
    session_id = st.session_state.get("session_id")
    if session_id is not None:
        user = auth.user_for_session(db, session_id)
        if user is None:  # signed out elsewhere or expired
            st.session_state.pop("session_id", None)
        return user
    token = st.context.cookies.get(settings.cookie_name)
    user = auth.user_for_token(db, token)
    if user is not None:
        st.session_state["session_id"] = user.session_id
    return user


def _language_switcher(ctx: PageContext) -> str:
    labels = {"en": "English", "it": "Italiano"}
    choice = st.sidebar.segmented_control(
        ctx.t("lang.label"),
        options=list(LANGUAGES),
        format_func=labels.__getitem__,
        default=ctx.lang,
        key="lang_choice",
    )
    if choice and choice != ctx.lang:
        carry_choices()  # what is chosen on the page, by value: its labels are about to change
        st.session_state["lang"] = choice
        if ctx.user is not None:
            auth.set_language(ctx.db, ctx.user, choice)
        st.rerun()
    return ctx.lang


_STYLE = Path(__file__).with_name("portal.css")
# Runs in the page (st.html with JavaScript): the page's language, a label on the sidebar's
# toggle (on a phone the navigation is behind it), focusable scrolling regions (the PDF
# preview, a wide table on a phone), and the focus moved to the page's heading when a page or
# a step has replaced the element that had it (otherwise it drops to <body>). Only the fixed
# values of `_a11y_script` go in: the language code and catalog texts, never text from a user.
_A11Y_JS = """
(() => {
  window.__portalA11yConfig = CONFIG;
  if (window.__portalA11y) { window.__portalA11y(); return; }
  const doc = document;
  let last = null;
  let pendingUntil = 0;
  let pageChanged = false;
  let focusText = null;
  const textOf = (el) => (el.innerText || el.getAttribute('aria-label') || '').trim();
  doc.addEventListener('focusin', (e) => { focusText = textOf(e.target); });
  const toggles = [
    '[data-testid="stExpandSidebarButton"]',
    '[data-testid="stSidebarCollapsedControl"] button',
  ].join(', ');
  const fix = () => {
    const c = window.__portalA11yConfig;
    if (doc.documentElement.lang !== c.lang) doc.documentElement.lang = c.lang;
    doc.querySelectorAll(toggles).forEach((b) => {
      if (b.getAttribute('aria-label') !== c.menu) b.setAttribute('aria-label', c.menu);
      if (b.dataset.portalLabel !== c.menu) b.dataset.portalLabel = c.menu;
    });
    const nav = doc.querySelector('[data-testid="stSidebarNav"]');
    if (nav && nav.getAttribute('aria-label') !== c.nav) nav.setAttribute('aria-label', c.nav);
    const scrolling = (el) => {
      if (el.hasAttribute('tabindex')) return;
      const over = el.scrollHeight > el.clientHeight + 1 || el.scrollWidth > el.clientWidth + 1;
      if (!over) return;
      const style = getComputedStyle(el);
      if (!/(auto|scroll)/.test(style.overflowY + style.overflowX)) return;
      el.setAttribute('tabindex', '0');
      el.setAttribute('role', 'region');
      el.setAttribute('aria-label', c.scroll);
    };
    doc.querySelectorAll('[data-testid="stBidiComponentIsolated"]').forEach((host) => {
      (host.shadowRoot || host).querySelectorAll('div').forEach(scrolling);
    });
    // a wide table on a phone scrolls sideways: reachable with the keyboard too
    doc.querySelectorAll('[data-testid="stTable"], [data-testid="stTable"] div').forEach(scrolling);
    const main = doc.querySelector('[data-testid="stMain"]');
    const h1 = main && main.querySelector('h1');
    if (!h1) return;
    const sub = main.querySelector('h2, h3');
    const view = [location.pathname, h1.textContent, sub ? sub.textContent : ''].join('|');
    if (view !== last) {
      // a page or step has changed: for a few seconds (the rerun may still be replacing the
      // elements), move the focus to the heading once it is lost or its control replaced
      if (!last || last.split('|')[0] !== location.pathname) pageChanged = true;
      last = view;
      pendingUntil = Date.now() + 3000;
    }
    if (Date.now() > pendingUntil || doc.querySelector('[role="dialog"]')) return;
    const active = doc.activeElement;
    const lost = !active || active === doc.body || !active.isConnected;
    // Streamlit may reuse the focused button's element for another control of the next step
    const replaced = Boolean(active) && focusText !== null && textOf(active) !== focusText;
    if (pageChanged || lost || replaced) {
      h1.setAttribute('tabindex', '-1');
      h1.focus();
      pendingUntil = 0;
      pageChanged = false;
    }
  };
  let timer = null;
  new MutationObserver(() => {
    clearTimeout(timer);
    timer = setTimeout(fix, 80);
  }).observe(doc.body, { subtree: true, childList: true, characterData: true });
  setInterval(fix, 1000);
  window.__portalA11y = fix;
  fix();
})();
"""


def _a11y_script(ctx: PageContext) -> None:
    config = {
        "lang": ctx.lang,
        "menu": ctx.t("a11y.menu"),
        "nav": ctx.t("a11y.nav"),
        "scroll": ctx.t("a11y.scroll_region"),
    }
    # json.dumps of fixed texts; "</" escaped so no text can close the script element
    body = _A11Y_JS.replace("CONFIG", json.dumps(config).replace("</", "<\\/"))
    st.html(f"<script>{body}</script>", unsafe_allow_javascript=True)


def _style() -> None:
    """The portal's CSS (contrast, focus ring, target sizes, phone layout) and the label shown
    beside the sidebar toggle."""
    css = _STYLE.read_text(encoding="utf-8")
    st.html(f"<style>{css}</style>")


def _redirect(path: str) -> None:
    """Send the browser to one of our own HTTP routes (fixed paths and server-made codes only)."""
    st.html(f"<script>window.location.replace({path!r});</script>", unsafe_allow_javascript=True)


def _redirect_back(path: str) -> None:
    """Like `_redirect`, telling the route the page and query the browser is on (`next`), so
    that it comes back to them: a shared link keeps its filters through signing in."""
    here = "encodeURIComponent(window.location.pathname + window.location.search)"
    st.html(
        f"<script>window.location.replace({path!r} + '&next=' + {here});</script>",
        unsafe_allow_javascript=True,
    )


def sign_out(ctx: PageContext) -> None:
    if ctx.user is not None:
        auth.sign_out(ctx.db, ctx.user.session_id)
    for key in ("session_id", "handoff_code"):
        st.session_state.pop(key, None)
    st.session_state["pending_signout"] = True
    st.rerun()


def run_router() -> None:
    settings = load_settings()
    # the portal's name until the page is known; then every page is named in its title (below)
    first_lang = normalise_language(st.session_state.get("lang") or _browser_language())
    st.set_page_config(
        page_title=t("app.name", first_lang), page_icon=":material/hub:", layout="wide"
    )
    try:
        db = _database(settings.database_url, settings.demo_mode)
        user = _current_user(db, settings)
    except DatabaseUnavailable as exc:
        st.error(t(exc.key, first_lang))
        st.stop()

    lang = (
        st.session_state.get("lang")
        or (user.language if user else None)
        or st.context.cookies.get(LANGUAGE_COOKIE)
    )
    lang = normalise_language(lang if isinstance(lang, str) else _browser_language())
    reset_token = st.query_params.get(RESET_PARAM, "")
    ctx = PageContext(db=db, user=user, lang=lang, settings=settings, reset_token=reset_token)
    st.session_state["ctx"] = ctx
    _style()

    if st.session_state.pop("pending_signout", False):
        _redirect(f"/auth/signout?lang={lang}")
    code = st.session_state.pop("handoff_code", None)
    if code and user is not None:
        # Once, right after signing in: the browser fetches its session cookie and comes back.
        target = f"/auth/session?code={code}"
        _redirect_back(target)
        st.info(ctx.t("signin.redirecting"), icon=":material/hourglass_top:")
        st.link_button(ctx.t("signin.continue"), target)
        st.stop()

    # a password reset link opens the sign-in screen's "Choose a new password", signed in or
    # not (using it signs out every session of its user)
    pages = _navigation_pages(ctx, ("sign_in",) if reset_token else auth.pages_for(user))
    if not pages:
        st.set_page_config(page_title=ctx.t("app.name"))
        st.error(ctx.t("error.not_authorized"))
        st.stop()
    # The navigation in the sidebar: open on a desktop; on a phone it is one tap away behind
    # the labelled toggle (a top navigation folds into an unlabelled "»" at 390 px)
    page = st.navigation(pages, position="sidebar")
    st.set_page_config(page_title=ctx.t("a11y.page_title", page=page.title, app=ctx.t("app.name")))
    with st.sidebar:
        st.markdown(f"**:material/hub: {ctx.t('app.name')}**")
        _language_switcher(ctx)
        if user is not None:
            st.caption(ctx.t("nav.signed_in_as", email=f"`{user.email}`"))
            if st.button(ctx.t("nav.sign_out"), icon=":material/logout:", key="sign_out"):
                sign_out(ctx)
        _a11y_script(ctx)
    try:
        page.run()
    except PortalError as exc:
        st.error(ctx.t(exc.key, **exc.params))
