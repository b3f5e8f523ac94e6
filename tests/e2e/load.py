"""Concurrent sessions through real Streamlit servers, each one a real browser context.

One headless Chromium, one context per session, all driven at once with Playwright's async
API. Each session signs in as its own customer, reads the overview, opens Export data and
downloads the influencers CSV, then cancels (start, skip the survey, continue, four consents,
confirm). A "page time" is the time from the click to the element the user waits for. With
`racers`, several contexts of one more customer walk to the consent step and press confirm
at the same moment, on every server given.

Used by tests/e2e/test_load.py (a short run in the suite) and, for longer runs that print the
figures, from the command line:

    .venv/bin/python -m tests.e2e.load --sessions 40 [--database-url postgresql://.../db]

With a PostgreSQL URL it starts two app servers sharing that one database (the URL's database
is emptied and seeded first) behind nginx, by deploy/start-behind-nginx.sh, and the sessions go
through nginx over TLS; with none, one server on a new SQLite file.
Only loopback addresses are used; every wait is bounded, so a run always ends.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import csv
import datetime as dt
import io
import statistics
import sys
import tempfile
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import func, select, update

from core import demo
from core.identity.passwords import hash_password
from core.platform import i18n
from core.platform.db import Database, open_database
from core.platform.models import AuditEntry, CancellationFlow, Subscription, User

PASSWORD = "load-test-password"
STEP_TIMEOUT_MS = 180_000  # one click's wait on a loaded 2-core machine; a run always ends
# Browsers opening the app at the same moment: each first visit loads and compiles the app's
# JavaScript (a few MB, no cache shared between contexts), which is the browser's heaviest work;
# forty at once on two cores ran past the step timeout. The others wait their turn to open
# the page, then all the sessions run together.
OPENING_AT_ONCE = 8


def t(key: str, **params: object) -> str:
    return i18n.t(key, "en", **params)


@dataclass(frozen=True)
class Target:
    """Where a browser goes: a server's address, or a proxy's with the cookies that pin the
    browser to one server behind it (the proxy's affinity cookie)."""

    url: str
    cookies: tuple[tuple[str, str], ...] = ()

    async def new_context(self, browser, **options):
        context = await browser.new_context(locale="en-US", ignore_https_errors=True, **options)
        context.set_default_timeout(STEP_TIMEOUT_MS)
        if self.cookies:
            await context.add_cookies(
                [{"name": n, "value": v, "url": self.url} for n, v in self.cookies]
            )
        return context


def as_target(where: str | Target) -> Target:
    return where if isinstance(where, Target) else Target(where)


@dataclass
class Customer:
    email: str
    account_id: int
    company: str


@dataclass
class Result:
    sessions: int = 0
    completed: int = 0
    errors: list[str] = field(default_factory=list)
    times: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    wall: float = 0.0
    race_outcomes: list[str] = field(default_factory=list)
    download_failures: list[str] = field(default_factory=list)
    cross_checked: list[str] = field(default_factory=list)

    @property
    def all_times(self) -> list[float]:
        return [x for values in self.times.values() for x in values]

    def p95(self, values: list[float] | None = None) -> float:
        values = sorted(self.all_times if values is None else values)
        if not values:
            return 0.0
        return values[min(len(values) - 1, round(0.95 * (len(values) - 1)))]

    def lines(self) -> list[str]:
        steps = len(self.all_times)
        out = [
            f"sessions: {self.completed}/{self.sessions} completed, {len(self.errors)} error(s), "
            f"{len(self.download_failures)} failed download(s)",
            f"wall time: {self.wall:.1f} s; throughput: {self.completed / self.wall * 60:.1f} "
            f"sessions/min, {steps / self.wall:.2f} page steps/s",
            f"page time: median {statistics.median(self.all_times or [0]):.2f} s, "
            f"p95 {self.p95():.2f} s, max {max(self.all_times or [0]):.2f} s",
        ]
        for step, values in self.times.items():
            out.append(
                f"  {step:<10} n={len(values):>3}  median {statistics.median(values):.2f} s"
                f"  p95 {self.p95(values):.2f} s"
            )
        out += [f"error: {e}" for e in self.errors[:20]]
        out += [f"failed download: {e}" for e in self.download_failures[:5]]
        return out


# --- the database ---------------------------------------------------------------------------


def prepare(db: Database, count: int) -> list[Customer]:
    """Seed the demo data if the database is empty, then give `count` customers of active
    accounts (one per account) a known password."""
    if not demo.is_seeded(db):
        demo.seed(db)
    known = hash_password(PASSWORD, fast=True)
    with db.transaction() as s:
        rows = s.execute(
            select(User.email, User.account_id, func.min(User.id))
            .join(Subscription, Subscription.account_id == User.account_id)
            .where(User.role == "customer", Subscription.status == "active")
            .group_by(User.account_id, User.email)
            .order_by(User.account_id)
        ).all()
        chosen: list[Customer] = []
        demo_account = s.scalar(
            select(User.account_id).where(User.email == demo.DEMO_CUSTOMER_EMAIL)
        )
        seen: set[int] = {demo_account}  # the demo customer's account stays as it is
        for email, account_id, _ in rows:
            if account_id in seen:
                continue
            seen.add(account_id)
            chosen.append(Customer(email, account_id, ""))
            if len(chosen) == count:
                break
        s.execute(
            update(User)
            .where(User.email.in_([c.email for c in chosen]))
            .values(password_hash=known, language="en")
        )
        from core.platform.models import Account

        names = dict(
            s.execute(
                select(Account.id, Account.company).where(
                    Account.id.in_([c.account_id for c in chosen])
                )
            ).all()
        )
    for c in chosen:
        c.company = names[c.account_id]
    if len(chosen) < count:
        raise RuntimeError(f"only {len(chosen)} active customers to load with")
    return chosen


def cancellations(db: Database, account_ids: list[int]) -> dict[int, tuple[int, int, str]]:
    """Per account: (completed flows, `cancellation_scheduled` audit entries, status)."""
    with db.transaction() as s:
        flows = dict(
            s.execute(
                select(CancellationFlow.account_id, func.count())
                .where(
                    CancellationFlow.account_id.in_(account_ids),
                    CancellationFlow.outcome == "completed",
                )
                .group_by(CancellationFlow.account_id)
            ).all()
        )
        audits = dict(
            s.execute(
                select(AuditEntry.account_id, func.count())
                .where(
                    AuditEntry.account_id.in_(account_ids),
                    AuditEntry.action == "cancellation_scheduled",
                )
                .group_by(AuditEntry.account_id)
            ).all()
        )
        statuses = dict(
            s.execute(
                select(Subscription.account_id, Subscription.status).where(
                    Subscription.account_id.in_(account_ids)
                )
            ).all()
        )
    return {a: (flows.get(a, 0), audits.get(a, 0), statuses.get(a, "")) for a in account_ids}


# --- one session ------------------------------------------------------------------------------


async def _timed(result: Result, step: str, action, until) -> None:
    started = time.perf_counter()
    await action()
    await until.wait_for(state="visible", timeout=STEP_TIMEOUT_MS)
    result.times[step].append(time.perf_counter() - started)


async def idle(page) -> None:
    """Wait until the page's script run has finished (Streamlit shows a status widget while
    it runs); a download clicked during a run can be cancelled by the run that follows."""
    await page.get_by_test_id("stStatusWidget").wait_for(state="hidden", timeout=STEP_TIMEOUT_MS)


async def _check_no_traceback(page) -> None:
    if await page.get_by_test_id("stException").count():
        raise AssertionError("a traceback is on the screen")


async def sign_in(
    page, url: str, customer: Customer, result: Result, opening: asyncio.Semaphore | None = None
) -> None:
    async with opening or contextlib.nullcontext():
        await page.goto(url, timeout=STEP_TIMEOUT_MS)
        email = page.get_by_role("textbox", name=t("signin.email"), exact=True)
        await email.wait_for(timeout=STEP_TIMEOUT_MS)
    await email.fill(customer.email, timeout=STEP_TIMEOUT_MS)
    await page.get_by_role("textbox", name=t("signin.password"), exact=True).fill(PASSWORD)
    await _timed(
        result,
        "sign_in",
        lambda: page.get_by_role("button", name=t("signin.submit")).click(),
        page.get_by_role("heading", name=customer.company, exact=True),
    )


async def open_nav(page, label: str, heading: str, result: Result, step: str) -> None:
    link = page.get_by_test_id("stSidebarNav").get_by_role("link", name=label)
    await _timed(
        result,
        step,
        lambda: link.click(timeout=STEP_TIMEOUT_MS),
        page.get_by_role("heading", name=heading, exact=True),
    )


async def walk_to_consent(page, result: Result) -> None:
    dialog = page.get_by_role("dialog")
    await _timed(
        result,
        "start",
        lambda: page.get_by_role("button", name=t("cancel.start")).click(timeout=STEP_TIMEOUT_MS),
        dialog.get_by_role("button", name=t("survey.skip")),
    )
    go_on = page.get_by_role("button", name=t("decide.continue"))
    await _timed(
        result,
        "survey",
        lambda: dialog.get_by_role("button", name=t("survey.skip")).click(),
        go_on,
    )
    boxes = page.get_by_role("checkbox")
    # as a person would: click once the page has settled (a click that lands while the dialog's
    # closing run is still going can be dropped by Streamlit; one CI run under load waited
    # the full step timeout for the consents after such a click)
    await idle(page)
    await _timed(result, "continue", lambda: go_on.click(timeout=STEP_TIMEOUT_MS), boxes.nth(3))
    labels = page.locator('[data-testid="stCheckbox"] label')  # ticked once each stands still
    for i in range(4):
        await labels.nth(i).check(timeout=STEP_TIMEOUT_MS)
    confirm = page.get_by_role("button", name=t("consent.confirm"))
    await confirm.wait_for(timeout=STEP_TIMEOUT_MS)
    for _ in range(200):  # the button is enabled once the fourth tick reached the server
        if await confirm.is_enabled():
            break
        await asyncio.sleep(0.1)


async def _what_shows(page) -> str:
    try:
        text = await page.locator("body").inner_text(timeout=5_000)
    except Exception as exc:  # the tab closed or never drew: say so
        text = f"({type(exc).__name__})"
    return f"{page.url} {' '.join(text.split())[:200]!r}"


async def link_download(page, link):
    """The download that a click on `link` starts. The link opens a new tab (Streamlit's link
    button), which Chromium closes once the answer is an attachment (Playwright reports the
    download on the page that clicked). When none starts within the step timeout, the error
    says what the new tab shows instead: a refusal, a server error, a page still loading."""
    from playwright.async_api import TimeoutError as PlaywrightTimeout

    href = await link.get_attribute("href")
    try:
        async with page.expect_download(timeout=STEP_TIMEOUT_MS) as info:
            await link.click()
        return await info.value
    except PlaywrightTimeout:
        tabs = [await _what_shows(p) for p in page.context.pages if p is not page]
        raise AssertionError(
            f"no download within {STEP_TIMEOUT_MS // 1000} s of the click on "
            f"…{(href or '')[-16:]}; other tabs: {tabs or 'none'}"
        ) from None


async def download_influencers(page, customer: Customer, result: Result, tmp: Path) -> None:
    """Click "Export influencer data" (a link that streams the file from /download/<token>)
    and read the file: it must be this customer's influencers CSV."""
    link = page.get_by_role("link", name=t("export.download.influencers"))
    await link.wait_for(timeout=STEP_TIMEOUT_MS)
    await idle(page)
    started = time.perf_counter()
    download = await link_download(page, link)
    failure = await download.failure()
    if failure:
        result.download_failures.append(
            f"{customer.email}: {failure} after {time.perf_counter() - started:.1f} s"
        )
        return
    path = tmp / f"{customer.account_id}-{download.suggested_filename}"
    await download.save_as(path)
    result.times["download"].append(time.perf_counter() - started)
    content = path.read_bytes()
    header = next(csv.reader(io.StringIO(content.decode("utf-8-sig"))), [])
    if not content.startswith(b"\xef\xbb\xbf") or header[:1] != ["id"]:
        raise AssertionError(f"the CSV is not an influencers file: {content[:40]!r}")


async def session(
    browser,
    target: Target,
    customer: Customer,
    result: Result,
    tmp: Path,
    download: bool = True,
    opening: asyncio.Semaphore | None = None,
) -> None:
    url = target.url
    context = await target.new_context(
        browser, viewport={"width": 1280, "height": 800}, reduced_motion="reduce"
    )
    page = await context.new_page()
    try:
        await sign_in(page, url, customer, result, opening)
        await open_nav(page, t("nav.export"), t("export.title"), result, "export")
        if download:
            await download_influencers(page, customer, result, tmp)
        else:  # the page has told what the file would hold
            rows = t("export.influencers.contains", rows="", columns="").split("{")[0][:12]
            await page.get_by_text(rows).first.wait_for(timeout=STEP_TIMEOUT_MS)
        await open_nav(page, t("nav.cancel"), t("cancel.title"), result, "cancel")
        await walk_to_consent(page, result)
        await _timed(
            result,
            "confirm",
            lambda: page.get_by_role("button", name=t("consent.confirm")).click(),
            page.get_by_text(t("cancel.done_title")),
        )
        await _check_no_traceback(page)
        result.completed += 1
    except Exception as exc:  # counted and reported, never hidden
        waited = str(exc).split("waiting for", 1)[-1].splitlines()[0][:600]
        result.errors.append(f"{customer.email} on {url}: {type(exc).__name__}: {waited}")
        with contextlib.suppress(Exception):
            await page.screenshot(path=str(tmp / f"error-{customer.account_id}.png"))
    finally:
        await context.close()


async def race(browser, targets: list[Target], customer: Customer, per_server: int, result: Result):
    """Several contexts of one customer reach the consents, then all press confirm at once."""
    contexts, pages = [], []
    try:
        for target in targets:
            for _ in range(per_server):
                context = await target.new_context(browser)
                contexts.append(context)
                page = await context.new_page()
                await sign_in(page, target.url, customer, Result())
                await open_nav(page, t("nav.cancel"), t("cancel.title"), Result(), "cancel")
                pages.append(page)
        # the first context starts the flow; the others resume it on a reload
        await walk_to_consent(pages[0], Result())
        for page in pages[1:]:
            await page.reload()
            boxes = page.get_by_role("checkbox")
            await boxes.nth(3).wait_for(timeout=STEP_TIMEOUT_MS)
            labels = page.locator('[data-testid="stCheckbox"] label')
            for i in range(4):
                await labels.nth(i).check()
        for page in pages:
            confirm = page.get_by_role("button", name=t("consent.confirm"))
            for _ in range(200):
                if await confirm.is_enabled():
                    break
                await asyncio.sleep(0.1)
        await asyncio.gather(
            *(p.get_by_role("button", name=t("consent.confirm")).click() for p in pages)
        )
        # each tab ends on the done window, or (when the other tab's confirmation reached the
        # server first) on the scheduled cancellation: the same confirmation number either way
        done = t("cancel.done_title")
        scheduled = t("cancel.already_scheduled", date="").split("{")[0][:30]
        refused = t("cancel.error.already_scheduled")
        for page in pages:
            page_text = (
                page.get_by_text(done)
                .or_(page.get_by_text(scheduled))
                .or_(page.get_by_text(refused))
            )
            await page_text.first.wait_for(timeout=STEP_TIMEOUT_MS)
            await _check_no_traceback(page)
            shown = await page_text.first.inner_text()
            number = await page.get_by_test_id("stMetricValue").first.inner_text()
            kind = "done" if done in shown else "scheduled" if scheduled in shown else "refused"
            result.race_outcomes.append(f"{kind} {number}")
    except Exception as exc:
        result.errors.append(f"race for {customer.email}: {type(exc).__name__}: {exc}"[:400])
        for i, page in enumerate(pages):
            with contextlib.suppress(Exception):
                await page.screenshot(path=str(Path(tempfile.gettempdir()) / f"race-{i}.png"))
    finally:
        for context in contexts:
            await context.close()


async def sees_scheduled(browser, target: Target, customer: Customer) -> bool:
    """A new browser signs in on `target` and finds the cancellation already scheduled."""
    context = await target.new_context(browser)
    try:
        page = await context.new_page()
        await sign_in(page, target.url, customer, Result())
        await open_nav(page, t("nav.cancel"), t("cancel.title"), Result(), "cancel")
        scheduled = t("cancel.already_scheduled", date="").split("{")[0][:30]
        await page.get_by_text(scheduled).wait_for(timeout=STEP_TIMEOUT_MS)
        return await page.get_by_role("button", name=t("cancel.start")).count() == 0
    finally:
        await context.close()


def run(coro) -> object:
    """Run a coroutine on its own event loop in a thread (the caller may be inside Playwright's
    sync API, whose loop already runs in this thread)."""
    box: dict[str, object] = {}

    def target() -> None:
        try:
            box["value"] = asyncio.run(coro)
        except BaseException as exc:
            box["error"] = exc

    thread = threading.Thread(target=target, name="load")
    thread.start()
    thread.join()
    if "error" in box:
        raise box["error"]  # type: ignore[misc]
    return box["value"]


async def run_load(
    urls: list[str | Target],
    customers: list[Customer],
    tmp: Path,
    *,
    racer: Customer | None = None,
    cross_check: bool = False,
    download: bool = True,
    servers: list[Target] | None = None,
) -> Result:
    """The sessions go round `urls`. `servers` (default: `urls`) reaches each server on its
    own, for the tabs of the race (two per server) and the cross-check: the first session
    runs on the first server, the second on the second, and each is then looked up on the
    other (through a proxy: targets pinned by its affinity cookie)."""
    from playwright.async_api import async_playwright

    from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS

    result = Result(sessions=len(customers))
    targets = [as_target(u) for u in urls]
    servers = servers or targets
    async with async_playwright() as p:
        browser = await p.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        started = time.perf_counter()
        opening = asyncio.Semaphore(OPENING_AT_ONCE)
        jobs = [
            session(
                browser,
                servers[i] if cross_check and i < len(servers) else targets[i % len(targets)],
                c,
                result,
                tmp,
                download,
                opening,
            )
            for i, c in enumerate(customers)
        ]
        if racer is not None:
            jobs.append(race(browser, servers, racer, 2, result))
        await asyncio.gather(*jobs)
        result.wall = time.perf_counter() - started
        if cross_check and len(servers) > 1:
            # what one server did, the other shows: sessions 0 and 1 ran on different servers
            for customer, target in ((customers[0], servers[1]), (customers[1], servers[0])):
                where = " ".join([target.url, *(f"{n}={v}" for n, v in target.cookies)])
                if not await sees_scheduled(browser, target, customer):
                    result.errors.append(f"{where} does not show {customer.email}'s cancellation")
                result.cross_checked.append(f"{customer.email} seen on {where}")
        await browser.close()
    return result


def run_behind_nginx(
    front, customers: list[Customer], tmp: Path, *, racer: Customer, download: bool = True
) -> Result:
    """The sessions through nginx (a `tests.support.proxy.Front`), which spreads them over its
    servers by its affinity cookie; the race's tabs and the cross-check are pinned to each
    server by that cookie."""
    from tests.support.proxy import AFFINITY_COOKIE

    servers = [Target(front.url, ((AFFINITY_COOKIE, front.pin(u)),)) for u in front.upstreams]
    return run(
        run_load(
            [front.url],
            customers,
            tmp,
            racer=racer,
            cross_check=True,
            download=download,
            servers=servers,
        )
    )


def proxy_lines(front) -> list[str]:
    """What nginx did: browser sessions (affinity keys that opened a WebSocket) per server,
    the ones answered by more than one server, the errors it logged."""
    browsers = front.servers_by_browser()
    per_server = {u: sum(1 for s in browsers.values() if s == {u}) for u in front.upstreams}
    mixed = [key for key, servers in browsers.items() if len(servers) != 1]
    return [
        "affinity keys per server (one per browser; the pinned race tabs and cross-checks "
        "share one per server): " + ", ".join(f"{u} {n}" for u, n in per_server.items()),
        f"browser sessions answered by more than one server: {len(mixed)}",
        f"nginx errors logged: {len(front.errors())}",
    ]


# --- command line -----------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    from tests.e2e.conftest import running_server
    from tests.support.env import reset_postgres
    from tests.support.proxy import NGINX, behind_nginx

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", type=int, default=20)
    parser.add_argument("--database-url", default="", help="PostgreSQL: two servers share it")
    parser.add_argument("--keep", action="store_true", help="keep the logs and screenshots")
    parser.add_argument(
        "--no-download", action="store_true", help="open Export data without downloading"
    )
    args = parser.parse_args(argv)
    with contextlib.ExitStack() as folders:
        if args.keep:
            tmp = Path(tempfile.mkdtemp(prefix="load-"))
        else:
            tmp = Path(folders.enter_context(tempfile.TemporaryDirectory()))
        print(f"work folder: {tmp}")
        url = args.database_url or f"sqlite:///{tmp / 'portal.db'}"
        if url.startswith("postgres"):
            reset_postgres(url)
        db = open_database(url)
        people = prepare(db, args.sessions + 1)
        customers, racer = people[:-1], people[-1]
        servers = 2 if url.startswith("postgres") else 1
        with contextlib.ExitStack() as stack:
            if servers > 1:  # two servers behind nginx, by deploy/start-behind-nginx.sh
                if not Path(NGINX).exists():
                    print(f"no nginx at {NGINX}: apt-get install nginx")
                    return 2
                front = stack.enter_context(behind_nginx(tmp, url, servers=servers))
                print(f"{dt.datetime.now():%H:%M:%S} nginx {front.url} before {front.upstreams}")
                result = run_behind_nginx(
                    front, customers, tmp, racer=racer, download=not args.no_download
                )
                extra = proxy_lines(front)
            else:
                server = stack.enter_context(running_server(tmp, url, name="server"))
                print(f"{dt.datetime.now():%H:%M:%S} one server on {db.dialect}: {server.url}")
                result = run(
                    run_load(
                        [server.url],
                        customers,
                        tmp,
                        racer=racer,
                        cross_check=True,
                        download=not args.no_download,
                    )
                )
                extra = []
        print("\n".join([*result.lines(), *result.cross_checked, *extra]))
        counts = cancellations(db, [c.account_id for c in people])
        duplicates = {a: c for a, c in counts.items() if c[0] > 1 or c[1] > 1}
        print(f"race outcomes (tab: what it shows, confirmation): {result.race_outcomes}")
        print(f"duplicate cancellations: {duplicates or 'none'}")
        db.engine.dispose()
    return 0 if not result.errors and not duplicates else 1


if __name__ == "__main__":
    sys.exit(main())
