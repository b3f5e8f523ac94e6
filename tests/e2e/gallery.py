"""Every screen and step of the portal, in both languages, at desktop and phone width.

One walk through the app drives a real browser from the sign-in page to an ended account:
the customer's overview, export and the whole cancellation (start page, survey pop-up,
decide, consent, done), the overview and cancel page once scheduled, the admin's churn
insights and support desk (each section; on Outgoing an e-mail read and a webhook endpoint
added, its secret shown once), and the ended page after the lifecycle has run and
its read-only Export data. At each state a `visit` callback gets the page, once per width.
The gallery takes full-page screenshots; tests/e2e/test_accessibility.py runs axe-core on
the very same states.

    .venv/bin/python -m tests.e2e.gallery --out gallery/              # both languages
    .venv/bin/python -m tests.e2e.gallery --out gallery/ --lang it --axe

Each language runs on its own server and fresh demo database (the walk cancels the demo
customer's subscription). Files are named `<state>-<lang>-<width>.png`.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from core import demo
from core.platform.i18n import t

ROOT = Path(__file__).resolve().parents[2]
LANGS = ("en", "it")
LOCALES = {"en": "en-US", "it": "it-IT"}
WIDTHS = (1400, 390)
HEIGHT = {1400: 1000, 390: 844}
AXE_JS = ROOT / "tests" / "e2e" / "node_modules" / "axe-core" / "axe.min.js"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
BLOCKING = ("critical", "serious")
# the sections of the admin pages, in their order (pages/insights.py, support.py)
INSIGHTS_SECTIONS = (
    "reasons",
    "churn",
    "at-risk",
    "funnel",
    "custom-plan",
    "offers",
    "segments",
    "crosstabs",
    "comments",
)
# the parts of the walk, in their order (`--part` walks only some of them)
PARTS = (
    "customer",
    "export",
    "cancel",
    "scheduled",
    "insights",
    "insights-links",
    "support",
    "outgoing",
    "playbook",
    "forgot",
    "ended",
)
SUPPORT_SECTIONS = ("scheduled", "undo", "custom-plan", "ended", "audit", "outgoing")
PLAYBOOK_SECTIONS = ("versions", "edit", "preview", "experiments")

Visit = Callable[[object, str, int], None]  # page, state name, width


# --- waiting for Streamlit -------------------------------------------------------------------


def settle(page, quiet_ms: int = 400) -> None:
    """Until the script run is over and nothing on the page is stale."""
    deadline = time.monotonic() + 30
    page.wait_for_timeout(150)
    while time.monotonic() < deadline:
        busy = page.evaluate(
            """() => {
                const status = document.querySelector('[data-testid="stStatusWidget"]');
                const stale = document.querySelector('[data-stale="true"]');
                const skeleton = document.querySelector('[data-testid="stSkeleton"]');
                return Boolean(status || stale || skeleton);
            }"""
        )
        if not busy:
            page.wait_for_timeout(quiet_ms)
            if not page.evaluate(
                "() => Boolean(document.querySelector("
                '\'[data-testid="stStatusWidget"], [data-stale="true"]\'))'
            ):
                return
        page.wait_for_timeout(150)


def heading(page, text: str):
    return page.get_by_role("heading", name=text, exact=True)


def wait_heading(page, text: str) -> None:
    heading(page, text).first.wait_for(state="visible", timeout=30_000)
    settle(page)


def by_key(page, key: str, role: str = "button"):
    """A widget by its Streamlit key (class `st-key-<key>`), steady when its words change."""
    return page.locator(f".st-key-{key}").get_by_role(role).first


def tick(page, key: str) -> None:
    """Tick a checkbox by its key as a person does: a click on its label once the label stands
    still (Playwright waits for that; a forced click on the hidden input does not, and lands
    beside the box while the layout still slides, e.g. the sidebar coming back at 1400 px)."""
    page.locator(f".st-key-{key} label").check()


def press_until(page, button, answer, unchanged: Callable[[], bool], tries: int = 3) -> None:
    """Press a form's button until its `answer` shows, as a person presses again when nothing
    happened: on a busy machine a rerun still repainting the page may swallow the press, and
    the form stays as typed (`unchanged`). A form that was sent (saved and emptied) is not
    sent again; a refused one is (the reason stays under it), and the last wait's error then
    says what the page shows."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    for attempt in range(tries):
        button.click()
        if attempt == tries - 1:
            break
        try:
            answer.wait_for(timeout=20_000)
            return
        except PlaywrightTimeout:
            settle(page)
            if answer.count() or not unchanged():
                break
    answer.wait_for()


