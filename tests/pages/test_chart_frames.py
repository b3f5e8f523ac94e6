"""The churn-insights charts (pages/components/plots.py): each chart is one DataFrame, columns
named in the admin's language, from which the figure is drawn, the table shown and the CSV
written. The CSV is formula-safe whatever the labels hold, its numbers exact, and its bytes
those the row writer wrote before the charts had frames."""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io

import pytest

from core.insights import frames
from core.insights.analytics import (
    FUNNEL,
    Figures,
    Filters,
    GroupCounts,
    Insights,
    OfferInterest,
    PriceBucket,
    Trend,
    TrendPoint,
)
from pages.components import plots
from pages.shell.context import PageContext
from tests.support.csv_fields import fields

HYPERLINK = '=HYPERLINK("http://evil.example","x")'

SAMPLE = Insights(
    filters=Filters(),
    figures=Figures(10, 4, 2, 1, 1, 2, 6, 2, 12345, 6789, 100),
    reasons=(("too_expensive", 3), ("not_using", 2), ("other", 1)),
    trend=Trend(
        "month",
        (dt.date(2026, 1, 1), dt.date(2026, 2, 1), dt.date(2026, 3, 1)),
        (
            TrendPoint(dt.date(2026, 1, 1), "too_expensive", 2),
            TrendPoint(dt.date(2026, 3, 1), "not_using", 1),
            TrendPoint(dt.date(2026, 3, 1), "too_expensive", 1),
        ),
    ),
    funnel=tuple((stage, n) for (stage, _steps), n in zip(FUNNEL, (10, 7, 6, 3, 1), strict=True)),
    satisfaction=((1, 1), (2, 0), (3, 2), (4, 0), (5, 3)),
    offers=OfferInterest(5, 3, 1),
    prices=(
        PriceBucket(9800, 12500, "too_expensive", 1),
        PriceBucket(15000, 17500, None, 2),
        PriceBucket(50000, None, "other", 1),
    ),
    by_plan=(GroupCounts("starter", "Starter", 3, 1), GroupCounts("growth", HYPERLINK, 1, 2)),
    by_tenure=(GroupCounts("<6m", "<6m", 2, 0), GroupCounts("1-2y", "1-2y", 2, 3)),
)


def context(lang: str) -> PageContext:
    return PageContext(db=None, user=None, lang=lang, settings=None)  # type: ignore[arg-type]


def charts(ctx: PageContext, data: Insights) -> dict[str, plots.Chart]:
    """Every chart of the insights page, as the page builds them."""
    return {
        "reasons": plots.reasons_share(ctx, data),
        "trend": plots.reasons_trend(ctx, data.trend),
        "funnel": plots.funnel(ctx, data),
        "satisfaction": plots.satisfaction(ctx, data),
        "offers": plots.offers(ctx, data),
        "prices": plots.prices(ctx, data),
        "by_plan": plots.groups(
            ctx, ctx.t("insights.col.plan"), data.by_plan, [g.label for g in data.by_plan]
        ),
        "by_tenure": plots.groups(
            ctx,
            ctx.t("insights.col.tenure"),
            data.by_tenure,
            [plots.tenure_name(ctx, g.key) for g in data.by_tenure],
        ),
    }


def read(data: bytes) -> list[list[str]]:
    assert data.startswith("\ufeff".encode())
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


# What the page's row writer (`analytics.csv_bytes` over header and rows) wrote for SAMPLE
# before every text value was quoted.
BEFORE = {
    ("en", "reasons"): (
        "Reason,Answers,Share\r\nToo expensive,3,0.5\r\nNot using it enough,2,0.3333\r\n"
        "Other,1,0.1667\r\n"
    ),
    ("en", "trend"): (
        "Period starting,Too expensive,Not using it enough\r\n2026-01-01,2,0\r\n"
        "2026-02-01,0,0\r\n2026-03-01,1,1\r\n"
    ),
    ("en", "funnel"): (
        "Step,Flows,Share of started\r\nStarted,10,1.0\r\nSurvey answered or skipped,7,0.7\r\n"
        "Chose “Continue and cancel”,6,0.6\r\nGave the four consents,3,0.3\r\n"
        "Cancellation completed,1,0.1\r\n"
    ),
    ("en", "satisfaction"): "Satisfaction,Answers\r\n1,1\r\n2,0\r\n3,2\r\n4,0\r\n5,3\r\n",
    ("en", "offers"): (
        "Step,Flows\r\nOffer shown,5\r\nConfigurator opened,3\r\nPlan requested,1\r\n"
    ),
    ("en", "by_plan"): (
        'Plan,Cancelled,Saved\r\nStarter,3,1\r\n"\'=HYPERLINK(""http://evil.example"",""x"")",1,2'
        "\r\n"
    ),
    ("en", "by_tenure"): (
        "Time as a customer,Cancelled,Saved\r\nUnder 6 months,2,0\r\n1–2 years,2,3\r\n"
    ),
    ("it", "prices"): (
        "Prezzo mensile,Da (USD),Meno di (USD),Troppo costoso,Altro,Nessun motivo indicato\r\n"
        "98–124 USD,98.0,125.0,1,0,0\r\n125–149 USD,125.0,150.0,0,0,0\r\n"
        "150–174 USD,150.0,175.0,0,0,2\r\n"
        + "".join(
            f"{low}–{low + 24} USD,{low}.0,{low + 25}.0,0,0,0\r\n" for low in range(175, 500, 25)
        )
        + "500 USD e oltre,500.0,,0,1,0\r\n"
    ),
}  # fmt: skip


