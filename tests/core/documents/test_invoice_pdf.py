"""Each invoice as a PDF, in English and Italian: parsed back with pypdf, it states the number,
the dates, the billing cycle, the amount in the locale's format and the company; only the
account's own invoices are given; the overview and Export data offer each one as a streamed
link whose file is that PDF."""

from __future__ import annotations

import datetime as dt
import io
import os
from urllib.parse import urlparse

import pytest
from pypdf import PdfReader
from sqlalchemy import select
from streamlit.testing.v1 import AppTest

from core import demo
from core.customers import accounts
from core.exports import access, links, services
from core.exports.request import INVOICE, ExportRequest
from core.identity import auth
from core.platform.db import open_database
from core.platform.errors import NotAuthorized, NotFound
from core.platform.i18n import fmt_date, fmt_money
from core.platform.models import Subscription
from core.rules import billing
from tests.support import factories
from tests.support.env import NOW, ROOT
from tests.support.exports import get

START, END = dt.date(2026, 11, 8), dt.date(2026, 12, 8)  # the 8th: "l'8" in Italian


@pytest.fixture
def billed(db):
    """Alice (a company name in several scripts) has one invoice; Bob has his own."""
    plan_id = factories.plan(db, "growth", 123456)
    alice = factories.customer(db, "alice@example.com", plan_id, now=NOW, company="Lumière & 佐藤")
    bob = factories.customer(db, "bob@example.com", plan_id, now=NOW, company="Bob Ltd")
    with db.transaction() as s:
        for made in (alice, bob):
            sub = s.scalar(select(Subscription).where(Subscription.account_id == made.account_id))
            accounts.add_invoice(s, sub, START, END)
    return alice, bob


def text_of(content: bytes) -> str:
    reader = PdfReader(io.BytesIO(content))
    assert len(reader.pages) == 1
    return " ".join(reader.pages[0].extract_text().split())


@pytest.mark.parametrize("lang", ["en", "it"])
def test_the_invoice_pdf_states_number_dates_cycle_amount_and_company(db, billed, lang):
    alice, _ = billed
    number = billing.invoice_number(alice.account_id, START)
    actor = access.actor_for_email(db, alice.email)
    made = services.invoice_pdf(db, actor, number, lang=lang, now=NOW)
    assert made.file_name == f"{number}.pdf" and made.mime == "application/pdf"
    text = text_of(made.content)
    assert number in text
    assert fmt_date(START, lang) in text and fmt_date(END, lang) in text
    amount = fmt_money(123456, "USD", lang)
    assert amount in text.replace("\u00a0", " ") or amount.replace("\u00a0", " ") in text
    assert ("$1,234.56" if lang == "en" else "1.234,56") in text
    assert "Lumière & 佐藤" in text
    heading, cycle, paid = {
        "en": ("Invoice", "Billing cycle", "Paid"),
        "it": ("Fattura", "Ciclo di fatturazione", "Pagata"),
    }[lang]
    assert text.startswith(heading) and cycle in text and paid in text
    if lang == "it":
        assert "8 novembre 2026 – 8 dicembre 2026" in text


def test_only_the_accounts_own_invoices(db, billed):
    alice, bob = billed
    alices = billing.invoice_number(alice.account_id, START)
    bob_actor = access.actor_for_email(db, bob.email)
    with pytest.raises(NotAuthorized):  # naming Alice's account
        services.invoice_pdf(db, bob_actor, alices, alice.account_id, now=NOW)
    with pytest.raises(NotFound) as exc:  # Alice's number, in Bob's own account
        services.invoice_pdf(db, bob_actor, alices, now=NOW)
    assert exc.value.key == "invoice.error.not_found"
    for nonsense in ("", " ", "x" * 10_000, None):
        with pytest.raises(NotFound):
            services.invoice_pdf(db, bob_actor, nonsense, now=NOW)
    # and the streamed link made for Alice's invoice gives Bob nothing either
    request = ExportRequest(INVOICE, "pdf", invoice=alices)
    with pytest.raises(NotAuthorized):
        links.download_token(db, bob_actor, request, alice.account_id)


def test_the_overview_offers_each_invoice_and_its_link_downloads_that_pdf(demo_shop):
    db = open_database(os.environ["PORTAL_DATABASE_URL"])
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90)
    at.session_state["lang"] = "it"
    signed = auth.sign_in(db, demo.DEMO_CUSTOMER_EMAIL, demo.DEMO_CUSTOMER_PASSWORD)
    at.session_state["session_id"] = signed.user.session_id
    at.run()
    assert not at.exception, at.exception
    pick = at.selectbox(key="overview_invoice_pick")
    numbers = pick.options
    assert len(numbers) >= 2
    chosen = pick.value  # the newest first
    button = next(b for b in at.link_button if b.key == "overview_invoice_download")
    assert button.proto.label == "Scarica la fattura (PDF)"
    reply = get(urlparse(button.proto.url).path, auth.exchange_code(db, signed.code), "it")
    assert reply.status == 200
    assert reply.headers["content-type"] == "application/pdf"
    number = chosen.split(" · ")[0]
    assert f"{number}.pdf" in reply.headers["content-disposition"]
    text = text_of(reply.body)
    assert text.startswith("Fattura") and number in text
