"""Every text shown to people, in English and Italian, and locale formatting through Babel."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

from babel import Locale
from babel.dates import format_date, format_datetime
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
    """The text for `key` in `lang`. A missing key raises KeyError: tests catch it early."""
    text = catalog(normalise_language(lang))[key]
    return text.format(**params) if params else text


def has_key(key: str) -> bool:
    return all(key in catalog(lang) for lang in LANGUAGES)


def locale_of(lang: str) -> str:
    return LOCALES[normalise_language(lang)]


def fmt_date(value: dt.date, lang: str, style: str = "long") -> str:
    return format_date(value, format=style, locale=locale_of(lang))


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
