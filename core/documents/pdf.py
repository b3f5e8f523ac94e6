"""PDF documents that print any script: the shipped fonts, fallbacks and text shaping.

Every PDF the portal makes (the account report, the cancellation receipt) starts here:

    pdf = new_document("it", title="...")      # an FPDF with the fonts set up, A4, page numbers
    pdf.add_page()
    write_line(pdf, "Lumière & Co. — 佐藤 花子 ✨", size=14, bold=True)

Text is set in Noto Sans (Latin, Greek, Cyrillic, Vietnamese). A character Noto Sans lacks is
taken from the first fallback font (FALLBACKS) that has it: Arabic, Hebrew, Devanagari, Thai,
emoji (Noto Emoji, monochrome), Chinese and Japanese (Droid Sans Fallback), Korean (NanumGothic),
the other scripts of India and South-East Asia, Tibetan, Lao, Ethiopic, Ogham, Runic, Deseret,
Javanese, the mathematical alphanumerics (Noto Sans Math), symbols and box drawing (DejaVu Sans)
and CJK Extension B (HanaMinB). A fallback font is read only when a character first needs it.
A character no shipped font has prints as U+FFFD (the replacement character, a visible "?" in
a diamond) and is counted: `Document.missing` lists them, and a warning is logged when the
document is written; characters that are invisible by design (zero-width joiners, variation
selectors, bidi marks) print as nothing, as in any text.
Text shaping (HarfBuzz, through uharfbuzz) joins Arabic letters, sets right-to-left runs in
order, builds Devanagari conjuncts and draws emoji sequences (ZWJ families, flags, skin tones)
as one glyph. The font files and their licences are in `data/fonts/` (see its README).
"""

from __future__ import annotations

import logging
import re
import sys
import unicodedata
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from fpdf import FPDF
from fpdf.enums import PDFResourceType, TextDirection

