"""Password hashing with Argon2id (argon2-cffi)."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

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


# Verified against when the email is unknown, so both paths take the same time.
DUMMY_HASH = hash_password("not-a-real-password")
