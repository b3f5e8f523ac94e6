"""The demo customer cancels in Italian, in a real browser: survey pop-up, continue, consents,
done window with the right dates, the receipt, then resumes the subscription; and a customer
asks for a custom plan (an out-of-range value refused, the shown price requested)."""

from __future__ import annotations

import datetime as dt
import re

from playwright.sync_api import expect
from pypdf import PdfReader

from core.platform.i18n import fmt_date, fmt_money, fmt_number, t
from core.retention import records
from tests.e2e import gallery
from tests.e2e.conftest import ROOT
from tests.support.browser import account_show, open_cancel_page


def test_the_demo_customer_cancels_in_italian_and_keeps_the_receipt(own_server, page_for, tmp_path):
    server = own_server
    page = page_for("it-IT")
    open_cancel_page(page, server)
    end = dt.date.fromisoformat(account_show(server, "customer@demo.test")["period_end"])
    dates = records.dates_for(end)
    expect(page.get_by_text(fmt_date(dates.data_deleted_on, "it")).first).to_be_visible()
    page.get_by_role("button", name="Inizia l'annullamento").click()

    # step 1: the survey pop-up
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_text("Prima di andare: un breve sondaggio")).to_be_visible()
    expect(dialog.get_by_role("button", name="Close")).to_have_count(0)  # no English "Close"
    dialog.get_by_text("Mancano delle funzioni").click()
    dialog.get_by_role("textbox", name="Quali funzioni mancavano?").fill("Report per TikTok")
    dialog.get_by_role("textbox", name="Vuoi dirci qualcos'altro?").fill("Ottimo servizio ✨ 谢谢")
    # satisfaction: a labelled choice in Italian (no "1 out of 5 stars" read out in English)
    satisfaction = dialog.get_by_role("radiogroup", name="Quanto sei soddisfatto nel complesso?")
    satisfaction.get_by_text("4 – soddisfatto", exact=True).click()
    expect(dialog.get_by_text("out of 5")).to_have_count(0)
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
    when = t(
        "consent.when",
        "it",
        end=dates.effective_on,
        deleted=dates.data_deleted_on,
        reactivate=dates.reactivate_until,
    )
    expect(page.get_by_text(when)).to_be_visible()
    consent = t("consent.body", "it", deleted=dates.data_deleted_on).replace("**", "")
    expect(page.get_by_text(consent)).to_be_visible()
    boxes = page.get_by_role("checkbox")
    expect(boxes).to_have_count(4)
    # ticked as a person does: a click on each label once it stands still
    labels = page.locator('[data-testid="stCheckbox"] label')
    for i in range(3):
        labels.nth(i).check()
    expect(confirm).to_be_disabled()
    labels.nth(3).check()
    expect(confirm).to_be_enabled()
    confirm.click()

    # step 4: done: scheduled for the date, in the same words as on every later visit
    scheduled = t("cancel.already_scheduled", "it", date=end)
    expect(page.get_by_text(f"{t('cancel.done_title', 'it')} {scheduled}")).to_be_visible()
    for day in (dates.effective_on, dates.data_deleted_on, dates.reactivate_until):
        expect(page.get_by_text(fmt_date(day, "it"), exact=True).first).to_be_visible()
    number = page.get_by_test_id("stMetricValue").first.inner_text()
    assert re.fullmatch(r"CX-[A-HJ-NP-Z2-9]{8}", number), number
    page.screenshot(path=str(ROOT / "test-artifacts" / "cancel-done-it.png"), full_page=True)

    with page.expect_download() as download:
        page.get_by_role("button", name="Scarica la ricevuta dell'annullamento (PDF)").click()
    path = tmp_path / download.value.suggested_filename
    download.value.save_as(path)
    assert path.name.endswith(".pdf") and "cancellation-receipt" in path.name
    text = "".join(p.extract_text() for p in PdfReader(path).pages)
    assert number in text and "Ricevuta di annullamento" in text
    assert fmt_date(end, "it") in text

    # the customer writes to customer service from the same window (once the page has settled:
    # under load a field still being redrawn was there twice, the old one and the new)
    gallery.settle(page)
    page.get_by_role("textbox", name="Il tuo messaggio per il Servizio clienti").fill("Ci ripenso")
    page.get_by_role("button", name="Invia al Servizio clienti").click()
    expect(page.get_by_text("Il Servizio clienti ha ricevuto il tuo messaggio")).to_be_visible()

    # the command line agrees: scheduled for the period end
    account = account_show(server, "customer@demo.test")
    assert account["status"] == "cancellation_scheduled"
    assert account["period_end"] == end.isoformat()

    # a reload shows the scheduled cancellation, never a new flow
    page.reload()
    expect(page.get_by_text(scheduled)).to_be_visible()
    expect(page.get_by_role("button", name="Inizia l'annullamento")).to_have_count(0)

    # changed their mind: the customer resumes the subscription themselves
    page.get_by_role("button", name="Riprendi il mio abbonamento").click()
    expect(page.get_by_text(t("journey.resume.done", "it", date=end))).to_be_visible()
    expect(page.get_by_role("button", name="Inizia l'annullamento")).to_be_visible()
    assert account_show(server, "customer@demo.test")["status"] == "active"


def test_a_customer_takes_the_custom_plan_and_stays_active(own_server, page_for):
    server = own_server
    page = page_for("it-IT")
    open_cancel_page(page, server)
    page.get_by_role("button", name="Inizia l'annullamento").click()
    page.get_by_role("dialog").get_by_role("button", name="Salta il sondaggio").click()
    expect(page.get_by_role("dialog")).to_have_count(0)
    page.get_by_text("Configura un piano personalizzato").click()
    searches = page.get_by_role("spinbutton", name="Ricerche al mese")
    searches.fill("99999")
    page.get_by_role("button", name="Aggiorna il prezzo").click()
    refused = t(
        "journey.plan.out_of_range",
        "it",
        what="Ricerche al mese",
        least=fmt_number(0, "it"),
        most=fmt_number(5000, "it"),
    )
    expect(page.get_by_text(refused)).to_be_visible()
    expect(page.get_by_text("Press Enter")).to_have_count(0)
    searches.fill("100")
    seats = page.get_by_role("spinbutton", name="Utenti")
    seats.fill("3")
    page.get_by_role("button", name="Aggiorna il prezzo").click()
    price = fmt_money(12800, "USD", "it")
    expect(page.get_by_text(f"{price} / mese")).to_be_visible()
    # while the form re-renders, the button before and the button after can both be there
    ask = page.get_by_role("button", name="Richiedi questo piano")
    expect(ask).to_have_count(1)
    ask.click()
    expect(page.get_by_text("Grazie: la tua richiesta n.")).to_be_visible()
    expect(page.get_by_text("Utenti: 3 · Campagne attive: 2")).to_be_visible()
    expect(page.get_by_text(f"Prezzo: {price} al mese.")).to_be_visible()
    assert account_show(server, "customer@demo.test")["status"] == "active"
