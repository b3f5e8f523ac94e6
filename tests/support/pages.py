"""Opening the app and its screens under Streamlit's AppTest, and reading what they show.

A screen is opened as a browser opens its URL. The screens are `st.Page(callable, url_path=...)`
(pages/shell/router.py). AppTest's own `switch_page` finds pages by their file only, so a test
asks for a screen the way a browser's address does: by the hash Streamlit gives the page's URL
path.
"""

from __future__ import annotations

import datetime as dt
import os

from streamlit.testing.v1 import AppTest
from streamlit.util import calc_hash

from core import demo
from core.identity import auth
from core.platform import i18n
from core.platform.db import open_database
from pages.shell.router import SCREENS
from tests.support import factories
from tests.support.env import ROOT

NOW = dt.datetime.now(dt.UTC)  # the pages read the real clock
TODAY = NOW.date()
ALICE_DAY = TODAY - dt.timedelta(days=10)  # alice's flow started then (tests/pages' `spread`)
INSIGHTS = "insights"  # screens (keys of SCREENS)
SUPPORT = "support"
EXPORT_PAGE = "export"
SECTIONS = ("reasons", "funnel", "custom_plan", "segments")  # the insights' sections with charts


def url_path(screen: str) -> str:
    """The URL path of a screen (its key in SCREENS, e.g. "cancel" -> "cancel-subscription")."""
    return SCREENS[screen].url_path


def open_page(at: AppTest, screen: str) -> AppTest:
    """The next `at.run()` asks for this screen's URL (before the first run too: a deep link).
    Like a browser, it lands on the screen only if the router offers it to this user."""
    at._page_hash = calc_hash(url_path(screen))  # what AppTest.switch_page sets for a file
    return at


def visible_text(at: AppTest) -> str:
    parts: list[str] = []
    for kind in (
        "title",
        "header",
        "subheader",
        "markdown",
        "caption",
        "info",
        "success",
        "warning",
        "error",
    ):
        parts += [str(e.value) for e in getattr(at, kind)]
    for m in at.metric:
        parts += [m.label, str(m.value)]
    for group in (at.button, at.text_input, at.text_area):
        parts += [w.label for w in group]
    parts += [p.label for p in at.page_link]
    parts += [str(p.proto.text) for p in at.progress]
    return "\n".join(parts)


def assert_no_raw_keys(at: AppTest) -> None:
    text = visible_text(at)
    raw = [key for key in i18n.catalog("en") if key in text]
    assert not raw, raw


def open_app(lang: str | None = None, *, as_user: str | None = None) -> AppTest:
    """A fresh visit; `as_user` arrives already signed in (as after a reload with the cookie)."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    if lang:
        at.session_state["lang"] = lang
    if as_user:
        db = open_database(os.environ["PORTAL_DATABASE_URL"])
        at.session_state["session_id"] = auth.sign_in(
            db, as_user, factories.PASSWORD
        ).user.session_id
    return at.run()


def open_as(
    who: str, lang: str = "en", page: str | None = None, query: dict[str, str] | None = None
) -> AppTest:
    """The app signed in as `who`, on their home page (or `page`), its address carrying
    `query` (a link's query string) from the first run."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.session_state["lang"] = lang
    db = open_database(os.environ["PORTAL_DATABASE_URL"])
    at.session_state["session_id"] = auth.sign_in(
        db, f"{who}@example.com", factories.PASSWORD
    ).user.session_id
    if query:
        at.query_params.update(query)
    at.run()
    if page:
        open_page(at, page).run()
    assert not at.exception, at.exception
    return at


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def open_export(lang: str, email: str = demo.DEMO_CUSTOMER_EMAIL) -> AppTest:
    db = open_database(os.environ["PORTAL_DATABASE_URL"])
    password = demo.DEMO_CUSTOMER_PASSWORD if email == demo.DEMO_CUSTOMER_EMAIL else None
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90)
    at.session_state["lang"] = lang
    at.session_state["session_id"] = auth.sign_in(
        db, email, password or factories.PASSWORD
    ).user.session_id
    at.run()
    open_page(at, EXPORT_PAGE).run()
    assert not at.exception, at.exception
    return at


def downloads(at: AppTest) -> dict[str, str]:
    """Download buttons (prepared files) and download links (streamed files) by key."""
    buttons = {b.key: b.label for b in at.get("download_button")}
    return buttons | {b.key: b.proto.label for b in at.link_button}
