"""PDF documents that print any script: the shipped fonts, fallbacks and text shaping.

Every PDF the portal makes (the account report, the cancellation receipt) starts here:

    pdf = new_document("it", title="...")      # an FPDF with the fonts set up, A4, page numbers
    pdf.add_page()
    write_line(pdf, "Lumière & Co. — 佐藤 花子 ✨", size=14, bold=True)

Text is set in Noto Sans (Latin, Greek, Cyrillic, Vietnamese). A character Noto Sans lacks is
taken from the first fallback font that has it: Arabic, Hebrew, Devanagari, Thai, emoji
(Noto Emoji, monochrome), Chinese and Japanese (Droid Sans Fallback), Korean (NanumGothic).
Text shaping (HarfBuzz, through uharfbuzz) joins Arabic letters, sets right-to-left runs in
order, builds Devanagari conjuncts and draws emoji sequences (ZWJ families, flags, skin tones)
as one glyph. The font files and their licences are in `data/fonts/` (see its README).
"""

from __future__ import annotations

import logging
import re
from functools import cache
from pathlib import Path
from typing import Any

from fpdf import FPDF

FONT_DIR = Path(__file__).resolve().parent.parent / "data" / "fonts"
FAMILY = "NotoSans"
_MAIN_FILES = {"": "NotoSans-Regular.ttf", "B": "NotoSans-Bold.ttf"}
# Tried in this order for a character Noto Sans lacks. Emoji come before the CJK fonts, so a
# symbol both have (a star, a sun) is always drawn the same way.
FALLBACKS = (
    ("NotoSansArabic", "NotoSansArabic-Regular.ttf"),
    ("NotoSansHebrew", "NotoSansHebrew-Regular.ttf"),
    ("NotoSansDevanagari", "NotoSansDevanagari-Regular.ttf"),
    ("NotoSansThai", "NotoSansThai-Regular.ttf"),
    ("NotoEmoji", "NotoEmoji-Regular.ttf"),
    ("DroidSansFallback", "DroidSansFallbackFull.ttf"),
    ("NanumGothic", "NanumGothic.ttf"),
)
# Characters that only glue an emoji sequence together (zero-width joiner, variation
# selectors, keycap, skin tones, flag tags). Noto Sans maps some of them, which would split a
# sequence across two fonts; here they stay with the font of the character before them.
_JOINERS = frozenset(
    [0x200D, 0xFE0E, 0xFE0F, 0x20E3, *range(0x1F3FB, 0x1F400), *range(0xE0020, 0xE0080)]
)
# C0/C1 control characters (and the Unicode line/paragraph separators) print as boxes or
# break the layout; a PDF line shows them as spaces.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029]")
_BREAKS = re.compile(r"\r\n|\r|\n|\t")

logging.getLogger("fontTools.subset").setLevel(logging.ERROR)  # "TSI0 NOT subset" notices
_FALLBACK_FILES = {family.lower(): name for family, name in FALLBACKS}


@cache
def _coverage(key: str) -> frozenset[int]:
    """The characters a fallback font has (its cmap, as fpdf2 reads it), read once per process
    from the cmap table alone."""
    from fontTools.ttLib import TTFont

    with TTFont(str(FONT_DIR / _FALLBACK_FILES[key]), lazy=True) as font:
        return frozenset(font.getBestCmap() or ())


