"""The font chain of the PDFs (`core/documents/pdf.py`): every character of the hostile corpus
and of the Big List of Naughty Strings is printed by a shipped font, or printed as a visible
U+FFFD and counted, never as a blank; a report with those strings as list and campaign
names shows them in poppler (`pdftotext`) with no syntax error or ToUnicode warning; fallback
fonts are added to a document only when one of its texts needs them."""

from __future__ import annotations

import datetime as dt
import io
import logging
import shutil
import subprocess
import unicodedata

import pytest
from pypdf import PdfReader

from core.documents import pdf
from core.exports import access, services
from core.exports.request import REPORT, ExportRequest
from core.platform.models import (
    Campaign,
    CampaignInfluencer,
    Influencer,
    InfluencerList,
    ListMember,
)
from tests.support import factories
from tests.support.env import NOW
from tests.support.hostile import CORPUS

# The shapes of the Big List of Naughty Strings that printed blank or partly blank (issue 12,
# item 13), with their neighbours in the list: each string as a person could type it.
NAUGHTY = {
    "cjk-ext-b": "𠜎𠜱𠝹𠱓𠱸𠲖𠳏",
    "cjk-union": "表ポあA鷗ŒéＢ逍Üßªąñ丂㐀𠀀",
    "deseret": "𐐜 𐐔𐐇𐐝𐐀𐐡𐐇𐐓 𐐙𐐊𐐡𐐝𐐓/𐐝𐐇𐐗𐐊𐐤𐐔 𐐒𐐋𐐗 𐐒𐐌 𐐜 𐐡𐐀𐐖𐐇𐐤𐐓𐐝 𐐱𐑂 𐑄",
    "ogham": "᚛ᚄᚓᚐᚋᚒᚄ ᚑᚄᚂᚑᚏᚅ᚜",
    "ogham-space": "᚛                 ᚜",
    "math-bold": "𝐓𝐡𝐞 𝐪𝐮𝐢𝐜𝐤 𝐛𝐫𝐨𝐰𝐧 𝐟𝐨𝐱 𝐣𝐮𝐦𝐩𝐬 𝐨𝐯𝐞𝐫 𝐭𝐡𝐞 𝐥𝐚𝐳𝐲 𝐝𝐨𝐠",
    "math-fraktur": "𝕿𝖍𝖊 𝖖𝖚𝖎𝖈𝖐 𝖇𝖗𝖔𝖜𝖓 𝖋𝖔𝖝 𝖏𝖚𝖒𝖕𝖘 𝖔𝖛𝖊𝖗 𝖙𝖍𝖊 𝖑𝖆𝖟𝖞 𝖉𝖔𝖌",
    "math-bold-italic": "𝑻𝒉𝒆 𝒒𝒖𝒊𝒄𝒌 𝒃𝒓𝒐𝒘𝒏 𝒇𝒐𝒙 𝒋𝒖𝒎𝒑𝒔 𝒐𝒗𝒆𝒓 𝒕𝒉𝒆 𝒍𝒂𝒛𝒚 𝒅𝒐𝒈",
    "math-script": "𝓣𝓱𝓮 𝓺𝓾𝓲𝓬𝓴 𝓫𝓻𝓸𝔀𝓷 𝓯𝓸𝔁 𝓳𝓾𝓶𝓹𝓼 𝓸𝓿𝓮𝓻 𝓽𝓱𝓮 𝓵𝓪𝔃𝔂 𝓭𝓸𝓰",
    "math-double-struck": "𝕋𝕙𝕖 𝕢𝕦𝕚𝕔𝕜 𝕓𝕣𝕠𝕨𝕟 𝕗𝕠𝕩 𝕛𝕦𝕞𝕡𝕤 𝕠𝕧𝕖𝕣 𝕥𝕙𝕖 𝕝𝕒𝕫𝕪 𝕕𝕠𝕘",
    "math-monospace": "𝚃𝚑𝚎 𝚚𝚞𝚒𝚌𝚔 𝚋𝚛𝚘𝚠𝚗 𝚏𝚘𝚡 𝚓𝚞𝚖𝚙𝚜 𝚘𝚟𝚎𝚛 𝚝𝚑𝚎 𝚕𝚊𝚣𝚢 𝚍𝚘𝚐",
    "parenthesized": "⒯⒣⒠ ⒬⒰⒤⒞⒦ ⒝⒭⒪⒲⒩ ⒡⒪⒳ ⒥⒰⒨⒫⒮ ⒪⒱⒠⒭ ⒯⒣⒠ ⒧⒜⒵⒴ ⒟⒪⒢",
    "fullwidth": "Ｔｈｅ ｑｕｉｃｋ ｂｒｏｗｎ ｆｏｘ ｊｕｍｐｓ ｏｖｅｒ ｔｈｅ ｌａｚｙ ｄｏｇ",
    "telugu": "జ్ఞ‌ా",
    "kannada-table-flip": "(ﾉಥ益ಥ）ﾉ\ufeff ┻━┻",
    "tibetan-lao": "ヽ༼ຈل͜ຈ༽ﾉ ヽ༼ຈل͜ຈ༽ﾉ",
    "symbols-eyes": "(｡◕ ∀ ◕｡)",
    "symbols-flowers": "ﾟ･✿ヾ╲(｡◕‿◕｡)╱✿･ﾟ",
    "symbols-smile": ",。・:*:・゜’( ☻ ω ☻ )。・:*:・゜’",
    "box-drawing": "(╯°□°）╯︵ ┻━┻)",
    "table-back": "┬─┬ノ( º _ ºノ)",
    "lenny": "( ͡° ͜ʖ ͡°)",
    "shrug": "¯\\_(ツ)_/¯",
    "imessage": "Powerلُلُصّبُلُلصّبُررً ॣ ॣh ॣ ॣ 冗",
    "rainbow": "🏳0🌈️",
    "upside-down": "˙ɐnbᴉlɐ ɐuƃɐɯ ǝɹolop ʇǝ ǝɹoqɐl ʇn ʇunpᴉpᴉɔuᴉ ɹodɯǝʇ 00˙Ɩ$-",
    "symbols-math": "Ω≈ç√∫˜µ≤≥÷ åß∂ƒ©˙∆˚¬…æ œ∑´®†¥¨ˆøπ“‘ ¡™£¢∞§¶•ªº–≠ ⅛⅜⅝⅞ ☃",
    "two-byte": "田中さんにあげて下さい 사회과학원 어학연구소 "
    "찦차를 타고 온 펲시맨과 쑛다리 똠방각하",
    "rtl": "בְּרֵאשִׁית, בָּרָא אֱלֹהִים ﷽ ﷺ مُنَاقَشَةُ سُبُلِ",
    "zalgo": "Ṱ̺̺̕o͞ ̷i̲̬͇̪͙n̝̗͕v̟̜̘̦͟o̶̙̰̠kè͚̮̺̪̹̱̤ ̖t̝͕̳̣̻̪͞h̼͓̲̦̳̘̲e͇̣̰̦̬͎",
    "thai-marks": "ด้้้้้็็็็็้้้้้็็็็็้้้้้้้้็็็็็",
    "emoji": "👨‍👩‍👦 👩🏽 ✋🏿 🇺🇸🇷🇺🇸 0️⃣ 🔟 🚾 🆒 ❤️ 💔",
    "super-subscripts": "⁰⁴⁵₀₁₂",
    "spaces": "\u0085\u00a0\u1680\u2000\u2001\u2002\u2003\u2007\u200a\u200b\u202f\u205f\u3000",
    "format-characters": "\u00ad\u0600\u0601\u0602\u0603\u0604\u0605\u061c\u06dd\u070f\u180e"
    "\u200b\u200c\u200d\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2060\u2061\u2062\u2063"
    "\u2064\u2066\u2067\u2068\u2069\u206a\u206b\u206c\u206d\u206e\u206f\ufeff\ufff9\ufffa"
    "\ufffb\U000110bd\U0001bca0\U0001bca1\U0001bca2\U0001bca3"
    + "".join(map(chr, range(0x1D173, 0x1D17B)))
    + "\U000e0001"
    + "".join(map(chr, range(0xE0020, 0xE0080))),
    "private-use": "ÅÍÎÏ˝ÓÔ\uf8ffÒÚÆ☃",
    "trick": "\u202atest\u202a \u202btest\u202b test\u2060test \u2066test\u2067",
    # and scripts the report now covers besides the list's
    "south-asia": "বাংলা ਪੰਜਾਬੀ ગુજરાતી ଓଡ଼ିଆ தமிழ் മലയാളം සිංහල",
    "south-east-asia": "ភាសាខ្មែរ မြန်မာ ꦧꦱꦗꦮ",
    "africa-caucasus": "አማርኛ ქართული Հայերեն",
}
# The 18 strings of the issue that printed blank, and the fonts that print them now.
FIXED = {
    "cjk-ext-b": "HanaMinB",
    "deseret": "NotoSansDeseret",
    "ogham": "NotoSansOgham",
    "math-bold": "NotoSansMath",
    "math-fraktur": "NotoSansMath",
    "math-script": "NotoSansMath",
    "math-double-struck": "NotoSansMath",
    "math-monospace": "NotoSansMath",
    "telugu": "NotoSansTelugu",
    "kannada-table-flip": "NotoSansKannada",
    "tibetan-lao": "NotoSerifTibetan",
    "symbols-eyes": "DejaVuSans",
    "symbols-smile": "DejaVuSans",
    "box-drawing": "DejaVuSans",
    "symbols-flowers": "DejaVuSans",
}
# Characters no shipped font has (a test below fails if one of them gains a font, so the list
# stays true): Egyptian hieroglyphs, the Syriac abbreviation mark, the Kaithi number sign, a
# private-use character (Apple's logo on a Mac, nothing anywhere else), two noncharacters, and
# the nine ideographs Unicode 13 and 14 added at the end of Extension B (HanaMinB predates them).
NO_FONT = {
    "\U00013000",
    "\U00013050",
    "\u070f",
    "\U000110bd",
    "\uf8ff",
    "\ufffe",
    "\uffff",
    *map(chr, range(0x2A6D7, 0x2A6E0)),
}


