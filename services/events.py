"""Outcomes worth counting, told to whoever listens: the metrics (bot/metrics.py) and the event
log (bot/logging_setup.py) subscribe here, so the service layer reports what happened without
knowing who counts or logs it.

    events.emit("payment_moved", status="declined", source="autopay", decline_code="...",
                payment_id=42)

Listeners run in the caller's thread, right away, and must be quick; one that fails is logged
and skipped, never the caller's problem. Names and fields in use:
  payment_moved      status, source, decline_code, payment_id (services/payment_outcomes.py)
  autopay_charge     outcome, payment_id             (services/autopay_charges.py)
  gateway_error      gateway, kind                   (services/payments.py)
  gateway_alert      gateway, reason                 (services/gateway_alerts.py)
  notifications      sent, held, retried, failed, ... counts of one delivery run
                                                     (services/delivery.py)
  turn               channel, intent, fallback, seconds, failed_actions (dialogs/engine)
  turn_failed        channel                         (dialogs/engine: nothing was stored)
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

logger = logging.getLogger(__name__)

Listener = Callable[[str, dict[str, Any]], None]

_listeners: list[Listener] = []


def subscribe(listener: Listener) -> None:
    """Call `listener(name, fields)` for every event from now on (once, however often asked)."""
    if listener not in _listeners:
        _listeners.append(listener)


def unsubscribe(listener: Listener) -> None:
    if listener in _listeners:
        _listeners.remove(listener)


def emit(name: str, **fields: Any) -> None:
    for listener in tuple(_listeners):
        try:
            listener(name, fields)
        except Exception:  # a broken counter must never break a payment
            logger.exception("listener %r failed on event %s", listener, name)
