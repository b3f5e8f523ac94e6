"""A table across the page, drawn at a small cost per row (`table`): the account report's
campaigns and lists run to a thousand rows and fifty pages.

Each cell is measured once and wrapped here (at spaces, or inside a word longer than the
column, never inside a character's marks or an emoji sequence), never cut. A line that looks
the same unshaped (Latin, Greek, Cyrillic, CJK, Hangul, single emoji) is measured from the
fonts' widths and printed straight into the page (`Document.plain`, `Document.plain_text`);
any other line (Arabic, Hebrew, Indic vowel signs, emoji sequences, combining marks) is shaped
by HarfBuzz through fpdf2, once, and printed from the fragments it was measured with.
fpdf2's own `table()` shaped every cell once per character while it wrapped it, twice over
(about 40 ms a row).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from fpdf import FPDF
from fpdf.enums import Align
from fpdf.line_break import TextLine

from core.documents.pdf import FAMILY, Document, clean

# A cell shows at most this many characters (the fields it shows hold up to 200).
CELL_LIMIT = 300
_TOKENS = re.compile(r"\S+\s*|\s+")
_GLUE = frozenset((0x200D, 0x20E3, *range(0xFE00, 0xFE10), *range(0x1F3FB, 0x1F400)))


class _Texts:
    """Measures and prints the lines of a table's cells, each text measured once in each
    font: a plain text (`Document.plain`) from the fonts' widths, any other text as fpdf2's
    shaped fragments, kept to be printed."""

    def __init__(self, pdf: FPDF) -> None:
        self.pdf = pdf
        self.document = isinstance(pdf, Document)
        self.shaped: dict[tuple[str, str], tuple[Sequence[Any], float]] = {}

    def _shape(self, text: str) -> tuple[Sequence[Any], float]:
        pdf = self.pdf
        key = (pdf.font_style, text)
        found = self.shaped.get(key)
        if found is None:
            fragments = pdf._preload_bidirectional_text(pdf.normalize_text(text), False)
            found = self.shaped[key] = (fragments, sum(f.get_width() for f in fragments))
        return found

    def width(self, text: str) -> float:
        plain = self.pdf.plain(text) if self.document else None
        return self._shape(text)[1] if plain is None else plain.width

    def print(self, x: float, y: float, w: float, h: float, text: str, align: str) -> None:
        """One line of a cell, `w` wide from `x` (the padding already taken off)."""
        pdf = self.pdf
        plain = pdf.plain(text) if self.document else None
        if plain is not None:
            if align == "RIGHT":
                x += w - plain.width
            elif align == "CENTER":
                x += (w - plain.width) / 2
            pdf.plain_text(x, y, h, plain)
            return
        fragments, width = self._shape(text)
        pdf.set_xy(x, y)
        line = TextLine(fragments, width, 0, Align.coerce(align), h, w)
        pdf._render_styled_text_line(line, h)


def _breakable(text: str, i: int) -> bool:
    """May a line end before text[i]? Not inside a character's marks or an emoji sequence."""
    char = text[i]
    if unicodedata.category(char).startswith("M") or ord(char) in _GLUE:
        return False
    return ord(text[i - 1]) != 0x200D and not 0xE0020 <= ord(char) <= 0xE007F


def _split_word(texts: _Texts, word: str, width: float) -> list[str]:
    """A word longer than the line, in pieces that fit (at least one character each)."""
    pieces = []
    while word and texts.width(word) > width:
        low, high = 1, len(word) - 1
        while low < high:  # the longest prefix that fits
            mid = (low + high + 1) // 2
            if texts.width(word[:mid]) <= width:
                low = mid
            else:
                high = mid - 1
        cut = low
        while cut > 1 and not _breakable(word, cut):
            cut -= 1
        pieces.append(word[:cut])
        word = word[cut:]
    if word:
        pieces.append(word)
    return pieces


def wrap(texts: _Texts, text: str, width: float) -> list[str]:
    """`text` in lines no wider than `width` in the current font: broken at spaces, and
    inside a word only when the word alone is too wide. Nothing is left out."""
    if not text or texts.width(text) <= width:
        return [text]
    lines: list[str] = []
    line = ""
    for token in _TOKENS.findall(text):
        if line and texts.width((line + token).rstrip()) <= width:
            line += token
            continue
        if line.strip():
            lines.append(line.rstrip())
        line = token
        if texts.width(token.rstrip()) > width:
            *full, line = _split_word(texts, token.rstrip(), width)
            lines += full
            line += token[len(token.rstrip()) :]
    if line.strip():
        lines.append(line.rstrip())
    return lines or [""]


