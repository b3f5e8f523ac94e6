"""axe-core (WCAG 2.2 A and AA) on every state of the screenshot gallery, in both languages, at
desktop (1400 px) and phone (390 px) width: any critical or serious violation fails, listed.
The states are the gallery's own walk (tests/e2e/gallery.py), so the pictures a person looks
at and the states CI checks are the same. At each state the page also names itself in the
browser's title and says its language in `<html lang>`, and every text field has a border of
at least 3:1 (its background alone is 1.11:1 on white).

axe-core comes from the npm registry, pinned in tests/e2e/package.json (`npm ci --prefix
tests/e2e`, which ./test.sh and .ci/run do); without it this test skips and says why, unless
REQUIRE_BROWSER=1 (CI) makes it mandatory."""

from __future__ import annotations

import os
import time

import pytest

from core.i18n import t
from tests.e2e import gallery
from tests.e2e.conftest import ROOT, running_server

# the page each state is on, by the start of its name
STATE_PAGES = {
    "sign-in": "nav.sign_in",
    "overview": "nav.overview",
    "export": "nav.export",
    "cancel": "nav.cancel",
    "insights": "nav.insights",
    "support": "nav.support",
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
    assert not problems, "\n".join(problems)
