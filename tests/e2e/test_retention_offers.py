"""A leaving customer who says "too expensive" is offered the playbook's pause, in a real
browser, in Italian: the survey pop-up, the offer on step 2 with its computed dates, the pause
taken (the done screen, its receipt), and the account paused from the end of its cycle in
`python -m core account show --json`."""

from __future__ import annotations

import datetime as dt

from playwright.sync_api import expect
from pypdf import PdfReader

from core import demo
from core.identity import auth
from core.platform.db import open_database
from core.platform.i18n import fmt_date, t
from core.retention import experiments
from core.retention import playbook as playbooks
from core.rules import billing
from core.rules.offers import Offer, Playbook, Rule
from core.rules.vocabulary import ANY
from tests.support.browser import account_show, open_cancel_page

PAUSE = Offer(
    key="pause2",
    kind="pause",
    cycles=2,
    title={"en": "Take a break", "it": "Prenditi una pausa"},
    body={"en": "Keep your data.", "it": "Tieni i tuoi dati."},
)
CUSTOM = Offer(
    key="custom",
    kind="custom_plan",
    title={"en": "Customise your plan", "it": "Personalizza il tuo piano"},
)
PLAYBOOK = Playbook(
    offers=(PAUSE, CUSTOM),
    rules=(Rule("too_expensive", ("pause2",)), Rule(ANY, ("custom",))),
)


def publish(database_url: str) -> None:
    """The admin publishes the playbook (and stops any experiment the demo runs, so every
    account sees the newest published version)."""
    db = open_database(database_url)
    try:
        admin = auth.sign_in(db, demo.DEMO_ADMIN_EMAIL, demo.DEMO_ADMIN_PASSWORD).user
        for e in experiments.experiments(db, admin):
            if e.running:
                experiments.stop(db, admin, e.id)
        draft = playbooks.save_draft(db, admin, PLAYBOOK)
        playbooks.publish(db, admin, draft.number)
    finally:
        db.engine.dispose()


def test_too_expensive_is_offered_a_pause_and_takes_it_in_italian(own_server, page_for, tmp_path):
    server = own_server
    page = page_for("it-IT")
    open_cancel_page(page, server)  # the first visit seeds the demo data
    publish(server.database_url)
    end = dt.date.fromisoformat(account_show(server, demo.DEMO_CUSTOMER_EMAIL)["period_end"])
    resume = billing.add_months(end, 2)
    page.get_by_role("button", name="Inizia l'annullamento").click()

    dialog = page.get_by_role("dialog")
    dialog.get_by_text(t("reason.too_expensive", "it"), exact=True).click()
    dialog.get_by_role("button", name="Invia e continua").click()
    expect(dialog).to_have_count(0)

    # step 2: the two buttons, and the playbook's pause with its dates
    keep = page.get_by_role("button", name="Mantieni il mio abbonamento")
    go_on = page.get_by_role("button", name="Continua e annulla")
    pause = page.get_by_role("button", name="Sospendi per 2 mesi")
    expect(pause).to_be_visible()
    assert keep.bounding_box()["x"] < go_on.bounding_box()["x"]
    assert go_on.bounding_box()["y"] < pause.bounding_box()["y"]  # the offers below them
    expect(page.get_by_text("Prenditi una pausa")).to_be_visible()
    terms = t("retention_offer.terms.pause", "it", start=end, resume=resume)
    expect(page.get_by_text(terms)).to_be_visible()
    pause.click()

    # done: what changes and from when, the confirmation number, the receipt
    expect(page.get_by_text(t("retention_offer.done.title", "it"))).to_be_visible()
    expect(pause).to_have_count(0)  # step 2 is gone once the done screen is drawn
    expect(page.get_by_text(terms)).to_be_visible()
    number = page.get_by_test_id("stMetricValue").first.inner_text()
    with page.expect_download() as download:
        page.get_by_role("button", name=t("retention_offer.done.receipt", "it")).click()
    path = tmp_path / download.value.suggested_filename
    download.value.save_as(path)
    text = "\n".join(p.extract_text() for p in PdfReader(path).pages)
    assert number in text
    assert fmt_date(resume, "it") in text

    shown = account_show(server, demo.DEMO_CUSTOMER_EMAIL)
    assert shown["status"] == "active"
    assert shown["pause_starts_on"] == end.isoformat()
    assert shown["paused_until"] == resume.isoformat()

    # the overview says when the pause starts and ends
    page.get_by_role("link", name=t("retention_offer.done.back", "it")).click()
    pending = t("retention_offer.pause_pending", "it", start=end, resume=resume)
    expect(page.get_by_text(pending)).to_be_visible()
    expect(page.get_by_role("button", name="Revoca la sospensione")).to_be_visible()