def nav_link(page, url_path: str):
    """The navigation's link to a page, wherever the navigation is shown."""
    return page.locator(
        f'[data-testid="stSidebarNav"] a[href$="/{url_path}"], '
        f'[data-testid="stTopNav"] a[href$="/{url_path}"]'
    ).first


def open_page(page, url_path: str, title: str) -> None:
    """Open a page by its address. The first page of the navigation (the overview for a
    customer) lives at the root: Streamlit answers its own url_path with "Page not found"."""
    root = f"{page.url.split('/', 3)[0]}//{page.url.split('/', 3)[2]}/"
    page.goto(root + ("" if url_path == "overview" else url_path))
    wait_heading(page, title)


# --- the walk ----------------------------------------------------------------------------------


def _capture(page, visit: Visit, state: str) -> None:
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": HEIGHT[width]})
        page.wait_for_timeout(250)
        settle(page, 250)
        visit(page, state, width)
    page.set_viewport_size({"width": WIDTHS[0], "height": HEIGHT[WIDTHS[0]]})
    page.wait_for_timeout(150)
    steady(page)


def steady(page) -> None:
    """Until the main area stops moving: back at desktop width the sidebar slides in and the
    page slides right with it (about 100 ms on a quiet machine, longer on a busy one)."""
    where = (
        "() => document.querySelector('[data-testid=\"stMainBlockContainer\"]')"
        "?.getBoundingClientRect().left"
    )
    last = page.evaluate(where)
    for _ in range(100):
        page.wait_for_timeout(100)
        now = page.evaluate(where)
        if now == last:
            return
        last = now


def what_the_page_says(page) -> str:
    """For a step that failed: the page's address, whether a script run was still going, and
    the messages it shows (alerts, errors, an open dialog's text), so that a failure in CI,
    where nobody sees the screen, says what the app answered."""
    shown = page.evaluate(
        """() => {
            const text = (el) => el.innerText.replace(/\\s+/g, ' ').trim().slice(0, 300);
            const all = (sel) => [...document.querySelectorAll(sel)].map(text).filter(Boolean);
            return {
                running: Boolean(document.querySelector('[data-testid="stStatusWidget"]')),
                messages: all('[data-testid="stAlert"], [data-testid="stException"]'),
                dialogs: all('[role="dialog"]'),
            };
        }"""
    )
    lines = [f"the page: {page.url}" + (" (a script run still going)" if shown["running"] else "")]
    lines += [f"  it says: {m!r}" for m in shown["messages"]]
    lines += [f"  a dialog: {d!r}" for d in shown["dialogs"]]
    return "\n" + "\n".join(lines)


def full_screenshot(page, path: Path, width: int) -> None:
    """The whole page: Streamlit scrolls inside its main area, so the window is made as tall
    as that area for the picture."""
    tall = page.evaluate(
        """() => Math.max(...['stMain', 'stSidebarContent'].map(id => {
            const e = document.querySelector(`[data-testid="${id}"]`);
            return e ? e.scrollHeight : 0;
        }))"""
    )
    height = HEIGHT[width]
    if tall > height:
        page.set_viewport_size({"width": width, "height": min(tall, 12_000)})
        page.wait_for_timeout(300)
    page.screenshot(path=str(path))
    if tall > height:
        page.set_viewport_size({"width": width, "height": height})
        page.wait_for_timeout(150)


