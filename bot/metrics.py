"""What operators watch, in Prometheus's terms, served at GET /metrics (bot/http/metrics.py).

The service layer and the engine report outcomes through services.events; `install()`
subscribes the counters below to them, so neither imports prometheus. Every label takes values
from a closed set (the domain's intents, the gateway's decline codes, statuses), never from
what a member typed, so a stranger cannot grow the number of series.

Each process counts its own: with N workers, Prometheus sums them.
"""

from __future__ import annotations

from typing import Any

from prometheus_client import (
    CollectorRegistry,
    Counter,
    GCCollector,
    Histogram,
    PlatformCollector,
    ProcessCollector,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from prometheus_client.registry import Collector

from services import events

REGISTRY = CollectorRegistry()
ProcessCollector(registry=REGISTRY)
PlatformCollector(registry=REGISTRY)
GCCollector(registry=REGISTRY)

TURNS = Counter("healthpay_turns", "Member messages handled, by channel and understood intent",
                ["channel", "intent"], registry=REGISTRY)
FALLBACKS = Counter("healthpay_fallbacks", "Messages the NLU was not sure about (nlu_fallback)",
                    ["channel"], registry=REGISTRY)
TURN_SECONDS = Histogram("healthpay_turn_seconds", "Time to answer one member message",
                         buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
                         registry=REGISTRY)
TURN_FAILURES = Counter("healthpay_turn_failures",
                        "Turns lost to an error outside the actions (the database went away): "
                        "the member got a short apology, nothing was stored", ["channel"],
                        registry=REGISTRY)
ACTION_FAILURES = Counter("healthpay_action_failures",
                          "Actions that raised: the member got a short apology", ["action"],
                          registry=REGISTRY)
PAYMENTS = Counter("healthpay_payments", "Payments reaching a status, by who started them",
                   ["outcome", "source"], registry=REGISTRY)
DECLINES = Counter("healthpay_declines", "Declined or returned payments, by decline code",
                   ["code"], registry=REGISTRY)
AUTOPAY_CHARGES = Counter("healthpay_autopay_charges", "Autopay attempts, by outcome",
                          ["outcome"], registry=REGISTRY)
NOTIFICATIONS = Counter("healthpay_notifications",
                        "Pushed messages by what delivery did: sent, held, failed, ...",
                        ["status"], registry=REGISTRY)
GATEWAY_ERRORS = Counter("healthpay_gateway_errors",
                         "Payment gateway calls without an answer (unavailable) or refused",
                         ["gateway", "kind"], registry=REGISTRY)
GATEWAY_ALERTS = Counter("healthpay_gateway_alerts",
                         "Payment gateway answers that need an operator (auth, permission, "
                         "idempotency, search): the payment stays pending",
                         ["gateway", "reason"], registry=REGISTRY)
BUSY_TURNS = Counter("healthpay_busy_turns",
                     "Turns refused because too many were waiting: the member was told to send "
                     "again in a moment", ["channel"], registry=REGISTRY)
TELEGRAM_ERRORS = Counter("healthpay_telegram_errors",
                          "Telegram Bot API calls that failed: rate_limited (429), forbidden "
                          "(blocked), bad_request, timed_out, network (5xx included), other",
                          ["kind"], registry=REGISTRY)


def count_telegram_error(error: BaseException) -> None:
    """For the Telegram channel: one failed Bot API call (a telegram.error.TelegramError)."""
    from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TimedOut

    kinds = ((RetryAfter, "rate_limited"), (Forbidden, "forbidden"),
             (BadRequest, "bad_request"), (TimedOut, "timed_out"), (NetworkError, "network"))
    kind = next((name for cls, name in kinds if isinstance(error, cls)), "other")
    TELEGRAM_ERRORS.labels(kind=kind).inc()


def _on_event(name: str, fields: dict[str, Any]) -> None:
    if name == "turn":
        channel = fields["channel"]
        TURNS.labels(channel=channel, intent=fields["intent"] or "none").inc()
        if fields["fallback"]:
            FALLBACKS.labels(channel=channel).inc()
        TURN_SECONDS.observe(fields["seconds"])
        for action in fields["failed_actions"]:
            ACTION_FAILURES.labels(action=action).inc()
    elif name == "turn_failed":
        TURN_FAILURES.labels(channel=fields["channel"]).inc()
    elif name == "turn_busy":
        BUSY_TURNS.labels(channel=fields["channel"]).inc()
    elif name == "payment_moved":
        PAYMENTS.labels(outcome=fields["status"], source=fields["source"]).inc()
        if fields["status"] in ("declined", "failed"):
            DECLINES.labels(code=fields["decline_code"] or "none").inc()
    elif name == "autopay_charge":
        AUTOPAY_CHARGES.labels(outcome=fields["outcome"]).inc()
    elif name == "notifications":
        for status, count in fields.items():
            if count:
                NOTIFICATIONS.labels(status=status).inc(count)
    elif name == "gateway_error":
        GATEWAY_ERRORS.labels(gateway=fields["gateway"], kind=fields["kind"]).inc()
    elif name == "gateway_alert":
        GATEWAY_ALERTS.labels(gateway=fields["gateway"], reason=fields["reason"]).inc()


class _LoadCollector(Collector):
    """Read when scraped: the worker's connection pools and its turn queue."""

    def __init__(self):
        self.runtime = None

    def collect(self):
        pools = GaugeMetricFamily("healthpay_db_pool_connections",
                                  "Connections of a pool, by state: checked_out (in use), "
                                  "idle, and capacity (pool size plus overflow)",
                                  labels=["pool", "state"])
        turns = GaugeMetricFamily("healthpay_turn_queue",
                                  "Turns of this worker: running, waiting, and the thread and "
                                  "waiting limits", labels=["state"])
        caches = GaugeMetricFamily("healthpay_conversation_cache",
                                   "What the worker keeps of recent conversations: trackers "
                                   "(size in events) and stored sessions (size in characters), "
                                   "by measure: conversations, size, and limit",
                                   labels=["cache", "measure"])
        runtime = self.runtime
        watched = getattr(runtime, "pools", None)
        for name, engine in watched.items() if watched is not None else ():
            pool = engine.pool
            if not hasattr(pool, "checkedout"):
                continue
            # QueuePool keeps its overflow limit only as _max_overflow (-1: no limit).
            capacity = pool.size() + max(getattr(pool, "_max_overflow", 0), 0)
            pools.add_metric([name, "checked_out"], pool.checkedout())
            pools.add_metric([name, "idle"], pool.checkedin())
            pools.add_metric([name, "capacity"], capacity)
        engine = getattr(runtime, "engine", None)
        settings = getattr(runtime, "settings", None)
        if hasattr(engine, "cache_use") and settings is not None:
            limits = {"trackers": settings.tracker_cache_events,
                      "sessions": settings.session_cache_chars}
            for cache, (conversations, size) in engine.cache_use().items():
                caches.add_metric([cache, "conversations"], conversations)
                caches.add_metric([cache, "size"], size)
                caches.add_metric([cache, "limit"], limits[cache])
        queue = getattr(engine, "turn_queue", None)
        if queue is not None:
            use = queue.use()
            for state, value in (("running", use.running), ("waiting", use.waiting),
                                 ("threads", use.threads), ("max_waiting", use.max_waiting)):
                turns.add_metric([state], value)
        yield pools
        yield turns
        yield caches


_LOAD = _LoadCollector()
REGISTRY.register(_LOAD)


def watch_load(runtime) -> None:
    """Report this runtime's pools and turn queue (the app's, once per process)."""
    _LOAD.runtime = runtime


def install() -> None:
    """Start counting (idempotent): the composition root calls it once per process."""
    events.subscribe(_on_event)


def exposition() -> tuple[bytes, str]:
    """The metrics in Prometheus's text format, and its content type."""
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST
