"""Steps in a real browser (Playwright) that several end-to-end tests take."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from playwright.sync_api import expect

from tests.support.env import ROOT


def account_show(server, email: str) -> dict:
    out = subprocess.run(
        [sys.executable, "-m", "core", "account", "show", "--email", email, "--json"],
        cwd=ROOT,
        env={**os.environ, "PORTAL_DATABASE_URL": server.database_url},
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout)


def sign_in(page, server, email: str, password: str, button: str) -> None:
    page.goto(server.url)
    page.get_by_role("textbox", name="Email", exact=True).fill(email)
    page.get_by_role("textbox", name="Password", exact=True).fill(password)
    page.get_by_role("button", name=button).click()


def open_cancel_page(page, server) -> None:
    """Sign in as the demo customer (Italian) and open the page by its link (the navigation
    and the overview both have one; the first is taken, both lead to the same page)."""
    sign_in(page, server, "customer@demo.test", "demo-customer", "Accedi")
    link = page.get_by_role("link", name="Annulla abbonamento", exact=True).first
    expect(link).to_be_visible()
    link.click()
    expect(page.get_by_role("heading", name="Annulla abbonamento", exact=True)).to_be_visible()
