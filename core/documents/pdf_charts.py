"""Charts drawn straight onto a PDF page with lines and rectangles: no browser, no network,
no plotting library, and the labels use the same fonts (any script) as the rest of the PDF."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from fpdf import FPDF

from core.documents import pdf_table
from core.documents.pdf import FAMILY, fit, write_line

INK = (30, 27, 46)
MUTED = (110, 110, 120)
GRID = (228, 224, 245)
HEAD = (244, 242, 254)  # a table's headings
# the reports' tables (`pdf_table.table`): the reports' ink, a violet tint on the headings and
# every other row, 2 mm below
TABLE = pdf_table.TableStyle(
    ink=INK, grid=GRID, head_fill=HEAD, row_fill=(250, 249, 255), space_after=2
)
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


@dataclass(frozen=True)
class Series:
    """One line of a line chart: a value per label (None: no point there)."""

    name: str
    values: Sequence[float | None]
    color: tuple[int, int, int] = PALETTE[0]
    dashed: bool = False


def lines(
    pdf: FPDF,
    x: float,
    y: float,
    w: float,
    h: float,
    title: str,
    labels: Sequence[str],
    series: Sequence[Series],
    *,
    empty_text: str,
    tick_text: Callable[[float], str],
    point_text: Callable[[float], str] | None = None,
) -> None:
    """Lines over the same labels (e.g. months) from a zero baseline, a legend under the title,
    four grid lines labelled with `tick_text`; a dashed series (e.g. the period before) is
    drawn under the others. `point_text` labels the first series' points (up to 13 of them)."""
    top = _frame(pdf, x, y, w, title)
    values = [v for s in series for v in s.values if v is not None]
    if not labels or not values:
        _empty(pdf, x, top, w, h - (top - y), empty_text)
        return
    pdf.set_font(FAMILY, "", 8)
    legend_x = x
    for s in series:
        pdf.set_draw_color(*s.color)
        pdf.set_line_width(0.6)
        if s.dashed:
            pdf.set_dash_pattern(dash=1.2, gap=0.8)
        pdf.line(legend_x, top + 2.5, legend_x + 6, top + 2.5)
        pdf.set_dash_pattern()
        pdf.set_text_color(*INK)
        pdf.set_xy(legend_x + 7, top)
        label_w = pdf.get_string_width(s.name) + 2
        pdf.cell(w=label_w, h=5, text=s.name)
        legend_x += label_w + 12
    pdf.set_line_width(0.2)
    top += 7
    peak = max(values) or 1.0
    axis_w = max(pdf.get_string_width(tick_text(peak * f)) for f in (0.0, 0.5, 1.0)) + 3
    left, right = x + axis_w, x + w - 2
    label_h, value_h = 6.0, 4.0
    base = y + h - label_h
    plot_h = base - top - value_h
    slot = (right - left) / len(labels)
    pdf.set_font(FAMILY, "", 7)
    for fraction in (0.0, 0.25, 0.5, 0.75, 1.0):
        level = base - plot_h * fraction
        pdf.set_draw_color(*(MUTED if fraction == 0 else GRID))
        pdf.line(left, level, right, level)
        pdf.set_text_color(*MUTED)
        pdf.set_xy(x, level - 2)
        pdf.cell(w=axis_w - 1, h=4, text=tick_text(peak * fraction), align="R")
    widest = max(pdf.get_string_width(label) for label in labels) + 1.5
    every = max(1, math.ceil(len(labels) / 12), math.ceil(widest / slot))  # labels that fit
    pdf.set_text_color(*INK)
    for i, label in enumerate(labels):
        if i % every == 0:
            pdf.set_xy(left + i * slot - slot * (every - 1) / 2, base + 1)
            pdf.cell(w=slot * every, h=label_h - 1, text=fit(pdf, label, slot * every), align="C")

    def point(i: int, value: float) -> tuple[float, float]:
        return left + (i + 0.5) * slot, base - plot_h * max(0.0, value) / peak

    for s in sorted(series, key=lambda s: not s.dashed):
        pdf.set_draw_color(*s.color)
        pdf.set_fill_color(*s.color)
        pdf.set_line_width(0.5)
        if s.dashed:
            pdf.set_dash_pattern(dash=1.2, gap=0.8)
        previous: tuple[float, float] | None = None
        for i, value in enumerate(s.values[: len(labels)]):
            if value is None:
                previous = None
                continue
            here = point(i, value)
            if previous is not None:
                pdf.line(*previous, *here)
            previous = here
        pdf.set_dash_pattern()
        for i, value in enumerate(s.values[: len(labels)]):
            if value is not None and not s.dashed:
                cx, cy = point(i, value)
                pdf.circle(x=cx, y=cy, radius=0.7, style="F")
    pdf.set_line_width(0.2)
    first = series[0]
    if point_text is not None and len(labels) <= 13:
        pdf.set_text_color(*MUTED)
        for i, value in enumerate(first.values[: len(labels)]):
            if value is not None and pdf.get_string_width(point_text(value)) <= slot - 0.5:
                cx, cy = point(i, value)
                pdf.set_xy(cx - slot / 2, cy - value_h - 0.5)
                pdf.cell(w=slot, h=value_h, text=fit(pdf, point_text(value), slot), align="C")
    pdf.set_text_color(0, 0, 0)