FONT_DIR = Path(__file__).resolve().parents[2] / "data" / "fonts"
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
    # Scripts and symbols none of the fonts above has (all Noto, except the last two).
    ("NotoSansBengali", "NotoSansBengali-Regular.ttf"),
    ("NotoSansGurmukhi", "NotoSansGurmukhi-Regular.ttf"),
    ("NotoSansGujarati", "NotoSansGujarati-Regular.ttf"),
    ("NotoSansOriya", "NotoSansOriya-Regular.ttf"),
    ("NotoSansTamil", "NotoSansTamil-Regular.ttf"),
    ("NotoSansTelugu", "NotoSansTelugu-Regular.ttf"),
    ("NotoSansKannada", "NotoSansKannada-Regular.ttf"),
    ("NotoSansMalayalam", "NotoSansMalayalam-Regular.ttf"),
    ("NotoSansSinhala", "NotoSansSinhala-Regular.ttf"),
    ("NotoSansLao", "NotoSansLao-Regular.ttf"),
    ("NotoSerifTibetan", "NotoSerifTibetan-Regular.ttf"),
    ("NotoSansMyanmar", "NotoSansMyanmar-Regular.ttf"),
    ("NotoSansKhmer", "NotoSansKhmer-Regular.ttf"),
    ("NotoSansJavanese", "NotoSansJavanese-Regular.ttf"),
    ("NotoSansEthiopic", "NotoSansEthiopic-Regular.ttf"),
    ("NotoSansOgham", "NotoSansOgham-Regular.ttf"),
    ("NotoSansRunic", "NotoSansRunic-Regular.ttf"),
    ("NotoSansDeseret", "NotoSansDeseret-Regular.ttf"),
    ("NotoSansMath", "NotoSansMath-Regular.ttf"),  # 𝐁𝐨𝐥𝐝, 𝔉𝔯𝔞𝔨𝔱𝔲𝔯, 𝓢𝓬𝓻𝓲𝓹𝓽, 𝔻𝕠𝕦𝕓𝕝𝕖, 𝙼𝚘𝚗𝚘
    ("DejaVuSans", "DejaVuSans.ttf"),  # symbols, box drawing, Georgian, Armenian ◕ ☻ ╯ ✿
    ("HanaMinB", "HanaMinB-ExtB.ttf"),  # CJK Extension B (𠜎𠜱), a subset of HanaMinB
)
# The longest text (in UTF-16 units) one glyph of a ToUnicode map stands for: poppler reads
# at most 256 characters per token, and each unit takes four hex digits.
MAX_TO_UNICODE = 60
# fit() measures at most this many characters of a text.
_FIT_LIMIT = 500
# What a character without a font prints as: visible, and in Noto Sans.
REPLACEMENT = "\ufffd"
# Default-ignorable code points (Unicode's DerivedCoreProperties): invisible by design, so
# printing nothing for them is right, whichever font is current.
_IGNORABLE = (
    (0x00AD, 0x00AD),
    (0x034F, 0x034F),
    (0x061C, 0x061C),
    (0x115F, 0x1160),
    (0x17B4, 0x17B5),
    (0x180B, 0x180F),
    (0x200B, 0x200F),
    (0x202A, 0x202E),
    (0x2060, 0x206F),
    (0x3164, 0x3164),
    (0xFE00, 0xFE0F),
    (0xFEFF, 0xFEFF),
    (0xFFA0, 0xFFA0),
    (0xFFF0, 0xFFF8),
    (0x1BCA0, 0x1BCA3),
    (0x1D173, 0x1D17A),
    (0xE0000, 0xE0FFF),
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

# Bidi classes that make a text more than one left-to-right run (Unicode's UAX #9): without
# any of them, the bidi algorithm has nothing to reorder.
_BIDI_CLASSES = frozenset(
    ["R", "AL", "AN", "RLE", "LRE", "RLO", "LRO", "PDF", "RLI", "LRI", "FSI", "PDI"]
)
# Characters a plain run may hold (letters, digits, punctuation, symbols, spaces), when the
# font has them: marks, format and control characters need HarfBuzz.
_PLAIN_CATEGORIES = frozenset(
    ["Lu", "Ll", "Lt", "Lm", "Lo", "Nd", "Nl", "No", "Pc", "Pd", "Ps", "Pe", "Pi", "Pf", "Po",
     "Sm", "Sc", "Sk", "So", "Zs"]
)  # fmt: skip

logging.getLogger("fontTools.subset").setLevel(logging.ERROR)  # "TSI0 NOT subset" notices
_FALLBACK_FILES = {family.lower(): name for family, name in FALLBACKS}


_MAIN_KEY = FAMILY.lower()


@cache
def _coverage(key: str) -> frozenset[int]:
    """The characters a font has (its cmap, as fpdf2 reads it), read once per process from the
    cmap table alone. `key` is a fallback's family in lower case, or the main family's."""
    from fontTools.ttLib import TTFont

    name = _MAIN_FILES[""] if key == _MAIN_KEY else _FALLBACK_FILES[key]
    with TTFont(str(FONT_DIR / name), lazy=True) as font:
        return frozenset(font.getBestCmap() or ())


@cache
def _first_fallback(code: int) -> str | None:
    """The first fallback font (in FALLBACKS order) that has the character."""
    for family, _name in FALLBACKS:
        key = family.lower()
        if code in _coverage(key):
            return key
    return None


def _ignorable(code: int) -> bool:
    return any(low <= code <= high for low, high in _IGNORABLE)


@cache
def _bidi_needed(char: str) -> bool:
    return unicodedata.bidirectional(char) in _BIDI_CLASSES


@cache
def _plain_char(char: str) -> bool:
    """True for a character that prints the same with or without text shaping, in a font
    that has it: no mark to place, no joiner, no right-to-left letter, no part of an emoji
    sequence (skin tones, flags) or of a Hangul syllable spelt in jamo."""
    code = ord(char)
    if code in _JOINERS or 0x1F1E6 <= code <= 0x1F1FF or _in_jamo(code):
        return False
    return unicodedata.category(char) in _PLAIN_CATEGORIES and not _bidi_needed(char)


def _in_jamo(code: int) -> bool:
    return 0x1100 <= code <= 0x11FF or 0xA960 <= code <= 0xA97F or 0xD7B0 <= code <= 0xD7FF


@dataclass(frozen=True)
class Plain:
    """A text that prints with no shaping (`Document.plain`): its width, and its runs of
    characters, each with the font (an fpdf2 TTFFont) that prints it."""

    width: float
    runs: tuple[tuple[Any, str], ...]


@cache
def font_for(char: str) -> str | None:
    """The font that prints `char`: the main family's key ("notosans") or a fallback's (e.g.
    "notosanstelugu"); "" for a character that prints as nothing by design (a control character,
    shown as a space, or a default-ignorable one such as a zero-width joiner); None when no
    shipped font has it, and the document prints REPLACEMENT instead."""
    code = ord(char)
    category = unicodedata.category(char)
    if category == "Cc":
        return ""
    if code in _coverage(_MAIN_KEY):
        return _MAIN_KEY
    if category == "Cs":  # a lone surrogate is no character at all
        return None
    if _ignorable(code):
        return ""
    return _first_fallback(code)


class Document(FPDF):
    """An A4 FPDF with the portal's fonts. `footer_text` (if set) is printed on every page,
    where `{page}` is the page number and `{pages}` the page count."""

    def __init__(self, lang: str) -> None:
        super().__init__(orientation="portrait", unit="mm", format="A4")
        self.lang = lang
        self.footer_text: str | None = None
        self._last_fallback: str | None = None
        # Characters no shipped font has, printed as REPLACEMENT (each counted once).
        self.missing: set[str] = set()
        # For each main font (regular, bold): the font each character prints in when plain
        # ("" when it is not), and the plain texts measured so far (see `plain`).
        self._plain: dict[str, dict[str, str]] = {}
        self._plain_texts: dict[tuple[str, float, str], Plain | None] = {}
        self._plain_shown: dict[int, str] = {}  # id of a Plain in _plain_texts: its operators

    @property
    def replaced(self) -> int:
        """How many different characters had no font and were printed as REPLACEMENT."""
        return len(self.missing)

    def normalize_text(self, text: str) -> str:
        """Every text fpdf2 measures or prints passes here: a character no shipped font has
        becomes REPLACEMENT (and is counted in `missing`), a control character a space, so
        nothing ever prints as a blank or an empty box."""
        text = super().normalize_text(text)
        main = _coverage(_MAIN_KEY)
        table: dict[int, str] = {}
        for char in set(text):
            code = ord(char)
            if code < 0x20 or 0x7F <= code <= 0x9F:
                if char not in "\n\r\t":
                    table[code] = " "
            elif code not in main and font_for(char) is None:
                self.missing.add(char)
                table[code] = REPLACEMENT
        return text.translate(table) if table else text

    def _preload_bidirectional_text(self, text: str, markdown: bool) -> Any:
        """fpdf2 runs the Unicode bidi algorithm (in Python) on every text it measures or
        prints; a text with no right-to-left letter and no bidi control is one left-to-right
        run whatever the algorithm, so it is skipped. The algorithm recurses once per
        character of a run of spaces or punctuation: a text that needs it gets the room."""
        shaping = self.text_shaping
        simple = shaping and not markdown and not shaping["direction"]
        if simple and not any(map(_bidi_needed, set(text))):
            shaping["paragraph_direction"] = TextDirection.LTR
            shaping["fragment_direction"] = TextDirection.LTR
            return tuple(self._preload_font_styles(text, markdown))
        limit = sys.getrecursionlimit()
        if len(text) + 200 > limit:
            sys.setrecursionlimit(len(text) + limit)
        return super()._preload_bidirectional_text(text, markdown)

    def plain(self, text: str) -> Plain | None:
        """`text` as it prints in the current font and size with no text shaping, when that is
        how it looks shaped too: letters, digits, punctuation and symbols that need no mark
        placed, no joining, no reordering (Latin, Greek, Cyrillic, CJK, Hangul, single emoji;
        not Arabic, Hebrew, Indic vowel signs, emoji sequences), each character in the main
        font or its first fallback. Its width is a sum of the fonts' advance widths: no
        HarfBuzz call, no bidi pass. None for any other text (`get_string_width` and `cell`
        handle it)."""
        main = self.current_font
        fonts = self._plain.get(main.fontkey) if main is not None else None
        if fonts is None or self.font_stretching != 100 or self.char_spacing:
            return None
        key = (main.fontkey, self.font_size_pt, text)
        if key in self._plain_texts:
            return self._plain_texts[key]
        runs: list[tuple[str, list[str]]] = []
        found: Plain | None = None
        for char in text:
            fontkey = fonts.get(char)
            if fontkey is None:
                fontkey = fonts[char] = self._plain_font(char, main)
            if not fontkey:
                break
            if runs and runs[-1][0] == fontkey:
                runs[-1][1].append(char)
            else:
                runs.append((fontkey, [char]))
        else:
            width = 0.0
            parts = []
            for fontkey, chars in runs:
                font = self.fonts[fontkey]
                widths = font.cw
                width += sum(widths[ord(c)] for c in chars)
                parts.append((font, "".join(chars)))
            found = Plain(width * self.font_size_pt * 0.001 / self.k, tuple(parts))
        self._plain_texts[key] = found
        return found

    def _plain_font(self, char: str, main: Any) -> str:
        """The font a plain character prints in ("" if it is not plain, or has no font)."""
        if not _plain_char(char):
            return ""
        if ord(char) in main.cmap:
            return main.fontkey
        fallback = _first_fallback(ord(char))
        return self._load_fallback(fallback) if fallback else ""

    def plain_text(self, x: float, y: float, h: float, plain: Plain) -> None:
        """Print a `plain` text (from `plain`) in the current size and text colour, from
        `x`, vertically centred in a line of height `h` at `y`, as `cell` would, without
        moving the cursor: the glyphs go straight into the page, in a saved graphics state
        so the page's font and colours stay as they were."""
        k = self.k
        baseline = self.h - y - 0.5 * h - 0.3 * self.font_size
        shown = self._plain_shown.get(id(plain))
        if shown is None:  # the glyphs, in the fonts' subsets (once per text)
            parts = []
            for font, text in plain.runs:
                pick = font.subset.pick
                glyphs = font.escape_text("".join(chr(pick(ord(char))) for char in text))
                parts.append(f"/F{font.i} {self.font_size_pt:.2f} Tf ({glyphs}) Tj")
            shown = self._plain_shown[id(plain)] = " ".join(parts)
        for font, _text in plain.runs:
            self._resource_catalog.add(PDFResourceType.FONT, font.i, self.page)
        color = self.text_color.serialize().lower()
        self._out(f"q {color} BT {x * k:.2f} {baseline * k:.2f} Td {shown} ET Q")

    def get_fallback_font(self, char: str, style: str = "") -> str | None:
        """The first fallback font (in FALLBACKS order) that has the character. A fallback font
        is loaded into the document only when a character first needs it: parsing and
        subsetting every font file would take most of the time of a report in Latin script."""
        code = ord(char)
        last = self._last_fallback
        if code in _JOINERS and last and code in _coverage(last):
            return last
        found = _first_fallback(code)
        if found is not None:
            self._load_fallback(found)
        self._last_fallback = found
        return found

    def _load_fallback(self, key: str) -> str:
        if key not in self.fonts:
            family = next(family for family, _name in FALLBACKS if family.lower() == key)
            self.add_font(family, "", str(FONT_DIR / _FALLBACK_FILES[key]))
            self._fallback_font_ids.append(key)
        return key

    def header(self) -> None:
        """Set the current font for the whole page, outside any saved graphics state.

        fpdf2 2.8 sets the font of a line that starts in a fallback font inside that line's
        `q ... Q`, then takes the font as set for the rest of the page: the next lines of the
        page were shown with no font at all (poppler: "Syntax Error: No font in show", and
        some viewers drop them)."""
        if self.current_font is not None:
            self._out(self._set_font_for_page(self.current_font, self.font_size_pt))

    def _render_styled_text_line(self, *args: Any, **kwargs: Any) -> Any:
        # The same, after set_font changes the font or size in the middle of a page.
        if self.page and not self.current_font_is_set_on_page and self.current_font is not None:
            self._out(self._set_font_for_page(self.current_font, self.font_size_pt))
        return super()._render_styled_text_line(*args, **kwargs)

    def output(self, *args: Any, **kwargs: Any) -> Any:
        _shorten_to_unicode(self)
        if self.missing:
            logging.getLogger(__name__).warning(
                "PDF: %d characters have no font and print as U+FFFD: %s",
                len(self.missing),
                " ".join(f"U+{ord(c):04X}" for c in sorted(self.missing)),
            )
        return super().output(*args, **kwargs)

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


def _utf16_units(codes: tuple[int, ...]) -> int:
    return sum(2 if code > 0xFFFF else 1 for code in codes)


def _shorten_to_unicode(pdf: FPDF) -> None:
    """Keep each entry of the fonts' ToUnicode maps within what PDF readers parse.

    fpdf2 maps a glyph to the text of its whole HarfBuzz cluster; a letter followed by a run of
    invisible characters (the Big List of Naughty Strings has 97 tag characters in a row) made
    one entry of Noto Sans's map longer than poppler's 256-character token, and poppler warned
    "Illegal entry in bfchar block in ToUnicode CMap" on every page. Such an entry keeps its
    visible characters (the invisible ones carry no text), up to MAX_TO_UNICODE UTF-16 units.
    """
    for font in pdf.fonts.values():
        subset = getattr(font, "subset", None)
        if subset is None:
            continue
        for glyph, _code in subset.items():
            codes = getattr(glyph, "unicode", None)
            if not isinstance(codes, tuple) or _utf16_units(codes) <= MAX_TO_UNICODE:
                continue
            visible = tuple(c for c in codes if not _ignorable(c)) or codes[:1]
            while _utf16_units(visible) > MAX_TO_UNICODE:
                visible = visible[:-1]
            glyph.unicode = visible


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
        pdf._plain[FAMILY.lower() + style] = {}
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
    # No line shows more than a few hundred characters, and fpdf2's bidi algorithm recurses
    # once per character of a run of punctuation or spaces (RecursionError past about 1,000).
    cut = len(value) > _FIT_LIMIT
    value = value[:_FIT_LIMIT]
    if not cut and pdf.get_string_width(value) <= width:
        return value
    low, high = 0, len(value)
    while low < high:  # the longest prefix that fits with the ellipsis
        mid = (low + high + 1) // 2
        if pdf.get_string_width(value[:mid].rstrip() + ellipsis) <= width:
            low = mid
        else:
            high = mid - 1
    return value[:low].rstrip() + ellipsis
