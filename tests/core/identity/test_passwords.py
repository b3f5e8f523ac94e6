"""The hash that an unknown address is checked against is a real Argon2id hash with the
hasher's own parameters, so a sign-in with an unknown address costs what a wrong password does."""

from __future__ import annotations

from core.identity import passwords


def test_the_dummy_hash_costs_what_a_real_hash_does():
    assert passwords.verify_password(passwords.DUMMY_HASH, "not-a-real-password")
    assert not passwords.verify_password(passwords.DUMMY_HASH, "another-password")
    assert not passwords._hasher.check_needs_rehash(passwords.DUMMY_HASH)  # same parameters
    real = passwords.hash_password("a-new-password-123")
    assert real.split("$")[:4] == passwords.DUMMY_HASH.split("$")[:4]
