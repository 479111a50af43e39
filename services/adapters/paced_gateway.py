"""A payment gateway whose calls keep to a rate: gateways answer 429 beyond theirs (Stripe: 100
requests a second live, 25 in test mode), and a rate-limited charge is a payment left pending.
With a DatabasePacer the rate holds for all workers together."""

from __future__ import annotations

from services.ports import ChargeRequest, ChargeResult, Pacer, PaymentGateway

# Gateways count requests with a token bucket: calls may bunch this much (a fifth of a second
# of the rate), which absorbs the workers' jitter without going over the limit for long.
GATEWAY_BURST_SECONDS = 0.2


class PacedGateway:
    def __init__(self, gateway: PaymentGateway, pacer: Pacer):
        self._gateway = gateway
        self._pacer = pacer
        self.name = gateway.name

    def ensure_customer(self, *, account_id: int, email: str, name: str,
                        existing_id: str | None) -> str:
        self._pacer.acquire()
        return self._gateway.ensure_customer(account_id=account_id, email=email, name=name,
                                             existing_id=existing_id)

    def charge(self, request: ChargeRequest) -> ChargeResult:
        self._pacer.acquire()
        return self._gateway.charge(request)

    def retrieve(self, *, idempotency_key: str, gateway_ref: str | None) -> ChargeResult | None:
        self._pacer.acquire()
        return self._gateway.retrieve(idempotency_key=idempotency_key, gateway_ref=gateway_ref)

    def __getattr__(self, name: str):
        # The sandbox's hosted-page calls (tokenize_card, describe, ...) are not rate limited.
        return getattr(self._gateway, name)