@dataclass(frozen=True)
class Cell:
    """A heat map's cell: how dark (0..1, e.g. the share of its row) and what it says."""

    shade: float
    text: str


def wrapped_lines(pdf: FPDF, text: str, width: float, most: int) -> list[str]:
    """`text` wrapped to `width`, at most `most` lines (the last cut with an ellipsis)."""
    found = pdf.multi_cell(w=width, h=3, text=fit(pdf, text, width * most), dry_run=True,
                           output="LINES")  # fmt: skip
    if len(found) > most:
        found = [*found[: most - 1], fit(pdf, " ".join(found[most - 1 :]), width)]
    return found


def heat_map(
    pdf: FPDF,
    x: float,
    y: float,
    w: float,
    title: str,
    rows: Sequence[str],
    columns: Sequence[str],
    cells: Sequence[Sequence[Cell]],
    *,
    empty_text: str,
    row_h: float = 7.0,
    color: tuple[int, int, int] = PALETTE[0],
) -> float:
    """A table of shaded cells (rows x columns), the darker the larger `Cell.shade`, the text
    in each; column names wrap onto three lines. Returns the y under the map."""
    top = _frame(pdf, x, y, w, title)
    if not rows or not columns:
        _empty(pdf, x, top, w, 16, empty_text)
        return top + 18
    pdf.set_font(FAMILY, "", 8)
    label_w = min(w * 0.25, max(pdf.get_string_width(r) for r in rows) + 3)
    pdf.set_font(FAMILY, "", 7)
    col_w = (w - label_w) / len(columns)
    heads = [wrapped_lines(pdf, c, col_w - 1, 3) for c in columns]
    head_h = 3.2 * max(len(h) for h in heads) + 1
    pdf.set_text_color(*INK)
    for j, lines_ in enumerate(heads):
        for k, line in enumerate(lines_):
            pdf.set_xy(x + label_w + j * col_w, top + head_h - 3.2 * (len(lines_) - k) - 0.5)
            pdf.cell(w=col_w, h=3.2, text=line, align="C")
    top += head_h + 0.5
    pdf.set_font(FAMILY, "", 8)
    for i, row in enumerate(rows):
        row_y = top + i * row_h
        pdf.set_text_color(*INK)
        pdf.set_xy(x, row_y)
        pdf.cell(w=label_w - 1.5, h=row_h, text=fit(pdf, row, label_w - 2), align="R")
        for j, cell in enumerate(cells[i]):
            shade = min(1.0, max(0.0, cell.shade))
            fill = tuple(round(255 - (255 - c) * (0.08 + 0.92 * shade)) for c in color)
            pdf.set_fill_color(*fill)
            pdf.rect(x + label_w + j * col_w + 0.3, row_y + 0.3, col_w - 0.6, row_h - 0.6,
                     style="F")  # fmt: skip
            pdf.set_text_color(*((255, 255, 255) if shade > 0.5 else INK))
            pdf.set_xy(x + label_w + j * col_w, row_y)
            pdf.cell(w=col_w, h=row_h, text=fit(pdf, cell.text, col_w - 1), align="C")
    pdf.set_text_color(0, 0, 0)
    return top + len(rows) * row_h + 1


def heading(pdf: FPDF, text: str, rule: tuple[int, int, int], *, room: float = 30) -> None:
    """A section's title over a coloured rule, on a new page when less than `room` mm is left."""
    if pdf.will_page_break(room):
        pdf.add_page()
    pdf.ln(3)
    write_line(pdf, text, size=13, bold=True, color=INK)
    pdf.set_draw_color(*rule)
    pdf.set_line_width(0.4)
    pdf.line(pdf.l_margin, pdf.get_y() + 0.5, pdf.w - pdf.r_margin, pdf.get_y() + 0.5)
    pdf.set_line_width(0.2)
    pdf.ln(3)
