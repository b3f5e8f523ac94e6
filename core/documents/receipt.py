"""The cancellation receipt: a one-page PDF the customer keeps."""

from __future__ import annotations

import re

from core.documents import pdf
from core.identity.auth import CurrentUser
from core.platform.db import Database
from core.platform.errors import NotFound
from core.platform.i18n import fmt_date, fmt_datetime, t
from core.retention.cancellation import Scheduled, scheduled


def file_name(info: Scheduled) -> str:
    company = re.sub(r"[^\w-]+", "-", info.company, flags=re.UNICODE).strip("-") or "account"
    return f"{company}_cancellation-receipt_{info.requested_at:%Y-%m-%d}.pdf"


def receipt_pdf(db: Database, actor: CurrentUser | None, lang: str) -> bytes:
    """The receipt of the customer's scheduled cancellation, in their language."""
    info = scheduled(db, actor)
    if info is None:
        raise NotFound()
    return render(info, lang)


def render(info: Scheduled, lang: str) -> bytes:
    doc = pdf.new_document(lang, title=t("receipt.title", lang), author="Influencer Portal")
    doc.add_page()
    pdf.write_line(doc, t("receipt.title", lang), size=20, bold=True, color=(91, 61, 245))
    doc.ln(4)
    pdf.write_line(doc, t("receipt.intro", lang, date=info.dates.effective_on), size=11)
    doc.ln(4)
    rows = (
        (t("cancel.confirmation", lang), info.confirmation_number),
        (t("receipt.account", lang), info.company),
        (t("receipt.plan", lang), info.plan_name),
        (t("receipt.requested", lang), fmt_datetime(info.requested_at, lang) + " UTC"),
        (t("cancel.effective", lang), fmt_date(info.dates.effective_on, lang)),
        (t("cancel.deleted_on", lang), fmt_date(info.dates.data_deleted_on, lang)),
        (t("cancel.reactivate_until", lang), fmt_date(info.dates.reactivate_until, lang)),
    )
    for label, value in rows:
        doc.set_font(pdf.FAMILY, "B", 11)
        doc.cell(w=70, h=8, text=pdf.fit(doc, label, 68))
        doc.set_font(pdf.FAMILY, "", 11)
        doc.multi_cell(w=0, h=8, text=pdf.clean(value), new_x="LMARGIN", new_y="NEXT")
    doc.ln(6)
    pdf.write_line(
        doc,
        t("receipt.access", lang, date=info.dates.effective_on),
        size=10,
        color=(70, 70, 80),
    )
    doc.ln(2)
    undo = t(
        "receipt.undo",
        lang,
        until=info.dates.resume_until,
        reactivate=info.dates.reactivate_until,
    )
    pdf.write_line(doc, undo, size=10, color=(70, 70, 80))
    return bytes(doc.output())