def every_character() -> set[str]:
    chars: set[str] = set()
    for entry in CORPUS:
        chars.update(entry.text if len(entry.text) < 10_000 else entry.text[:1000])
    for text in NAUGHTY.values():
        chars.update(text)
    return chars | NO_FONT


def test_every_character_is_printed_by_a_font_or_replaced_and_counted():
    """Each character of the corpora, set alone on a page: it has a font that has its glyph,
    or it is printed as U+FFFD in Noto Sans and counted, or it is invisible by design."""
    main = pdf._coverage(pdf._MAIN_KEY)
    uncovered = set()
    doc = pdf.new_document("en")
    doc.add_page()
    for char in sorted(every_character()):
        font = pdf.font_for(char)
        if font:
            # the font named really has the glyph
            assert ord(char) in pdf._coverage(font), (f"U+{ord(char):04X}", font)
        elif font == "":
            assert unicodedata.category(char) in ("Cc", "Cf", "Mn", "Zs", "Lo"), hex(ord(char))
            assert pdf._ignorable(ord(char)) or unicodedata.category(char) == "Cc"
        else:
            uncovered.add(char)
        doc.missing.clear()
        assert doc.normalize_text(f"a{char}b") == (
            f"a{pdf.REPLACEMENT}b"
            if font is None
            else "a b"
            if unicodedata.category(char) == "Cc" and char not in "\n\r\t"
            else f"a{char}b"
        ), hex(ord(char))
        assert doc.replaced == (font is None), hex(ord(char))
    assert ord(pdf.REPLACEMENT) in main
    surrogates = {c for c in uncovered if unicodedata.category(c) == "Cs"}
    assert uncovered - surrogates == NO_FONT


