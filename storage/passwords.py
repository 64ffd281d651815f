"""Staff passwords: Argon2id (argon2-cffi defaults, RFC 9106 low-memory profile) and the policy.

A password must have 8 characters of two kinds and not be one of the ~20,000 commonest
(``resources/passwords``, the list Django ships). Guessing is slowed twice over: after
``FREE_FAILURES`` consecutive failures on an account, or on a PC (any user name), the next try
must wait ``login_delay_s`` (doubling, at most ``MAX_DELAY_S``); after the shared setting
``login_lock_after`` consecutive failures the account is locked until an administrator unlocks
it. A PC is only slowed, never locked (that would stop the desk). Every attempt, refusal, lock
and unlock is in the audit chain, and unknown usernames cost the same time as known ones.
"""

from __future__ import annotations

from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

import resources
from storage.errors import PasswordFault, WeakPassword

_HASHER = PasswordHasher()


@cache
def _dummy_hash() -> str:
    """A real hash to verify against when the username does not exist, so timing does not tell."""
    return _HASHER.hash("madoguchi-timing-equaliser")


MIN_LENGTH = 8
#: Consecutive failures that cost no wait; the next wait is 1 s, then 2, 4, … up to MAX_DELAY_S.
FREE_FAILURES = 3
MAX_DELAY_S = 60.0
#: The fewest consecutive failures the lock setting may allow (fewer would lock on typos).
MIN_LOCK_AFTER = 3


@cache
def common_passwords() -> frozenset[str]:
    """The shipped list of common passwords (lower case)."""
    text = resources.path("passwords", "common-passwords.txt").read_text("utf-8")
    return frozenset(line.strip() for line in text.splitlines() if line.strip())


def login_delay_s(failures: int) -> float:
    """Seconds to wait after ``failures`` consecutive failed logins before the next try."""
    if failures < FREE_FAILURES:
        return 0.0
    return min(2.0 ** (failures - FREE_FAILURES), MAX_DELAY_S)


def check_policy(password: str) -> None:
    """SEC-05: at least 8 characters of at least two kinds (letters, digits, symbols), not a
    common one; :class:`WeakPassword` names the first rule broken."""
    if len(password) < MIN_LENGTH:
        raise WeakPassword(
            f"password: at least {MIN_LENGTH} characters are required", PasswordFault.TOO_SHORT
        )
    kinds = sum(
        [
            any(c.isalpha() for c in password),
            any(c.isdigit() for c in password),
            any(not c.isalnum() for c in password),
        ]
    )
    if kinds < 2:
        raise WeakPassword(
            "password: use at least two kinds of characters (letters, digits, symbols)",
            PasswordFault.ONE_KIND,
        )
    if password.strip().lower() in common_passwords():
        raise WeakPassword(
            "password: this is one of the most common passwords; choose another",
            PasswordFault.COMMON,
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
