"""From a customer's survey answer to support undoing the cancellation, in a real browser:
the customer cancels (in Italian) with a comment; the admin finds that comment in the churn
insights and undoes the cancellation from the support desk; the customer signs in again and
sees an active subscription. A phone-wide admin gets a chart and its table, no toolbar."""

from __future__ import annotations

import datetime as dt
import secrets

from playwright.sync_api import expect

from core.platform.i18n import fmt_date, t
from tests.e2e.conftest import ROOT
from tests.support.browser import account_show, open_cancel_page, sign_in


def cancel_with_a_comment(page, server, comment: str) -> None:
    open_cancel_page(page, server)
    page.get_by_role("button", name="Inizia l'annullamento").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_text("Troppo costoso").click()
    dialog.get_by_role("textbox", name="Vuoi dirci qualcos'altro?").fill(comment)
    dialog.get_by_role("button", name="Invia e continua").click()
    expect(dialog).to_have_count(0)
    page.get_by_role("button", name="Continua e annulla").click()
    boxes = page.get_by_role("checkbox")
    expect(boxes).to_have_count(4)
    # ticked as a person does: a click on each label once it stands still
    labels = page.locator('[data-testid="stCheckbox"] label')
    for i in range(4):
        labels.nth(i).check()
    page.get_by_role("button", name="Annulla il mio abbonamento").click()
    expect(page.get_by_text(t("cancel.done_title", "it"), exact=False).first).to_be_visible()


def test_support_finds_the_comment_and_undoes_the_cancellation(own_server, page_for):
    server = own_server
    word = secrets.token_hex(4)
    comment = f"Troppo caro per un team piccolo, codice {word}"
    cancel_with_a_comment(page_for("it-IT"), server, comment)
    account = account_show(server, "customer@demo.test")
    assert account["status"] == "cancellation_scheduled"
    company, end = account["company"], dt.date.fromisoformat(account["period_end"])

    # the admin reads the comment in the churn insights
    admin = page_for("en-US")
    sign_in(admin, server, "admin@demo.test", "demo-admin", "Sign in")
    expect(admin.get_by_role("heading", name="Churn insights")).to_be_visible()
    expect(admin.locator(".js-plotly-plot").first).to_be_visible()
    admin.screenshot(path=str(ROOT / "test-artifacts" / "insights-en.png"), full_page=True)
    admin.get_by_role("radio", name="Comments", exact=True).click()
    search = admin.get_by_role("textbox", name="Search the comments")
    search.fill(word)
    search.press("Enter")
    expect(admin.get_by_text("Answers with a comment: showing 1 of 1.")).to_be_visible()
    expect(admin.get_by_text(comment, exact=True)).to_have_count(1)  # the whole comment
    expect(admin.get_by_text("Too expensive").first).to_be_attached()

    # ... and undoes the cancellation from its row on the support desk, confirming first
    admin.get_by_role("link", name="Support desk").click()
    expect(admin.get_by_role("heading", name="Support desk")).to_be_visible()
    expect(admin.get_by_text(company, exact=True).first).to_be_attached()  # its row
    expect(admin.get_by_role("combobox")).to_have_count(0)  # nothing to pick from a list
    admin.get_by_role("button", name=f"Undo the cancellation of {company}…").click()
    expect(admin.get_by_text(f"(scheduled for {fmt_date(end, 'en')})")).to_be_visible()
    admin.get_by_role("button", name="Yes, do it").click()
    expect(
        admin.get_by_text(
            f"Done: the cancellation of {company} is undone; the subscription is active."
        )
    ).to_be_visible()
    admin.screenshot(path=str(ROOT / "test-artifacts" / "support-en.png"), full_page=True)
    assert account_show(server, "customer@demo.test")["status"] == "active"

    # the customer signs in again: active, renewing at the end of the cycle
    customer = page_for("en-US")
    sign_in(customer, server, "customer@demo.test", "demo-customer", "Sign in")
    expect(customer.get_by_role("heading", name=company)).to_be_visible()
    expect(
        customer.get_by_text(
            f"Your subscription is active. It renews automatically on {fmt_date(end, 'en')}."
        )
    ).to_be_visible()


def test_the_insights_fit_a_phone(server, browser):
    context = browser.new_context(locale="it-IT", viewport={"width": 390, "height": 844})
    try:
        page = context.new_page()
        sign_in(page, server, "admin@demo.test", "demo-admin", "Accedi")
        expect(page.get_by_role("heading", name="Analisi degli annullamenti")).to_be_visible()
        chart = page.locator(".js-plotly-plot").first
        expect(chart).to_be_visible()
        expect(page.locator(".modebar")).to_have_count(0)  # no toolbar over the bars
        assert chart.bounding_box()["width"] <= 390
        # the sections wrap instead of running off the screen
        for name in ("Motivi", "Percorso", "Piano personalizzato", "Commenti"):
            box = page.get_by_role("radio", name=name, exact=True).bounding_box()
            assert box["x"] >= 0 and box["x"] + box["width"] <= 390, name
        # two figure cards a row, not eight stacked before the charts
        first, second = (page.get_by_test_id("stMetric").nth(i).bounding_box() for i in (0, 1))
        assert abs(first["y"] - second["y"]) < 2, (first, second)
        page.get_by_text("Mostra come tabella").first.click()
        expect(page.get_by_role("table").first).to_be_visible()
        assert page.get_by_text("Select all").count() == 0
        page.screenshot(path=str(ROOT / "test-artifacts" / "insights-it-390.png"), full_page=True)
    finally:
        context.close()