@pytest.mark.parametrize(("lang", "chart"), BEFORE, ids=[f"{lang}-{c}" for lang, c in BEFORE])
def test_each_chart_writes_the_values_it_wrote_before_with_text_quoted(lang, chart):
    data = frames.csv_bytes(charts(context(lang), SAMPLE)[chart].frame)
    before = BEFORE[lang, chart].encode("utf-8-sig")
    assert read(data) == read(before)
    header, *records = fields(data)
    assert header == fields(before)[0]  # quoted only where it must be, as before
    for record in records:
        for value, quoted in record:
            assert quoted == (value != "" and not _number(value)), (value, quoted)


def _number(value: str) -> bool:
    try:
        float(value)
    except ValueError:
        return False
    return True


def test_a_funnel_that_started_nothing_has_empty_shares():
    zero = dataclasses.replace(SAMPLE, funnel=tuple((s, 0) for s, _n in SAMPLE.funnel))
    rows = read(frames.csv_bytes(plots.funnel(context("en"), zero).frame))
    assert [r[1:] for r in rows[1:]] == [["0", ""]] * len(SAMPLE.funnel)


HOSTILE = (HYPERLINK, "+1", "@SUM(1)", "-2+3", "\tcmd", "'quoted")


def test_hostile_labels_come_back_protected_and_the_numbers_exact():
    ctx = context("en")
    groups = [GroupCounts(f"p{i}", label, i, 10 * i + 1) for i, label in enumerate(HOSTILE)]
    chart = plots.groups(ctx, "=SUM(A1:A9)", groups, [g.label for g in groups])
    rows = read(frames.csv_bytes(chart.frame))
    assert rows[0] == ["'=SUM(A1:A9)", "Cancelled", "Saved"]
    assert [r[0] for r in rows[1:]] == ["'" + label for label in HOSTILE]
    assert [r[1:] for r in rows[1:]] == [[str(i), str(10 * i + 1)] for i in range(len(HOSTILE))]
    # the figure is drawn from the same frame, the labels as they are
    assert list(chart.figure.data[0].x) == list(HOSTILE)
    assert list(chart.figure.data[1].y) == [10 * i + 1 for i in range(len(HOSTILE))]


def test_hostile_reason_names_are_protected_in_headers_and_cells(monkeypatch):
    names = dict(zip(("too_expensive", "not_using", "other", None), HOSTILE, strict=False))
    monkeypatch.setattr(plots, "reason_name", lambda _ctx, reason: names.get(reason, f"{reason}"))
    ctx = context("en")
    reasons = read(frames.csv_bytes(plots.reasons_share(ctx, SAMPLE).frame))
    assert reasons[1:] == [
        ["'" + HYPERLINK, "3", "0.5"],
        ["'+1", "2", "0.3333"],
        ["'@SUM(1)", "1", "0.1667"],
    ]
    trend = read(frames.csv_bytes(plots.reasons_trend(ctx, SAMPLE.trend).frame))
    assert trend[0] == ["Period starting", "'" + HYPERLINK, "'+1"]
    assert trend[1:] == [
        ["2026-01-01", "2", "0"],
        ["2026-02-01", "0", "0"],
        ["2026-03-01", "1", "1"],
    ]
    prices = read(frames.csv_bytes(plots.prices(ctx, SAMPLE).frame))
    assert prices[0][3:] == ["'" + HYPERLINK, "'@SUM(1)", "'-2+3"]
    assert prices[1] == ["$98–124", "98.0", "125.0", "1", "0", "0"]
    assert prices[-1] == ["$500 and more", "500.0", "", "0", "1", "0"]


def test_the_figure_and_the_table_come_from_the_frame(monkeypatch):
    shown = []
    monkeypatch.setattr(plots.st, "table", lambda data, **kw: shown.append((data, kw)))
    ctx = context("it")
    chart = plots.funnel(ctx, SAMPLE)
    assert list(chart.figure.data[0].y) == chart.frame.iloc[:, 0].tolist()
    assert list(chart.figure.data[0].x) == [10, 7, 6, 3, 1]
    plots.shown_table(ctx, chart.frame)
    [(table, options)] = shown
    assert options == {"hide_index": True}
    assert list(table.columns) == list(chart.frame.columns)
    assert table.iloc[0].tolist() == ["Iniziato", "10", "100%"]
    assert table.iloc[1, 2] == "70%"
