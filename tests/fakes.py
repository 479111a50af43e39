"""Fakes for the service layer's ports: fast, in memory, and countable."""

from __future__ import annotations

import itertools

from services.errors import GatewayUnavailable
from services.ports import ChargeRequest, ChargeResult

# token -> (status, decline_code); anything else succeeds.
FAKE_OUTCOMES = {
    "pm_card_visa_chargeDeclined": ("declined", "generic_decline"),
    "pm_card_visa_chargeDeclinedInsufficientFunds": ("declined", "insufficient_funds"),
    "pm_card_visa_chargeDeclinedLostCard": ("declined", "lost_card"),
    "pm_card_chargeDeclinedExpiredCard": ("declined", "expired_card"),
    "pm_card_authenticationRequired": ("requires_action", None),
    "pm_bank_ok": ("processing", None),
}


class FakeGateway:
    """Charges once per idempotency key, like Stripe. `fail_next(n)` makes the next n calls
    time out *after* recording the charge when `charge_then_fail` is set, or before it
    otherwise — the two kinds of timeout a real gateway has."""

    name = "fake"

    def __init__(self):
        self.charges: dict[str, ChargeResult] = {}
        self.requests: list[ChargeRequest] = []
        self.customers: dict[int, str] = {}
        self._ids = itertools.count(1)
        self._failures = 0
        self._charge_then_fail = False

    @property
    def charge_count(self) -> int:
        return len(self.charges)

    def fail_next(self, times: int = 1, *, charge_then_fail: bool = False) -> None:
        self._failures = times
        self._charge_then_fail = charge_then_fail

    def ensure_customer(self, *, account_id, email, name, existing_id):
        if existing_id:
            return existing_id
        return self.customers.setdefault(account_id, f"cus_fake_{account_id}")

    def charge(self, request: ChargeRequest) -> ChargeResult:
        self.requests.append(request)
        if self._failures and not self._charge_then_fail:
            self._failures -= 1
            raise GatewayUnavailable("fake timeout before charging")
        if request.idempotency_key not in self.charges:
            status, code = FAKE_OUTCOMES.get(request.method_token, ("succeeded", None))
            if status == "requires_action" and request.off_session:
                status, code = "declined", "authentication_required"
            self.charges[request.idempotency_key] = ChargeResult(
                status=status,
                gateway_ref=f"ch_fake_{next(self._ids)}",
                decline_code=code,
                action_url="https://example.test/3ds" if status == "requires_action" else None,
            )
        if self._failures:
            self._failures -= 1
            raise GatewayUnavailable("fake timeout after charging")
        return self.charges[request.idempotency_key]

    def retrieve(self, *, idempotency_key, gateway_ref):
        return self.charges.get(idempotency_key)

    def settle(self, idempotency_key: str, status: str = "succeeded") -> None:
        """Move a processing bank charge on, as the bank would."""
        old = self.charges[idempotency_key]
        code = None if status == "succeeded" else "insufficient_funds"
        self.charges[idempotency_key] = ChargeResult(status, old.gateway_ref, code)


class RecordingNotifier:
    def __init__(self):
        self.sent: list[tuple[int, str, list | None]] = []

    def send_to_member(self, account_id, text, buttons=None, *, dedupe_key=None):
        self.sent.append((account_id, text, buttons))
