"""The churn insights' names as the pages, the HTTP routes and the benchmarks use them
(`analytics.<name>`), from the modules of `core.insights` that define them."""

from core.insights.answer_files import (
    ANSWER_COLUMNS,
    AnswersGrant,
    answers_csv,
    answers_download_token,
    answers_file_name,
    csv_bytes,
    open_answers_download,
    stream_answers,
    write_answers_csv,
)
from core.insights.at_risk import (  # churn rates, revenue at risk (churn, at_risk)
    AT_RISK_LIMIT,
    AtRiskAccount,
    RevenueAtRisk,
    revenue_at_risk,
)
from core.insights.buckets import GRANULARITIES
from core.insights.churn import Churn, ChurnRates, churn_rates  # churn rates (churn)

# the Churn report (churn_report)
from core.insights.churn_report import churn_report_file_name, churn_report_pdf
from core.insights.comments import COMMENTS_LIMIT, MAX_SEARCH, Comment, Comments, comments

# cross-tabs and drill-down (crosstabs, drill)
from core.insights.crosstabs import CrossTab, CrossTabs, ReasonLoss, crosstabs
from core.insights.drill import DRILL_PAGE, NO_REASON, Drill, FlowPage, FlowRow, flows_behind
from core.insights.figures import (
    FUNNEL,
    PRICE_FIRST_EDGE_CENTS,
    PRICE_FROM_CENTS,
    PRICE_STEP_CENTS,
    PRICE_TOP_CENTS,
    REASONS,
    SAVED,
    Figures,
    GroupCounts,
    Insights,
    OfferInterest,
    PriceBucket,
    Trend,
    TrendPoint,
    figures,
    insights,
)
from core.insights.filters import (
    FIRST_DAY,
    LAST_DAY,
    MAX_FILTER_VALUES,
    TENURE_BANDS,
    TENURE_KEYS,
    FilterOptions,
    Filters,
    country_name,
    default_range,
    filter_options,
    sort_countries,
)
from core.insights.retention import (
    CYCLES,
    KEPT,
    SAVE_KINDS,
    OfferKindFigures,
    PriceSpread,
    SaveCounts,
    VerifiedSaves,
    by_kind,
    by_variant,
    offer_kinds,
    verified_saves,
)
from core.insights.status_counts import subscriptions_by_status

# filters in the URL (url_filters)
from core.insights.url_filters import FromUrl, filters_from_query, query_of

__all__ = [
    "ANSWER_COLUMNS",
    "COMMENTS_LIMIT",
    "CYCLES",
    "FIRST_DAY",
    "FUNNEL",
    "GRANULARITIES",
    "KEPT",
    "LAST_DAY",
    "MAX_FILTER_VALUES",
    "MAX_SEARCH",
    "PRICE_FIRST_EDGE_CENTS",
    "PRICE_FROM_CENTS",
    "PRICE_STEP_CENTS",
    "PRICE_TOP_CENTS",
    "REASONS",
    "SAVED",
    "SAVE_KINDS",
    "TENURE_BANDS",
    "TENURE_KEYS",
    "AnswersGrant",
    "Comment",
    "Comments",
    "Figures",
    "FilterOptions",
    "Filters",
    "GroupCounts",
    "Insights",
    "OfferInterest",
    "OfferKindFigures",
    "PriceBucket",
    "PriceSpread",
    "SaveCounts",
    "Trend",
    "TrendPoint",
    "VerifiedSaves",
    "answers_csv",
    "answers_download_token",
    "answers_file_name",
    "by_kind",
    "by_variant",
    "comments",
    "country_name",
    "csv_bytes",
    "default_range",
    "figures",
    "filter_options",
    "insights",
    "offer_kinds",
    "open_answers_download",
    "sort_countries",
    "stream_answers",
    "subscriptions_by_status",
    "verified_saves",
    "write_answers_csv",
]

# filters in the URL (url_filters)
__all__ += ["FromUrl", "filters_from_query", "query_of"]

# churn rates, revenue at risk (churn, at_risk)
__all__ += [
    "AT_RISK_LIMIT",
    "AtRiskAccount",
    "Churn",
    "ChurnRates",
    "RevenueAtRisk",
    "churn_rates",
    "revenue_at_risk",
]

# cross-tabs and drill-down (crosstabs, drill)
__all__ += [
    "DRILL_PAGE",
    "NO_REASON",
    "CrossTab",
    "CrossTabs",
    "Drill",
    "FlowPage",
    "FlowRow",
    "ReasonLoss",
    "crosstabs",
    "flows_behind",
]

# the Churn report (churn_report)
__all__ += ["churn_report_file_name", "churn_report_pdf"]
