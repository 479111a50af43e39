"""Payment reference numbers a member can read aloud and type back: HC-7K3M-9Q2D.

Seven random characters and one check character, from an alphabet without the look-alikes
0/O, 1/I/L and U/V. The check makes sum(weight * value) == 0 (mod 31) with weights 1..7 for
the body and -1 for the check character. 31 is a prime above every difference of two values
(at most 29), and the eight weights are distinct mod 31, so any one mistyped character and any
two swapped characters change the sum and are caught. A body whose check value would be 30
(no character for it) is drawn again.
"""

from __future__ import annotations

import re
import secrets
from typing import Protocol

ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"
PREFIX = "HC"
BODY_LENGTH = 7
_MODULUS = 31
_VALUE = {char: value for value, char in enumerate(ALPHABET)}
_SEPARATORS = re.compile(r"[\s\-_.#]+")


class _Chooser(Protocol):
    def choice(self, seq: str) -> str: ...


def check_value(body: str) -> int:
    """The weighted sum of a body's character values, mod 31: the value its check must have."""
    return sum(weight * _VALUE[char] for weight, char in enumerate(body, start=1)) % _MODULUS


def new_reference(rng: _Chooser = secrets) -> str:
    while True:
        body = "".join(rng.choice(ALPHABET) for _ in range(BODY_LENGTH))
        check = check_value(body)
        if check < len(ALPHABET):
            return format_reference(body + ALPHABET[check])


def format_reference(code: str) -> str:
    """Eight code characters as the member sees them: HC-XXXX-XXXX."""
    return f"{PREFIX}-{code[:4]}-{code[4:]}"


def normalize_reference(text: object) -> str | None:
    """The canonical form of what a member typed ("hc7k3m9q2d", "7K3M 9Q2D", ...), or None
    when it is not a well-formed reference with a correct check character."""
    if not isinstance(text, str):
        return None
    code = _SEPARATORS.sub("", text).upper()
    if len(code) == BODY_LENGTH + 1 + len(PREFIX) and code.startswith(PREFIX):
        code = code[len(PREFIX):]
    if len(code) != BODY_LENGTH + 1 or any(char not in _VALUE for char in code):
        return None
    body, check = code[:BODY_LENGTH], code[BODY_LENGTH]
    if check_value(body) != _VALUE[check]:
        return None
    return format_reference(code)


def is_valid_reference(text: object) -> bool:
    return normalize_reference(text) is not None