def sign_in(page, base_url: str, lang: str, email: str, password: str) -> None:
    page.goto(base_url)
    wait_heading(page, t("signin.title", lang))
    page.get_by_role("textbox", name=t("signin.email", lang), exact=True).fill(email)
    page.get_by_role("textbox", name=t("signin.password", lang), exact=True).fill(password)
    page.get_by_role("button", name=t("signin.submit", lang), exact=True).click()


def account_show(database_url: str, email: str) -> dict:
    out = subprocess.run(
        [sys.executable, "-m", "core", "account", "show", "--email", email, "--json"],
        cwd=ROOT,
        env={**os.environ, "PORTAL_DATABASE_URL": database_url},
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout)


def run_lifecycle(database_url: str, as_of: dt.date) -> None:
    subprocess.run(
        [sys.executable, "-m", "core", "lifecycle", "run", "--as-of", as_of.isoformat()],
        cwd=ROOT,
        env={**os.environ, "PORTAL_DATABASE_URL": database_url},
        capture_output=True,
        check=True,
    )


class WalkError(Exception):
    pass


def reset_link(database_url: str, email: str) -> str:
    """The link of the last password reset e-mail to that address, from the outbox (the demo
    keeps its e-mails)."""
    from sqlalchemy import select

    from core.platform.db import open_database
    from core.platform.outbox_tables import OutboxDelivery, OutboxEvent
    from core.rules.vocabulary import EVENT_PASSWORD_RESET

    db = open_database(database_url)
    try:
        with db.transaction() as s:
            data = s.scalar(
                select(OutboxEvent.data)
                .join(OutboxDelivery, OutboxDelivery.event_id == OutboxEvent.id)
                .where(OutboxEvent.type == EVENT_PASSWORD_RESET, OutboxDelivery.recipient == email)
                .order_by(OutboxEvent.created_at.desc())
            )
    finally:
        db.engine.dispose()
    if not data:
        raise RuntimeError(f"no reset e-mail to {email}")
    return json.loads(data)["reset_url"]


