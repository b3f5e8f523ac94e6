"""The receipt of a retention offer taken: a real PDF, read back with a PDF reader, that says
what changes and from when, with the dates computed from the billing cycle."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from pypdf import PdfReader

from core.documents import receipt
from core.platform.errors import NotAuthorized, NotFound
from core.platform.i18n import fmt_date, fmt_money
from core.platform.models import PlaybookVersion
from core.retention import cancellation, offers
from core.retention.cancellation import Survey
from core.rules.offers import ANY, Offer, Playbook, Rule
from tests.support import factories
from tests.support.env import NOW

# Alice's cycle runs from the 8th: the Italian elides the article before it ("dall'8").
START = dt.date(2026, 3, 8)
PERIOD_END = dt.date(2026, 12, 8)

PLAYBOOK = Playbook(
    offers=(
        Offer("pause2", "pause", cycles=2, title={"en": "Pause", "it": "Sospendi"}),
        Offer("pause1", "pause", cycles=1, title={"en": "Pause", "it": "Sospendi"}),
        Offer("off25", "discount", cycles=3, percent=25, title={"en": "25%", "it": "25%"}),
        Offer("starter", "downgrade", plan_code="starter", title={"en": "S", "it": "S"}),
    ),
    rules=(
        Rule("not_using", ("pause1",)),
        Rule(ANY, ("pause2", "off25", "starter")),
    ),
)


@pytest.fixture
def shop(sqlite_db):
    db = sqlite_db
    _, users = factories.shop(db, now=NOW, start=START, with_bob=True)
    factories.plan(db, "starter", 9800)
    with db.transaction() as s:
        s.add(
            PlaybookVersion(
                number=1,
                status="published",
                content=PLAYBOOK.to_json(),
                note="",
                created_at=NOW,
                published_at=NOW,
            )
        )
    return db, users


def take(db, user, key, reason="too_expensive"):
    flow = cancellation.start(db, user, now=NOW)
    cancellation.answer_survey(db, user, flow.flow_id, Survey(reason), now=NOW)
    return offers.accept(db, user, flow.flow_id, key, now=NOW)


def money(cents: int, lang: str) -> str:
    """An amount as the PDF's text reads back (its no-break space a space)."""
    return " ".join(fmt_money(cents, "USD", lang).split())


def text_of(pdf: bytes) -> str:
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 1
    return " ".join(reader.pages[0].extract_text().split())


@pytest.mark.parametrize("lang", ["en", "it"])
def test_a_pause_receipt_names_its_confirmation_and_the_computed_dates(shop, lang):
    db, users = shop
    done = take(db, users["alice"], "pause2")
    text = text_of(receipt.offer_receipt_pdf(db, users["alice"], done.flow_id, lang))
    assert done.confirmation_number in text
    assert "Acme Srl" in text and "Growth" in text
    assert fmt_date(PERIOD_END, lang) in text
    assert fmt_date(dt.date(2027, 2, 8), lang) in text  # two cycles later
    if lang == "it":
        assert "Ricevuta: hai mantenuto il tuo abbonamento" in text
        assert "sospeso dall'8 dicembre 2026 per 2 cicli di fatturazione" in text
        assert "nessuna fattura fino all'8 febbraio 2027" in text
    else:
        assert "Receipt: you kept your subscription" in text
        assert "paused from December 8, 2026 for 2 billing cycles" in text
        assert "resumes by itself on February 8, 2027" in text
    assert receipt.offer_file_name(done) == "Acme-Srl_offer-receipt_2026-11-26.pdf"


@pytest.mark.parametrize("lang", ["en", "it"])
def test_a_discount_receipt_says_how_much_off_how_many_invoices_and_the_next_amount(shop, lang):
    db, users = shop
    done = take(db, users["alice"], "off25")
    text = text_of(receipt.offer_receipt_pdf(db, users["alice"], done.flow_id, lang))
    assert done.confirmation_number in text
    assert money(18675, lang) in text  # $249.00 less 25%
    assert money(24900, lang) in text
    if lang == "it":
        assert "25% di sconto sulle tue prossime 3 fatture, a partire da quella dell'8" in text
    else:
        assert "25% off your next 3 invoices, from the one of December 8, 2026" in text


@pytest.mark.parametrize("lang", ["en", "it"])
def test_a_downgrade_receipt_names_the_plan_its_price_and_from_when(shop, lang):
    db, users = shop
    done = take(db, users["alice"], "starter")
    text = text_of(receipt.offer_receipt_pdf(db, users["alice"], done.flow_id, lang))
    assert done.confirmation_number in text
    assert "Starter" in text and money(9800, lang) in text
    assert fmt_date(PERIOD_END, lang) in text
    if lang == "it":
        assert "Il tuo piano diventa Starter dall'8 dicembre 2026" in text
    else:
        assert "From December 8, 2026 your plan is Starter" in text


def test_a_one_cycle_pause_reads_in_the_singular(shop):
    db, users = shop
    done = take(db, users["alice"], "pause1", reason="not_using")
    text = text_of(receipt.offer_receipt_pdf(db, users["alice"], done.flow_id, "it"))
    assert "per un ciclo di fatturazione" in text and "fino all'8 gennaio 2027" in text


def test_no_receipt_without_an_offer_taken_nor_for_someone_else(shop):
    db, users = shop
    flow = cancellation.start(db, users["alice"], now=NOW)
    with pytest.raises(NotFound):
        receipt.offer_receipt_pdf(db, users["alice"], flow.flow_id, "en")
    cancellation.answer_survey(db, users["alice"], flow.flow_id, None, now=NOW)
    done = offers.accept(db, users["alice"], flow.flow_id, "pause2", now=NOW)
    with pytest.raises(NotAuthorized):
        receipt.offer_receipt_pdf(db, users["bob"], done.flow_id, "en")
