"""The counters follow the service layer's events (services.events), and a broken listener never
breaks the code that reports."""

from __future__ import annotations

import logging

from telegram.error import NetworkError, RetryAfter

from bot import metrics
from services import events


def value(name: str, **labels) -> float:
    return metrics.REGISTRY.get_sample_value(name, labels) or 0.0


def test_each_event_moves_its_counter():
    metrics.install()
    before = {
        "autopay": value("healthpay_autopay_charges_total", outcome="declined"),
        "sent": value("healthpay_notifications_total", status="sent"),
        "held": value("healthpay_notifications_total", status="held"),
        "gateway": value("healthpay_gateway_errors_total", gateway="stripe", kind="unavailable"),
        "turn_failed": value("healthpay_turn_failures_total", channel="telegram"),
        "telegram": value("healthpay_telegram_errors_total", kind="rate_limited"),
        "telegram_5xx": value("healthpay_telegram_errors_total", kind="network"),
        "returned": value("healthpay_declines_total", code="insufficient_funds"),
    }
    events.emit("autopay_charge", outcome="declined", payment_id=1)
    events.emit("notifications", sent=3, held=2, failed=0)
    events.emit("gateway_error", gateway="stripe", kind="unavailable")
    events.emit("turn_failed", channel="telegram")
    events.emit("payment_moved", status="failed", source="member",
                decline_code="insufficient_funds", payment_id=2)
    metrics.count_telegram_error(RetryAfter(1))

    assert value("healthpay_autopay_charges_total", outcome="declined") == before["autopay"] + 1
    assert value("healthpay_notifications_total", status="sent") == before["sent"] + 3
    assert value("healthpay_notifications_total", status="held") == before["held"] + 2
    assert value("healthpay_gateway_errors_total", gateway="stripe", kind="unavailable") == \
        before["gateway"] + 1
    assert value("healthpay_turn_failures_total", channel="telegram") == \
        before["turn_failed"] + 1
    assert value("healthpay_telegram_errors_total", kind="rate_limited") == \
        before["telegram"] + 1
    metrics.count_telegram_error(NetworkError("Bad Gateway"))
    assert value("healthpay_telegram_errors_total", kind="network") == \
        before["telegram_5xx"] + 1
    assert value("healthpay_declines_total", code="insufficient_funds") == \
        before["returned"] + 1, "a returned bank debit counts as a decline too"


def test_a_failing_listener_is_logged_and_skipped(caplog):
    heard = []

    def broken(name, fields):
        raise RuntimeError("counter broke")

    def hearing(name, fields):
        heard.append(name)

    events.subscribe(broken)
    events.subscribe(hearing)
    try:
        with caplog.at_level(logging.ERROR, logger="services.events"):
            events.emit("autopay_charge", outcome="charged", payment_id=None)
    finally:
        events.unsubscribe(broken)
        events.unsubscribe(hearing)
    assert "autopay_charge" in heard
    assert "counter broke" in caplog.text


def test_installing_twice_counts_once():
    metrics.install()
    metrics.install()
    before = value("healthpay_autopay_charges_total", outcome="skipped")
    events.emit("autopay_charge", outcome="skipped", payment_id=None)
    assert value("healthpay_autopay_charges_total", outcome="skipped") == before + 1
