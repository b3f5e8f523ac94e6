"""Every text shown to people, in English and Italian, and locale formatting through Babel."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

from babel import Locale
from babel.dates import format_date, format_datetime, format_time
from babel.numbers import (
    format_compact_decimal,
    format_currency,
    format_decimal,
    format_percent,
    get_currency_symbol,
)

LANGUAGES = ("en", "it")
DEFAULT_LANGUAGE = "en"
LOCALES = {"en": "en_US", "it": "it_IT"}
CATALOG_DIR = Path(__file__).resolve().parent / "locales"


@cache
def catalog(lang: str) -> dict[str, str]:
    """All texts of a language: every `locales/<lang>/*.json`, one file per area of the product.

    A key defined in two files is an error, so areas cannot silently override each other.
    """
    merged: dict[str, str] = {}
    for path in sorted((CATALOG_DIR / lang).glob("*.json")):
        with path.open(encoding="utf-8") as fh:
            texts = json.load(fh)
        clash = merged.keys() & texts.keys()
        if clash:
            raise ValueError(f"{path.name} redefines {sorted(clash)}")
        merged.update(texts)
    return merged


def normalise_language(value: str | None) -> str:
    """'it-IT', 'it_CH', 'IT' -> 'it'; anything unsupported -> English."""
    if not value:
        return DEFAULT_LANGUAGE
    code = value.replace("_", "-").split("-", 1)[0].strip().lower()
    return code if code in LANGUAGES else DEFAULT_LANGUAGE


def t(key: str, lang: str, **params: Any) -> str:
    """The text for `key` in `lang`. A missing key raises KeyError: tests catch it early.

    A date or datetime passed as a parameter is written as running text in that language
    (`TextDate`): the catalog says which article or preposition goes before it, `{end:al}`,
    and the Italian elides it where the day begins with a vowel ("all'11 dicembre").
    """
    lang = normalise_language(lang)
    text = catalog(lang)[key]
    if not params:
        return text
    params = {
        name: TextDate(value, lang) if isinstance(value, dt.date) else value
        for name, value in params.items()
    }
    return text.format(**params)


def plural(key: str, n: int, lang: str, **params: Any) -> str:
    """`key.one` or `key.other`, as the language's plural rule (CLDR, through Babel) says;
    `{n}` is the number, written the language's way ("1 risposta", "1.250 risposte")."""
    form = Locale.parse(locale_of(lang)).plural_form(n)
    return t(f"{key}.{'one' if form == 'one' else 'other'}", lang, n=fmt_number(n, lang), **params)


def has_key(key: str) -> bool:
    return all(key in catalog(lang) for lang in LANGUAGES)


def locale_of(lang: str) -> str:
    return LOCALES[normalise_language(lang)]


def fmt_date(value: dt.date, lang: str, style: str = "long") -> str:
    return format_date(value, format=style, locale=locale_of(lang))


# Italian: the article or articulated preposition before a day number, plain and elided.
# A day whose name begins with a vowel sound (uno, otto, undici) takes the elided form.
_IT_BEFORE_DAY = {
    "il": ("il ", "l'"),
    "al": ("al ", "all'"),
    "dal": ("dal ", "dall'"),
    "del": ("del ", "dell'"),
    "nel": ("nel ", "nell'"),
    "sul": ("sul ", "sull'"),
}
_IT_ELIDED_DAYS = frozenset({1, 8, 11})


def fmt_date_text(value: dt.date, lang: str, before: str = "") -> str:
    """A date inside a sentence, with the word that goes before it.

    Italian: `before` is the article or articulated preposition ("il", "al", "dal", "del",
    "nel", "sul"), elided before 1, 8 and 11: "l'11 dicembre 2026", "fino all'8 gennaio 2027",
    "il 3 dicembre 2026". English: `before` is ignored ("December 11, 2026"). A datetime adds
    the time in UTC: "l'11 dicembre 2026 alle 20:15 (UTC)", "December 11, 2026 at 8:15 PM (UTC)".
    """
    lang = normalise_language(lang)
    day = value.date() if isinstance(value, dt.datetime) else value
    text = fmt_date(day, lang, "long")
    if lang == "it" and before:
        try:
            plain, elided = _IT_BEFORE_DAY[before]
        except KeyError:
            raise ValueError(f"unknown word before a date: {before!r}") from None
        text = (elided if day.day in _IT_ELIDED_DAYS else plain) + text
    if isinstance(value, dt.datetime):
        time = format_time(value, format="short", tzinfo=dt.UTC, locale=locale_of(lang))
        text += f" alle {time} (UTC)" if lang == "it" else f" at {time} (UTC)"
    return text


class TextDate:
    """A date as a catalog parameter: `{date}` is the bare long date, `{date:al}` puts the
    Italian article or preposition before it (see `fmt_date_text`)."""

    __slots__ = ("lang", "value")

    def __init__(self, value: dt.date, lang: str) -> None:
        self.value, self.lang = value, lang

    def __format__(self, spec: str) -> str:
        return fmt_date_text(self.value, self.lang, spec)

    def __str__(self) -> str:
        return fmt_date_text(self.value, self.lang)


def fmt_datetime(value: dt.datetime, lang: str, style: str = "medium") -> str:
    return format_datetime(value, format=style, tzinfo=dt.UTC, locale=locale_of(lang))


def fmt_money(cents: int, currency: str, lang: str) -> str:
    return format_currency(Decimal(cents) / 100, currency, locale=locale_of(lang))


def fmt_number(value: float | int, lang: str) -> str:
    return format_decimal(value, locale=locale_of(lang))


COMPACT_FROM = 100_000


def fmt_count(value: int, lang: str) -> tuple[str, str | None]:
    """A count for a small card: in full below COMPACT_FROM, else short ("1.2M", "1,2 Mln")
    with the full number as the second value, for a tooltip."""
    if abs(value) < COMPACT_FROM:
        return fmt_number(value, lang), None
    short = format_compact_decimal(value, fraction_digits=1, locale=locale_of(lang))
    return short, fmt_number(value, lang)


MONEY_COMPACT_FROM_CENTS = 100_000_000  # a million in the currency


def fmt_money_short(cents: int, currency: str, lang: str) -> str | None:
    """A million or more of a currency, short, for a small card (with the full amount beside
    it): the compact number and the currency's sign where the locale puts it ("$150.8M",
    "150,8 Mln $"); None below a million."""
    if abs(cents) < MONEY_COMPACT_FROM_CENTS:
        return None
    locale = Locale.parse(locale_of(lang))
    number = format_compact_decimal(Decimal(cents) / 100, fraction_digits=1, locale=locale)
    sign = get_currency_symbol(currency, locale="en_US")  # "$": the code would not fit
    pattern = locale.currency_formats["standard"].pattern
    if pattern.index("¤") < pattern.index("#"):
        return f"{sign}{number}"
    return f"{number}\xa0{sign}"


def fmt_percent(ratio: float, lang: str) -> str:
    return format_percent(ratio, format="#,##0.#%", locale=locale_of(lang))
