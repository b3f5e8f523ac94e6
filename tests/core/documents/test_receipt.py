"""The cancellation receipt: a real PDF, read back with a PDF reader."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from pypdf import PdfReader

from core.documents import receipt
from core.identity import auth
from core.platform import i18n
from core.platform.errors import NotFound
from core.platform.i18n import fmt_date
from core.retention import cancellation
from tests.support import factories
from tests.support.env import NOW


@pytest.mark.parametrize("lang", ["en", "it"])
def test_the_receipt_names_the_cancellation_in_the_users_language(sqlite_db, lang):
    db = sqlite_db
    plan_id = factories.plan(db)
    company = "Lumière & Co. Агентство 佐藤 ✨"
    factories.customer(
        db, "a@example.com", plan_id, now=NOW, start=dt.date(2026, 3, 10), company=company
    )
    user = auth.sign_in(db, "a@example.com", factories.PASSWORD, now=NOW).user
    with pytest.raises(NotFound):
        receipt.receipt_pdf(db, user, lang)  # nothing scheduled yet
    flow = cancellation.start(db, user, now=NOW)
    cancellation.go_on(db, user, flow.flow_id, now=NOW)
    done = cancellation.confirm(db, user, flow.flow_id, cancellation.ALL_CONSENTS, now=NOW)

    reader = PdfReader(io.BytesIO(receipt.receipt_pdf(db, user, lang)))
    assert len(reader.pages) == 1
    text = reader.pages[0].extract_text()
    assert done.confirmation_number in text
    assert "Lumière" in text and "Агентство" in text and "佐藤" in text
    assert fmt_date(dt.date(2026, 12, 10), lang) in text  # effective date
    assert fmt_date(dt.date(2027, 2, 10), lang) in text  # deletion date
    assert ("Cancellation receipt" if lang == "en" else "Ricevuta di annullamento") in text
    assert (
        receipt.file_name(done) == "Lumière-Co-Агентство-佐藤_cancellation-receipt_2026-11-26.pdf"
    )


@pytest.mark.parametrize("lang", ["en", "it"])
def test_the_receipt_says_scheduled_and_until_when_it_can_be_resumed(sqlite_db, lang):
    """The same words as the pages: scheduled for the date (not "complete"), resumable by the
    customer until the day before, reactivation by support until its deadline."""
    db = sqlite_db
    plan_id = factories.plan(db)
    factories.customer(db, "a@example.com", plan_id, now=NOW, start=dt.date(2026, 3, 10))
    user = auth.sign_in(db, "a@example.com", factories.PASSWORD, now=NOW).user
    flow = cancellation.start(db, user, now=NOW)
    cancellation.go_on(db, user, flow.flow_id, now=NOW)
    done = cancellation.confirm(db, user, flow.flow_id, cancellation.ALL_CONSENTS, now=NOW)
    reader = PdfReader(io.BytesIO(receipt.receipt_pdf(db, user, lang)))
    text = " ".join(reader.pages[0].extract_text().split())
    dates = done.dates
    assert dates.resume_until == dt.date(2026, 12, 9)
    assert " ".join(i18n.t("receipt.intro", lang, date=dates.effective_on).split()) in text
    undo = i18n.t("receipt.undo", lang, until=dates.resume_until, reactivate=dates.reactivate_until)
    assert " ".join(undo.split()) in text