def walk(
    browser,
    base_url: str,
    database_url: str,
    lang: str,
    visit: Visit,
    parts: tuple[str, ...] | None = None,
) -> list[str]:
    """Drive every state once, calling `visit(page, state, width)` at each; returns the names
    of the states reached and raises WalkError naming the parts that could not be reached
    (each part is tried, so one broken page does not hide the others). `parts`: only these
    parts of PARTS (a part the admin's parts need, the admin's sign-in, comes with them)."""
    seen: list[str] = []
    failures: list[str] = []

    def capture(page, state: str) -> None:
        seen.append(state)
        _capture(page, visit, state)

    def new_page():
        context = browser.new_context(
            locale=LOCALES[lang], viewport={"width": WIDTHS[0], "height": HEIGHT[WIDTHS[0]]}
        )
        context.set_default_timeout(30_000)
        return context, context.new_page()

    def part(name: str, page, steps: Callable[[], None]) -> None:
        if parts is not None and name not in parts:
            return
        try:
            steps()
        except Exception as exc:  # reported, then the next part runs
            said = ""
            with contextlib.suppress(Exception):
                said = what_the_page_says(page)
            failures.append(f"{name} ({lang}): {type(exc).__name__}: {str(exc)[:500]}{said}")
            with contextlib.suppress(Exception):
                capture(page, f"{name}-failed")

    customer_ctx, page = new_page()
    admin_ctx, admin = new_page()
    anonymous_ctx, anonymous = new_page()
    company = demo.DEMO_COMPANY
    try:

        def customer() -> None:
            page.goto(base_url)
            wait_heading(page, t("signin.title", lang))
            capture(page, "sign-in")
            sign_in(page, base_url, lang, demo.DEMO_CUSTOMER_EMAIL, demo.DEMO_CUSTOMER_PASSWORD)
            wait_heading(page, company)
            capture(page, "overview-active")

        def export() -> None:
            open_page(page, "export", t("export.title", lang))
            capture(page, "export")
            by_key(page, "prepare_report").click()
            page.locator(".st-key-dl_report").wait_for(timeout=60_000)
            page.locator('[data-testid="stBidiComponentIsolated"]').first.wait_for()
            settle(page, 1500)
            capture(page, "export-report")

        def cancel() -> None:
            open_page(page, "cancel-subscription", t("cancel.title", lang))
            capture(page, "cancel-start")
            by_key(page, "start").click()
            page.get_by_role("dialog").wait_for()
            settle(page)
            capture(page, "cancel-survey")
            page.get_by_role("dialog").locator(".st-key-survey_skip").get_by_role("button").click()
            page.get_by_role("dialog").wait_for(state="detached")
            by_key(page, "continue").wait_for()
            settle(page)
            capture(page, "cancel-decide")
            by_key(page, "continue").click()
            by_key(page, "confirm").wait_for()
            settle(page)
            capture(page, "cancel-consent")
            for key in ("consent_lists", "consent_campaigns", "consent_reports", "consent_account"):
                tick(page, key)
                settle(page, 200)
            by_key(page, "confirm").click()
            page.locator(".st-key-confirm").wait_for(state="detached")
            settle(page)
            capture(page, "cancel-done")

        def scheduled() -> None:
            open_page(page, "overview", company)
            capture(page, "overview-scheduled")
            open_page(page, "cancel-subscription", t("cancel.title", lang))
            capture(page, "cancel-scheduled")

        def sections(admin_page, key: str, prefix: str, names: tuple[str, ...]) -> None:
            """Each section of a page's section control (a wrapping segmented control)."""
            buttons = admin_page.locator(f".st-key-{key} button")
            buttons.first.wait_for()
            for i, name in enumerate(names):
                buttons.nth(i).click()
                settle(admin_page, 600)
                capture(admin_page, f"{prefix}-{name}")

        def insights() -> None:
            sign_in(admin, base_url, lang, demo.DEMO_ADMIN_EMAIL, demo.DEMO_ADMIN_PASSWORD)
            wait_heading(admin, t("insights.title", lang))
            sections(admin, "insights_section", "insights", INSIGHTS_SECTIONS)

        def show_section(admin_page, buttons, name: str, ready: str) -> None:
            """A section of the insights, clicked again if a rerun still under way (a busy
            machine) swallowed the first click."""
            from playwright.sync_api import TimeoutError as PlaywrightTimeout

            for _attempt in range(3):
                buttons.nth(INSIGHTS_SECTIONS.index(name)).click()
                settle(admin_page, 600)
                try:
                    admin_page.locator(ready).first.wait_for(timeout=20_000)
                    return
                except PlaywrightTimeout:
                    continue
            admin_page.locator(ready).first.wait_for()

        def insights_links() -> None:
            if parts is not None and "insights" not in parts:  # signed in by that part
                sign_in(admin, base_url, lang, demo.DEMO_ADMIN_EMAIL, demo.DEMO_ADMIN_PASSWORD)
                wait_heading(admin, t("insights.title", lang))
            buttons = admin.locator(".st-key-insights_section button")
            # the Share area open: the link to this view and the Churn report
            buttons.nth(INSIGHTS_SECTIONS.index("churn")).click()
            settle(admin)
            admin.locator(".st-key-insights_share summary").click()
            settle(admin, 300)
            capture(admin, "insights-share")
            admin.locator(".st-key-insights_share summary").click()
            settle(admin)
            # the flows behind a figure: a reason chosen in the drill-down's selectors
            show_section(admin, buttons, "crosstabs", ".st-key-drill_reason")
            reason = by_key(admin, "drill_reason", "combobox")  # from the keyboard
            reason.click()
            reason.fill(t("reason.too_expensive", lang))
            admin.keyboard.press("Enter")
            settle(admin, 600)
            capture(admin, "insights-drill")
            # an account at risk opened in the support desk (its link in the accounts table)
            buttons.nth(INSIGHTS_SECTIONS.index("at-risk")).click()
            settle(admin, 600)
            href = admin.locator('a[href*="support?account="]').first.get_attribute("href")
            admin.goto(f"{base_url}/{href.rsplit('/', 1)[-1]}")
            wait_heading(admin, t("support.title", lang))
            capture(admin, "support-account")
            # a shared link with dates and a country that cannot be used: said, defaults shown
            admin.goto(f"{base_url}/insights?from=2026-13-01&to=2026-01-31&country=XX")
            wait_heading(admin, t("insights.title", lang))
            capture(admin, "insights-link-problems")

        def support() -> None:
            open_page(admin, "support", t("support.title", lang))
            sections(admin, "support_section", "support", SUPPORT_SECTIONS)

        def outgoing() -> None:
            # the last section shown: the customer's cancellation e-mail, picked (the newest
            # row), then a webhook endpoint added, its secret shown once
            admin.locator(".st-key-outgoing_pick").get_by_role("combobox").click()
            admin.get_by_role("option").first.click()
            admin.locator(".st-key-outgoing_detail").wait_for()
            settle(admin)
            capture(admin, "support-outgoing-email")
            admin.locator(".st-key-webhook_add summary").click()
            url = by_key(admin, "webhook_form_new_url", "textbox")
            url.fill("http://127.0.0.1:9/hooks")
            by_key(admin, "webhook_form_new_description", "textbox").fill("CRM")
            press_until(
                admin,
                by_key(admin, "webhook_form_new_save"),
                admin.locator(".st-key-webhook_secret"),
                unchanged=lambda: url.input_value() == "http://127.0.0.1:9/hooks",
            )
            settle(admin)
            capture(admin, "support-outgoing-secret")
            by_key(admin, "webhook_secret_done").click()
            admin.locator(".st-key-webhook_secret").wait_for(state="detached")

        def forgot() -> None:
            # signed out: "Forgot your password?", its answer, and the form the link opens
            # (not sent: the demo customer keeps the password the other parts sign in with)
            anonymous.goto(base_url)
            wait_heading(anonymous, t("signin.title", lang))
            anonymous.get_by_role("button", name=t("resets.forgot", lang)).click()
            wait_heading(anonymous, t("resets.forgot_title", lang))
            capture(anonymous, "forgot-password")
            email = anonymous.get_by_role("textbox", name=t("signin.email", lang), exact=True)
            email.fill(demo.DEMO_CUSTOMER_EMAIL)
            anonymous.get_by_role("button", name=t("resets.send", lang)).click()
            anonymous.get_by_text(t("resets.sent", lang, minutes=30)).wait_for()
            settle(anonymous)
            capture(anonymous, "forgot-password-sent")
            link = reset_link(database_url, demo.DEMO_CUSTOMER_EMAIL)
            anonymous.goto(base_url + "/?" + link.split("?", 1)[1])
            wait_heading(anonymous, t("resets.choose_title", lang))
            capture(anonymous, "reset-password")

        def playbook() -> None:
            open_page(admin, "retention-playbook", t("playbook_page.title", lang))
            sections(admin, "pb_section", "playbook", PLAYBOOK_SECTIONS)
            # a draft, with its offer and rule forms open
            admin.locator(".st-key-pb_section button").first.click()
            settle(admin)
            by_key(admin, "pb_new_draft_button").click()
            admin.locator(".st-key-pb_offer_open").wait_for()
            settle(admin)
            for key in ("pb_offer_open", "pb_rule_open"):
                admin.locator(f".st-key-{key} summary").click()
                settle(admin, 300)
            capture(admin, "playbook-draft")

        def ended() -> None:
            # the cycle ends: the lifecycle job runs as of the effective date
            account = account_show(database_url, demo.DEMO_CUSTOMER_EMAIL)
            run_lifecycle(database_url, dt.date.fromisoformat(account["period_end"]))
            page.goto(base_url)
            wait_heading(page, t("ended.title", lang))
            capture(page, "ended")
            # the read-only export window after the end
            open_page(page, "export", t("export.title", lang))
            capture(page, "export-ended")

        part("customer", page, customer)
        part("export", page, export)
        part("cancel", page, cancel)
        part("scheduled", page, scheduled)
        part("insights", admin, insights)
        part("insights-links", admin, insights_links)
        part("support", admin, support)
        part("outgoing", admin, outgoing)
        part("playbook", admin, playbook)
        part("forgot", anonymous, forgot)
        part("ended", page, ended)
    finally:
        customer_ctx.close()
        admin_ctx.close()
        anonymous_ctx.close()
    if failures:
        raise WalkError("\n".join(failures))
    return seen


