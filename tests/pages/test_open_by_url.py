"""Every screen opened first by its URL (a deep link: the AppTest's very first run asks for it),
signed out, as the user it is for, and as a customer asking for a screen that is not theirs."""

from __future__ import annotations

import datetime as dt
import os

import pytest
from streamlit.testing.v1 import AppTest

from core.identity import auth
from core.platform import i18n
from core.platform.db import Database, open_database
from pages.shell.router import SCREENS
from tests.support import factories
from tests.support.env import ROOT
from tests.support.pages import open_page

ALICE = ("alice@example.com", "Lumière Srl")
BOB = ("bob@example.com", "Bob Ltd")
CAROL = ("carol@example.com", "Carol GmbH")  # her subscription has ended
ADMIN = "boss@example.com"
CUSTOMER_DATA = [*ALICE, *BOB, *CAROL]
TITLES = {  # catalog keys of the screens' titles (the overview's title is the company's name)
    "sign_in": "signin.title",
    "export": "export.title",
    "cancel": "cancel.title",
    "ended": "ended.title",
    "insights": "insights.title",
    "support": "support.title",
    "playbook": "playbook_page.title",
}
FOR_WHOM = {  # who may open each screen
    "overview": ALICE[0],
    "export": ALICE[0],
    "cancel": ALICE[0],
    "ended": CAROL[0],
    "insights": ADMIN,
    "support": ADMIN,
    "playbook": ADMIN,
}


@pytest.fixture
def shop(site) -> Database:
    """The page tests' shop (Alice, Bob, the admin) and Carol, whose subscription ended three
    days ago."""
    db, _ = site
    plan_id = factories.plan(db, "scale", 49900)
    now = dt.datetime.now(dt.UTC)
    carol = factories.customer(db, CAROL[0], plan_id, now=now, company=CAROL[1])
    factories.end_subscription(db, carol.account_id, now.date() - dt.timedelta(days=3))
    return db


def shown(at: AppTest) -> str:
    """Everything the page shows as text, the sidebar included."""
    parts: list[str] = []
    for kind in ("title", "header", "subheader", "markdown", "caption", "code"):
        parts += [str(e.value) for e in getattr(at, kind)]
    for kind in ("info", "success", "warning", "error"):
        parts += [str(e.value) for e in getattr(at, kind)]
    for m in at.metric:
        parts += [m.label, str(m.value)]
    for df in at.dataframe:
        parts.append(df.value.to_string())
    parts += [w.label for group in (at.button, at.text_input, at.text_area) for w in group]
    parts += [p.label for p in at.page_link]
    return "\n".join(parts)


def first_visit(screen: str, email: str | None = None) -> AppTest:
    """A new browser tab whose address is this screen's URL; signed in already (a reload with
    the session cookie) when an e-mail is given."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.session_state["lang"] = "en"
    if email:
        db = open_database(os.environ["PORTAL_DATABASE_URL"])
        try:
            user = auth.sign_in(db, email, factories.PASSWORD).user
        finally:
            db.engine.dispose()
        at.session_state["session_id"] = user.session_id
    open_page(at, screen)
    at.run()
    assert not at.exception, at.exception
    return at


def title(at: AppTest) -> str:
    assert at.title, shown(at)
    return at.title[0].value


@pytest.mark.parametrize("screen", list(SCREENS))
def test_a_signed_out_visitor_who_opens_a_screen_by_its_url_gets_the_sign_in(shop, screen):
    at = first_visit(screen)
    assert title(at) == i18n.t("signin.title", "en")
    assert [w.label for w in at.text_input] == [
        i18n.t("signin.email", "en"),
        i18n.t("signin.password", "en"),
    ]
    text = shown(at)
    assert [value for value in CUSTOMER_DATA if value in text] == []
    assert not at.metric and not at.dataframe
    assert [p.label for p in at.page_link] == []


@pytest.mark.parametrize("screen", [s for s in SCREENS if s != "sign_in"])
def test_the_user_a_screen_is_for_opens_it_by_its_url(shop, screen):
    email = FOR_WHOM[screen]
    at = first_visit(screen, email)
    expected = ALICE[1] if screen == "overview" else i18n.t(TITLES[screen], "en")
    assert title(at) == expected
    text = shown(at)
    assert f"`{email}`" in text  # "Signed in as", in the sidebar
    if screen in ("overview", "export", "cancel"):  # Alice's screens show nobody else's data
        assert [value for value in [*BOB, *CAROL] if value in text] == []
    if screen == "ended":
        assert CAROL[1] in text
        assert [value for value in [*ALICE, *BOB] if value in text] == []


@pytest.mark.parametrize("screen", ["sign_in", "ended", "insights", "support", "playbook"])
def test_a_customer_who_opens_a_screen_that_is_not_theirs_by_its_url_sees_their_overview(
    shop, screen
):
    at = first_visit(screen, ALICE[0])
    assert title(at) == ALICE[1]
    text = shown(at)
    assert i18n.t("overview.invoices", "en") in text
    for other in (
        "signin.title",
        "ended.title",
        "insights.title",
        "support.title",
        "playbook_page.title",
    ):
        assert i18n.t(other, "en") not in text
    assert [value for value in [*BOB, *CAROL] if value in text] == []
