import datetime as dt
import re

from core.platform import i18n
from tests.support.env import ROOT

SOURCES = [ROOT / "app.py", *ROOT.glob("pages/**/*.py"), *ROOT.glob("core/**/*.py")]
PLACEHOLDER = re.compile(r"\{(\w+)(?::\w*)?\}")


def test_both_languages_have_the_same_keys_and_placeholders():
    en, it = i18n.catalog("en"), i18n.catalog("it")
    assert set(en) == set(it), set(en) ^ set(it)
    for key in en:
        assert set(PLACEHOLDER.findall(en[key])) == set(PLACEHOLDER.findall(it[key])), key
        assert it[key].strip(), key


def test_every_key_the_code_names_exists_in_both_languages():
    literal = re.compile(
        r"""(?:t\(|PortalError\(|Invalid\w*\(|\w+Error\()\s*["']([a-z_]+\.[a-z_.]+)["']"""
    )
    prefixed = re.compile(r"""t\(\s*f["']([a-z_]+\.)\{""")
    named, prefixes = set(), set()
    for path in SOURCES:
        text = path.read_text(encoding="utf-8")
        named |= set(literal.findall(text))
        named |= set(re.findall(r'key = "([a-z_]+\.[a-z_.]+)"', text))
        named |= set(re.findall(r'"(nav\.[a-z_]+)"', text))
        prefixes |= set(prefixed.findall(text))
    assert len(named) > 60
    missing = sorted(k for k in named if not i18n.has_key(k))
    assert not missing, missing
    for prefix in prefixes:
        assert any(k.startswith(prefix) for k in i18n.catalog("en")), prefix


def test_italian_uses_the_article_words():
    it = i18n.catalog("it")
    assert it["billing.title"] == "Prodotti e fatturazione"
    assert it["nav.cancel"] == "Annulla abbonamento"
    assert "a partire da" in it["offer.body"]
    assert "Servizio clienti" in it["status.ended"]


def test_dates_money_and_numbers_follow_the_locale():
    day = dt.date(2026, 12, 8)
    assert i18n.fmt_date(day, "it") == "8 dicembre 2026"
    assert i18n.fmt_date(day, "en") == "December 8, 2026"
    assert i18n.fmt_money(9800, "USD", "en") == "$98.00"
    assert i18n.fmt_money(123456, "USD", "it").startswith("1.234,56")
    assert i18n.fmt_number(1234567, "it") == "1.234.567"


def test_browser_locales_map_to_a_supported_language():
    assert i18n.normalise_language("it-IT") == "it"
    assert i18n.normalise_language("it_CH") == "it"
    assert i18n.normalise_language("de-DE") == "en"
    assert i18n.normalise_language(None) == "en"


def test_large_counts_are_short_in_each_language_with_the_full_number_beside():
    assert i18n.fmt_count(99_999, "en") == ("99,999", None)
    assert i18n.fmt_count(99_999, "it") == ("99.999", None)
    assert i18n.fmt_count(1_000_000, "en") == ("1M", "1,000,000")
    assert i18n.fmt_count(1_000_000, "it") == ("1\xa0Mln", "1.000.000")  # no-break space
    assert i18n.fmt_count(103_931, "en") == ("103.9K", "103,931")
    assert i18n.fmt_count(103_931, "it") == ("103,9K", "103.931")


def test_a_million_dollars_or_more_is_short_in_each_language():
    assert i18n.fmt_money_short(99_999_999, "USD", "en") is None  # $999,999.99 fits
    assert i18n.fmt_money_short(15_081_051_234, "USD", "en") == "$150.8M"
    assert i18n.fmt_money_short(15_081_051_234, "USD", "it") == "150,8\xa0Mln\xa0$"


DAYS_ELIDED = {1, 8, 11}


def test_italian_dates_in_running_text_elide_before_1_8_and_11():
    for day in range(1, 32):
        value = dt.date(2026, 12, day)
        elided = day in DAYS_ELIDED
        assert i18n.fmt_date_text(value, "it", "il") == (
            f"l'{day} dicembre 2026" if elided else f"il {day} dicembre 2026"
        )
        for word in ("al", "dal", "del", "nel", "sul"):
            assert i18n.fmt_date_text(value, "it", word) == (
                f"{word}l'{day} dicembre 2026" if elided else f"{word} {day} dicembre 2026"
            )
        assert i18n.fmt_date_text(value, "en", "al") == f"December {day}, 2026"


