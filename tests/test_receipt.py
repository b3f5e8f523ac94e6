"""The cancellation receipt: a real PDF, read back with a PDF reader."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from pypdf import PdfReader

from core import auth, cancellation, receipt
from core.errors import NotFound
from core.i18n import fmt_date
from tests import factories
from tests.conftest import NOW


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
