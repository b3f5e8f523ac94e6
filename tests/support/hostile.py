"""A corpus of hostile text: what a person (or a script) might type into any field of the portal.

Built in code, not read from a file, because some entries (lone surrogates) cannot be written
to a UTF-8 file at all. Each entry has a name (for test ids) and a family, so a test can pick a
representative subset for the slow paths (pages, real browser) and feed all of it to `core`.

Families:
  formula   spreadsheet formula triggers (=, +, -, @, tab, CR, LF, ')
  html      HTML and script, attribute breaking, entities
  markdown  markdown and Streamlit's extensions that would render links, images, colours, icons
  sql       SQL metacharacters and injection attempts, LIKE wildcards
  control   NUL and other C0/C1 control characters
  bidi      right-to-left overrides and other bidirectional controls
  invisible zero-width characters, BOM, soft hyphen, variation selectors
  surrogate lone surrogates (not encodable in UTF-8)
  huge      very long strings (up to 1 MB)
  emoji     emoji ZWJ sequences, flags, skin tones, keycaps
  script    CJK, Arabic, Hebrew, Devanagari, Thai, combining marks, Zalgo, fullwidth
  path      path traversal and file-name tricks
  format    Python/i18n format strings, JSON and CSV metacharacters, whitespace only
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass


@dataclass(frozen=True)
class Entry:
    name: str
    family: str
    text: str

    @property
    def has_surrogate(self) -> bool:
        return any(unicodedata.category(ch) == "Cs" for ch in self.text)

    @property
    def has_control(self) -> bool:
        """C0/C1 controls other than tab and line feed (what free-text fields drop)."""
        return any(
            unicodedata.category(ch) == "Cc" and ch not in "\n\t" for ch in self.text
        ) or any(unicodedata.category(ch) == "Cs" for ch in self.text)

    @property
    def huge(self) -> bool:
        return len(self.text) > 10_000


def _entries() -> list[Entry]:
    out: list[Entry] = []

    def add(family: str, *texts: str) -> None:
        for text in texts:
            out.append(Entry(f"{family}-{sum(e.family == family for e in out):03d}", family, text))

    add(
        "formula",
        "=1+1",
        "=SUM(A1:A9)",
        '=HYPERLINK("http://127.0.0.1:9/x","click me")',
        "=cmd|' /C calc'!A0",
        '=IMPORTXML(CONCAT("http://127.0.0.1:9/?v=",A1),"//a")',
        "+39 347 555 0199",
        "+1+1",
        "-5% off",
        "-",
        "--",
        "-2+3",
        "@SUM(A1:A9)",
        "@",
        "\tleading tab",
        "\rleading carriage return",
        "\nleading line feed",
        "'already quoted",
        "''",
        "=",
        "+",
        " =1+1",
        "＝1+1",  # fullwidth equals sign
        '=DDE("cmd";"/C calc";"!A0")',
        "=1+1\n=2+2",
        "%0A=1+1",
    )
    add(
        "html",
        "<script>alert(1)</script>",
        "<img src=x onerror=alert(1)>",
        "<svg/onload=alert(1)>",
        "<iframe src=javascript:alert(1)></iframe>",
        '"><script>alert(document.cookie)</script>',
        "'><img src=x onerror=alert(1)>",
        "<b>bold</b> <i>italic</i>",
        '<a href="javascript:alert(1)">click</a>',
        "<style>body{display:none}</style>",
        "<meta http-equiv=refresh content=0;url=http://127.0.0.1:9/>",
        "&lt;script&gt;alert(1)&lt;/script&gt;",
        "&amp; &quot; &#x27; &#60;",
        "<!-- comment --> visible",
        "</textarea><script>alert(1)</script>",
        "javascript:alert(1)",
        "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
        "<details open ontoggle=alert(1)>",
        '<math><mi xlink:href="javascript:alert(1)">x</mi></math>',
        "{{7*7}} ${7*7} <%= 7*7 %>",
        "<marquee>moving</marquee>",
    )
    add(
        "markdown",
        "**bold** _italic_ `code`",
        "[click me](http://127.0.0.1:9/phish)",
        "![tracker](http://127.0.0.1:9/pixel.png)",
        "[x](javascript:alert(1))",
        "<http://127.0.0.1:9/autolink>",
        "# Heading one",
        "## Heading two",
        "> quoted",
        "- list item\n- another",
        "1. numbered",
        "---",
        "```\ncode block\n```",
        "| a | b |\n|---|---|\n| 1 | 2 |",
        ":red[red text] :blue-background[blue]",
        ":material/home: :material/delete:",
        ":smile: :+1: :streamlit:",
        "$x^2$ and $$\\frac{1}{2}$$",
        "~~strike~~",
        "[ref][1]\n\n[1]: http://127.0.0.1:9/ref",
        "**unclosed",
        "\\*escaped\\* \\\\",
        "_*_*_*_*_*_",
        "[![img](http://127.0.0.1:9/a.png)](http://127.0.0.1:9/b)",
        ":violet-badge[badge]",
        "<span style='color:red'>styled</span>",
    )
    add(
        "sql",
        "' OR '1'='1",
        "'; DROP TABLE users; --",
        '"; DROP TABLE accounts; --',
        "1; DELETE FROM subscriptions",
        "' UNION SELECT password_hash FROM users --",
        "admin'--",
        "%",
        "_",
        "%_%",
        "100% \\ off_",
        "\\",
        "\\\\",
        "' || (SELECT pg_sleep(5)) || '",
        "1' AND SLEEP(5)#",
        "$$; SELECT 1; $$",
        "E'\\x00'",
        "/* comment */",
        "--comment",
        "`backtick`",
        "[bracket]",
        "O'Brien & Sons",
        "Robert'); DROP TABLE students;--",
        "LIKE 'a%' ESCAPE '\\'",
    )
    add(
        "control",
        "nul\x00byte",
        "\x00",
        "\x00\x00\x00",
        "bell\x07",
        "backspace\x08x",
        "vertical\x0btab",
        "form\x0cfeed",
        "escape\x1b[31mred\x1b[0m",
        "delete\x7f",
        "c1\x85next line",
        "c1\x9bcsi",
        "line\u2028separator",
        "para\u2029separator",
        "\r\n",
        "windows\r\nline",
        "a\rb",
        "unit\x1fsep",
        "".join(chr(c) for c in range(32)),
        "tab\tinside",
        "trailing\x00",
    )
    add(
        "bidi",
        "\u202eevil.exe",
        "file\u202egnp.exe",
        "\u202dforced LTR",
        "\u2066isolate\u2069",
        "\u2067rtl isolate\u2069",
        "\u2068first strong\u2069",
        "\u200fRLM\u200eLRM",
        "\u061carabic letter mark",
        "admin\u202e@example.com",
        "price \u202e$001\u202c",
    )
    add(
        "invisible",
        "zero\u200bwidth",
        "\u200b",
        "zw\u200cnon\u200djoiner",
        "\ufeffBOM at start",
        "soft\u00adhyphen",
        "word\u2060joiner",
        "\u180emongolian",
        "variation\ufe0fselector",
        "\u3164hangul filler",
        "\u115f\u1160",
        "tag\U000e0041\U000e0042",
        "\u2062\u2063\u2064",
    )
    add(
        "surrogate",
        "lone high \ud800",
        "lone low \udc00",
        "\udfff",
        "reversed \udc00\ud800",
        "emoji half \ud83d",
    )
    add(
        "huge",
        "A" * 1_000_000,
        "é" * 500_000,
        "😀" * 250_000,
        "=" + "1+" * 100_000,
        "<b>" * 50_000,
        "x" * 2001,
        "y" * 1001,
        "z" * 201,
        "w" * 255,
        "q" * 32_768,
        "\n" * 10_000,
        " " * 100_000,
    )
    add(
        "emoji",
        "👨‍👩‍👧‍👦",
        "🏳️‍🌈",
        "👩🏽‍💻",
        "🧑‍🤝‍🧑",
        "🇮🇹🇯🇵🇸🇦",
        "1️⃣#️⃣*️⃣",
        "❤️‍🔥",
        "🏴󠁧󠁢󠁳󠁣󠁴󠁿",
        "👍🏿👍🏻",
        "🫠🫶🪿",
        "Great team ✨🚀💯",
        "🤷‍♀️",
    )
    add(
        "script",
        "株式会社テスト",
        "测试公司 有限公司",
        "한국어 회사",
        "شركة الاختبار المحدودة",
        "مرحبا بالعالم 123",
        'חברת בדיקה בע"מ',
        "परीक्षण कंपनी",
        "บริษัท ทดสอบ จำกัด",
        "Ελληνική Εταιρεία",
        "Тестовая компания",
        "Lumière Srl – Café Ünïcödé",
        "e\u0301\u0301\u0301",  # stacked combining marks
        "Z̷̢̛̛̤̟̠͚̭a̸̡̛͔̹̝l̵̨̛̟̮g̶̢̹̈́ǫ̴̛̞̝",
        "ｆｕｌｌｗｉｄｔｈ",
        "ß ẞ ﬁ ﬂ",
        "İstanbul ı",
        "mixed עברית and English",
        "أ ب ت ١٢٣",
        "𝕳𝖊𝖑𝖑𝖔 𝓦𝓸𝓻𝓵𝓭",
        "ᚠᛇᚻ᛫ᛒᛦᚦ",
        "ꦧꦱꦗꦮ",
        "𓀀𓁐",
    )
    add(
        "path",
        "../../etc/passwd",
        "..\\..\\windows\\system32",
        "/dev/null",
        "CON",
        "file.pdf\x00.exe",
        "name/with/slashes",
        "C:\\boot.ini",
        "~/.ssh/id_rsa",
    )
    add(
        "format",
        "{0}",
        "{email}",
        "{date} {price}",
        "%s%s%s%n",
        "%(name)s",
        "{{}}",
        "{",
        "}",
        '{"a": 1}',
        "[1, 2, 3]",
        "null",
        "true",
        "NaN",
        "-Infinity",
        "1e309",
        "0x41",
        '"quoted"',
        "a,b,c",
        "a;b;c",
        '"a","b"',
        "   ",
        "",
        " leading and trailing ",
        "None",
        "undefined",
    )
    return out


CORPUS: tuple[Entry, ...] = tuple(_entries())


def by_family(*families: str) -> tuple[Entry, ...]:
    return tuple(e for e in CORPUS if e.family in families)


def sample(per_family: int = 2) -> tuple[Entry, ...]:
    """A few entries of every family: the first ones, which are the most typical."""
    picked: list[Entry] = []
    for family in dict.fromkeys(e.family for e in CORPUS):
        picked += [e for e in CORPUS if e.family == family][:per_family]
    return tuple(picked)


def ids(entries: tuple[Entry, ...]) -> list[str]:
    return [e.name for e in entries]
