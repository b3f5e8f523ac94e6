"""Forgot password in a real browser: the demo customer, signed in in one browser, asks for a
link in another; the link (read from the outbox event, as the e-mail would carry it) opens
"Choose a new password"; the new password signs in, the old one does not, and the first
browser is signed out."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

from playwright.sync_api import expect

from core import demo
from tests.e2e import gallery
from tests.e2e.conftest import ROOT
from tests.support.browser import account_show, sign_in

NEW = "a brand new passphrase"


def no_serious_axe_violation(page, where: str) -> None:
    """axe-core (WCAG 2.2 A/AA) on the state as it is now, when it is installed (the gallery's
    walk, which test_accessibility checks, does not pass through these states)."""
    if gallery.axe_missing():
        return
    size = page.viewport_size
    for width in gallery.WIDTHS:
        page.set_viewport_size({"width": width, "height": size["height"]})
        gallery.settle(page)
        blocking = [v for v in gallery.axe_run(page) if v["impact"] in gallery.BLOCKING]
        assert not blocking, "\n".join(gallery.describe(blocking, f"{where}-{width}"))
    page.set_viewport_size(size)


def test_a_reset_link_sets_a_new_password_and_signs_out_the_old_session(own_server, page_for):
    server = own_server
    email = demo.DEMO_CUSTOMER_EMAIL
    company = account_show(server, email)["company"]

    # the old session: signed in in another browser
    old = page_for("en-US")
    sign_in(old, server, email, demo.DEMO_CUSTOMER_PASSWORD, "Sign in")
    expect(old.get_by_role("heading", name=company)).to_be_visible()

    page = page_for("en-US")
    page.goto(server.url)
    expect(page.get_by_role("button", name="Forgot your password?")).to_be_visible()
    no_serious_axe_violation(page, "sign-in")
    page.get_by_role("button", name="Forgot your password?").click()
    expect(page.get_by_role("heading", name="Reset your password")).to_be_visible()
    # typed once the run that drew the form is over: under load an address typed earlier was
    # wiped by the form drawn again, and the link was asked for an empty address
    gallery.settle(page)
    field = page.get_by_role("textbox", name="Email", exact=True)
    field.fill(email)
    expect(field).to_have_value(email)
    page.get_by_role("button", name="Send me a link").click()
    expect(
        page.get_by_text("If an account uses this address, we have sent a link to it.")
    ).to_be_visible()
    expect(page.get_by_text(re.compile("support desk's Outgoing tab"))).to_be_visible()
    no_serious_axe_violation(page, "forgot-password")

    url = gallery.reset_link(server.database_url, email)
    token = parse_qs(urlsplit(url).query)["reset"][0]
    page.goto(f"{server.url}/?reset={token}")  # the e-mail's link, on this test's server
    expect(page.get_by_role("heading", name="Choose a new password")).to_be_visible()
    no_serious_axe_violation(page, "choose-password")
    for name in ("New password", "New password again"):
        field = page.get_by_role("textbox", name=name, exact=True)
        field.fill(NEW)
        expect(field).to_have_value(NEW)
    page.get_by_role("button", name="Change password").click()
    expect(page.get_by_text("Your password is changed: sign in with it.")).to_be_visible()
    expect(page.get_by_role("heading", name="Sign in to your account")).to_be_visible()
    assert "reset=" not in page.url
    page.screenshot(path=str(ROOT / "test-artifacts" / "password-reset-done-en.png"))

    # the link works once
    page.goto(f"{server.url}/?reset={token}")
    expect(
        page.get_by_text("This link has expired or was already used: ask for a new one.")
    ).to_be_visible()

    # the old password is refused, the new one signs in
    sign_in(page, server, email, demo.DEMO_CUSTOMER_PASSWORD, "Sign in")
    expect(page.get_by_text("The email address or the password is not right.")).to_be_visible()
    sign_in(page, server, email, NEW, "Sign in")
    expect(page.get_by_role("heading", name=company)).to_be_visible()

    # the other browser was signed out: a reload shows the sign-in page
    old.reload()
    expect(old.get_by_role("heading", name="Sign in to your account")).to_be_visible()
    expect(old.get_by_role("heading", name=company)).to_have_count(0)

    # neither the link's token nor the new password reached the server's log
    log = server.log.read_text()
    assert token not in log and NEW not in log and "Traceback" not in log
