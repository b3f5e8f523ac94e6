"""The Churn report's words and numbers in the admin's language (through
`core.platform.i18n`): rates, changes against the period before (counts, money, percentage
points), reasons, tenure bands, months and date ranges."""

from __future__ import annotations

import datetime as dt

from core.insights.filters import TENURE_KEYS
from core.platform.i18n import fmt_date, fmt_money, fmt_number, fmt_percent, t

CURRENCY = "USD"
DASH = "–"  # a figure that has no value (no base, no period before)


def tx(key: str, lang: str, **params: object) -> str:
    return t(f"churn_report.{key}", lang, **params)


def rate_text(value: float | None, lang: str) -> str:
    return DASH if value is None else fmt_percent(value, lang)


def _signed(text: str, positive: bool) -> str:
    return f"+{text}" if positive else text


def count_change(now: int, before: int | None, lang: str) -> str:
    """+3 / -2 / 0; "–" without a period before."""
    if before is None:
        return DASH
    return _signed(fmt_number(now - before, lang), now > before)


def money_change(now: int, before: int | None, lang: str) -> str:
    if before is None:
        return DASH
    return _signed(fmt_money(now - before, CURRENCY, lang), now > before)


def points_change(now: float | None, before: float | None, lang: str) -> str:
    """A rate's change in percentage points, one decimal: "+1.5 pp" / "+1,5 p.p."."""
    if now is None or before is None:
        return DASH
    points = round((now - before) * 100, 1) + 0.0  # no "-0"
    return tx("points", lang, value=_signed(fmt_number(points, lang), points > 0))


def reason_name(reason: str | None, lang: str) -> str:
    return t(f"reason.{reason}", lang) if reason else t("insights.no_reason", lang)


def tenure_name(band: str, lang: str) -> str:
    return t(TENURE_KEYS[band], lang) if band in TENURE_KEYS else band


def month_name(day: dt.date, lang: str) -> str:
    return fmt_date(day, lang, "MMM yyyy")


def day_text(day: dt.date, lang: str) -> str:
    return fmt_date(day, lang, "medium")


def date_range(start: dt.date | None, end: dt.date | None, lang: str) -> str:
    return tx(
        "range",
        lang,
        start=day_text(start, lang) if start else tx("first_day", lang),
        end=day_text(end, lang) if end else tx("today", lang),
    )


FIGURE_CARDS = (
    ("started", "started", "count"),
    ("completed", "completed", "count"),
    ("saved", "saved", "count"),
    ("save_rate", "save_rate", "rate"),
    ("response_rate", "response_rate", "rate"),
    ("undone", "undone", "count"),
    ("revenue_lost", "revenue_lost_cents", "money"),
    ("revenue_saved", "revenue_saved_cents", "money"),
)


def shown(value: float | None, kind: str, lang: str) -> str:
    """A figure as printed: a count, a rate (a percent) or an amount of money (cents)."""
    if kind == "rate" or value is None:
        return rate_text(value, lang)
    return fmt_money(int(value), CURRENCY, lang) if kind == "money" else fmt_number(value, lang)


def change(now: float | None, before: float | None, kind: str, lang: str) -> str:
    """A figure's change against the period before, in its kind ("–" without one)."""
    if kind == "rate":
        return points_change(now, before, lang)
    if kind == "money":
        return money_change(int(now or 0), None if before is None else int(before), lang)
    return count_change(int(now or 0), None if before is None else int(before), lang)
