"""The customer's data, counted: shown before an export and before a cancellation."""

import streamlit as st

from core.customers.accounts import DataCounts
from core.platform.i18n import fmt_count
from pages.shell.context import PageContext


def show_counts(ctx: PageContext, counts: DataCounts) -> None:
    items = [
        ("data.searches", counts.searches),
        ("data.influencers", counts.influencers),
        ("data.lists", counts.lists),
        ("data.campaigns", counts.campaigns),
        ("data.reports", counts.reports),
        ("data.invoices", counts.invoices),
    ]
    # A grid (portal.css): six in a row on a desktop, three per row on a phone, where columns
    # would stack six cards 700 px deep before any control
    with st.container(key="data_counts"):
        for key, value in items:
            shown, exact = fmt_count(value, ctx.lang)  # a million does not fit a sixth of a row
            st.metric(ctx.t(key), shown, help=exact, border=True)
