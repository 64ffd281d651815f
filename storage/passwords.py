"""Staff passwords: Argon2id (argon2-cffi defaults, RFC 9106 low-memory profile) and the policy.

Wrong passwords never lock an account (a locked-out reception desk stops the clinic); every
attempt is audited instead, and unknown usernames cost the same time as known ones.
"""

from __future__ import annotations

from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from storage.errors import InvalidInput

_HASHER = PasswordHasher()


@cache
def _dummy_hash() -> str:
    """A real hash to verify against when the username does not exist, so timing does not tell."""
    return _HASHER.hash("madoguchi-timing-equaliser")


MIN_LENGTH = 8


def check_policy(password: str) -> None:
    """SEC-05: at least 8 characters of at least two kinds (letters, digits, symbols)."""
    if len(password) < MIN_LENGTH:
        raise InvalidInput(f"password: at least {MIN_LENGTH} characters are required")
    kinds = sum(
        [
            any(c.isalpha() for c in password),
            any(c.isdigit() for c in password),
            any(not c.isalnum() for c in password),
        ]
    )
    if kinds < 2:
        raise InvalidInput(
            "password: use at least two kinds of characters (letters, digits, symbols)"
        )


def hash_password(password: str) -> str:
    return _HASHER.hash(password)


def verify_password(stored_hash: str | None, password: str) -> bool:
    try:
        return _HASHER.verify(stored_hash or _dummy_hash(), password) and stored_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    return _HASHER.check_needs_rehash(stored_hash)
