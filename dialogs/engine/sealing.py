"""Keeping a form's secret answers from one turn to the next without storing them in clear.

A form such as "create an account" asks for a date of birth, an SSN and a password in separate
turns, and its last step needs all of them. The tracker store keeps only "[redacted]" for a
sensitive slot; with a sealer, the stored slot event also carries the value sealed (Fernet:
AES-CBC with an HMAC-SHA256 tag, under a key derived from the server's secret), which the next
turn opens again. A seal opens for `ttl_seconds` only: after that the slot reads as empty and a
form asks for it again. Submit and cancel actions clear these slots, so a seal is short-lived
history either way.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
from collections.abc import Callable
from typing import Any

from cryptography.fernet import Fernet, InvalidToken

SEALED_KEY = "sealed"  # the key of a stored slot event that holds the sealed value
SEAL_TTL_SECONDS = 30 * 60


class SlotSealer:
    def __init__(self, secret: bytes, *, now: Callable[[], dt.datetime],
                 ttl_seconds: int = SEAL_TTL_SECONDS):
        # A key of its own, so the sealing key is not the key that signs tokens.
        derived = hmac.new(secret, b"healthpay sensitive slot seal", hashlib.sha256).digest()
        self._fernet = Fernet(base64.urlsafe_b64encode(derived))
        self._now = now
        self._ttl = ttl_seconds

    @property
    def ttl_seconds(self) -> int:
        return self._ttl

    def seal(self, value: Any) -> str:
        token = self._fernet.encrypt_at_time(json.dumps(value).encode(), self._timestamp())
        return token.decode()

    def unseal(self, token: str) -> Any:
        """The sealed value, or None when the seal is too old, forged or made with another key."""
        try:
            plain = self._fernet.decrypt_at_time(token.encode(), self._ttl, self._timestamp())
        except (InvalidToken, ValueError):
            return None
        return json.loads(plain)

    def unseal_events(self, events: list[dict]) -> list[dict]:
        """Stored events with each sealed slot value opened again (copies; the rest as is)."""
        return [self._opened(event) if is_sealed(event) else event for event in events]

    def _opened(self, event: dict) -> dict:
        opened = {key: value for key, value in event.items() if key != SEALED_KEY}
        opened["value"] = self.unseal(event[SEALED_KEY])
        return opened

    def _timestamp(self) -> int:
        return int(self._now().timestamp())


def is_sealed(event: dict) -> bool:
    """A stored slot event that carries its value sealed."""
    return event.get("event") == "slot" and SEALED_KEY in event
