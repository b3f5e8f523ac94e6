"""The demo customer cancels in Italian, in a real browser: survey pop-up, continue, consents,
done window with the right dates, the receipt; and a second customer stays on a custom plan."""

from __future__ import annotations

import datetime as dt
import re

from playwright.sync_api import expect
from pypdf import PdfReader

from core import cancellation
from core.i18n import fmt_date, fmt_money
from tests.e2e.conftest import ROOT
from tests.e2e.test_sign_in_overview import account_show, sign_in


def open_cancel_page(page, server) -> None:
    """Sign in as the demo customer (Italian) and open the page from the top navigation (the
    overview has a "Cancel subscription" link too, so a bare role query can find two)."""
    sign_in(page, server, "customer@demo.test", "demo-customer", "Accedi")
    link = page.get_by_test_id("stTopNav").get_by_role("link", name="Annulla abbonamento")
    expect(link).to_be_visible()
    link.click()
    expect(page.get_by_role("heading", name="Annulla abbonamento", exact=True)).to_be_visible()


def test_the_demo_customer_cancels_in_italian_and_keeps_the_receipt(own_server, page_for, tmp_path):
    server = own_server
    page = page_for("it-IT")
    open_cancel_page(page, server)
    end = dt.date.fromisoformat(account_show(server, "customer@demo.test")["period_end"])
    dates = cancellation.dates_for(end)
    expect(page.get_by_text(fmt_date(dates.data_deleted_on, "it")).first).to_be_visible()
    page.get_by_role("button", name="Inizia l'annullamento").click()

    # step 1: the survey pop-up
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_text("Prima di andare: un breve sondaggio")).to_be_visible()
    dialog.get_by_text("Mancano delle funzioni").click()
    dialog.get_by_role("textbox", name="Quali funzioni mancavano?").fill("Report per TikTok")
    dialog.get_by_role("textbox", name="Vuoi dirci qualcos'altro?").fill("Ottimo servizio ✨ 谢谢")
    dialog.get_by_role("button", name="Invia e continua").click()
    expect(dialog).to_have_count(0)

    # step 2: keep on the left, continue on the right
    keep = page.get_by_role("button", name="Mantieni il mio abbonamento")
    go_on = page.get_by_role("button", name="Continua e annulla")
    expect(go_on).to_be_visible()
    assert keep.bounding_box()["x"] < go_on.bounding_box()["x"]
    go_on.click()

    # step 3: four boxes; confirm stays disabled at three of four
    confirm = page.get_by_role("button", name="Annulla il mio abbonamento")
    expect(
        page.get_by_text(f"fine del tuo ciclo di fatturazione, il {fmt_date(end, 'it')}")
    ).to_be_visible()
    boxes = page.get_by_role("checkbox")
    expect(boxes).to_have_count(4)
    for i in range(3):
        boxes.nth(i).check(force=True)
    expect(confirm).to_be_disabled()
    boxes.nth(3).check(force=True)
    expect(confirm).to_be_enabled()
    confirm.click()

    # step 4: done, with the dates
    expect(page.get_by_text("L'annullamento è ora completato.")).to_be_visible()
    for day in (dates.effective_on, dates.data_deleted_on, dates.reactivate_until):
        expect(page.get_by_text(fmt_date(day, "it"), exact=True).first).to_be_visible()
    number = page.get_by_test_id("stMetricValue").first.inner_text()
    assert re.fullmatch(r"CX-[0-9A-F]{8}", number), number
    page.screenshot(path=str(ROOT / "test-artifacts" / "cancel-done-it.png"), full_page=True)

    with page.expect_download() as download:
        page.get_by_role("button", name="Scarica la ricevuta dell'annullamento (PDF)").click()
    path = tmp_path / download.value.suggested_filename
    download.value.save_as(path)
    assert path.name.endswith(".pdf") and "cancellation-receipt" in path.name
    text = "".join(p.extract_text() for p in PdfReader(path).pages)
    assert number in text and "Ricevuta di annullamento" in text
    assert fmt_date(end, "it") in text

    # the customer writes to customer service from the same window
    page.get_by_role("textbox", name="Il tuo messaggio per il Servizio clienti").fill("Ci ripenso")
    page.get_by_role("button", name="Invia al Servizio clienti").click()
    expect(page.get_by_text("Il Servizio clienti ha ricevuto il tuo messaggio")).to_be_visible()

    # the command line agrees: scheduled for the period end
    account = account_show(server, "customer@demo.test")
    assert account["status"] == "cancellation_scheduled"
    assert account["period_end"] == end.isoformat()

    # a reload shows the scheduled cancellation, never a new flow
    page.reload()
    expect(page.get_by_text(f"programmato per il {fmt_date(end, 'it')}")).to_be_visible()
    expect(page.get_by_role("button", name="Inizia l'annullamento")).to_have_count(0)


def test_a_customer_takes_the_custom_plan_and_stays_active(own_server, page_for):
    server = own_server
    page = page_for("it-IT")
    open_cancel_page(page, server)
    page.get_by_role("button", name="Inizia l'annullamento").click()
    page.get_by_role("dialog").get_by_role("button", name="Salta il sondaggio").click()
    expect(page.get_by_role("dialog")).to_have_count(0)
    page.get_by_text("Configura un piano personalizzato").click()
    seats = page.get_by_role("spinbutton", name="Utenti")
    seats.fill("3")
    seats.press("Enter")
    price = fmt_money(12800, "USD", "it")
    expect(page.get_by_text(f"{price} / mese")).to_be_visible()
    page.get_by_role("button", name="Richiedi questo piano").click()
    expect(page.get_by_text(f"piano personalizzato a {price} al mese")).to_be_visible()
    assert account_show(server, "customer@demo.test")["status"] == "active"
