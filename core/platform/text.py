"""What the portal does with characters that cannot be stored or looked up.

Two rules, one for each kind of input:

- **Free text that is stored** (survey answers, messages to support, the custom-plan note):
  C0/C1 control characters other than tab and line feed are dropped, and so are lone
  surrogates (half of a UTF-16 pair: no UTF-8 file, JSON writer or database driver accepts
  them); white space at both ends is trimmed. Every other character is stored exactly as
  typed: any script, emoji sequences, zero-width and right-to-left characters, markup.
- **Single-line look-ups** (an email address, a search, a filter value): a control character
  or a lone surrogate there is refused with a clear message (`InvalidInput`, key
  `error.invalid_characters`), before any query. Nothing stored can contain them, so such a
  search could never find anything; PostgreSQL would refuse a NUL outright.
"""

from __future__ import annotations

import unicodedata

from core.platform.errors import InvalidInput

KEPT_CONTROLS = "\n\t"


def _unstorable(ch: str, keep: str) -> bool:
    category = unicodedata.category(ch)
    return category == "Cs" or (category == "Cc" and ch not in keep)


def storable(raw: str | None) -> str:
    """Free text as it is stored: without unstorable characters, trimmed."""
    return "".join(ch for ch in (raw or "") if not _unstorable(ch, KEPT_CONTROLS)).strip()


def has_unstorable(text: str, keep: str = KEPT_CONTROLS) -> bool:
    return any(_unstorable(ch, keep) for ch in text)


def lookup_text(raw: str | None, *, keep: str = KEPT_CONTROLS) -> str:
    """A search term or filter value, refused (InvalidInput) if it holds a control character
    (other than those in `keep`) or a lone surrogate."""
    text = raw or ""
    if not isinstance(text, str) or has_unstorable(text, keep):
        raise InvalidInput("error.invalid_characters")
    return text
