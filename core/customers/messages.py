"""The text of a message a customer writes (to support, in the survey): cleaned and limited."""

from __future__ import annotations

from core.platform.errors import InvalidInput
from core.platform.text import storable

MAX_MESSAGE = 2000


def clean_message(raw: str | None) -> str:
    """Trim, drop control characters (but keep line breaks and tabs) and lone surrogates,
    enforce the limit (see `core.platform.text`)."""
    text = storable(raw)
    if len(text) > MAX_MESSAGE:
        raise InvalidInput("error.message_too_long", limit=MAX_MESSAGE)
    return text
