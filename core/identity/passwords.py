"""Password hashing with Argon2id (argon2-cffi), and what a new password must be."""

from __future__ import annotations

import unicodedata

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from core.platform.errors import InvalidInput

# A new password: at least this many characters (not counting spaces around it) ...
MIN_NEW_PASSWORD = 12
# ... and at most this many: sign-in refuses anything longer without hashing it.
MAX_PASSWORD = 1024

_hasher = PasswordHasher()
# A cheaper hasher for bulk demo data: still Argon2id, verifies like any other hash.
_demo_hasher = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1)


def hash_password(password: str, *, fast: bool = False) -> str:
    return (_demo_hasher if fast else _hasher).hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False
    except UnicodeEncodeError:  # a lone surrogate: no password that was ever set has one
        _hasher.verify(DUMMY_HASH, "not-a-real-password")  # the same work as a wrong one
        return False


def check_new_password(password: str, *, repeat: str | None = None, email: str = "") -> str:
    """The new password as typed, or InvalidInput saying what is wrong with it: too short or
    too long, a control character or a lone surrogate (it could not be typed again, or even
    hashed), the sign-in address itself, or (`repeat` given) not typed the same twice."""
    if not isinstance(password, str) or len(password.strip()) < MIN_NEW_PASSWORD:
        raise InvalidInput("resets.error.too_short", min=MIN_NEW_PASSWORD)
    if len(password) > MAX_PASSWORD:
        raise InvalidInput("resets.error.too_long", max=MAX_PASSWORD)
    if any(unicodedata.category(ch) in ("Cc", "Cs") for ch in password):
        raise InvalidInput("resets.error.characters")
    if email and password.strip().lower() == email.strip().lower():
        raise InvalidInput("resets.error.same_as_email")
    if repeat is not None and repeat != password:
        raise InvalidInput("resets.error.mismatch")
    return password


# Verified against when the email is unknown, so both paths take the same time. Written out
# rather than hashed at import (an Argon2id hash costs about 0.1-0.4 s, paid by every command
# that merely imports the sign-in code); tests/core/identity/test_passwords.py checks that it is
# a hash of that text with `_hasher`'s own parameters, so verifying it costs what a real one does.
DUMMY_HASH = (
    "$argon2id$v=19$m=65536,t=3,p=4$mvkJBFwB0fqryuUDgxtDqA"
    "$0GwE7sM4hLlE7M4JMsfxM29vvuBlPAL5RsGldkMH4Ac"
)
