"""The "Churn report" PDF: the insights page as filtered, in the admin's language: the figures
with their change against the period before, the churn rates, revenue at risk, the charts
(drawn by `core.documents.pdf_charts`, no browser) and the top comments.

This module gathers the figures from the page's own use cases (so the report says what the page
says); `core.insights.churn_report_pages` draws them."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from core.identity.auth import CurrentUser, require_admin
from core.insights.at_risk import revenue_at_risk
from core.insights.churn import churn_rates
from core.insights.churn_report_pages import ChurnReportData, render
from core.insights.comments import comments
from core.insights.crosstabs import crosstabs
from core.insights.figures import figures, insights
from core.insights.filters import Filters, check
from core.platform import clock
from core.platform.db import Database
from core.platform.i18n import normalise_language, t
from core.platform.models import Plan

REPORT_AT_RISK = 40  # accounts listed in the report (the figures count them all)
REPORT_COMMENTS = 10  # the newest comments printed, whole


def _plan_names(db: Database) -> dict[str, str]:
    with db.transaction() as s:
        return {code: name for code, name in s.execute(select(Plan.code, Plan.name))}


def _gather(
    db: Database, actor: CurrentUser | None, filters: Filters, today: dt.date
) -> ChurnReportData:
    before = filters.previous()
    current = insights(db, actor, filters)
    return ChurnReportData(
        filters=filters,
        previous=before,
        today=today,
        plan_names=_plan_names(db),
        figures=current.figures,
        previous_figures=figures(db, actor, before) if before else None,
        reasons=current.reasons,
        rates=churn_rates(db, actor, filters, today=today),
        previous_rates=churn_rates(db, actor, before, today=today) if before else None,
        at_risk=revenue_at_risk(db, actor, filters, today=today, limit=REPORT_AT_RISK),
        crosstabs=crosstabs(db, actor, filters),
        comments=comments(db, actor, filters, limit=REPORT_COMMENTS),
    )


def churn_report_file_name(filters: Filters, lang: str) -> str:
    """ "churn-report_2026-01-01_2026-03-31.pdf" (Italian "report-annullamenti_..."): the name
    and the dates of the range, "all" for an open end."""
    stem = t("churn_report.file_stem", normalise_language(lang))
    days = [d.isoformat() if d else "all" for d in (filters.start, filters.end)]
    return f"{stem}_{days[0]}_{days[1]}.pdf"


def churn_report_pdf(
    db: Database,
    actor: CurrentUser | None,
    filters: Filters,
    lang: str,
    *,
    today: dt.date | None = None,
) -> bytes:
    """The Churn report of these filters as PDF bytes, in `lang` (admins only)."""
    require_admin(actor)
    filters = check(filters)
    data = _gather(db, actor, filters, today or clock.today())
    return render(data, normalise_language(lang))