def test_a_date_parameter_takes_its_article_from_the_catalog(monkeypatch):
    texts = {"x.until": "fino {end:al}", "x.on": "termina {end:il}", "x.bare": "{end}"}
    monkeypatch.setitem(i18n.catalog("it"), "x.until", texts["x.until"])
    monkeypatch.setitem(i18n.catalog("it"), "x.on", texts["x.on"])
    monkeypatch.setitem(i18n.catalog("it"), "x.bare", texts["x.bare"])
    assert i18n.t("x.until", "it", end=dt.date(2027, 1, 8)) == "fino all'8 gennaio 2027"
    assert i18n.t("x.on", "it", end=dt.date(2026, 12, 11)) == "termina l'11 dicembre 2026"
    assert i18n.t("x.on", "it", end=dt.date(2026, 12, 3)) == "termina il 3 dicembre 2026"
    assert i18n.t("x.bare", "it", end=dt.date(2026, 12, 1)) == "1 dicembre 2026"
    when = dt.datetime(2026, 12, 11, 20, 15, tzinfo=dt.UTC)
    assert i18n.t("x.on", "it", end=when) == "termina l'11 dicembre 2026 alle 20:15 (UTC)"


def test_italian_never_writes_an_article_by_hand_before_a_date():
    """An article typed before a placeholder cannot elide ("il {date}" gives "il 11"); the
    catalog names it in the placeholder instead ("{date:il}"). "in data" is bureaucratic."""
    by_hand = re.compile(
        r"\b(il|al|dal|del|nel|sul|l'|all'|dall'|dell')\s*\**\{(?!interval\})\w+\}"
    )
    for key, text in i18n.catalog("it").items():
        assert not by_hand.search(text), (key, text)
        assert "in data" not in text, (key, text)


# shared/STYLE-it.md: one concept, one word, everywhere (pages, e-mails, PDFs, the admin side).
ITALIAN_TO_AVOID = {
    "su misura": "piano personalizzato",
    "disdett": "annullamento",
    "disdire": "annullare",
    "questionario": "sondaggio",
    "periodo di fatturazione": "ciclo di fatturazione",
    "annullare questa azione": "revocare l'annullamento",
    "in pausa": "sospendere / la sospensione",
    "assistenza clienti": "Servizio clienti",
    "servizio di assistenza": "Servizio clienti",
    "supporto": "Servizio clienti",
}


def test_italian_uses_one_word_per_concept():
    for key, text in i18n.catalog("it").items():
        lowered = text.lower()
        for avoid, use in ITALIAN_TO_AVOID.items():
            assert avoid not in lowered, f"{key}: {avoid!r} -> use {use!r}: {text}"
        spelled = re.findall(r"servizio clienti", text, flags=re.IGNORECASE)
        assert all(s == "Servizio clienti" for s in spelled), f"{key}: {text}"


def test_italian_labels_before_a_bare_date_end_without_an_article():
    """A card or column label is followed by a bare date ("11 dic 2026"): a label ending in
    "il" or "fino al" would read "il 11" or "fino al 11" (STYLE-it: no article in cards)."""
    dangling = re.compile(r"\b(il|al|dal|del|nel|sul|l'|entro)\s*:?$")
    for key, text in i18n.catalog("it").items():
        assert not dangling.search(text.strip()), (key, text)


def test_a_count_agrees_with_its_noun_in_each_language():
    def note(n: int, lang: str) -> str:
        return i18n.plural("insights.download_answers_note", n, lang, minutes="10")

    assert ": 1 risposta." in note(1, "it") and ": 2 risposte." in note(2, "it")
    assert ": 0 risposte." in note(0, "it") and ": 1.250 risposte." in note(1250, "it")
    assert ": 1 answer." in note(1, "en") and ": 0 answers." in note(0, "en")
    assert ": 1,250 answers." in note(1250, "en")
