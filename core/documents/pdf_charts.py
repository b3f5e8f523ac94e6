"""Charts drawn straight onto a PDF page with lines and rectangles: no browser, no network,
no plotting library, and the labels use the same fonts (any script) as the rest of the PDF."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from fpdf import FPDF

from core.documents.pdf import FAMILY, fit

INK = (30, 27, 46)
MUTED = (110, 110, 120)
GRID = (228, 224, 245)
PALETTE = ((91, 61, 245), (245, 158, 11), (16, 185, 129), (239, 68, 68), (14, 165, 233))


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    text: str  # the value as printed next to the bar, formatted for the reader's locale


def _frame(pdf: FPDF, x: float, y: float, w: float, title: str) -> float:
    """The chart's title; returns the y where the plot starts."""
    pdf.set_font(FAMILY, "B", 10)
    pdf.set_text_color(*INK)
    pdf.set_xy(x, y)
    pdf.cell(w=w, h=6, text=fit(pdf, title, w))
    return y + 8


def _empty(pdf: FPDF, x: float, y: float, w: float, h: float, text: str) -> None:
    pdf.set_draw_color(*GRID)
    pdf.rect(x, y, w, h)
    pdf.set_font(FAMILY, "", 9)
    pdf.set_text_color(*MUTED)
    pdf.set_xy(x, y + h / 2 - 3)
    pdf.cell(w=w, h=6, text=fit(pdf, text, w - 4), align="C")
    pdf.set_text_color(0, 0, 0)


def horizontal_bars(
    pdf: FPDF,
    x: float,
    y: float,
    w: float,
    h: float,
    title: str,
    bars: Sequence[Bar],
    *,
    empty_text: str,
    color: tuple[int, int, int] = PALETTE[0],
) -> None:
    """One bar per item, longest value the full width; the value is printed after each bar."""
    top = _frame(pdf, x, y, w, title)
    height = h - (top - y)
    if not bars or max(b.value for b in bars) <= 0:
        _empty(pdf, x, top, w, height, empty_text)
        return
    label_w = w * 0.3
    pdf.set_font(FAMILY, "", 8)
    text_w = max(pdf.get_string_width(b.text) for b in bars) + 2
    plot_w = max(10.0, w - label_w - text_w - 2)
    step = min(9.0, height / len(bars))
    bar_h = step * 0.65
    peak = max(b.value for b in bars)
    for i, bar in enumerate(bars):
        row = top + i * step
        pdf.set_text_color(*INK)
        pdf.set_xy(x, row)
        pdf.cell(w=label_w - 2, h=bar_h, text=fit(pdf, bar.label, label_w - 3), align="R")
        length = plot_w * max(0.0, bar.value) / peak
        pdf.set_fill_color(*color)
        if length > 0:
            pdf.rect(x + label_w, row, max(0.4, length), bar_h, style="F")
        pdf.set_text_color(*MUTED)
        pdf.set_xy(x + label_w + length + 1, row)
        pdf.cell(w=text_w, h=bar_h, text=bar.text)
    pdf.set_draw_color(*MUTED)
    pdf.line(x + label_w, top - 1, x + label_w, top + len(bars) * step - (step - bar_h) + 1)
    pdf.set_text_color(0, 0, 0)