class Document(FPDF):
    """An A4 FPDF with the portal's fonts. `footer_text` (if set) is printed on every page,
    where `{page}` is the page number and `{pages}` the page count."""

    def __init__(self, lang: str) -> None:
        super().__init__(orientation="portrait", unit="mm", format="A4")
        self.lang = lang
        self.footer_text: str | None = None
        self._last_fallback: str | None = None

    def get_fallback_font(self, char: str, style: str = "") -> str | None:
        """The first fallback font (in FALLBACKS order) that has the character. A fallback font
        is loaded into the document only when a character first needs it: parsing and
        subsetting the nine font files took most of the time of a report in Latin script."""
        code = ord(char)
        last = self._last_fallback
        if code in _JOINERS and last and code in _coverage(last):
            return last
        found = None
        for family, _name in FALLBACKS:
            if code in _coverage(family.lower()):
                found = self._load_fallback(family)
                break
        self._last_fallback = found
        return found

    def _load_fallback(self, family: str) -> str:
        key = family.lower()
        if key not in self.fonts:
            self.add_font(family, "", str(FONT_DIR / _FALLBACK_FILES[key]))
            self._fallback_font_ids.append(key)
        return key

    def footer(self) -> None:
        if not self.footer_text:
            return
        self.set_y(-12)
        self.set_font(FAMILY, "", 8)
        self.set_text_color(110, 110, 120)
        # `{nb}` is replaced by the page count when the document is written; it comes last
        # so the space reserved for it stays at the end of the line.
        text = self.footer_text.replace("{page}", str(self.page_no())).replace("{pages}", "{nb}")
        self.cell(w=0, h=5, text=clean(text), align="C")
        self.set_text_color(0, 0, 0)


def new_document(
    lang: str,
    *,
    title: str = "",
    author: str = "",
    footer: str | None = None,
    margin: float = 15,
) -> Document:
    """A new A4 document (no page yet) set up to print every script the portal stores.

    `footer`, when given, is printed at the bottom of every page; `{page}` and `{pages}` in it
    become the page number and the page count (e.g. "Page {page} of {pages}", translated).
    """
    pdf = Document(lang)
    for style, name in _MAIN_FILES.items():
        pdf.add_font(FAMILY, style, str(FONT_DIR / name))
    for style in _MAIN_FILES:
        cmap = pdf.fonts[FAMILY.lower() + style].cmap
        for code in _JOINERS:
            cmap.pop(code, None)
    # The fallback fonts are added when a character first needs one (Document.get_fallback_font)
    pdf.set_text_shaping(True)
    pdf.alias_nb_pages("{nb}")
    pdf.set_margins(margin, margin, margin)
    pdf.set_auto_page_break(True, margin=margin + 5)
    pdf.set_lang(lang)
    if title:
        pdf.set_title(clean(title))
    if author:
        pdf.set_author(clean(author))
    pdf.set_creator("Influencer Portal")
    pdf.footer_text = footer
    pdf.set_font(FAMILY, "", 10)
    return pdf


def clean(text: Any, *, keep_newlines: bool = False) -> str:
    """Text as it can be printed: control characters become spaces (line breaks too, unless
    `keep_newlines`); every letter, accent, ideograph and emoji is kept as it is."""
    value = "" if text is None else str(text)
    if keep_newlines:
        value = value.replace("\r\n", "\n").replace("\r", "\n").replace("\t", " ")
    else:
        value = _BREAKS.sub(" ", value)
    return _CONTROL.sub(" ", value)


def write_line(
    pdf: FPDF,
    text: Any,
    *,
    size: float = 10,
    bold: bool = False,
    height: float | None = None,
    align: str = "L",
    color: tuple[int, int, int] = (0, 0, 0),
    keep_newlines: bool = False,
) -> None:
    """Write `text` across the page at the cursor, wrapping long text onto more lines, and
    move to the start of the next line. Safe for any text a user typed."""
    pdf.set_font(FAMILY, "B" if bold else "", size)
    pdf.set_text_color(*color)
    pdf.set_x(pdf.l_margin)
    pdf.multi_cell(
        w=0,
        h=height or size * 0.5,
        text=clean(text, keep_newlines=keep_newlines),
        align=align,
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.set_text_color(0, 0, 0)


def fit(pdf: FPDF, text: Any, width: float, *, ellipsis: str = "…") -> str:
    """`text` on one line no wider than `width` (in the current font), cut with an ellipsis."""
    value = clean(text)
    if pdf.get_string_width(value) <= width:
        return value
    low, high = 0, len(value)
    while low < high:  # the longest prefix that fits with the ellipsis
        mid = (low + high + 1) // 2
        if pdf.get_string_width(value[:mid].rstrip() + ellipsis) <= width:
            low = mid
        else:
            high = mid - 1
    return value[:low].rstrip() + ellipsis
