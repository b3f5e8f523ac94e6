import datetime as dt
import re
from pathlib import Path

from core import i18n

ROOT = Path(__file__).resolve().parent.parent
SOURCES = [ROOT / "app.py", *ROOT.glob("app_pages/**/*.py"), *ROOT.glob("core/*.py")]
PLACEHOLDER = re.compile(r"\{(\w+)\}")


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
