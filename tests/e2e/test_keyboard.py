"""A cancellation with the keyboard only, in Chromium, in Italian: sign in, open Cancel
subscription from the navigation, start, skip the survey, continue, tick the four consents and
confirm, pressing only Tab, Space, Enter and typing. After each step the focus is on the page's
heading (not dropped to <body>), the focused control shows a solid ring of at least 3:1, and
the page says its language."""

from __future__ import annotations

from playwright.sync_api import expect

from core import demo
from core.platform.i18n import t
from tests.e2e.gallery import account_show, settle

LANG = "it"

FOCUSED = """() => {
  const el = document.activeElement;
  const keyed = el && el.closest('[class*="st-key-"]');
  const key = keyed ? [...keyed.classList].find((c) => c.startsWith('st-key-')) : null;
  const style = el ? getComputedStyle(el) : null;
  return {
    tag: el ? el.tagName.toLowerCase() : null,
    text: el ? (el.innerText || el.getAttribute('aria-label') || '').trim().slice(0, 120) : '',
    label: el && el.labels && el.labels.length ? el.labels[0].innerText.trim() : '',
    href: el && el.getAttribute('href'),
    key: key ? key.slice('st-key-'.length) : null,
    inDialog: Boolean(el && el.closest('[role="dialog"]')),
    inNav: Boolean(el && el.closest('[data-testid="stSidebarNav"]')),
    outline: style ? [style.outlineStyle, style.outlineWidth, style.outlineColor] : null,
  };
}"""


def focused(page) -> dict:
    return page.evaluate(FOCUSED)


def tab_to(page, matches, what: str, limit: int = 60) -> dict:
    """Press Tab until the focused element matches (as a person would, looking at the ring)."""
    seen = []
    for _ in range(limit):
        page.keyboard.press("Tab")
        now = focused(page)
        if matches(now):
            return now
        seen.append(f"{now['tag']}:{now['key'] or now['href'] or now['text'][:30]}")
    raise AssertionError(f"Tab never reached {what}; passed {seen}")


def heading_has_focus(page, text: str) -> None:
    try:
        expect(page.get_by_role("heading", name=text, exact=True).first).to_be_focused()
    except AssertionError as exc:
        raise AssertionError(f"the focus is on {focused(page)}, not on the heading") from exc


def luminance(rgb: str) -> float:
    parts = [int(x) / 255 for x in rgb[rgb.index("(") + 1 : rgb.index(")")].split(",")[:3]]
    lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in parts]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def test_a_customer_cancels_with_the_keyboard_only(own_server, page_for):
    server = own_server
    page = page_for("it-IT")
    page.goto(server.url)
    settle(page)
    heading_has_focus(page, t("signin.title", LANG))
    assert page.evaluate("document.documentElement.lang") == LANG

    tab_to(page, lambda f: f["label"].startswith(t("signin.email", LANG)), "the email field")
    page.keyboard.type(demo.DEMO_CUSTOMER_EMAIL)
    tab_to(page, lambda f: f["label"].startswith(t("signin.password", LANG)), "the password")
    page.keyboard.type(demo.DEMO_CUSTOMER_PASSWORD)
    tab_to(page, lambda f: f["text"] == t("signin.submit", LANG), "the sign-in button")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name=demo.DEMO_COMPANY)).to_be_visible()
    settle(page)
    heading_has_focus(page, demo.DEMO_COMPANY)

    link = tab_to(
        page,
        lambda f: f["inNav"] and (f["href"] or "").endswith("/cancel-subscription"),
        "the navigation's Cancel subscription link",
    )
    assert t("nav.cancel", LANG) in link["text"], link
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name=t("cancel.title", LANG))).to_be_visible()
    settle(page)
    heading_has_focus(page, t("cancel.title", LANG))

    start = tab_to(page, lambda f: f["key"] == "start", "Start cancellation")
    style, width, colour = start["outline"]
    assert style == "solid" and float(width.rstrip("px")) >= 2, start["outline"]
    # the ring against the white page: at least 3:1
    assert (1.05) / (luminance(colour) + 0.05) >= 3, colour
    page.keyboard.press("Enter")
    dialog = page.get_by_role("dialog")
    expect(dialog).to_be_visible()
    settle(page)
    skip = tab_to(page, lambda f: f["key"] == "survey_skip", "Skip survey in the pop-up")
    assert skip["inDialog"], skip
    page.keyboard.press("Enter")
    expect(dialog).to_have_count(0)
    settle(page)
    heading_has_focus(page, t("cancel.title", LANG))

    tab_to(page, lambda f: f["key"] == "continue", "Continue and cancel")
    page.keyboard.press("Enter")
    expect(page.locator(".st-key-confirm")).to_be_visible()
    settle(page)
    heading_has_focus(page, t("cancel.title", LANG))

    for key in ("consent_lists", "consent_campaigns", "consent_reports", "consent_account"):
        tab_to(page, lambda f, key=key: f["key"] == key, key)
        page.keyboard.press("Space")
        expect(page.locator(f".st-key-{key} input")).to_be_checked()
        settle(page, 200)
    tab_to(page, lambda f: f["key"] == "confirm", "the confirm button")
    page.keyboard.press("Enter")
    expect(page.locator(".st-key-confirm")).to_have_count(0)
    settle(page)
    heading_has_focus(page, t("cancel.title", LANG))
    assert account_show(server.database_url, demo.DEMO_CUSTOMER_EMAIL)["status"] == (
        "cancellation_scheduled"
    )
    assert page.evaluate("document.documentElement.lang") == LANG
