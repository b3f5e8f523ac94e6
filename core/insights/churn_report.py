"""The "Churn report" PDF: the insights page as filtered, in the admin's language: the figures
with their change against the period before, the churn rates, revenue at risk, the charts
(drawn by `core.documents.pdf_charts`, no browser) and the top comments."""

from __future__ import annotations

import datetime as dt

from core.identity.auth import CurrentUser
from core.insights.filters import Filters
from core.platform.db import Database


def churn_report_file_name(filters: Filters, lang: str) -> str:
    raise NotImplementedError


def churn_report_pdf(
    db: Database,
    actor: CurrentUser | None,
    filters: Filters,
    lang: str,
    *,
    today: dt.date | None = None,
) -> bytes:
    raise NotImplementedError
