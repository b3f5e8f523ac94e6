"""Invoices as PDF documents, in the customer's language.

One invoice, one A4 page, drawn by the same engine as the cancellation receipt and the account
report (`core.documents.pdf`): the invoice number, the issue date, the billing cycle it covers, who
issued it and who it is billed to, the amount in the locale's format, and whether it is paid.
The overview and the Export data page offer each invoice as a download
(`core.exports.services.invoice_pdf`, which checks that the invoice is the account's own and
that its data may still be exported), and the ZIP archive holds every invoice as
`invoices/<number>.pdf` (`core.exports.archive`).
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass

from core.customers.accounts import PAID, InvoiceLine
from core.documents import pdf
from core.platform.i18n import fmt_date, fmt_money, t
from core.platform.models import Invoice

ISSUER = "Influencer Portal"
MIME = "application/pdf"
ACCENT = (91, 61, 245)  # the receipt's title colour
GREY = (70, 70, 80)


@dataclass(frozen=True)
class InvoiceDocument(InvoiceLine):
    """What an invoice PDF states: the invoice's line and who it is for (no database row: it
    can be rendered anywhere)."""

    company: str  # billed to
    plan_name: str
    billing_interval: str  # month / year


@dataclass(frozen=True)
class InvoiceFile:
    file_name: str
    content: bytes
    mime: str = MIME


def file_name(number: str) -> str:
    """`<number>.pdf`: invoice numbers are letters, digits and hyphens (`INV-20261110-000001`);
    anything else becomes a hyphen, so the name is safe everywhere (and in a ZIP path)."""
    return re.sub(r"[^A-Za-z0-9-]+", "-", number).strip("-") + ".pdf"


def document(invoice: Invoice, company: str, plan_name: str, interval: str) -> InvoiceDocument:
    return InvoiceDocument(
        **asdict(InvoiceLine.of(invoice)),
        company=company,
        plan_name=plan_name,
        billing_interval=interval,
    )


def render(doc: InvoiceDocument, lang: str) -> bytes:
    """The invoice as a one-page PDF in `lang` (English or Italian)."""
    title = t("invoice.pdf.title", lang, number=doc.number)
    out = pdf.new_document(lang, title=title, author=ISSUER)
    out.add_page()
    pdf.write_line(out, t("invoice.pdf.heading", lang), size=20, bold=True, color=ACCENT)
    out.ln(1)
    pdf.write_line(out, doc.number, size=12, bold=True)
    out.ln(4)
    period = t(
        "overview.cycle_range",
        lang,
        start=fmt_date(doc.period_start, lang),
        end=fmt_date(doc.period_end, lang),
    )
    rows = (
        (t("invoice.pdf.number", lang), doc.number),
        (t("invoice.pdf.issued_on", lang), fmt_date(doc.issued_on, lang)),
        (t("invoice.period", lang), period),
        (t("invoice.pdf.issuer", lang), ISSUER),
        (t("invoice.pdf.billed_to", lang), doc.company),
        (
            t("invoice.pdf.description", lang),
            t(
                "invoice.pdf.subscription",
                lang,
                plan=doc.plan_name,
                interval=t(f"interval.{doc.billing_interval}", lang),
            ),
        ),
        (t("invoice.amount", lang), fmt_money(doc.amount_cents, doc.currency, lang)),
        (t("invoice.status", lang), t(f"invoice.status.{doc.status}", lang)),
    )
    for label, value in rows:
        out.set_font(pdf.FAMILY, "B", 11)
        out.cell(w=60, h=8, text=pdf.fit(out, label, 58))
        out.set_font(pdf.FAMILY, "", 11)
        out.multi_cell(w=0, h=8, text=pdf.clean(value), new_x="LMARGIN", new_y="NEXT")
    out.ln(6)
    total = t(
        "invoice.pdf.total",
        lang,
        amount=fmt_money(doc.amount_cents, doc.currency, lang),
    )
    pdf.write_line(out, total, size=13, bold=True)
    out.ln(2)
    note = "invoice.pdf.paid_note" if doc.status == PAID else "invoice.pdf.open_note"
    pdf.write_line(out, t(note, lang, date=doc.issued_on), size=10, color=GREY)
    return bytes(out.output())
