"""One invoice as a PDF, chosen from a list: for the overview's invoice block and Export data.

A select of the invoice (number, date, amount) and a link that streams its PDF from the server
(`/download/<token>`, `core/web/http.py`): the PDF is drawn only when the link is opened, with
every check made again then (`core.exports.open_for_export`). Usable at 390 px: the select and
the link stack.
"""

from __future__ import annotations

from collections.abc import Sequence

import streamlit as st

from core import exports
from core.customers.accounts import InvoiceLine
from core.platform.i18n import fmt_date, fmt_money
from pages.shell.choices import kept
from pages.shell.context import PageContext


def invoice_download(ctx: PageContext, lines: Sequence[InvoiceLine], key: str) -> None:
    """The select and the download link; nothing when there are no invoices."""
    if not lines:
        return
    labels = {
        line.number: ctx.t(
            "invoice.option",
            number=line.number,
            date=fmt_date(line.issued_on, ctx.lang, "medium"),
            amount=fmt_money(line.amount_cents, line.currency, ctx.lang),
        )
        for line in lines
    }
    number = st.selectbox(
        ctx.t("invoice.pick"), list(labels), format_func=labels.__getitem__, key=kept(f"{key}_pick")
    )
    request = exports.ExportRequest(exports.INVOICE, "pdf", invoice=number)
    token = exports.download_token(ctx.db, ctx.user, request, lang=ctx.lang)
    st.link_button(
        ctx.t("invoice.download"),
        f"/download/{token}",
        icon=":material/receipt_long:",
        key=f"{key}_download",
    )
