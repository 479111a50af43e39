"""Passwords and security answers: the policy a new password must meet, and argon2id hashes.

argon2-cffi's defaults (RFC 9106 "low memory": 3 passes over 64 MiB) are used unless the
composition root lowers the cost through `configure_hashing` because a setting asks it to.
"""

from __future__ import annotations

import re
import secrets
import threading

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError

from services.errors import WeakPassword
from services.identity import normalize_security_answer

MIN_LENGTH = 10
MAX_LENGTH = 128
PASSPHRASE_LENGTH = 16  # long enough that one kind of character is fine
MIN_DISTINCT_CHARACTERS = 5

# Bases of the passwords people pick most, caught with digits or symbols added at the end and
# with the usual letter swaps ("P@ssw0rd2024!").
_COMMON_BASES = frozenset({
    "password", "passw", "qwerty", "qwertyuiop", "asdfgh", "asdfghjkl", "zxcvbnm", "letmein",
    "welcome", "iloveyou", "admin", "administrator", "changeme", "monkey", "dragon", "sunshine",
    "princess", "football", "baseball", "master", "superman", "trustno", "abc", "abcdef",
    "abcdefg", "secret", "health", "healthcare", "healthpay", "connector", "insurance",
    "qwertyui", "qazwsx", "1q2w3e4r", "1q2w3e4r5t", "1qaz2wsx", "1qaz2wsx3edc",
})
_LEET = str.maketrans({"@": "a", "4": "a", "0": "o", "1": "i", "!": "i", "3": "e", "$": "s",
                       "5": "s", "7": "t"})
_TRAILING_DIGITS_AND_SYMBOLS = re.compile(r"[\d\W_]+$")


def check_password_policy(password: str, *, username: str | None = None) -> None:
    """Raise WeakPassword with the first rule `password` breaks, in words a member can act on."""
    if len(password) < MIN_LENGTH:
        raise WeakPassword(f"Your password needs at least {MIN_LENGTH} characters.",
                           key="password_too_short", least=MIN_LENGTH)
    if len(password) > MAX_LENGTH:
        raise WeakPassword(f"Your password can have at most {MAX_LENGTH} characters.",
                           key="password_too_long", most=MAX_LENGTH)
    if username and username.casefold() in password.casefold():
        raise WeakPassword("Your password can't contain your username.",
                           key="password_has_username")
    if _is_common(password):
        raise WeakPassword("That password is too common and easy to guess. "
                           "Please choose something less predictable.",
                           key="password_too_common")
    if password.isdigit():
        raise WeakPassword("Your password can't be only numbers. Please add letters or symbols.",
                           key="password_only_numbers")
    if len(set(password)) < MIN_DISTINCT_CHARACTERS:
        raise WeakPassword("Your password repeats the same few characters. "
                           f"Please use at least {MIN_DISTINCT_CHARACTERS} different ones.",
                           key="password_few_characters", least=MIN_DISTINCT_CHARACTERS)
    if len(password) < PASSPHRASE_LENGTH and _character_classes(password) < 3:
        raise WeakPassword(
            "Your password needs at least three of: lowercase letters, uppercase letters, "
            f"numbers and symbols. Or use a passphrase of {PASSPHRASE_LENGTH} characters or more.",
            key="password_character_kinds", passphrase=PASSPHRASE_LENGTH,
        )


def _is_common(password: str) -> bool:
    lowered = password.casefold()
    base = _TRAILING_DIGITS_AND_SYMBOLS.sub("", lowered)
    return bool({lowered, base, base.translate(_LEET)} & _COMMON_BASES)


def _character_classes(password: str) -> int:
    return sum((
        any(c.islower() for c in password),
        any(c.isupper() for c in password),
        any(c.isdigit() for c in password),
        any(not c.isalnum() for c in password),
    ))


# --- hashing --------------------------------------------------------------------------------

_hasher = PasswordHasher(type=Type.ID)
# One argon2id computation at a time in a process: each already runs its lanes on several
# threads over 64 MiB, and a few clients guessing passwords at once would otherwise take every
# CPU from the other members' turns and /healthz. Guesses wait for each other instead.
_one_at_a_time = threading.Lock()


def configure_hashing(*, time_cost: int, memory_cost_kib: int | None = None,
                      parallelism: int | None = None) -> None:
    """Use cheaper argon2id parameters (slow demo hardware, tests). Hashes made before keep
    verifying; `needs_rehash` then reports them, and a login re-hashes them."""
    global _hasher, DUMMY_HASH
    _hasher = PasswordHasher(
        time_cost=time_cost,
        memory_cost=memory_cost_kib or _hasher.memory_cost,
        parallelism=parallelism or _hasher.parallelism,
        type=Type.ID,
    )
    DUMMY_HASH = _make_dummy_hash()


def hash_password(password: str) -> str:
    with _one_at_a_time:
        return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        with _one_at_a_time:
            return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)


def hash_answer(normalized_answer: str) -> str:
    """Normalizing again is harmless (it is idempotent) and keeps stored answers comparable."""
    return hash_password(normalize_security_answer(normalized_answer))


def verify_answer(answer_hash: str, answer: str) -> bool:
    return verify_password(answer_hash, normalize_security_answer(answer))


def _make_dummy_hash() -> str:
    return _hasher.hash(secrets.token_urlsafe(24))


# Verified against when a username is unknown, so a login takes as long whether the account
# exists or not. Its password is random and thrown away: nothing can ever match it.
DUMMY_HASH = _make_dummy_hash()
