"""The receipts a customer keeps, one page each: of a scheduled cancellation, and of a
retention offer taken instead (a pause, a discount, a cheaper plan)."""

from __future__ import annotations

import re

from core.documents import pdf
from core.identity.auth import CurrentUser
from core.platform.db import Database
from core.platform.errors import NotFound
from core.platform.i18n import fmt_date, fmt_datetime, fmt_money, t
from core.retention.cancellation import Scheduled, scheduled
from core.retention.offers import Accepted, OfferTerms, accepted
from core.rules.vocabulary import OFFER_KIND_DISCOUNT, OFFER_KIND_PAUSE


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


# --- a retention offer taken -----------------------------------------------------------------


def _slug(company: str) -> str:
    return re.sub(r"[^\w-]+", "-", company, flags=re.UNICODE).strip("-") or "account"


def offer_file_name(info: Accepted) -> str:
    return f"{_slug(info.company)}_offer-receipt_{info.accepted_at:%Y-%m-%d}.pdf"


def offer_receipt_pdf(db: Database, actor: CurrentUser | None, flow_id: str, lang: str) -> bytes:
    """The receipt of the offer the customer took in this flow, in their language."""
    info = accepted(db, actor, flow_id)
    if info is None:
        raise NotFound()
    return render_offer(info, lang)


def offer_summary(terms: OfferTerms, lang: str) -> str:
    """What changes and from when, in a sentence or two."""
    money = {
        "price": fmt_money(terms.current_price_cents, terms.currency, lang),
        "new_price": fmt_money(terms.new_price_cents or 0, terms.currency, lang),
        "interval": t(f"interval.{terms.billing_interval}", lang),
    }
    one = "_one" if terms.cycles == 1 else ""
    if terms.kind == OFFER_KIND_PAUSE:
        return t(
            f"offers.receipt.pause{one}",
            lang,
            start=terms.starts_on,
            resume=terms.resumes_on,
            cycles=terms.cycles,
            **money,
        )
    if terms.kind == OFFER_KIND_DISCOUNT:
        return t(
            f"offers.receipt.discount{one}",
            lang,
            start=terms.starts_on,
            cycles=terms.cycles,
            percent=terms.percent,
            **money,
        )
    return t("offers.receipt.downgrade", lang, start=terms.starts_on, plan=terms.plan_name, **money)


def render_offer(info: Accepted, lang: str) -> bytes:
    terms = info.terms
    title = t("offers.receipt.title", lang)
    doc = pdf.new_document(lang, title=title, author="Influencer Portal")
    doc.add_page()
    pdf.write_line(doc, title, size=20, bold=True, color=(91, 61, 245))
    doc.ln(4)
    pdf.write_line(doc, t("offers.receipt.intro", lang), size=11)
    doc.ln(4)
    rows = [
        (t("cancel.confirmation", lang), info.confirmation_number),
        (t("receipt.account", lang), info.company),
        (t("receipt.plan", lang), info.plan_name),
        (t("offers.receipt.accepted", lang), fmt_datetime(info.accepted_at, lang) + " UTC"),
        (t("offers.receipt.offer", lang), t(f"offers.kind.{info.kind}", lang)),
    ]
    if terms.starts_on is not None:
        rows.append((t("offers.receipt.starts", lang), fmt_date(terms.starts_on, lang)))
    if terms.resumes_on is not None:
        rows.append((t("offers.receipt.pause_ends", lang), fmt_date(terms.resumes_on, lang)))
    if terms.plan_name:
        rows.append((t("offers.receipt.new_plan", lang), terms.plan_name))
    if terms.new_price_cents is not None:
        amount = fmt_money(terms.new_price_cents, terms.currency, lang)
        rows.append((t("offers.receipt.next_invoice", lang), amount))
    for label, value in rows:
        doc.set_font(pdf.FAMILY, "B", 11)
        doc.cell(w=70, h=8, text=pdf.fit(doc, label, 68))
        doc.set_font(pdf.FAMILY, "", 11)
        doc.multi_cell(w=0, h=8, text=pdf.clean(value), new_x="LMARGIN", new_y="NEXT")
    doc.ln(6)
    pdf.write_line(doc, offer_summary(terms, lang), size=10, color=(70, 70, 80))
    doc.ln(2)
    pdf.write_line(doc, t("offers.receipt.change", lang), size=10, color=(70, 70, 80))
    return bytes(doc.output())