RGB = tuple[int, int, int]


@dataclass(frozen=True)
class TableStyle:
    """How a table looks: its type size (pt), line height and `padding` (vertical,
    horizontal; mm), its ink, the `grid` line between rows, the headings' fill, the fill of
    every other row, and the room left below it (mm)."""

    font_size: float = 8
    line_height: float = 4.6
    padding: tuple[float, float] = (1.2, 1.5)
    ink: RGB = (0, 0, 0)
    grid: RGB = (200, 200, 200)
    head_fill: RGB = (240, 240, 240)
    row_fill: RGB = (250, 250, 250)
    space_after: float = 0


PLAIN = TableStyle()


def table(
    pdf: FPDF,
    headings: Sequence[str],
    rows: Sequence[Sequence[str]],
    widths: Sequence[float],
    align: Sequence[str],
    style: TableStyle = PLAIN,
) -> None:
    """A table across the page in `style`: bold headings on its `head_fill`, repeated at the
    top of each page; every other row on its `row_fill`; a `grid` line between rows; each cell
    wrapped in its column (`widths`, relative) with the style's padding and aligned (`align`:
    LEFT, RIGHT or CENTER), its lines vertically centred in the row."""
    font_size, line_height, padding = style.font_size, style.line_height, style.padding
    ink, grid, head_fill, row_fill = style.ink, style.grid, style.head_fill, style.row_fill
    total = pdf.w - pdf.l_margin - pdf.r_margin
    scale = total / sum(widths)
    columns = [w * scale for w in widths]
    pad_v, pad_h = padding
    inner = [w - 2 * pad_h for w in columns]
    lefts = [pdf.l_margin + sum(columns[:j]) for j in range(len(columns))]
    texts = _Texts(pdf)
    margin = pdf.c_margin
    pdf.c_margin = 0  # the padding is taken off already

    def layout(cells: Sequence[str]) -> tuple[list[list[str]], float]:
        lines = [wrap(texts, clean(c)[:CELL_LIMIT], inner[j]) for j, c in enumerate(cells)]
        return lines, max(len(cell) for cell in lines) * line_height + 2 * pad_v

    def draw(
        lines: list[list[str]], height: float, fill: tuple[int, int, int] | None, ruled: bool
    ) -> None:
        top = pdf.get_y()
        if fill is not None:
            pdf.set_fill_color(*fill)
            pdf.rect(pdf.l_margin, top, total, height, style="F")
        if ruled:
            pdf.set_draw_color(*grid)
            pdf.line(pdf.l_margin, top, pdf.l_margin + total, top)
        for j, cell in enumerate(lines):
            y = top + (height - len(cell) * line_height) / 2
            for n, text in enumerate(cell):
                if text:
                    texts.print(lefts[j] + pad_h, y + n * line_height, inner[j], line_height,
                           text, align[j])  # fmt: skip
        pdf.set_y(top + height)

    def heading_row() -> None:
        pdf.set_font(FAMILY, "B", font_size)
        draw(head_lines, head_height, head_fill, ruled=False)
        pdf.set_font(FAMILY, "", font_size)

    pdf.set_text_color(*ink)
    pdf.set_font(FAMILY, "B", font_size)
    head_lines, head_height = layout(headings)
    pdf.set_font(FAMILY, "", font_size)
    laid = [layout(row) for row in rows]
    first = laid[0][1] if laid else 0
    if pdf.get_y() + head_height + first > pdf.page_break_trigger:
        pdf.add_page()  # never the headings alone at the foot of a page
    heading_row()
    for i, (lines, height) in enumerate(laid):
        if pdf.get_y() + height > pdf.page_break_trigger:
            pdf.add_page()
            pdf.set_text_color(*ink)
            heading_row()
        draw(lines, height, row_fill if i % 2 == 0 else None, ruled=True)
    pdf.c_margin = margin
    pdf.set_text_color(0, 0, 0)
    pdf.set_x(pdf.l_margin)
    if style.space_after:
        pdf.ln(style.space_after)