def test_the_replacement_is_visible_text_and_counted_in_the_pdf(caplog):
    doc = pdf.new_document("en", title="Replacement")
    doc.add_page()
    pdf.write_line(doc, "Hieroglyph \U00013000 and \U00013000 again, noncharacter \uffff")
    with caplog.at_level(logging.WARNING, logger="core.documents.pdf"):
        content = bytes(doc.output())
    assert doc.replaced == 2 and doc.missing == {"\U00013000", "\uffff"}
    text = PdfReader(io.BytesIO(content)).pages[0].extract_text()
    assert "Hieroglyph � and � again, noncharacter �" in text
    assert "2 characters have no font and print as U+FFFD: U+FFFF U+13000" in caplog.text


@pytest.mark.parametrize("name", sorted(FIXED))
def test_the_strings_that_printed_blank_are_set_in_a_font_that_has_them(name):
    doc = pdf.new_document("en")
    doc.add_page()
    pdf.write_line(doc, NAUGHTY[name])
    reader = PdfReader(io.BytesIO(bytes(doc.output())))
    fonts = {
        str(f.get_object()["/BaseFont"]).split("+", 1)[-1]
        for f in reader.pages[0]["/Resources"]["/Font"].values()
    }
    assert doc.replaced == 0
    assert any(font.startswith(FIXED[name]) for font in fonts), fonts


def test_fallback_fonts_are_added_only_when_a_text_needs_them():
    doc = pdf.new_document("en")
    doc.add_page()
    pdf.write_line(doc, "Zoë Núñez-Groß, Анна, Ελένη")
    assert set(doc.fonts) == {"notosans", "notosansB"}
    pdf.write_line(doc, "జ్ఞ‌ా 𝐓𝐡𝐞")
    assert set(doc.fonts) == {"notosans", "notosansB", "notosanstelugu", "notosansmath"}


