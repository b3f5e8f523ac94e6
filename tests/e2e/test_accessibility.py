"""axe-core (WCAG 2.2 A and AA) on every state of the screenshot gallery, in both languages, at
desktop (1400 px) and phone (390 px) width: any critical or serious violation fails, listed.
The states are the gallery's own walk (tests/e2e/gallery.py), so the pictures a person looks
at and the states CI checks are the same. At each state the page also names itself in the
browser's title and says its language in `<html lang>`, and every text field has a border of
at least 3:1 (its background alone is 1.11:1 on white), and no link is cut off.

axe-core comes from the npm registry, pinned in tests/e2e/package.json (`npm ci --prefix
tests/e2e`, which ./test.sh and .ci/run do); without it this test skips and says why, unless
REQUIRE_BROWSER=1 (CI) makes it mandatory."""

from __future__ import annotations

import os
import time

import pytest

from core import demo
from core.platform.i18n import t
from tests.e2e import gallery
from tests.e2e.conftest import ROOT, running_server

# the page each state is on, by the start of its name
STATE_PAGES = {
    "sign-in": "nav.sign_in",
    "forgot-password": "nav.sign_in",
    "reset-password": "nav.sign_in",
    "overview": "nav.overview",
    "export": "nav.export",
    "cancel": "nav.cancel",
    "insights": "nav.insights",  # its sections (churn, at-risk, crosstabs ...), share, drill
    "support": "nav.support",  # support-account: the desk opened on ?account=<id>
    "playbook": "nav.playbook",
    "ended": "nav.ended",
}


# Fields (1.4.11 non-text contrast): a field's background is 1.11:1 on white, so its border
# must show where it is, at 3:1 at least. Returns the fields that have no such border.
FAINT_FIELDS = """() => {
  const lum = (rgb) => {
    const [r, g, b] = rgb.match(/[0-9.]+/g).slice(0, 3).map((v) => {
      const c = Number(v) / 255;
      return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const fields = new Set();
  document.querySelectorAll('input:not([type=checkbox]):not([type=radio]), textarea')
    .forEach((input) => {
      let el = input;
      for (let i = 0; i < 6 && el; i += 1, el = el.parentElement) {
        const s = getComputedStyle(el);
        if (s.backgroundColor === 'rgb(244, 242, 254)') { fields.add(el); return; }
      }
    });
  // the border of an unticked box or circle
  document.querySelectorAll(
    '[data-testid="stCheckbox"] input[type=checkbox]:not([role=switch]):not(:checked),'
    + ' [data-testid="stRadioOption"] input[type=radio]:not(:checked)'
  ).forEach((input) => {
    // the input sits in a visually hidden span; the drawn box is the span's next sibling
    let box = input.nextElementSibling || input.parentElement.nextElementSibling;
    if (box && input.type === 'radio') box = box.firstElementChild;
    if (box) fields.add(box);
  });
  const faint = [];
  fields.forEach((el) => {
    const s = getComputedStyle(el);
    const ratio = 1.05 / (lum(s.borderTopColor) + 0.05);
    if (s.borderTopStyle === 'none' || parseFloat(s.borderTopWidth) < 1 || ratio < 3) {
      faint.push(`${el.dataset.testid || el.tagName}: border ${ratio.toFixed(2)}:1`);
    }
  });
  return faint;
}"""


# Links whose words are cut off (at 390 px a page link ran off the screen mid-word)
CLIPPED_LINKS = """() => [...document.querySelectorAll(
    '[data-testid="stPageLink"] a, [data-testid="stLinkButton"] a, [data-testid="stMain"] a'
  )].filter((a) => {
    const box = a.getBoundingClientRect();
    if (!box.width) return false;
    const main = document.querySelector('[data-testid="stMain"]').getBoundingClientRect();
    const inner = a.querySelector('p') || a;
    return inner.scrollWidth > inner.clientWidth + 1 || box.right > main.right + 1;
  }).map((a) => a.innerText.trim().slice(0, 80))"""


def require_axe() -> None:
    reason = gallery.axe_missing()
    if reason is None:
        return
    if os.environ.get("REQUIRE_BROWSER") == "1":
        pytest.fail(f"REQUIRE_BROWSER=1 but {reason}")
    pytest.skip(reason)


