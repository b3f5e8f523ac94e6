"""Hostile names in a real browser: a company and a plan named with Markdown, HTML, a link, an
image, a colour and LaTeX show exactly as typed on the customer's overview and in the support
desk's question, and nothing of them becomes an element (no link, no image, no bold)."""

from __future__ import annotations

from playwright.sync_api import expect
from sqlalchemy import select, update

from core import demo
from core.identity import auth
from core.platform.db import open_database
from core.platform.models import Account, Plan, Subscription, User
from core.retention import cancellation
from core.retention.cancellation import ALL_CONSENTS
from tests.e2e.conftest import running_server
from tests.e2e.gallery import settle
from tests.support.browser import sign_in

COMPANY = (
    "**Evil** _Co_ [x](http://127.0.0.1:9/p) ![i](http://127.0.0.1:9/i.png) <b>b</b> :red[r] "
    "$x^2$ # 1"
)
PLAN = "<img src=x onerror=alert(1)> *Pro* :material/home:"


def injected(page) -> list[str]:
    """Elements the names would make if they were rendered as Markdown or HTML. A bare web
    address that shows itself is allowed: Streamlit's Markdown turns any address in text
    into a link to that same visible address, and no escaping stops it (see
    pages/components/text.py); a link whose text hides where it goes is not."""
    settle(page)
    # one read of the whole page in the browser: a rerun cannot detach elements between reads
    return page.evaluate(
        """() => {
            const main = document.querySelector('[data-testid="stMain"]');
            const made = "img[src*='127.0.0.1:9'], img[src='x'], .katex";
            const found = [...main.querySelectorAll(made)];
            found.push(...[...main.querySelectorAll("strong, em")].filter(
                b => ["Evil", "Co", "Pro"].includes(b.textContent || "")));
            found.push(...[...main.querySelectorAll("a[href*='127.0.0.1:9']")].filter(
                a => (a.textContent || "").trim() !== (a.getAttribute("href") || "").trim()));
            return found.map(e => e.outerHTML.slice(0, 300));
        }"""
    )


def test_hostile_names_show_as_typed_and_render_nothing(tmp_path, page_for):
    url = f"sqlite:///{tmp_path / 'portal.db'}"
    db = open_database(url)
    demo.seed(db)
    with db.transaction() as s:
        account_id = s.scalar(select(User.account_id).where(User.email == demo.DEMO_CUSTOMER_EMAIL))
        plan_id = s.scalar(
            select(Subscription.plan_id).where(Subscription.account_id == account_id)
        )
        s.execute(update(Account).where(Account.id == account_id).values(company=COMPANY))
        s.execute(update(Plan).where(Plan.id == plan_id).values(name=PLAN))
    user = auth.sign_in(db, demo.DEMO_CUSTOMER_EMAIL, demo.DEMO_CUSTOMER_PASSWORD).user
    flow = cancellation.start(db, user)
    cancellation.go_on(db, user, flow.flow_id)
    done = cancellation.confirm(db, user, flow.flow_id, ALL_CONSENTS)
    db.engine.dispose()

    with running_server(tmp_path, url) as server:
        page = page_for("en-US")
        sign_in(page, server, demo.DEMO_CUSTOMER_EMAIL, demo.DEMO_CUSTOMER_PASSWORD, "Sign in")
        heading = page.get_by_role("heading", level=1).first
        expect(heading).to_have_text(COMPANY)
        expect(page.get_by_test_id("stMetricValue").first).to_have_text(PLAN)
        expect(page.get_by_text(f"You are on the {PLAN} plan", exact=False)).to_be_visible()
        assert injected(page) == []

        admin = page_for("en-US")
        sign_in(admin, server, demo.DEMO_ADMIN_EMAIL, demo.DEMO_ADMIN_PASSWORD, "Sign in")
        admin.get_by_role("link", name="Support desk").click()
        expect(admin.get_by_role("heading", name="Support desk")).to_be_visible()
        # The scheduled cancellations are rows, each with its own button naming the company
        admin.get_by_role("button", name=f"Undo the cancellation of {COMPANY}…").click()
        question = admin.get_by_test_id("stAlert").filter(has_text="Undo the cancellation of")
        expect(question).to_contain_text(COMPANY)
        assert injected(admin) == []
        admin.get_by_role("button", name="Yes, do it").click()
        done_text = f"Done: the cancellation of {COMPANY} is undone"
        expect(admin.get_by_text(done_text).first).to_be_visible()
        assert injected(admin) == []
    assert done.company == COMPANY