# --- axe-core ------------------------------------------------------------------------------------


def axe_missing() -> str | None:
    if not AXE_JS.exists():
        return (
            f"axe-core is not installed at {AXE_JS.relative_to(ROOT)} "
            "(npm ci --prefix tests/e2e; ./test.sh does it when npm is there)"
        )
    return None


def axe_run(page) -> list[dict]:
    """axe-core's violations of WCAG 2.2 A/AA on the page as it is now."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE_JS))
    result = page.evaluate(
        """async (tags) => {
            const r = await axe.run(document, {runOnly: {type: 'tag', values: tags},
                                               resultTypes: ['violations']});
            return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.map(n => ({target: n.target.join(' '),
                                          summary: n.failureSummary,
                                          html: n.html.slice(0, 200)}))}));
        }""",
        AXE_TAGS,
    )
    return result


def describe(violations: list[dict], where: str) -> list[str]:
    lines = []
    for v in violations:
        for node in v["nodes"]:
            summary = " ".join((node["summary"] or "").split())[:300]
            lines.append(f"{where}: {v['impact']} {v['id']} at {node['target']}: {summary}")
    return lines


# --- the command -------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.e2e.gallery", description=__doc__)
    parser.add_argument("--out", type=Path, default=ROOT / "gallery")
    parser.add_argument("--lang", choices=LANGS, action="append")
    parser.add_argument("--axe", action="store_true", help="also run axe-core at every state")
    parser.add_argument(
        "--part",
        choices=PARTS,
        action="append",
        help="walk only this part (repeatable; default: all): e.g. --part insights-links",
    )
    args = parser.parse_args(argv)

    from playwright.sync_api import sync_playwright

    from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS, running_server

    args.out.mkdir(parents=True, exist_ok=True)
    counts: dict[str, int] = {}
    problems: list[str] = []
    failed: list[str] = []

    def visit(page, state: str, width: int, lang: str) -> None:
        name = f"{state}-{lang}-{width}.png"
        if args.axe:  # at the window's own size, before the picture's tall window
            found = axe_run(page)
            for v in found:
                key = f"{v['impact']} {v['id']}"
                counts[key] = counts.get(key, 0) + len(v["nodes"])
            problems.extend(describe(found, f"{state}-{lang}-{width}"))
        full_screenshot(page, args.out / name, width)
        print(name, flush=True)

    started = time.monotonic()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        for lang in args.lang or LANGS:
            with (
                tempfile.TemporaryDirectory() as tmp,
                running_server(Path(tmp), name=f"gallery-{lang}") as server,
            ):
                try:
                    walk(
                        browser,
                        server.url,
                        server.database_url,
                        lang,
                        lambda page, state, width, lang=lang: visit(page, state, width, lang),
                        tuple(args.part) if args.part else None,
                    )
                except WalkError as exc:
                    failed.append(str(exc))
        browser.close()
    print(
        f"{len(list(args.out.glob('*.png')))} screenshots in {args.out} "
        f"({time.monotonic() - started:.0f} s)"
    )
    if args.axe:
        for line in problems:
            print(line)
        for key, n in sorted(counts.items()):
            print(f"axe: {n:4d} {key}")
    for line in failed:
        print(f"not reached: {line}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