def page_key(state: str) -> str:
    for prefix, key in STATE_PAGES.items():
        if state.startswith(prefix):
            return key
    raise AssertionError(f"no page known for the state {state!r}")


@pytest.mark.parametrize("lang", gallery.LANGS)
def test_every_state_has_no_serious_axe_violation_at_desktop_and_phone_width(
    lang, browser, tmp_path
):
    require_axe()
    problems: list[str] = []
    checked = 0
    artifacts = ROOT / "test-artifacts"

    def visit(page, state: str, width: int) -> None:
        nonlocal checked
        where = f"{state}-{lang}-{width}"
        blocking = [v for v in gallery.axe_run(page) if v["impact"] in gallery.BLOCKING]
        checked += 1
        problems.extend(gallery.describe(blocking, where))
        html_lang = page.evaluate("document.documentElement.lang")
        if html_lang != lang:
            problems.append(f"{where}: <html lang> is {html_lang!r}, not {lang!r}")
        title = t("a11y.page_title", lang, page=t(page_key(state), lang), app=t("app.name", lang))
        if page.title() != title:
            problems.append(f"{where}: the title is {page.title()!r}, not {title!r}")
        clipped = page.evaluate(CLIPPED_LINKS)
        problems.extend(f"{where}: a link cut off: {text!r}" for text in clipped)
        # Streamlit's own English "Page not found" pop-up: an address the navigation lacks
        if page.get_by_role("dialog").filter(has_text="Page not found").count():
            problems.append(f"{where}: Streamlit says 'Page not found'")
        faint = page.evaluate(FAINT_FIELDS)
        problems.extend(f"{where}: a field without a 3:1 border, {f}" for f in faint)
        if blocking:
            artifacts.mkdir(exist_ok=True)
            gallery.full_screenshot(page, artifacts / f"axe-{where}.png", width)

    started = time.monotonic()
    with running_server(tmp_path, name=f"axe-{lang}") as server:
        states = gallery.walk(browser, server.url, server.database_url, lang, visit)
    print(f"axe-core on {checked} page states ({lang}) in {time.monotonic() - started:.0f} s")
    assert len(states) >= 20 and checked == len(states) * len(gallery.WIDTHS), states
    # the support desk's Outgoing section: the list, an e-mail read, a new endpoint's secret
    assert {"support-outgoing", "support-outgoing-email", "support-outgoing-secret"} <= set(states)
    assert not problems, "\n".join(problems)


def test_on_a_phone_the_pages_are_one_labelled_tap_away_and_the_counts_compact(server, browser):
    from playwright.sync_api import expect

    lang = "it"
    context = browser.new_context(
        locale="it-IT", viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True
    )
    try:
        page = context.new_page()
        gallery.sign_in(
            page, server.url, lang, demo.DEMO_CUSTOMER_EMAIL, demo.DEMO_CUSTOMER_PASSWORD
        )
        expect(page.get_by_role("heading", name=demo.DEMO_COMPANY)).to_be_visible()
        gallery.settle(page)
        nav = page.get_by_test_id("stSidebarNav")
        expect(nav).not_to_be_in_viewport()
        menu = page.get_by_role("button", name=t("a11y.menu", lang), exact=True)
        expect(menu).to_be_in_viewport()
        assert menu.bounding_box()["width"] >= 60  # the word is shown beside the arrow
        menu.tap()
        link = nav.get_by_role("link", name=t("nav.export", lang))
        expect(link).to_be_in_viewport()
        link.tap()
        expect(page.get_by_role("heading", name=t("export.title", lang))).to_be_visible()
        gallery.settle(page)
        expect(page).to_have_title(
            t("a11y.page_title", lang, page=t("nav.export", lang), app=t("app.name", lang))
        )
        # six counts in two rows of three, not six cards stacked 700 px deep
        cards = page.locator(".st-key-data_counts [data-testid='stMetric']")
        expect(cards).to_have_count(6)
        boxes = [cards.nth(i).bounding_box() for i in range(6)]
        assert len({round(b["y"]) for b in boxes}) == 2, boxes
        assert max(b["y"] + b["height"] for b in boxes) - min(b["y"] for b in boxes) < 300
    finally:
        context.close()
