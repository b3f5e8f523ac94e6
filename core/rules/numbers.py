"""The numbers people read out to customer service: a cancellation's confirmation number."""

from __future__ import annotations

import random
import secrets

CONFIRMATION_PREFIX = "CX-"
# eight characters that cannot be misread on the phone: no 0 or O, no 1 or I
CONFIRMATION_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
CONFIRMATION_LENGTH = 8


def confirmation_number(rng: random.Random | None = None) -> str:
    """A new confirmation number, drawn from the system's secure source, or from `rng` (the
    demo's seeded generator, so the same seed gives the same numbers). Uniqueness is the
    database's: the column is UNIQUE."""
    if rng is None:
        chars = [secrets.choice(CONFIRMATION_ALPHABET) for _ in range(CONFIRMATION_LENGTH)]
    else:
        chars = rng.choices(CONFIRMATION_ALPHABET, k=CONFIRMATION_LENGTH)
    return CONFIRMATION_PREFIX + "".join(chars)
