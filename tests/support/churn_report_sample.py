"""A Churn report's data built by hand (no database): what the drawing tests print and read
back. Its figures are chosen so that every formatted value is distinct in the text."""

from __future__ import annotations

import datetime as dt

from core.insights.at_risk import AtRiskAccount, RevenueAtRisk
from core.insights.churn import Churn, ChurnRates
from core.insights.churn_report_pages import ChurnReportData
from core.insights.comments import Comment, Comments
from core.insights.crosstabs import CrossTab, CrossTabs, ReasonLoss
from core.insights.figures import Figures
from core.insights.filters import Filters

Q1 = Filters(dt.date(2026, 1, 1), dt.date(2026, 3, 31), ("growth", "pro"), ("IT", "DE"), ("1-2y",))
BEFORE = Filters(dt.date(2025, 10, 2), dt.date(2025, 12, 31), Q1.plans, Q1.countries, Q1.tenures)
CYRILLIC, CJK = "Ромашка ООО", "株式会社さくら"


def churn(start: str, end: str, base: int, mrr: int, churned: int, lost: int) -> Churn:
    return Churn(dt.date.fromisoformat(start), dt.date.fromisoformat(end), base, mrr, churned, lost)


def sample() -> ChurnReportData:
    figures = Figures(
        started=1234,
        completed=321,
        saved_kept=40,
        saved_offer=7,
        undone=3,
        abandoned=11,
        answered=600,
        skipped=200,
        revenue_lost_cents=7993212,
        revenue_saved_cents=1170300,
        revenue_undone_cents=0,
    )
    before = Figures(1000, 300, 30, 10, 5, 9, 500, 500, 7000000, 1200000, 0)
    rates = ChurnRates(
        filters=Q1,
        overall=churn("2026-01-01", "2026-03-31", 800, 19920000, 64, 1593600),
        by_plan=(
            ("growth", churn("2026-01-01", "2026-03-31", 600, 14940000, 60, 1494000)),
            ("pro", churn("2026-01-01", "2026-03-31", 200, 4980000, 4, 99600)),
        ),
        by_country=(
            ("IT", churn("2026-01-01", "2026-03-31", 500, 12450000, 50, 1245000)),
            ("DE", churn("2026-01-01", "2026-03-31", 300, 7470000, 14, 348600)),
        ),
        trend=(
            churn("2026-01-01", "2026-01-31", 800, 19920000, 16, 398400),
            churn("2026-02-01", "2026-02-28", 784, 19521600, 24, 597600),
            churn("2026-03-01", "2026-03-31", 760, 18924000, 24, 597600),
        ),
    )
    previous = ChurnRates(
        filters=BEFORE,
        overall=churn("2025-10-02", "2025-12-31", 700, 17430000, 42, 1045800),
        by_plan=(),
        by_country=(),
        trend=(
            churn("2025-10-02", "2025-10-31", 700, 17430000, 21, 522900),
            churn("2025-11-01", "2025-11-30", 679, 16907100, 7, 174300),
            churn("2025-12-01", "2025-12-31", 672, 16732800, 14, 348600),
        ),
    )
    at_risk = RevenueAtRisk(
        today=dt.date(2026, 4, 10),
        count=3,
        monthly_cents=74700,
        by_day=((dt.date(2026, 4, 20), 2, 49800), (dt.date(2026, 5, 2), 1, 24900)),
        accounts=(
            AtRiskAccount(7, CYRILLIC, "growth", "IT", 24900, dt.date(2026, 4, 20)),
            AtRiskAccount(8, CJK, "growth", "DE", 24900, dt.date(2026, 4, 20)),
        ),
    )
    tabs = CrossTabs(
        filters=Q1,
        reason_by_plan=CrossTab(
            rows=("growth", "pro"),
            labels=("Growth", "Pro"),
            columns=("too_expensive", "missing_features", "one_campaign"),
            counts=((30, 10, 0), (3, 1, 4)),
        ),
        reason_by_tenure=CrossTab(
            rows=("1-2y",), labels=("1-2y",), columns=("too_expensive",), counts=((33,),)
        ),
        lost_by_reason=(
            ReasonLoss("too_expensive", 200, 4980000),
            ReasonLoss(None, 121, 3013212),
        ),
    )
    long_comment = "Il prezzo è salito troppo. " * 30 + "FINE DEL COMMENTO"
    comments = Comments(
        rows=(
            Comment(
                dt.datetime(2026, 3, 30, 9, 0, tzinfo=dt.UTC),
                "too_expensive",
                "",
                f"{CYRILLIC}: слишком дорого",
                2,
                "growth",
                "IT",
                "completed",
            ),
            Comment(
                dt.datetime(2026, 3, 29, 9, 0, tzinfo=dt.UTC),
                None,
                "TikTok reports",
                f"{CJK}：高すぎる\n{long_comment}",
                None,
                "pro",
                "DE",
                "saved_offer",
            ),
        ),
        total=17,
    )
    return ChurnReportData(
        filters=Q1,
        previous=BEFORE,
        today=dt.date(2026, 4, 10),
        plan_names={"growth": "Growth", "pro": "Pro"},
        figures=figures,
        previous_figures=before,
        reasons=(("too_expensive", 33), ("missing_features", 11), ("one_campaign", 4)),
        rates=rates,
        previous_rates=previous,
        at_risk=at_risk,
        crosstabs=tabs,
        comments=comments,
    )
