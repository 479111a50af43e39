"""Operator alerts about the payment gateway: an error-level log line and a count
(`healthpay_gateway_alerts_total`, by gateway and reason), for answers that leave a payment's
outcome unknown and that only an operator can fix (a rotated or restricted API key, a request
that changed between retries, a failing search)."""

from __future__ import annotations

import logging

from services import events
from services.errors import GatewayNeedsOperator

logger = logging.getLogger(__name__)


def alert(gateway: str, reason: str, detail: str) -> GatewayNeedsOperator:
    """Log and count the alert; returns the error for the caller to raise."""
    logger.error("payment gateway %s needs an operator (%s): %s", gateway, reason, detail,
                 extra={"gateway": gateway, "reason": reason})
    events.emit("gateway_alert", gateway=gateway, reason=reason)
    return GatewayNeedsOperator(f"{gateway}: {reason}: {detail}")