def account_with_naughty_names(db) -> str:
    """An account whose lists, campaigns and influencers are named with the naughty strings."""
    plan_id = factories.plan(db)
    made = factories.customer(db, "naughty@example.com", plan_id, now=NOW, company="ヽ༼ຈل͜ຈ༽ﾉ Co")
    with db.transaction() as s:
        for i, (key, text) in enumerate(NAUGHTY.items()):
            person = Influencer(
                account_id=made.account_id,
                handle=f"n{i}",
                name=text[:200],
                platform="instagram",
                followers=10_000 - i,
                engagement_rate=2.5,
                country="IT",
                unlocked_at=NOW,
            )
            group = InfluencerList(account_id=made.account_id, name=text[:200], created_at=NOW)
            campaign = Campaign(
                account_id=made.account_id,
                name=f"{key}: {text}"[:200],
                status="active",
                start_date=NOW.date(),
                end_date=NOW.date() + dt.timedelta(days=30),
                budget_cents=100_000,
            )
            s.add_all([person, group, campaign])
            s.flush()
            s.add(ListMember(list_id=group.id, influencer_id=person.id, added_at=NOW))
            s.add(CampaignInfluencer(campaign_id=campaign.id, influencer_id=person.id, posts=1))
    return made.email


def report_of(db, email: str) -> bytes:
    actor = access.actor_for_email(db, email)
    content, _result = services.export_bytes(
        db, actor, ExportRequest(REPORT, "pdf"), lang="en", now=NOW
    )
    return content


@pytest.mark.skipif(
    shutil.which("pdftotext") is None, reason="poppler-utils (pdftotext) is not installed"
)
def test_poppler_reads_the_naughty_report_without_a_warning(db, tmp_path):
    path = tmp_path / "report.pdf"
    path.write_bytes(report_of(db, account_with_naughty_names(db)))
    run = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(path), "-"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "Syntax Error" not in run.stderr and "ToUnicode" not in run.stderr, run.stderr[:2000]
    assert "Warning" not in run.stderr and run.stderr == "", run.stderr[:2000]
    text = run.stdout
    # the strings that printed blank come out as text (poppler's own order for the scripts
    # it reorders: each word is there)
    for key in ("cjk-ext-b", "deseret", "math-bold", "math-fraktur", "math-monospace"):
        assert NAUGHTY[key].split()[0] in text, key
    for piece in ("◕", "☻", "╯", "✿", "᚛ᚄᚓᚐᚋᚒᚄ", "జ్ఞ", "ಥ", "༼", "ຈ"):
        assert piece in text, piece


@pytest.mark.skipif(
    shutil.which("pdftotext") is None, reason="poppler-utils (pdftotext) is not installed"
)
def test_lines_that_start_in_a_fallback_font_keep_a_font_across_pages(tmp_path):
    """fpdf2 set the font of a line that starts in a fallback font inside the line's saved
    graphics state; the next lines of the page had no font ("No font in show")."""
    doc = pdf.new_document("en", footer="Page {page} of {pages}")
    doc.add_page()
    for _ in range(6):
        for text in NAUGHTY.values():
            pdf.write_line(doc, text, size=9)
        pdf.write_line(doc, "𝐓𝐡𝐞 " + "words in Latin " * 40, size=12)
    path = tmp_path / "lines.pdf"
    path.write_bytes(bytes(doc.output()))
    assert doc.pages_count >= 3
    run = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True)
    assert run.stderr == "", run.stderr[:2000]


def test_the_report_says_how_many_characters_it_replaced(db, caplog):
    email = account_with_naughty_names(db)
    actor = access.actor_for_email(db, email)
    clean = services.report_pdf(db, actor, lang="it", now=NOW)
    # the naughty shapes have three characters no font has (U+070F, U+F8FF, U+110BD)
    assert clean.replaced == len(NO_FONT & set("".join(NAUGHTY.values()))) == 3
    with db.transaction() as s:
        s.add(
            Influencer(
                account_id=actor.account_id,
                handle="pharaoh",
                name="Ramses \U00013000\U00013050",
                platform="tiktok",
                followers=50_000_000,
                engagement_rate=4.0,
                country="EG",
                unlocked_at=NOW,
            )
        )
    with caplog.at_level(logging.WARNING, logger="core.documents.pdf"):
        rendered = services.report_pdf(db, actor, lang="it", now=NOW)
    assert rendered.replaced == 5
    assert "U+110BD U+13000 U+13050" in caplog.text
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(rendered.content)).pages)
    assert "Ramses ��" in text