def columns(
    pdf: FPDF,
    x: float,
    y: float,
    w: float,
    h: float,
    title: str,
    bars: Sequence[Bar],
    *,
    empty_text: str,
    color: tuple[int, int, int] = PALETTE[0],
) -> None:
    """Vertical bars side by side (a histogram), labels underneath, values on top."""
    top = _frame(pdf, x, y, w, title)
    height = h - (top - y)
    if not bars or max(b.value for b in bars) <= 0:
        _empty(pdf, x, top, w, height, empty_text)
        return
    label_h, value_h = 6.0, 5.0
    plot_h = height - label_h - value_h
    base = top + value_h + plot_h
    slot = w / len(bars)
    bar_w = slot * 0.62
    peak = max(b.value for b in bars)
    pdf.set_draw_color(*GRID)
    for fraction in (0.25, 0.5, 0.75, 1.0):
        level = base - plot_h * fraction
        pdf.line(x, level, x + w, level)
    pdf.set_font(FAMILY, "", 8)
    for i, bar in enumerate(bars):
        left = x + i * slot + (slot - bar_w) / 2
        length = plot_h * max(0.0, bar.value) / peak
        pdf.set_fill_color(*color)
        if length > 0:
            pdf.rect(left, base - length, bar_w, max(0.4, length), style="F")
        pdf.set_text_color(*MUTED)
        pdf.set_xy(x + i * slot, base - length - value_h)
        pdf.cell(w=slot, h=value_h, text=fit(pdf, bar.text, slot), align="C")
        pdf.set_text_color(*INK)
        pdf.set_xy(x + i * slot, base + 1)
        pdf.cell(w=slot, h=label_h - 1, text=fit(pdf, bar.label, slot), align="C")
    pdf.set_draw_color(*MUTED)
    pdf.line(x, base, x + w, base)
    pdf.set_text_color(0, 0, 0)


def grouped_bars(
    pdf: FPDF,
    x: float,
    y: float,
    w: float,
    h: float,
    title: str,
    groups: Sequence[tuple[str, Sequence[Bar]]],
    series: Sequence[str],
    *,
    empty_text: str,
) -> None:
    """For each group (e.g. a campaign) one thin horizontal bar per series (e.g. reach and
    engagements), on one scale, with a legend under the title."""
    top = _frame(pdf, x, y, w, title)
    values = [bar.value for _label, bars in groups for bar in bars]
    if not groups or not values or max(values) <= 0:
        _empty(pdf, x, top, w, h - (top - y), empty_text)
        return
    pdf.set_font(FAMILY, "", 8)
    legend_x = x
    for i, name in enumerate(series):
        pdf.set_fill_color(*PALETTE[i % len(PALETTE)])
        pdf.rect(legend_x, top + 1, 3, 3, style="F")
        pdf.set_text_color(*INK)
        pdf.set_xy(legend_x + 4, top)
        label_w = pdf.get_string_width(name) + 2
        pdf.cell(w=label_w, h=5, text=name)
        legend_x += label_w + 8
    top += 7
    height = h - (top - y)
    label_w = w * 0.3
    text_w = max(pdf.get_string_width(b.text) for _l, bars in groups for b in bars) + 2
    plot_w = max(10.0, w - label_w - text_w - 2)
    group_h = min(4.2 * len(series) + 3, height / len(groups))
    bar_h = (group_h - 2) / len(series)
    peak = max(values)
    for g, (label, bars) in enumerate(groups):
        row = top + g * group_h
        pdf.set_text_color(*INK)
        pdf.set_xy(x, row)
        pdf.cell(w=label_w - 2, h=group_h - 2, text=fit(pdf, label, label_w - 3), align="R")
        for i, bar in enumerate(bars):
            length = plot_w * max(0.0, bar.value) / peak
            pdf.set_fill_color(*PALETTE[i % len(PALETTE)])
            if length > 0:
                pdf.rect(x + label_w, row + i * bar_h, max(0.4, length), bar_h * 0.85, style="F")
            pdf.set_text_color(*MUTED)
            pdf.set_font(FAMILY, "", 7)
            pdf.set_xy(x + label_w + length + 1, row + i * bar_h)
            pdf.cell(w=text_w, h=bar_h * 0.85, text=bar.text)
            pdf.set_font(FAMILY, "", 8)
    pdf.set_draw_color(*MUTED)
    pdf.line(x + label_w, top - 1, x + label_w, top + len(groups) * group_h - 1)
    pdf.set_text_color(0, 0, 0)
